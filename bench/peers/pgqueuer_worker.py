"""Starts a pgqueuer worker as `pgq run pgqueuer_app:create [--batch-size N]` does.

`pgq run` of pgqueuer 1.6.0, with typer 0.29.2 (what pip resolves for it), exits at
start-up with "AttributeError: 'str' object has no attribute 'name'", with or without
--log-level: the option reaches the logger set-up as a plain string. So this does what
that command does through pgqueuer's documented `pgqueuer.run()`: INFO logging, uvloop
when installed (via the CLI's own helper), default batch size 10 unless given.
"""

import argparse
from datetime import timedelta

import pgqueuer
from pgqueuer.adapters.cli.cli import asyncio_run
from pgqueuer.core import logconfig

parser = argparse.ArgumentParser()
parser.add_argument("factory", nargs="?", default="pgqueuer_app:create")
parser.add_argument("--batch-size", type=int, default=10)
args = parser.parse_args()

logconfig.setup_fancy_logger(logconfig.LogLevel.INFO)
asyncio_run(pgqueuer.run(args.factory, batch_size=args.batch_size, dequeue_timeout=timedelta(seconds=30)))
