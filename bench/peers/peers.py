#!/usr/bin/env python3
"""Runs the workloads of `celeriac bench` against peer task queues on this machine.

Peers: Celery 5 + Redis, pgqueuer, procrastinate. For each, with a no-op task:

  enqueue   one task per call (one Redis command / one transaction), N in a row
  drain     N tasks enqueued first, then the worker started; tasks/s from the first
            task's start to the last task's completion (as `celeriac bench` counts),
            and also from the worker's spawn (startup included)
  pickup    worker idle; probes enqueued one at a time ~20 ms apart; latency =
            task body start - clock reading just before the enqueue call
  rss       sum of VmRSS over the worker's processes, sampled during the drain, peak

Normally started by bench/peers/run.sh, which prepares the venv, PostgreSQL and Redis.
See README.md next to this file for what each figure means.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.path.dirname(os.path.abspath(sys.executable))  # the venv's bin/
PEERS = ("celery", "pgqueuer", "procrastinate")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


def log(text: str) -> None:
    print(f"peers: {text}", file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


# --------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------


class Settings:
    def __init__(self, args: argparse.Namespace) -> None:
        quick = args.quick
        self.quick = quick
        self.enqueue = args.enqueue_count or (300 if quick else 2_000)
        self.probes = args.probe_count or (50 if quick else 200)
        full_drain = {"celery": 5_000, "pgqueuer": 20_000, "procrastinate": 5_000}
        self.drain = {
            peer: args.drain_count or (n // 5 if quick else n) for peer, n in full_drain.items()
        }
        self.probe_gap = args.probe_gap_ms / 1000
        self.parts = set(args.parts.split(","))
        self.drain_timeout = args.drain_timeout
        self.rounds = args.rounds or (1 if quick else 3)


# --------------------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """pid and all its descendants (via /proc/PID/task/TID/children)."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            tids = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{current}/task/{tid}/children") as f:
                    stack.extend(int(child) for child in f.read().split())
            except OSError:
                pass
    return found


def age_seconds(pid: int) -> float:
    """How long the process has existed (from /proc/PID/stat starttime and /proc/uptime)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            started = int(f.read().rsplit(")", 1)[1].split()[19]) / CLK_TCK
        with open("/proc/uptime") as f:
            return float(f.read().split()[0]) - started
    except (OSError, IndexError, ValueError):
        return 0.0


def proc_kib(path: str, field: str) -> int:
    """The kB value of `field` in a /proc file of "Field:   123 kB" lines (0 if absent)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def status_kib(pid: int, field: str) -> int:
    return proc_kib(f"/proc/{pid}/status", field)


def pss_kib(pid: int) -> int:
    return proc_kib(f"/proc/{pid}/smaps_rollup", "Pss")


def cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


