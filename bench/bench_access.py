"""Row rules on the read path: what ``{负责人} = CURRENT_USER()`` costs a grid page, a deep
keyset page, a count and a single-record read, next to the same read as SYSTEM (no rule).

    python bench/bench_access.py --rows 200000 --backend both

A customers table with a ``user`` owner spread over 50 consultants (each sees 2% of the
rows) and an index on the owner column (``ensure_sort_index``), as a clinic would have.
The rule compiles to ``id IN (SELECT id … WHERE owner = :user)``. Results go to
bench/out/bench_access.json; timings are never asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import record  # noqa: E402
from tessera import access  # noqa: E402
from tessera import schema_ops as schema  # noqa: E402
from tessera.auth.principal import Principal  # noqa: E402
from tessera.auth.users import create_user  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.query import count_records, ensure_sort_index, query_records  # noqa: E402
from tessera.records import RecordService  # noqa: E402

CONSULTANTS = 50


def _ms(fn: Any, runs: int = 7) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 2)


def run(url: str, rows: int) -> dict[str, float]:
    engine = create_engine(url)
    upgrade(engine)
    users = [create_user(engine, f"顾问{i}", "password-123456") for i in range(CONSULTANTS)]
    base = schema.create_base(engine, "诊所")
    table = schema.create_table(engine, base.id, "顾客", primary_field="姓名", fields=[
        schema.FieldSpec("负责人", "user"), schema.FieldSpec("等级", "text")])
    service = RecordService(engine)
    for start in range(0, rows, 50000):
        service.bulk_create(table.id, [
            {"姓名": f"顾客{i}", "负责人": users[i % CONSULTANTS], "等级": "ABC"[i % 3]}
            for i in range(start, min(rows, start + 50000))])
    ensure_sort_index(engine, table.id, [{"field": "负责人"}])
    for user in users:
        access.grant(engine, base.id, "editor", user_id=user)
    access.set_row_rule(engine, table.id, "editor", "{负责人} = CURRENT_USER()")
    me = Principal(users[7], "顾问7")
    sort = [{"field": "姓名"}]
    ensure_sort_index(engine, table.id, sort)

    def page(principal: Any, deep: bool = False) -> None:
        first = query_records(engine, table.id, sort=sort, limit=100, with_total=False,
                              principal=principal)
        if deep:
            cursor = first.next_cursor
            for _ in range(5):
                cursor = query_records(engine, table.id, sort=sort, limit=100, cursor=cursor,
                                       with_total=False, principal=principal).next_cursor

    own = query_records(engine, table.id, limit=1, principal=me).rows[0]["id"]
    result = {
        "page_system_ms": _ms(lambda: page(None)),
        "page_rule_ms": _ms(lambda: page(me)),
        "six_pages_system_ms": _ms(lambda: page(None, deep=True)),
        "six_pages_rule_ms": _ms(lambda: page(me, deep=True)),
        "count_system_ms": _ms(lambda: count_records(engine, table.id)),
        "count_rule_ms": _ms(lambda: count_records(engine, table.id, principal=me)),
        "get_system_ms": _ms(lambda: RecordService(engine).get(table.id, own)),
        "get_rule_ms": _ms(lambda: RecordService(engine, principal=me).get(table.id, own)),
        "visible_rows": count_records(engine, table.id, principal=me),
    }
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args()
    results: dict[str, Any] = {"rows": args.rows}
    if args.backend in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = run(f"sqlite:///{tmp}/bench.db", args.rows)
            print("sqlite", results["sqlite"])
    if args.backend in ("postgresql", "both"):
        from tessera.testing.pgcluster import PgCluster

        with PgCluster() as cluster:
            results["postgresql"] = run(cluster.url, args.rows)
            print("postgresql", results["postgresql"])
    print(record("bench_access", results))


if __name__ == "__main__":
    main()
