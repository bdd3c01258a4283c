"""``tessera worker [--once] [--poll SECONDS] [--lease SECONDS] [--id NAME]``: run workflow
workers against the database of ``--db``. Several may run at once on PostgreSQL (they
coordinate through row locks); ``--once`` processes everything due now and exits (cron, tests)."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    worker = subparsers.add_parser("worker", help="run workflow automations (durable runs)")
    worker.add_argument("--once", action="store_true",
                        help="process everything due now, print a summary and exit")
    worker.add_argument("--poll", type=float, default=1.0, help="seconds between polls (default 1)")
    worker.add_argument("--lease", type=float, default=60.0,
                        help="seconds a claimed run stays reserved before another worker may "
                             "take it over (default 60)")
    worker.add_argument("--id", default=None, help="worker name shown in the run log")
    worker.set_defaults(handler=run_worker)


def run_worker(args: argparse.Namespace) -> int:
    from tessera.db import create_engine, database_url
    from tessera.workflow import Worker, install

    install()
    engine = create_engine(database_url(args.db))
    worker = Worker(engine, worker_id=args.id, lease_seconds=args.lease)
    if args.once:
        stats = worker.run_once()
        print(json.dumps({"worker": worker.id, "claimed": stats.claimed,
                          "queued_by_scheduler": stats.queued_by_scheduler,
                          "statuses": stats.statuses}, ensure_ascii=False))
        return 0
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    print(f"tessera worker {worker.id} started; Ctrl+C stops it", file=sys.stderr)
    worker.run_forever(stop, poll_seconds=args.poll)
    return 0
