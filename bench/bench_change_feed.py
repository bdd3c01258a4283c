"""Cross-process change feed (tessera/web/change_feed.py): how long after another process
commits a record update does this process's subscriber have it?

A separate Python process updates one record at a time (WRITES updates, 50 ms apart) and
prints the wall-clock time of each commit; this process subscribes to the table through the
feed and notes when each change arrives. Also the cost of one idle SQLite poll round (the
``max(id)`` check the feed runs every 0.2 s).

Usage: .venv/bin/python bench/bench_change_feed.py [sqlite|postgresql] [WRITES]
(PostgreSQL: TESSERA_BENCH_PG_URL, else a throwaway cluster is started)."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import bench_database, record  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.records import RecordService  # noqa: E402
from tessera.schema.ops import FieldSpec, create_base, create_table  # noqa: E402
from tessera.web.change_feed import feed_for  # noqa: E402

WRITER = """
import sys, time
from tessera.db import create_engine
from tessera.records import RecordService
engine = create_engine(sys.argv[1])
service = RecordService(engine)
for i in range(int(sys.argv[3])):
    service.update(int(sys.argv[2]), 1 + i % 100, {"Note": f"w{i}"})
    print(i, time.time(), flush=True)
    time.sleep(0.05)
"""


def _subscribe(engine: Any, table_id: int, writes: int, url: str) -> tuple[dict[int, float],
                                                                              dict[int, float]]:
    feed = feed_for(engine)
    arrived: dict[int, float] = {}
    committed: dict[int, float] = {}

    async def main() -> None:
        feed.start(pin=True)
        feed.catch_up()
        entry = feed.subscribe(table_id)
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), *sys.path])}
        writer = subprocess.Popen([sys.executable, "-c", WRITER, url, str(table_id),
                                   str(writes)], stdout=subprocess.PIPE, text=True, env=env)

        def read() -> None:
            assert writer.stdout is not None
            for line in writer.stdout:
                i, at = line.split()
                committed[int(i)] = float(at)

        reader = threading.Thread(target=read)
        reader.start()
        count = 0
        try:
            while count < writes:
                await asyncio.wait_for(entry[1].get(), 30)
                arrived[count] = time.time()
                count += 1
        finally:
            writer.wait(60)
            reader.join()
            feed.unsubscribe(table_id, entry)
            feed.unpin(join=True)

    asyncio.run(main())
    return committed, arrived


def _poll_round_us(engine: Any) -> float:
    import sqlalchemy as sa

    from tessera.web.change_feed import CS

    t0 = time.perf_counter()
    for _ in range(1000):
        with engine.connect() as conn:
            conn.execute(sa.select(sa.func.max(CS.c.id))).scalar()
    return (time.perf_counter() - t0) / 1000 * 1e6


def main() -> None:
    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    writes = int(sys.argv[2]) if len(sys.argv) > 2 else 50
    with bench_database(backend) as url:
        upgrade(url)
        engine = create_engine(url)
        base = create_base(engine, "Bench")
        table = create_table(engine, base.id, "Notes", fields=[FieldSpec("Note", "text")])
        RecordService(engine).bulk_create(table.id, [{"Name": f"r{i}"} for i in range(100)])
        committed, arrived = _subscribe(engine, table.id, writes, url)
        lags = sorted((arrived[i] - committed[i]) * 1000 for i in range(writes))
        result = {"backend": backend, "writes": writes,
                  "lag_p50_ms": round(statistics.median(lags), 1),
                  "lag_p95_ms": round(lags[int(0.95 * (len(lags) - 1))], 1),
                  "lag_max_ms": round(lags[-1], 1), "loadavg": os.getloadavg()[0]}
        if backend == "sqlite":
            result["idle_poll_round_us"] = round(_poll_round_us(engine), 1)
        engine.dispose()
    print(result)
    record(f"bench_change_feed_{backend}", result)


if __name__ == "__main__":
    main()
