"""Shared by the peers' task modules: a probe task records when it started running.

The time is CLOCK_MONOTONIC (system-wide on Linux, so comparable with the controller's
own readings in another process), taken first thing in the task body, then appended
as one line "<probe id> <seconds>" to the file named by PEERS_PROBE_FILE.
"""

import os
import time

_fd = None


def now() -> float:
    return time.monotonic()


def record(probe_id: int, started: float) -> None:
    global _fd
    if _fd is None:
        _fd = os.open(os.environ["PEERS_PROBE_FILE"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.write(_fd, f"{probe_id} {started:.9f}\n".encode())