class Worker:
    """A peer's worker, started in its own session so its whole tree can be stopped."""

    registry: list["Worker"] = []
    pid_file: str | None = None

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_path: str) -> None:
        self.name = name
        self.log_path = log_path
        self.log_file = open(log_path, "ab")
        self.spawned_at = time.time()
        self.proc = subprocess.Popen(
            argv, cwd=HERE, env=env, stdin=subprocess.DEVNULL, stdout=self.log_file,
            stderr=subprocess.STDOUT, start_new_session=True,
        )
        Worker.registry.append(self)
        if Worker.pid_file:
            with open(Worker.pid_file, "a") as f:
                f.write(f"{self.proc.pid}\n")
        self.peak_rss_kib = 0
        self.peak_hwm_kib = 0
        self.processes_seen = 0

    def alive(self) -> bool:
        return self.proc.poll() is None

    def check_alive(self) -> None:
        if not self.alive():
            raise BenchError(f"{self.name} worker exited with {self.proc.returncode}; log: {self.log_path}\n"
                             + self.tail())

    def tail(self, lines: int = 30) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def sample_memory(self) -> None:
        # Children younger than 0.5 s are left out: a library's fork+exec of a helper
        # (seen at start-up) briefly shows the parent's whole RSS again. Pool children
        # (Celery prefork) live for the whole drain and are counted.
        root, *children = descendants(self.proc.pid)
        pids = [root] + [pid for pid in children if age_seconds(pid) >= 0.5]
        self.processes_seen = max(self.processes_seen, len(pids))
        self.peak_rss_kib = max(self.peak_rss_kib, sum(status_kib(p, "VmRSS") for p in pids))
        self.peak_hwm_kib = max(self.peak_hwm_kib, sum(status_kib(p, "VmHWM") for p in pids))

    def pss_kib(self) -> int:
        return sum(pss_kib(p) for p in descendants(self.proc.pid))

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(p) for p in descendants(self.proc.pid))

    def stop(self) -> None:
        if self.alive():
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                log(f"{self.name} worker ignored SIGTERM for 15 s; killing its process group")
        # The session leader may be gone while its children linger: kill the group anyway.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.log_file.close()
        if self in Worker.registry:
            Worker.registry.remove(self)
        if Worker.pid_file:  # stopped: run.sh must not signal a reused pid later
            try:
                with open(Worker.pid_file) as f:
                    pids = [line.strip() for line in f if line.strip() != str(self.proc.pid)]
                with open(Worker.pid_file, "w") as f:
                    f.write("".join(p + "\n" for p in pids if p))
            except OSError:
                pass

    @classmethod
    def stop_all(cls) -> None:
        for worker in list(cls.registry):
            worker.stop()


def percentile(values: list[float], p: float) -> float:
    """Nearest rank, as `celeriac bench` computes it."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = -(-p / 100 * len(ordered) // 1) - 1  # ceil(p/100 * n) - 1
    return ordered[min(max(int(rank), 0), len(ordered) - 1)]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def summarize_drains(label: str, runs: list[dict]) -> dict:
    """The median round's rates, the highest memory of any round, and every round."""
    return {
        "config": label,
        "tasks": runs[0]["tasks"],
        "per_s": round(median([run["per_s"] for run in runs]), 1),
        "per_s_from_spawn": round(median([run["per_s_from_spawn"] for run in runs]), 1),
        "worker_processes": max(run["worker_processes"] for run in runs),
        "peak_rss_mib": max(run["peak_rss_mib"] for run in runs),
        "peak_hwm_mib": max(run["peak_hwm_mib"] for run in runs),
        "pss_at_end_mib": max(run["pss_at_end_mib"] for run in runs),
        "rounds": runs,
    }


def read_probes(path: str) -> dict[int, float]:
    started: dict[int, float] = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    started.setdefault(int(parts[0]), float(parts[1]))
    except FileNotFoundError:
        pass
    return started


# --------------------------------------------------------------------------------------
# Peers
# --------------------------------------------------------------------------------------


