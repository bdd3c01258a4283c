"""Workflow engine benchmarks (DESIGN.md decision 4; targets in the issue and perf/BASELINES.md).

1. Daily sweep of a clock condition over N_CUST (default 1,000,000) customers:
   ``TODAY() - {最近到院} >= 180`` with last-visit dates spread over 100 days, so ~1% cross the
   threshold each day. Timed: finding the newly matching records (the index range lookup the
   sweep runs, median of 20), and the whole sweep (find + queue one run each + store the
   state, median of 3, each rolled back). Targets: find ≤ 20 ms SQLite, ≤ 100 ms PostgreSQL.
2. Throughput of a record-created automation (create a follow-up task, update the record):
   N_RUNS runs drained by one ``tessera worker --once`` process, then by two at once.

3. ``profile``: N_PROFILE (default 200) runs of the same automation drained in this process
   under cProfile (no subprocess start-up in the figure); prints runs/s, transactions and
   statements per run and the top functions by cumulative time.

Usage: ``.venv/bin/python bench/bench_workflow.py [profile] [sqlite|postgresql ...]``.
PostgreSQL uses ``PG_DSN`` or a throwaway cluster. Env: N_CUST, N_RUNS (0 skips part 2),
N_PROFILE, BENCH_DIR.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import median_time, record  # noqa: E402
from tessera import schema_ops as schema  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.schema.ops import FieldSpec  # noqa: E402

N_CUST = int(os.environ.get("N_CUST", "1000000"))
N_RUNS = int(os.environ.get("N_RUNS", "2000"))
TODAY = dt.date(2025, 3, 1)


def _fresh_url(backend: str, pg_server: str | None, name: str) -> str:
    if backend == "sqlite":
        folder = Path(os.environ.get("BENCH_DIR") or tempfile.mkdtemp(prefix="tessera-wf-"))
        path = folder / f"bench_workflow_{name}.db"
        path.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    assert pg_server is not None
    name = f"bench_wf_{name}_{int(time.time())}"   # sweep and runs may start in the same second
    admin = sa.create_engine(pg_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.engine.make_url(pg_server).set(database=name).render_as_string(hide_password=False)


def _customers(engine: sa.Engine) -> Any:
    base = schema.create_base(engine, "Bench")
    customers = schema.create_table(engine, base.id, "客户", primary_field="姓名", fields=[
        FieldSpec("最近到院", "date"), FieldSpec("满意度", "text"), FieldSpec("备注", "text")])
    tasks = schema.create_table(engine, base.id, "回访任务", primary_field="标题",
                                fields=[FieldSpec("客户编号", "number")])
    return base, customers, tasks


def _load(engine: sa.Engine, table: Any, n: int) -> None:
    """n customers, last visits uniform over 100 days around the 180-day threshold."""
    from tessera.schema.catalog import sa_table

    t = sa_table(table)
    cols = {f.name: f.column for f in table.fields}
    now = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    pg = engine.dialect.name == "postgresql"
    chunk = 50_000
    with engine.begin() as conn:
        for start in range(0, n, chunk):
            rows = []
            for i in range(start, min(n, start + chunk)):
                day = TODAY - dt.timedelta(days=130 + i % 100)
                rows.append({"created_at": now, "updated_at": now, cols["姓名"]: f"客户{i}",
                             cols["最近到院"]: day,
                             cols["满意度"]: "纠纷" if i % 50 == 0 else "满意",
                             cols["备注"]: None})
            conn.execute(sa.insert(t), rows)
    if pg:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"VACUUM ANALYZE {t.name}")


def _median_cpu(fn: Any, runs: int) -> float:
    """Median CPU seconds of this process per call: on a loaded shared machine the wall time
    of a few-millisecond call mostly measures how long the scheduler kept it waiting."""
    times = []
    for _ in range(runs):
        c0 = time.process_time()
        fn()
        times.append(time.process_time() - c0)
    return sorted(times)[len(times) // 2]


def bench_sweep(backend: str, url: str, results: dict[str, Any]) -> None:
    import tessera.workflow as wf
    from tessera.workflow import triggers
    from tessera.workflow.models import AUTOMATIONS

    os.environ["TESSERA_TODAY"] = TODAY.isoformat()
    engine = create_engine(url)
    upgrade(engine)
    base, customers, _tasks = _customers(engine)
    t0 = time.perf_counter()
    _load(engine, customers, N_CUST)
    results[f"{backend}.load_s"] = time.perf_counter() - t0
    formula = 'AND(TODAY() - {最近到院} >= 180, {满意度} <> "纠纷")'
    aid = wf.create_automation(engine, base_id=base.id, table_id=customers.id, name="recall",
                               trigger={"type": "condition_true", "options": {"formula": formula}},
                               actions=[{"type": "stop"}])
    t0 = time.perf_counter()
    wf.enable_automation(engine, aid)      # baseline: index + state of every matching record
    results[f"{backend}.enable_with_baseline_s"] = time.perf_counter() - t0
    tomorrow = TODAY + dt.timedelta(days=1)
    table = schema.get_table(engine, customers.id)
    found: list[int] = []

    def find() -> None:
        with engine.connect() as conn:
            found[:] = triggers.boundary_crossings(conn, table, formula, TODAY, tomorrow) or []

    results[f"{backend}.sweep_find_ms"] = median_time(find, runs=20) * 1000
    results[f"{backend}.sweep_find_cpu_ms"] = _median_cpu(find, runs=20) * 1000
    results[f"{backend}.sweep_found"] = len(found)
    rows: list[int] = []

    def find_as_rows() -> None:   # the same ids fetched as result rows, for comparison
        with engine.connect() as conn:
            select = triggers.crossing_select(conn, table, formula, TODAY, tomorrow)
            rows[:] = conn.execute(select.order_by(select.selected_columns[0])).scalars()

    results[f"{backend}.sweep_find_as_rows_ms"] = median_time(find_as_rows, runs=20) * 1000
    results[f"{backend}.sweep_find_as_rows_cpu_ms"] = _median_cpu(
        find_as_rows, runs=20) * 1000
    assert rows == found

    def whole_sweep() -> None:
        with engine.connect() as conn:
            trans = conn.begin()
            row = conn.execute(sa.select(AUTOMATIONS).where(AUTOMATIONS.c.id == aid)).one()
            triggers.condition_sweep(conn, row, TODAY, tomorrow)
            trans.rollback()

    results[f"{backend}.sweep_find_enqueue_state_ms"] = median_time(whole_sweep, runs=3) * 1000
    with engine.connect() as conn:   # the same condition as a full scan, for comparison
        from tessera.workflow.conditions import true_ids

        t0 = time.perf_counter()
        n_true = len(true_ids(conn, table, formula, today=tomorrow))
        results[f"{backend}.full_scan_evaluation_ms"] = (time.perf_counter() - t0) * 1000
        results[f"{backend}.full_scan_true"] = n_true
    engine.dispose()


def _drain(url: str, workers: int) -> float:
    env = {**os.environ, "TESSERA_TODAY": TODAY.isoformat()}
    cmd = [sys.executable, "-m", "tessera", "--db", url, "worker", "--once"]
    t0 = time.perf_counter()
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(workers)]
    for p in procs:
        out, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(err.decode())
    return time.perf_counter() - t0


def bench_throughput(backend: str, url: str, results: dict[str, Any]) -> None:
    import tessera.workflow  # noqa: F401 - importing it installs the outbox hook
    from tessera.records import RecordService
    from tessera.workflow.models import RUNS

    os.environ["TESSERA_TODAY"] = TODAY.isoformat()
    engine = create_engine(url)
    upgrade(engine)
    customers, _tasks = _care_call(engine)
    svc = RecordService(engine)
    for workers in (1, 2):
        svc.bulk_create(customers.id, [{"姓名": f"c{i}"} for i in range(N_RUNS)], actor="bench")
        seconds = _drain(url, workers)
        with engine.connect() as conn:
            left = conn.execute(sa.select(sa.func.count()).select_from(RUNS).where(
                RUNS.c.status != "succeeded")).scalar()
        assert left == 0, f"{left} runs did not succeed"
        results[f"{backend}.runs_per_s_{workers}_worker"] = N_RUNS / seconds
    engine.dispose()


def _care_call(engine: sa.Engine) -> tuple[Any, Any]:
    """The throughput automation: create a follow-up task, then update the trigger record."""
    import tessera.workflow as wf

    base, customers, tasks = _customers(engine)
    wf.create_automation(
        engine, base_id=base.id, table_id=customers.id, name="care call", enabled=True,
        trigger={"type": "record_created"},
        actions=[{"type": "create_record", "name": "task", "options": {
            "table": tasks.id, "values": {"标题": '="回访 " & {姓名}', "客户编号": "={id}"}}},
            {"type": "update_record", "options": {"values": {"备注": '="任务 " & {task.id}'}}}])
    return customers, tasks


def bench_profile(backend: str, url: str, results: dict[str, Any]) -> None:
    """N_PROFILE runs drained in-process under cProfile: where a run's time goes."""
    import cProfile
    import pstats

    import tessera.workflow as wf
    from tessera.records import RecordService

    n = int(os.environ.get("N_PROFILE", "200"))
    os.environ["TESSERA_TODAY"] = TODAY.isoformat()
    engine = create_engine(url)
    upgrade(engine)
    wf.install()
    customers, _tasks = _care_call(engine)
    records = RecordService(engine)
    counts = {"tx": 0, "stmt": 0}
    sa.event.listen(engine, "begin", lambda conn: counts.__setitem__("tx", counts["tx"] + 1))
    sa.event.listen(engine, "before_cursor_execute",
                    lambda *a: counts.__setitem__("stmt", counts["stmt"] + 1))
    worker = wf.Worker(engine, worker_id="profile")
    # first without the profiler: wall and CPU time per run, transactions and statements
    records.bulk_create(customers.id, [{"姓名": f"c{i}"} for i in range(n)], actor="bench")
    counts.update(tx=0, stmt=0)
    t0, c0 = time.perf_counter(), time.process_time()
    stats = worker.run_once()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    assert stats.statuses == {"succeeded": n}, stats.statuses
    results[f"{backend}.inprocess_runs_per_s"] = n / seconds
    results[f"{backend}.inprocess_cpu_ms_per_run"] = cpu / n * 1000
    results[f"{backend}.tx_per_run"] = counts["tx"] / n
    results[f"{backend}.statements_per_run"] = counts["stmt"] / n
    # then under cProfile, timed in CPU seconds (the machine is shared: wall time would
    # charge other processes' time to whatever function was waiting)
    records.bulk_create(customers.id, [{"姓名": f"d{i}"} for i in range(n)], actor="bench")
    prof = cProfile.Profile(time.process_time)
    prof.enable()
    stats = worker.run_once()
    prof.disable()
    assert stats.statuses == {"succeeded": n}, stats.statuses
    if os.environ.get("PSTATS"):
        prof.dump_stats(os.environ["PSTATS"])     # for pstats' print_callees
    pstats.Stats(prof).sort_stats("cumulative").print_stats(int(os.environ.get("TOP", "45")))
    for k, v in results.items():
        if k.startswith(backend):
            print(f"{k:45s} {v:12.2f}")
    engine.dispose()


