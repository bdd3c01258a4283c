"""Bulk insert on SQLite in the shape perf/BASELINES.md measured its ≥ 500k rows/s floor with:
1,000,000 customers (name, phone, first visit, last visit, visits, total spend), values built
before the clock starts, one transaction — raw ``executemany`` into a plain table next to
``RecordService.bulk_create_columns`` (parsing, validation, history, hooks) into a Tessera
table with the same fields, same run.

    .venv/bin/python bench/bench_bulk_baseline_shape.py [--rows 1000000] [--batch 1000000]

bench_storage.py measures a wider table (10 columns, typed rows generated inside the timed
loop); this script answers whether the platform keeps up with the BASELINES floor itself."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import sqlite3
import tempfile
import time
from pathlib import Path

from common import machine

from tessera import schema_ops as schema
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.records import RecordService

FIELDS = [("Phone", "phone", None), ("First visit", "date", None), ("Last visit", "date", None),
          ("Visits", "number", None), ("Total spend", "currency", None)]


def columns(n: int) -> dict[str, list]:
    rng = random.Random(42)
    first, last = "2022-07-01", "2025-06-30"
    return {"Name": [f"Cust {rng.getrandbits(32):08x}" for _ in range(n)],
            "Phone": [f"+7{rng.randrange(10**9, 10**10 - 1)}" for _ in range(n)],
            "First visit": [first] * n, "Last visit": [last] * n,
            "Visits": [0] * n, "Total spend": [0.0] * n}


def raw(path: Path, cols: dict[str, list]) -> tuple[float, float]:
    rows = list(zip(range(1, len(cols["Name"]) + 1), *cols.values(), strict=True))
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE customers(id INTEGER PRIMARY KEY, name TEXT, phone TEXT, "
                 "first_visit TEXT, last_visit TEXT, visits INTEGER, total_spend REAL)")
    t0, c0 = time.perf_counter(), time.process_time()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO customers VALUES (?,?,?,?,?,?,?)", rows)
    conn.execute("COMMIT")
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    conn.close()
    return elapsed, cpu


def tessera(path: Path, cols: dict[str, list], batch: int) -> tuple[float, float]:
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    base = schema.create_base(engine, "Bench")
    table = schema.create_table(engine, base.id, "Customers", primary_field="Name")
    for name, type_, options in FIELDS:
        schema.add_field(engine, table.id, name, type_, options)
    svc = RecordService(engine)
    n = len(cols["Name"])
    wall = cpu = 0.0
    for start in range(0, n, batch):
        part = {k: v[start:start + batch] for k, v in cols.items()}
        t0, c0 = time.perf_counter(), time.process_time()
        svc.bulk_create_columns(table.id, part)
        wall += time.perf_counter() - t0
        cpu += time.process_time() - c0
    engine.dispose()
    return wall, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=1_000_000)
    args = ap.parse_args()
    cols = columns(args.rows)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        raw_s, raw_cpu = raw(Path(tmp) / "raw.db", cols)
        wall, cpu = tessera(Path(tmp) / "tessera.db", cols, args.batch)
    # rows/s by wall time (the target's unit) and the ratios to the raw floor by wall and by
    # CPU time (the machine is shared: CPU time is the steadier figure under load)
    out = {"machine": machine(), "load_before": load_before, "load_after": os.getloadavg()[0],
           "rows": args.rows, "batch": args.batch, "raw_executemany_s": round(raw_s, 3),
           "raw_cpu_s": round(raw_cpu, 3), "raw_rows_per_s": round(args.rows / raw_s),
           "tessera_s": round(wall, 3), "tessera_cpu_s": round(cpu, 3),
           "tessera_rows_per_s": round(args.rows / wall),
           "tessera_rows_per_cpu_s": round(args.rows / cpu),
           "ratio": round(wall / raw_s, 2), "cpu_ratio": round(cpu / raw_cpu, 2),
           "date": dt.datetime.now(dt.UTC).isoformat()}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