class Peer:
    name = ""
    package = ""
    drain_configs: list[tuple[str, dict]] = []
    latency_config: dict = {}

    def __init__(self, settings: Settings, pg_url: str, redis_url: str, tmp: str) -> None:
        self.settings = settings
        self.pg_url = pg_url
        self.redis_url = redis_url
        self.tmp = tmp
        self.probe_file = os.path.join(tmp, f"{self.name}-probes.txt")

    # Implemented by each peer.
    def prepare(self) -> None: ...
    def close(self) -> None: ...
    def reset(self) -> None: ...
    def enqueue_one(self) -> None: ...
    def enqueue_bulk(self, count: int) -> None: ...
    def enqueue_probe(self, probe_id: int) -> None: ...
    def worker_argv(self, config: dict) -> list[str]: ...
    def drain_finished(self, count: int) -> bool: ...
    def drain_span(self, count: int) -> tuple[float, float]: ...  # (first start, last done), epoch s

    def worker_env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = HERE + os.pathsep + env.get("PYTHONPATH", "")
        env["PEERS_PROBE_FILE"] = self.probe_file
        env["PEERS_REDIS_URL"] = self.redis_url
        env.update(extra or {})
        return env

    def start_worker(self, label: str, config: dict, extra_env: dict[str, str] | None = None) -> Worker:
        log_path = os.path.join(self.tmp, f"{self.name}-{label}.log")
        return Worker(f"{self.name} ({label})", self.worker_argv(config), self.worker_env(extra_env), log_path)

    # ---- the three measurements ------------------------------------------------------

    def measure_enqueue(self) -> dict:
        self.reset()
        for _ in range(min(50, self.settings.enqueue)):  # warm-up: connections, caches
            self.enqueue_one()
        self.reset()
        count = self.settings.enqueue
        started = time.perf_counter()
        for _ in range(count):
            self.enqueue_one()
        seconds = time.perf_counter() - started
        self.reset()
        return {"tasks": count, "seconds": round(seconds, 4), "per_s": round(count / seconds, 1)}

    def measure_drain(self, label: str, config: dict) -> dict:
        count = self.settings.drain[self.name]
        self.reset()
        started = time.perf_counter()
        self.enqueue_bulk(count)
        bulk_seconds = time.perf_counter() - started
        self.before_drain()
        worker = self.start_worker(label, config, self.drain_env())
        try:
            deadline = time.monotonic() + self.settings.drain_timeout
            while True:
                worker.sample_memory()
                if self.drain_finished(count):
                    break
                worker.check_alive()
                if time.monotonic() > deadline:
                    raise BenchError(f"{self.name} {label}: drain of {count} tasks not done in "
                                     f"{self.settings.drain_timeout} s")
                time.sleep(0.05)
            worker.sample_memory()
            cpu = worker.cpu_seconds()
            pss = worker.pss_kib()
        finally:
            worker.stop()
        first_start, last_done = self.drain_span(count)
        seconds = last_done - first_start
        with_startup = last_done - worker.spawned_at
        self.reset()
        return {
            "config": label,
            "tasks": count,
            "bulk_enqueue_seconds": round(bulk_seconds, 3),
            "seconds": round(seconds, 4),
            "per_s": round(count / seconds, 1),
            "seconds_from_spawn": round(with_startup, 4),
            "per_s_from_spawn": round(count / with_startup, 1),
            "worker_processes": worker.processes_seen,
            "peak_rss_mib": round(worker.peak_rss_kib / 1024, 1),
            "peak_hwm_mib": round(worker.peak_hwm_kib / 1024, 1),
            "pss_at_end_mib": round(pss / 1024, 1),
            # CPU time of the worker's processes from spawn to the end (start-up included).
            "worker_cpu_s_incl_startup": round(cpu, 2),
        }

    def before_drain(self) -> None: ...

    def drain_env(self) -> dict[str, str]:
        return {}

    def measure_latency(self, label: str, config: dict) -> dict:
        self.reset()
        if os.path.exists(self.probe_file):
            os.unlink(self.probe_file)
        worker = self.start_worker(label + "-latency", config)
        try:
            # Warm-up: wait until the worker has run one probe, then a few more, then 1 s idle.
            self.enqueue_probe(-1)
            deadline = time.monotonic() + 60
            while -1 not in read_probes(self.probe_file):
                worker.check_alive()
                if time.monotonic() > deadline:
                    raise BenchError(f"{self.name}: worker did not run a warm-up probe in 60 s; "
                                     f"log:\n{worker.tail()}")
                time.sleep(0.02)
            for i in range(5):  # a few more, not counted
                self.enqueue_probe(-1000 - i)
                time.sleep(self.settings.probe_gap)
            time.sleep(1.0)

            before: dict[int, float] = {}
            after: dict[int, float] = {}
            for probe_id in range(self.settings.probes):
                before[probe_id] = time.monotonic()
                self.enqueue_probe(probe_id)
                after[probe_id] = time.monotonic()
                time.sleep(self.settings.probe_gap)
            deadline = time.monotonic() + 30
            while True:
                started = read_probes(self.probe_file)
                if all(i in started for i in before):
                    break
                worker.check_alive()
                if time.monotonic() > deadline:
                    missing = sum(1 for i in before if i not in started)
                    raise BenchError(f"{self.name}: {missing} latency probes never ran")
                time.sleep(0.05)
        finally:
            worker.stop()
        self.reset()
        from_call = [(started[i] - before[i]) * 1000 for i in before]
        from_return = [(started[i] - after[i]) * 1000 for i in before]
        call_ms = [(after[i] - before[i]) * 1000 for i in before]
        return {
            "config": label,
            "probes": len(from_call),
            "p50_ms": round(percentile(from_call, 50), 3),
            "p99_ms": round(percentile(from_call, 99), 3),
            "max_ms": round(max(from_call), 3),
            "from_return_p50_ms": round(percentile(from_return, 50), 3),
            "from_return_p99_ms": round(percentile(from_return, 99), 3),
            "from_return_max_ms": round(max(from_return), 3),
            "enqueue_call_p50_ms": round(percentile(call_ms, 50), 3),
        }

    def run(self) -> dict:
        result: dict = {"package": self.package, "version": importlib.metadata.version(self.package)}
        self.prepare()
        try:
            rounds = self.settings.rounds
            if "enqueue" in self.settings.parts:
                runs = []
                for index in range(rounds):
                    log(f"{self.name}: enqueue {self.settings.enqueue} tasks one at a time "
                        f"(round {index + 1}/{rounds})")
                    runs.append(self.measure_enqueue())
                    log(f"{self.name}:   {runs[-1]['per_s']:.0f}/s")
                result["enqueue"] = {"tasks": self.settings.enqueue,
                                     "per_s": median([run["per_s"] for run in runs]),
                                     "rounds_per_s": [run["per_s"] for run in runs]}
            # Drain configurations take turns round by round, so a slow moment of the
            # machine does not land on one configuration only; the median round is reported.
            drains: dict[str, list[dict]] = {label: [] for label, _ in self.drain_configs}
            for index in range(rounds if "drain" in self.settings.parts else 0):
                for label, config in self.drain_configs:
                    log(f"{self.name}: drain {self.settings.drain[self.name]} no-op tasks, {label} "
                        f"(round {index + 1}/{rounds})")
                    drain = self.measure_drain(label, config)
                    log(f"{self.name}:   {drain['per_s']:.0f}/s ({drain['per_s_from_spawn']:.0f}/s from spawn), "
                        f"peak RSS {drain['peak_rss_mib']:.0f} MiB over {drain['worker_processes']} process(es)")
                    drains[label].append(drain)
            result["drains"] = [summarize_drains(label, runs) for label, runs in drains.items() if runs]
            if "pickup" not in self.settings.parts:
                return result
            label, config = self.latency_config
            log(f"{self.name}: pickup latency, idle worker ({label}), {self.settings.probes} probes")
            result["pickup_idle"] = self.measure_latency(label, config)
            lat = result["pickup_idle"]
            log(f"{self.name}:   p50 {lat['p50_ms']:.2f} / p99 {lat['p99_ms']:.2f} / max {lat['max_ms']:.2f} ms")
        finally:
            self.close()
        return result