def main(backends: list[str], *, profile: bool = False) -> None:
    backends = backends or ["sqlite", "postgresql"]
    results: dict[str, Any] = {"n_customers": N_CUST, "n_runs": N_RUNS}
    cluster = None
    pg_server = os.environ.get("PG_DSN")
    if "postgresql" in backends and not pg_server:
        from tessera.testing.pgcluster import PgCluster

        cluster = PgCluster()
        cluster.start()
        pg_server = cluster.url
    try:
        for backend in backends:
            if profile:
                bench_profile(backend, _fresh_url(backend, pg_server, "profile"), results)
                continue
            bench_sweep(backend, _fresh_url(backend, pg_server, "sweep"), results)
            if N_RUNS:
                bench_throughput(backend, _fresh_url(backend, pg_server, "runs"), results)
            for k, v in results.items():
                if k.startswith(backend):
                    print(f"{k:45s} {v:12.2f}" if isinstance(v, float) else f"{k:45s} {v:>12}")
    finally:
        if cluster is not None:
            cluster.stop()
    print("wrote", record("bench_workflow_profile" if profile else "bench_workflow", results))


if __name__ == "__main__":
    args = sys.argv[1:]
    profile = bool(args) and args[0] == "profile"
    main(args[1:] if profile else args, profile=profile)
