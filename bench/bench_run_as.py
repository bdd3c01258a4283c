"""What automation "run as" and the base-trash check cost (tessera/access/run_as.py).

1. N runs of a record-created automation (update the trigger record), drained in this process:
   * ``before``: the run-as lookup replaced by SYSTEM without a query (the behaviour before
     run-as existed);
   * ``system``: run as SYSTEM (an owner's explicit choice; legacy automations);
   * ``user``: run as a consultant whose role has the row rule ``{负责人} = CURRENT_USER()``,
     on records they own (the default for automations made in the UI).
   Reports runs/s and SQL statements per run.
2. ``table_scope`` for a consultant, with and without the "is the base in the trash" check.
3. A grid block (``tessera.web.grid.read_block``) as the consultant: CPU time with the
   per-request scope memo (``tessera.access.scope.scope_memo``) and with it switched off.

    python bench/bench_run_as.py --runs 300 --backend both

Results go to bench/out/bench_run_as.json; timings are never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import record  # noqa: E402
from tessera import access  # noqa: E402
from tessera import schema_ops as schema  # noqa: E402
from tessera.auth.principal import SYSTEM, Principal  # noqa: E402
from tessera.auth.users import create_user  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.records import RecordService  # noqa: E402


def _drain(engine: Any, table_id: int, owner: int, runs: int) -> tuple[float, float]:
    import tessera.workflow as wf

    counts = {"stmt": 0}

    def count(*_a: Any) -> None:
        counts["stmt"] += 1

    RecordService(engine).bulk_create(table_id, [{"姓名": f"c{i}", "负责人": owner}
                                                 for i in range(runs)], actor="bench")
    sa.event.listen(engine, "before_cursor_execute", count)
    started = time.perf_counter()
    stats = wf.Worker(engine, worker_id="bench").run_once()
    seconds = time.perf_counter() - started
    sa.event.remove(engine, "before_cursor_execute", count)
    assert stats.statuses == {"succeeded": runs}, stats.statuses
    return round(runs / seconds, 1), round(counts["stmt"] / runs, 1)


def run(url: str, runs: int) -> dict[str, Any]:
    import tessera.workflow as wf
    import tessera.workflow.runner as runner

    engine = create_engine(url)
    upgrade(engine)
    wf.install()
    user = create_user(engine, "顾问", "password-123456")
    consultant = Principal(user, "顾问")
    out: dict[str, Any] = {}
    for mode in ("before", "system", "user"):
        base = schema.create_base(engine, f"诊所 {mode}")
        table = schema.create_table(engine, base.id, "顾客", primary_field="姓名", fields=[
            schema.FieldSpec("负责人", "user"), schema.FieldSpec("备注", "text")])
        access.grant(engine, base.id, "editor", user_id=user)
        access.set_row_rule(engine, table.id, "editor", "{负责人} = CURRENT_USER()")
        wf.create_automation(engine, base_id=base.id, table_id=table.id, name="note",
                             enabled=True, trigger={"type": "record_created"},
                             actions=[{"type": "update_record",
                                       "options": {"values": {"备注": '="已处理 " & {姓名}'}}}],
                             actor=consultant if mode == "user" else SYSTEM)
        if mode == "before":
            with mock.patch.object(runner, "run_as_principal", lambda *a: SYSTEM):
                out[mode] = _drain(engine, table.id, user, runs)
        else:
            out[mode] = _drain(engine, table.id, user, runs)
    out["table_scope_ms"] = _scope_ms(engine, consultant, table.id)
    out["grid_block_cpu_ms"] = _block_cpu_ms(engine, consultant, table.id, user)
    engine.dispose()
    return out


def _scope_ms(engine: Any, principal: Principal, table_id: int) -> dict[str, float]:
    from tessera.access import scope

    def timed() -> float:
        times = []
        with engine.connect() as conn:
            for _ in range(100):
                started = time.perf_counter()
                scope.table_scope(conn, principal, table_id)
                times.append((time.perf_counter() - started) * 1000)
        return round(statistics.median(times), 3)

    rounds: dict[str, list[float]] = {"without_trash_check": [], "with_trash_check": []}
    for _ in range(5):   # alternated: the shared machine's load drifts between rounds
        rounds["with_trash_check"].append(timed())
        with mock.patch.object(scope, "_check_open", lambda *a: None):
            rounds["without_trash_check"].append(timed())
    return {k: round(statistics.median(v), 3) for k, v in rounds.items()}


def _block_cpu_ms(engine: Any, principal: Principal, table_id: int, owner: int
                  ) -> dict[str, float]:
    """``read_block`` (position index + page) as the consultant: CPU ms p50 of 60 blocks, with
    the per-request scope memo and with it switched off (median of 5 alternating rounds)."""
    import contextlib

    from tessera.access.context import acting
    from tessera.web import grid

    RecordService(engine).bulk_create(table_id, [{"姓名": f"b{i}", "负责人": owner}
                                                 for i in range(2500)], actor="bench")
    real = grid.scope_memo
    rounds: dict[str, list[float]] = {"scope_per_call": [], "scope_once_per_block": []}
    with acting(principal):
        for b in range(1, 21):
            grid.read_block(engine, table_id, b)
        for _ in range(5):
            for mode, memo in (("scope_per_call", contextlib.nullcontext),
                               ("scope_once_per_block", real)):
                grid.scope_memo = memo  # type: ignore[assignment]
                times = []
                for i in range(60):
                    started = time.process_time()
                    grid.read_block(engine, table_id, 1 + i % 20)
                    times.append((time.process_time() - started) * 1000)
                rounds[mode].append(statistics.median(times))
    grid.scope_memo = real  # type: ignore[assignment]
    return {k: round(statistics.median(v), 3) for k, v in rounds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {"runs": args.runs}
    for backend in backends:
        if backend == "sqlite":
            url = f"sqlite:///{tempfile.mkdtemp(prefix='tessera-runas-')}/bench.db"
            results[backend] = run(url, args.runs)
        else:
            from tessera.testing.pgcluster import PgCluster

            cluster = PgCluster()
            cluster.start()
            try:
                admin = sa.create_engine(cluster.url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.exec_driver_sql('CREATE DATABASE "bench_run_as"')
                admin.dispose()
                url = sa.engine.make_url(cluster.url).set(database="bench_run_as")
                results[backend] = run(url.render_as_string(hide_password=False), args.runs)
            finally:
                cluster.stop()
        print(backend, results[backend])
    record("bench_run_as", results)


if __name__ == "__main__":
    main()