class CeleryPeer(Peer):
    name = "celery"
    package = "celery"
    drain_configs = [("prefork c=2", {"pool": "prefork", "concurrency": 2}),
                     ("solo", {"pool": "solo", "concurrency": 1})]
    latency_config = ("prefork c=2", {"pool": "prefork", "concurrency": 2})

    def prepare(self) -> None:
        os.environ["PEERS_REDIS_URL"] = self.redis_url
        sys.path.insert(0, HERE)
        import redis

        import celery_app

        self.app = celery_app
        self.redis = redis.Redis.from_url(self.redis_url)
        self.redis.ping()
        self.extra = {"redis_server": self.redis.info("server").get("redis_version"),
                      "redis_py": importlib.metadata.version("redis"),
                      "kombu": importlib.metadata.version("kombu")}

    def close(self) -> None:
        self.redis.flushdb()
        self.app.app.close()

    def reset(self) -> None:
        self.redis.flushdb()

    def enqueue_one(self) -> None:
        self.app.noop.delay()

    def enqueue_bulk(self, count: int) -> None:
        # Celery has no bulk publish: one apply_async per task, as an application would.
        for _ in range(count):
            self.app.noop.delay()

    def enqueue_probe(self, probe_id: int) -> None:
        self.app.probe.delay(probe_id)

    def worker_argv(self, config: dict) -> list[str]:
        return [os.path.join(BIN, "celery"), "-A", "celery_app", "worker", "--pool", config["pool"],
                "--concurrency", str(config["concurrency"]), "--loglevel", "WARNING"]

    def drain_env(self) -> dict[str, str]:
        return {"PEERS_CELERY_PROGRESS": "1"}

    def _progress(self) -> dict[str, str]:
        raw = self.redis.hgetall(self.app.PROGRESS_KEY)
        return {k.decode(): v.decode() for k, v in raw.items()}

    def drain_finished(self, count: int) -> bool:
        done = sum(int(v) for k, v in self._progress().items() if k.endswith(":count"))
        if done > count:
            raise BenchError(f"celery ran {done} tasks, more than the {count} enqueued")
        return done == count

    def drain_span(self, count: int) -> tuple[float, float]:
        progress = self._progress()
        firsts = [float(v) for k, v in progress.items() if k.endswith(":first") and v != "None"]
        lasts = [float(v) for k, v in progress.items() if k.endswith(":last") and v != "None"]
        return min(firsts), max(lasts)


