#!/usr/bin/env bash
# Installs what the browser test needs (a real headless Chromium, its driver, selenium), when
# missing: chromium and chromium-driver from Debian's packages, selenium from PyPI. Never
# fails the build: where they cannot be installed, the browser test is skipped and says why.
set -uo pipefail

have() { command -v "$1" >/dev/null 2>&1; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; elif have sudo; then sudo "$@"; else return 1; fi; }

if ! have chromium || ! have chromedriver; then
    echo "browser.sh: installing chromium and chromium-driver (apt-get)" >&2
    if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1; then
        as_root apt-get update -q >/dev/null 2>&1 || true
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 \
            || echo "browser.sh: could not install chromium; the browser test will be skipped" >&2
    fi
fi
if ! python3 -c "import selenium" >/dev/null 2>&1; then
    echo "browser.sh: installing selenium (pip)" >&2
    python3 -m pip install -q "selenium>=4.20,<5" >/dev/null 2>&1 \
        || python3 -m pip install -q --break-system-packages "selenium>=4.20,<5" >/dev/null 2>&1 \
        || echo "browser.sh: could not install selenium; the browser test will be skipped" >&2
fi
exit 0
