"""pgqueuer app for the peer benchmark: asyncpg driver, a no-op entrypoint.

Worker: python pgqueuer_worker.py pgqueuer_app:create [--batch-size N], the equivalent of
`pgq run pgqueuer_app:create` (see pgqueuer_worker.py); default batch size, no concurrency
limit.
"""

import os
from contextlib import asynccontextmanager

import asyncpg
from pgqueuer import PgQueuer
from pgqueuer.db import AsyncpgDriver
from pgqueuer.models import Job

import probe as probe_clock


@asynccontextmanager
async def create():
    connection = await asyncpg.connect(os.environ["PEERS_PGQUEUER_URL"])
    pgq = PgQueuer(AsyncpgDriver(connection))

    @pgq.entrypoint("noop")
    async def noop(job: Job) -> None:
        return None

    @pgq.entrypoint("probe")
    async def probe(job: Job) -> None:
        started = probe_clock.now()
        probe_clock.record(int(job.payload), started)

    try:
        yield pgq
    finally:
        await connection.close()