class PgPeer(Peer):
    """Common to the PostgreSQL-backed peers: a database of their own, an event loop."""

    database = ""

    def prepare(self) -> None:
        import psycopg

        self.url = with_database(self.pg_url, self.database)
        recreate_database(self.pg_url, self.database)
        self.control = psycopg.connect(self.url, autocommit=True)
        self.loop = asyncio.new_event_loop()
        self.install_schema()
        self.loop.run_until_complete(self.open())
        self.extra = {}

    def close(self) -> None:
        try:
            self.loop.run_until_complete(self.shut())
        finally:
            self.loop.close()
            self.control.close()

    def scalar(self, sql: str, *params):
        return self.control.execute(sql, params).fetchone()[0]

    def before_drain(self) -> None:
        for table in self.tables:
            self.control.execute(f"VACUUM ANALYZE {table}")

    def enqueue_one(self) -> None:
        self.loop.run_until_complete(self.enqueue_one_async())

    def enqueue_bulk(self, count: int) -> None:
        self.loop.run_until_complete(self.enqueue_bulk_async(count))

    def enqueue_probe(self, probe_id: int) -> None:
        self.loop.run_until_complete(self.enqueue_probe_async(probe_id))

    def measure_enqueue(self) -> dict:
        # Time the awaited calls inside the event loop, not the loop's own start/stop.
        self.reset()

        async def run(count: int) -> float:
            started = time.perf_counter()
            for _ in range(count):
                await self.enqueue_one_async()
            return time.perf_counter() - started

        self.loop.run_until_complete(run(min(50, self.settings.enqueue)))
        self.reset()
        count = self.settings.enqueue
        seconds = self.loop.run_until_complete(run(count))
        self.reset()
        return {"tasks": count, "seconds": round(seconds, 4), "per_s": round(count / seconds, 1)}


