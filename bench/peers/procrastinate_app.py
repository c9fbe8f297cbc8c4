"""procrastinate app for the peer benchmark: psycopg 3 connector, a no-op task.

Worker: procrastinate --app=procrastinate_app.app worker --concurrency 10
"""

import os

import procrastinate

import probe as probe_clock

# The connector's pool is psycopg_pool's default (4 connections) unless
# PEERS_PROCRASTINATE_POOL_MAX is set (then min 4, growing to that many).
_pool = {}
if os.environ.get("PEERS_PROCRASTINATE_POOL_MAX"):
    _pool = {"min_size": 4, "max_size": int(os.environ["PEERS_PROCRASTINATE_POOL_MAX"])}

app = procrastinate.App(
    connector=procrastinate.PsycopgConnector(conninfo=os.environ.get("PEERS_PROCRASTINATE_URL", ""), **_pool),
)


@app.task(name="noop")
async def noop():
    return None


@app.task(name="probe")
async def probe(probe_id):
    started = probe_clock.now()
    probe_clock.record(probe_id, started)
