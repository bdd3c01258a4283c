"""Clinic CRM benchmark: install the pack with N sample customers (generation + one full
recompute of every formula), then the latency of one visit insert until the customer's
formulas are updated and the automations queued, and the worker pass that runs them.

    .venv/bin/python bench/bench_clinic.py --customers 10000 [--visits 35000]
        [--backend sqlite|postgresql|both] [--url URL] [--inserts 20]

--visits defaults to 3.5 per customer; the script accepts 1,000,000 customers / 5,000,000
visits (see bench/RESULTS.md for the expected time). Results go to bench/out/clinic.json, with
the generator's phase lines (rows made and written, then the one recompute) and the CPU time of
this process during the install (on PostgreSQL the server's work is not in it).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import logging
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import latency, machine, record  # noqa: E402

PACK = Path(__file__).resolve().parents[1] / "apps" / "clinic_crm"


def run(url: str, customers: int, visits: int, inserts: int, specialty: str) -> dict[str, Any]:
    import sqlalchemy as sa

    import tessera.workflow as wf
    from tessera.db import create_engine
    from tessera.migrate import upgrade
    from tessera.packs.install import install
    from tessera.records import RecordService

    engine = create_engine(url)
    upgrade(engine)
    wf.install()
    results: dict[str, Any] = {"url": sa.engine.make_url(url).get_backend_name(),
                               "customers": customers, "visits": visits, **machine()}
    t0 = time.perf_counter()
    schema_only = install(engine, PACK, f"schema-{time.time_ns()}")
    results["install_schema_s"] = round(time.perf_counter() - t0, 2)
    phases = _PhaseLog()
    logging.getLogger("tessera.samples").addHandler(phases)
    t0, c0 = time.perf_counter(), time.process_time()
    r = install(engine, PACK, f"clinic-{time.time_ns()}", sample=customers, seed=1,
                sample_options={"specialty": specialty,
                                "visits_per_customer": visits / max(customers, 1)})
    results["install_generate_recompute_s"] = round(time.perf_counter() - t0, 2)
    results["install_generate_recompute_cpu_s"] = round(time.process_time() - c0, 2)
    logging.getLogger("tessera.samples").removeHandler(phases)
    results["generator_phases"] = phases.lines
    del schema_only
    svc = RecordService(engine)
    visits_table, customers_table = r.table_id("visits"), r.table_id("customers")
    today = dt.date.today().isoformat()

    def one_visit(i: int) -> None:
        cid = 1 + (i * 7919) % customers
        svc.create(visits_table, {"单号": f"B{i}", "客户": [cid], "日期": today, "金额": 5000},
                   actor="bench")
        svc.get(customers_table, cid)

    results["visit_insert"] = latency(one_visit, calls=inserts)
    # a second series under cProfile (slower, not used for the latency): what the slowest
    # insert spent its time on
    slowest: list[Any] = [0.0, None]
    for i in range(inserts, inserts + max(10, inserts // 2)):
        profile = cProfile.Profile()
        t0 = time.perf_counter()
        profile.runcall(one_visit, i)
        if time.perf_counter() - t0 > slowest[0]:
            slowest[:] = [time.perf_counter() - t0, profile]
    results["slowest_profiled_insert_ms"] = round(slowest[0] * 1000, 1)
    results["slowest_insert_profile"] = _top(slowest[1])
    worker = wf.Worker(engine, worker_id="bench")
    t0 = time.perf_counter()
    stats = worker.run_once()
    results["worker_pass_s"] = round(time.perf_counter() - t0, 3)
    results["worker_stats"] = str(stats)
    engine.dispose()
    return results


class _PhaseLog(logging.Handler):
    """Keeps the sample generator's phase lines (timings of rows vs the recompute)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def _top(profile: Any, n: int = 12) -> list[str]:
    """The ``n`` functions with the most cumulative time in one profiled insert: what the
    slow (p95) inserts spend their time on."""
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(n)
    lines = [ln.strip() for ln in out.getvalue().splitlines() if ln.strip()]
    start = next((k for k, ln in enumerate(lines) if ln.startswith("ncalls")), 0)
    return lines[start:start + n + 1]


def _sqlite_url(customers: int) -> str:
    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    db = out / f"clinic-{customers}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}"


def _report(res: dict[str, Any]) -> None:
    for k, v in res.items():
        print(f"{k:32} {v}", flush=True)
    record("clinic", res)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=10_000)
    p.add_argument("--visits", type=int, default=None)
    p.add_argument("--inserts", type=int, default=20)
    p.add_argument("--specialty", default="dental")
    p.add_argument("--backend", default="sqlite", choices=["sqlite", "postgresql", "both"])
    p.add_argument("--url", default=None, help="an existing database instead of --backend")
    args = p.parse_args()
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("tessera.samples").setLevel(logging.INFO)
    visits = args.visits if args.visits is not None else int(args.customers * 3.5)
    if args.url:
        _report(run(args.url, args.customers, visits, args.inserts, args.specialty))
        return
    if args.backend in ("sqlite", "both"):
        _report(run(_sqlite_url(args.customers), args.customers, visits, args.inserts,
                    args.specialty))
    if args.backend in ("postgresql", "both"):
        import sqlalchemy as sa

        from tessera.testing.pgcluster import PgCluster

        with PgCluster() as cluster:
            admin = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql('CREATE DATABASE "bench_clinic"')
            admin.dispose()
            url = sa.engine.make_url(cluster.url).set(database="bench_clinic")
            _report(run(url.render_as_string(hide_password=False), args.customers, visits,
                        args.inserts, args.specialty))


if __name__ == "__main__":
    main()