class PgqueuerPeer(PgPeer):
    name = "pgqueuer"
    package = "pgqueuer"
    database = "peers_pgqueuer"
    tables = ["pgqueuer", "pgqueuer_log"]
    drain_configs = [("default (batch 10)", {}), ("batch 100", {"batch_size": 100})]
    latency_config = ("default (batch 10)", {})

    def worker_env(self, extra=None) -> dict[str, str]:
        env = super().worker_env(extra)
        env["PEERS_PGQUEUER_URL"] = self.url
        return env

    def install_schema(self) -> None:
        env = self.worker_env()
        env.update(pg_env(self.url))
        subprocess.run([os.path.join(BIN, "pgq"), "install"], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    async def open(self) -> None:
        import asyncpg
        from pgqueuer.db import AsyncpgDriver
        from pgqueuer.queries import Queries

        self.connection = await asyncpg.connect(self.url)
        self.queries = Queries(AsyncpgDriver(self.connection))

    async def shut(self) -> None:
        await self.connection.close()

    def reset(self) -> None:
        self.control.execute("TRUNCATE pgqueuer, pgqueuer_log, pgqueuer_statistics")

    async def enqueue_one_async(self) -> None:
        await self.queries.enqueue("noop", None)

    async def enqueue_bulk_async(self, count: int) -> None:
        for offset in range(0, count, 10_000):
            n = min(10_000, count - offset)
            await self.queries.enqueue(["noop"] * n, [None] * n, [0] * n)

    async def enqueue_probe_async(self, probe_id: int) -> None:
        await self.queries.enqueue("probe", str(probe_id).encode())

    def worker_argv(self, config: dict) -> list[str]:
        # `pgq run` of pgqueuer 1.6.0 fails at start-up here; see pgqueuer_worker.py.
        argv = [sys.executable, os.path.join(HERE, "pgqueuer_worker.py"), "pgqueuer_app:create"]
        if "batch_size" in config:
            argv += ["--batch-size", str(config["batch_size"])]
        return argv

    def drain_finished(self, count: int) -> bool:
        # Finished jobs leave the queue table (moved to pgqueuer_log by the worker).
        return not self.scalar("SELECT EXISTS (SELECT 1 FROM pgqueuer)")

    def drain_span(self, count: int) -> tuple[float, float]:
        done, bad, first, last = self.control.execute(
            """SELECT count(*) FILTER (WHERE status = 'successful'),
                      count(*) FILTER (WHERE status NOT IN ('successful', 'picked', 'queued')),
                      extract(epoch FROM min(created) FILTER (WHERE status = 'picked')),
                      extract(epoch FROM max(created) FILTER (WHERE status = 'successful'))
               FROM pgqueuer_log WHERE entrypoint = 'noop'""").fetchone()
        if done != count or bad:
            raise BenchError(f"pgqueuer: {done} of {count} jobs successful, {bad} otherwise")
        return float(first), float(last)


class ProcrastinatePeer(PgPeer):
    name = "procrastinate"
    package = "procrastinate"
    database = "peers_procrastinate"
    tables = ["procrastinate_jobs", "procrastinate_events"]
    drain_configs = [("concurrency 10", {"concurrency": 10}),
                     ("concurrency 10, pool 10", {"concurrency": 10, "pool_max": 10})]
    latency_config = ("concurrency 10", {"concurrency": 10})

    def worker_env(self, extra=None) -> dict[str, str]:
        env = super().worker_env(extra)
        env["PEERS_PROCRASTINATE_URL"] = self.url
        return env

    def install_schema(self) -> None:
        subprocess.run([os.path.join(BIN, "procrastinate"), "--app=procrastinate_app.app", "schema", "--apply"],
                       cwd=HERE, env=self.worker_env(), check=True, stdout=subprocess.DEVNULL)

    async def open(self) -> None:
        os.environ["PEERS_PROCRASTINATE_URL"] = self.url
        sys.path.insert(0, HERE)
        import procrastinate_app

        self.module = procrastinate_app
        self.app = await procrastinate_app.app.open_async()

    async def shut(self) -> None:
        await self.app.close_async()

    def reset(self) -> None:
        self.control.execute("TRUNCATE procrastinate_jobs, procrastinate_events, procrastinate_workers CASCADE")

    async def enqueue_one_async(self) -> None:
        await self.module.noop.defer_async()

    async def enqueue_bulk_async(self, count: int) -> None:
        for offset in range(0, count, 10_000):
            await self.module.noop.batch_defer_async(*({} for _ in range(min(10_000, count - offset))))

    async def enqueue_probe_async(self, probe_id: int) -> None:
        await self.module.probe.defer_async(probe_id=probe_id)

    def start_worker(self, label: str, config: dict, extra_env: dict[str, str] | None = None) -> Worker:
        extra = dict(extra_env or {})
        if config.get("pool_max"):
            extra["PEERS_PROCRASTINATE_POOL_MAX"] = str(config["pool_max"])
        return super().start_worker(label, config, extra)

    def worker_argv(self, config: dict) -> list[str]:
        return [os.path.join(BIN, "procrastinate"), "--app=procrastinate_app.app", "worker",
                "--concurrency", str(config["concurrency"])]

    def drain_finished(self, count: int) -> bool:
        return not self.scalar(
            "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE status IN ('todo', 'doing'))")

    def drain_span(self, count: int) -> tuple[float, float]:
        done, bad = self.control.execute(
            """SELECT count(*) FILTER (WHERE status = 'succeeded'),
                      count(*) FILTER (WHERE status <> 'succeeded')
               FROM procrastinate_jobs WHERE task_name = 'noop'""").fetchone()
        if done != count or bad:
            raise BenchError(f"procrastinate: {done} of {count} jobs succeeded, {bad} otherwise")
        first, last = self.control.execute(
            """SELECT extract(epoch FROM min(at) FILTER (WHERE type = 'started')),
                      extract(epoch FROM max(at) FILTER (WHERE type = 'succeeded'))
               FROM procrastinate_events""").fetchone()
        return float(first), float(last)


# --------------------------------------------------------------------------------------
# PostgreSQL helpers
# --------------------------------------------------------------------------------------


def with_database(url: str, database: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + database))


