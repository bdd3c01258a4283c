"""App-pack benchmarks: how long the pack lifecycle takes on real packs.

1. validate apps/clinic_crm and apps/gym_membership (JSON Schema + references + formula
   type checks; no database);
2. install each (no sample data), export the clinic base, dry-run an upgrade to the same
   version (export + three-way merge of every object);
3. upgrade the test shop pack v1 → v2 on a base holding N customers with one visit each: the
   upgrade adds a table, rollups and formulas (materialized over the N rows), updates a view,
   a dashboard and an automation, in one transaction.

Usage: ``.venv/bin/python bench/bench_packs.py [N] [sqlite|postgresql ...]`` (N default 20000).
PostgreSQL uses ``PG_DSN`` or a throwaway cluster. Writes bench/out/bench_packs.json.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import record  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.packs import install, load_pack, validate  # noqa: E402
from tessera.packs.export import export_base  # noqa: E402
from tessera.packs.upgrade import upgrade_pack  # noqa: E402
from tessera.records import RecordService  # noqa: E402

CLINIC, GYM = ROOT / "apps" / "clinic_crm", ROOT / "apps" / "gym_membership"
SHOP = ROOT / "tests" / "packs" / "data"


def _fresh_url(backend: str, pg_server: str | None) -> str:
    if backend == "sqlite":
        path = Path(tempfile.mkdtemp(prefix="tessera-packs-")) / "bench_packs.db"
        return f"sqlite:///{path}"
    assert pg_server is not None
    name = f"bench_packs_{int(time.time())}"
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)


def _time(results: dict[str, Any], label: str, fn: Any) -> Any:
    t0 = time.perf_counter()
    value = fn()
    results[label] = round((time.perf_counter() - t0) * 1000, 1)
    return value


def bench(backend: str, url: str, n: int, results: dict[str, Any]) -> None:
    os.environ["TESSERA_TODAY"] = "2025-03-01"
    engine = create_engine(url)
    upgrade(engine)
    p = f"{backend}."
    clinic = _time(results, p + "install clinic_crm ms", lambda: install(engine, CLINIC, "诊所"))
    _time(results, p + "install gym_membership ms", lambda: install(engine, GYM, "健身房"))
    _time(results, p + "export clinic_crm ms", lambda: export_base(engine, clinic.base_id))
    _time(results, p + "upgrade dry-run clinic_crm (same version) ms",
          lambda: upgrade_pack(engine, CLINIC, clinic.base_id, dry_run=True))
    shop = install(engine, SHOP / "shop_v1", "小店")
    records = RecordService(engine)
    visits = records.bulk_create(shop.table_id("visits"), [
        {"编号": f"V{i}", "金额": i % 900, "日期": f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}"}
        for i in range(n)], actor="import:bench")
    t0 = time.perf_counter()
    for start in range(0, n, 1000):
        records.bulk_create(shop.table_id("customers"), [
            {"姓名": f"客户{i}", "累计消费": (i * 37) % 90000, "备注": "x" * (i % 7),
             "到院": [visits[i]]} for i in range(start, min(n, start + 1000))],
            actor="import:bench")
    results[p + f"load {n} customers + visits s"] = round(time.perf_counter() - t0, 1)
    report = _time(results, p + f"upgrade shop v1→v2 with {n} customers ms",
                   lambda: upgrade_pack(engine, SHOP / "shop_v2", shop.base_id))
    results[p + "upgrade items"] = len(report.items)
    engine.dispose()


def main(argv: list[str]) -> None:
    n = int(argv[0]) if argv and argv[0].isdigit() else 20000
    backends = [a for a in argv if not a.isdigit()] or ["sqlite", "postgresql"]
    results: dict[str, Any] = {"n_customers": n}
    for name, folder in (("clinic_crm", CLINIC), ("gym_membership", GYM)):
        _time(results, f"validate {name} ms", lambda f=folder: validate(load_pack(f)))
    cluster = None
    pg_server = os.environ.get("PG_DSN")
    if "postgresql" in backends and not pg_server:
        from tessera.testing.pgcluster import PgCluster

        cluster = PgCluster()
        cluster.start()
        pg_server = cluster.url
    try:
        for backend in backends:
            bench(backend, _fresh_url(backend, pg_server), n, results)
    finally:
        if cluster is not None:
            cluster.stop()
    for key, value in results.items():
        print(f"{key:55s} {value}")
    print("wrote", record("bench_packs", results))


if __name__ == "__main__":
    main(sys.argv[1:])
