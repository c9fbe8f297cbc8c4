#!/usr/bin/env bash
# Worker "hosts" for the fault suite: network namespaces celeriac-h1..hN, each joined to the
# root namespace (the database host) by a veth pair: 10.231.N.1 on the database side,
# 10.231.N.2 inside the host. Needs root and iproute2.
#
#   scripts/netns.sh up N        create hosts 1..N (recreating any left over)
#   scripts/netns.sh down        remove every celeriac-h* host
#   scripts/netns.sh cut I       cut host I off (its link goes down: packets vanish, no resets)
#   scripts/netns.sh heal I      bring host I's link back
#   scripts/netns.sh addresses N the database-side addresses, comma-separated, with 127.0.0.1
set -euo pipefail

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
    up)
        n="${1:?up needs a host count}"
        for i in $(seq 1 "$n"); do
            ns="celeriac-h$i"
            ip netns del "$ns" 2>/dev/null || true
            ip link del "cel-h$i" 2>/dev/null || true
            ip netns add "$ns"
            ip link add "cel-h$i" type veth peer name eth0 netns "$ns"
            ip addr add "10.231.$i.1/24" dev "cel-h$i"
            ip link set "cel-h$i" up
            ip -n "$ns" addr add "10.231.$i.2/24" dev eth0
            ip -n "$ns" link set eth0 up
            ip -n "$ns" link set lo up
        done
        ;;
    down)
        for ns in $(ip netns list | awk '/^celeriac-h/ {print $1}'); do
            ip link del "cel-h${ns#celeriac-h}" 2>/dev/null || true
            ip netns del "$ns"
        done
        ;;
    cut) ip link set "cel-h${1:?cut needs a host number}" down ;;
    heal) ip link set "cel-h${1:?heal needs a host number}" up ;;
    addresses)
        printf '127.0.0.1'
        for i in $(seq 1 "${1:?addresses needs a host count}"); do printf ',10.231.%s.1' "$i"; done
        echo
        ;;
    *)
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
        exit 2
        ;;
esac