def pg_env(url: str) -> dict[str, str]:
    parts = urllib.parse.urlsplit(url)
    return {"PGHOST": parts.hostname or "127.0.0.1", "PGPORT": str(parts.port or 5432),
            "PGUSER": urllib.parse.unquote(parts.username or ""),
            "PGPASSWORD": urllib.parse.unquote(parts.password or ""),
            "PGDATABASE": parts.path.lstrip("/")}


def recreate_database(admin_url: str, database: str) -> None:
    """Drops and creates a peer's own database (never the project's), so each run starts clean."""
    import psycopg

    assert database.startswith("peers_")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')


def server_version(url: str) -> str:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SHOW server_version").fetchone()[0]


# --------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------


def print_table(report: dict) -> None:
    rows = [("peer", "config", "enqueue 1/call", "drain /s", "drain /s incl. startup",
             "pickup p50/p99/max ms", "from return p50/p99/max", "peak RSS MiB (procs)")]
    for peer, result in report["peers"].items():
        name = f"{peer} {result.get('version', '')}"
        if "error" in result:
            rows.append((name, "FAILED", result["error"].splitlines()[0][:60], "", "", "", "", ""))
            continue
        enqueue = f"{result['enqueue']['per_s']:,.0f}/s" if "enqueue" in result else "-"
        lat = result.get("pickup_idle")
        pickup = f"{lat['p50_ms']:.2f} / {lat['p99_ms']:.2f} / {lat['max_ms']:.2f}" if lat else "-"
        after = (f"{lat['from_return_p50_ms']:.2f} / {lat['from_return_p99_ms']:.2f} / "
                 f"{lat.get('from_return_max_ms', float('nan')):.2f}" if lat else "-")
        drains = result.get("drains") or [None]
        for index, drain in enumerate(drains):
            shows_pickup = lat and (drain is None or drain["config"] == lat["config"])
            rows.append((
                name if index == 0 else "",
                drain["config"] if drain else (lat["config"] if lat else ""),
                enqueue if index == 0 else "",
                f"{drain['per_s']:,.0f}" if drain else "-",
                f"{drain['per_s_from_spawn']:,.0f}" if drain else "-",
                pickup if shows_pickup else "",
                after if shows_pickup else "",
                f"{drain['peak_rss_mib']:.0f} ({drain['worker_processes']})" if drain else "-",
            ))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    print(f"Peers on {report['cores']} cores, PostgreSQL {report['postgres_version']}, "
          f"{report['date']}{' (quick)' if report['quick'] else ''}")
    for index, row in enumerate(rows):
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
        if index == 0:
            print("  ".join("-" * width for width in widths))
    print()
    print(f"drain /s: first task start to last completion (as celeriac bench); incl. startup: from "
          f"spawning the worker;\nmedian of {report['counts']['rounds']} round(s), configurations taking turns.\npickup: task start minus the clock reading just before the enqueue "
          f"call\n(from return: just after it returns), idle worker, probes {report['counts']['probe_gap_ms']:.0f} ms apart.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller counts (a fifth of the drains)")
    parser.add_argument("--only", default=",".join(PEERS), help="comma-separated: celery,pgqueuer,procrastinate")
    parser.add_argument("--pg-url", default=os.environ.get("PEERS_PG_URL"), help="PostgreSQL URL (admin database)")
    parser.add_argument("--redis-url", default=os.environ.get("PEERS_REDIS_URL", "redis://127.0.0.1:56379/0"))
    parser.add_argument("--json", help="write JSON here (default bench/results/peers/peers-<UTC time>.json)")
    parser.add_argument("--no-json", action="store_true", help="do not write JSON (for test runs)")
    parser.add_argument("--enqueue-count", type=int, help="override the enqueue count")
    parser.add_argument("--drain-count", type=int, help="override every drain count")
    parser.add_argument("--probe-count", type=int, help="override the number of latency probes")
    parser.add_argument("--probe-gap-ms", type=float, default=20.0,
                        help="pause after each latency probe's enqueue returns (default 20)")
    parser.add_argument("--parts", default="enqueue,drain,pickup",
                        help="comma-separated subset of enqueue,drain,pickup (default all)")
    parser.add_argument("--rounds", type=int, help="rounds of enqueue and drain, median kept (default 3; quick 1)")
    parser.add_argument("--drain-timeout", type=float, default=300.0, help="seconds (default 300)")
    parser.add_argument("--pid-file", default=os.environ.get("PEERS_PID_FILE"),
                        help="append each worker's pid here (run.sh kills leftovers from it)")
    args = parser.parse_args()

    only = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in only if p not in PEERS]
    if unknown:
        parser.error(f"unknown peer(s): {', '.join(unknown)} (choose from {', '.join(PEERS)})")
    if any(p != "celery" for p in only) and not args.pg_url:
        parser.error("--pg-url (or PEERS_PG_URL) is needed for pgqueuer and procrastinate")
    Worker.pid_file = args.pid_file

    def on_signal(signum, _frame):
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)

    settings = Settings(args)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    report: dict = {
        "date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "quick": settings.quick,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "postgres_version": server_version(args.pg_url) if args.pg_url else None,
        "counts": {"rounds": settings.rounds, "enqueue": settings.enqueue, "drain": {p: settings.drain[p] for p in only},
                   "pickup_probes": settings.probes, "probe_gap_ms": settings.probe_gap * 1000},
        "peers": {},
    }
    classes = {"celery": CeleryPeer, "pgqueuer": PgqueuerPeer, "procrastinate": ProcrastinatePeer}
    tmp = tempfile.mkdtemp(prefix="celeriac-peers-")
    failed = False
    try:
        for name in only:
            peer = classes[name](settings, args.pg_url, args.redis_url, tmp)
            started = time.monotonic()
            try:
                result = peer.run()
                result.update(getattr(peer, "extra", {}))
            except BenchError as error:
                log(f"{name}: FAILED: {error}")
                result = {"version": importlib.metadata.version(peer.package), "error": str(error)}
                failed = True
            finally:
                Worker.stop_all()
            result["wall_seconds"] = round(time.monotonic() - started, 1)
            log(f"{name}: done in {result['wall_seconds']:.0f} s")
            report["peers"][name] = result
    finally:
        Worker.stop_all()
        if failed:
            log(f"worker logs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print_table(report)
    if not args.no_json:
        # A subfolder, not bench/results/ itself: `celeriac bench` compares each run with the
        # last *.json there by name, and "peers-..." would sort after every run of its own.
        path = args.json or os.path.join(REPO, "bench", "results", "peers",
                                         f"peers-{now.strftime('%Y-%m-%dT%H%M%SZ')}.json")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            json.dump(report, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(path + ".tmp", path)
        print(f"wrote {os.path.relpath(path, os.getcwd())}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
