"""Celery 5 app for the peer benchmark: Redis broker, no result backend, a no-op task.

Worker: celery -A celery_app worker --pool prefork --concurrency 2 (or --pool solo).

Celery keeps no record of finished tasks without a result backend, so when
PEERS_CELERY_PROGRESS=1 each process that runs tasks counts them in memory
(task_prerun / task_postrun signals: a counter and two time.time() readings, no I/O)
and a daemon thread copies the figures to one Redis hash every 20 ms. The controller
reads that hash to know when the drain is over and when the first task started and
the last one finished.
"""

import os
import threading
import time

from celery import Celery
from celery.signals import task_postrun, task_prerun

import probe as probe_clock

REDIS_URL = os.environ.get("PEERS_REDIS_URL", "redis://127.0.0.1:56379/0")
PROGRESS_KEY = "peers:celery:progress"

app = Celery("peers", broker=REDIS_URL)
app.conf.broker_connection_retry_on_startup = True


@app.task(name="noop")
def noop():
    return None


@app.task(name="probe")
def probe(probe_id):
    probe_clock.record(probe_id, probe_clock.now())


# --- progress counter (drain only) -------------------------------------------------

_progress = {"pid": None, "count": 0, "first": None, "last": None}


def _flush_forever(pid):
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    written = -1
    while True:
        time.sleep(0.02)
        count = _progress["count"]
        if count != written:
            client.hset(
                PROGRESS_KEY,
                mapping={
                    f"{pid}:count": count,
                    f"{pid}:first": repr(_progress["first"]),
                    f"{pid}:last": repr(_progress["last"]),
                },
            )
            written = count


if os.environ.get("PEERS_CELERY_PROGRESS") == "1":

    @task_prerun.connect
    def _before(**_):
        pid = os.getpid()
        if _progress["pid"] != pid:  # first task in this (possibly forked) process
            _progress.update(pid=pid, count=0, first=time.time(), last=None)
            threading.Thread(target=_flush_forever, args=(pid,), daemon=True).start()

    @task_postrun.connect
    def _after(**_):
        _progress["last"] = time.time()
        _progress["count"] += 1
