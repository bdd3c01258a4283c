"""Formula fields at clinic scale: customers linked to visits, on SQLite and PostgreSQL.

Each operation runs twice in the same process on the same data: through Tessera (formula
fields materialized by ``tessera.compute``) and as hand-written SQL doing the same work into a
plain table of the same shape. Results go to bench/out/bench_formula.json and are printed as a
table (bench/RESULTS.md "Formula fields" keeps the measured numbers).

    python bench/bench_formula.py --customers 1000000 --visits 10000000 --backend both

Data (seeded, same on both backends): visits per customer about Poisson(visits/customers),
lognormal amounts (mean about 1,800), dates over three years before a fixed today
(2025-06-30, also set as TESSERA_TODAY), visits inserted in date order (as a clinic records them).

Loading uses the direct bulk path into the physical tables (``t_<id>``, junction ``l_<id>``):
junction indexes are dropped during the load and rebuilt after (timed separately).
``RecordService.bulk_create`` is measured on a sample for comparison (it writes history rows).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

TODAY = dt.date(2025, 6, 30)
os.environ["TESSERA_TODAY"] = TODAY.isoformat()  # before tessera reads the clock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import sqlalchemy as sa  # noqa: E402
from common import latency, machine, record  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402

import tessera.compute  # noqa: E402,F401  (registers the recompute hooks)
from tessera import schema_ops as schema  # noqa: E402
from tessera.compute import recompute_table  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.formula.checker import check  # noqa: E402
from tessera.formula.interpreter import Env, compile_python  # noqa: E402
from tessera.formula.parser import parse  # noqa: E402
from tessera.formula.schema import FieldInfo as FormulaField  # noqa: E402
from tessera.formula.schema import TableSchema  # noqa: E402
from tessera.formula.types import FType  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.records import RecordService  # noqa: E402

SPAN_DAYS = 3 * 365
YEAR_AGO = TODAY - dt.timedelta(days=365)
STAMP = "2025-06-30T00:00:00Z"
PG_SETTINGS = {"shared_buffers": "4GB", "work_mem": "128MB", "maintenance_work_mem": "1GB",
               "max_wal_size": "8GB", "effective_cache_size": "16GB", "fsync": "on",
               "synchronous_commit": "on", "full_page_writes": "on",
               "max_parallel_workers_per_gather": "2"}

# The clinic pack's customer formulas (CLINIC_CRM.md), in dependency order.
FORMULAS: list[tuple[str, str]] = [
    ("累计消费", "SUM({到院消费}.{金额})"),
    ("到院次数", "COUNT({到院消费}.{金额})"),
    ("最近到院", "MAX({到院消费}.{日期})"),
    ("近12月消费", f'SUMIFS({{到院消费}}.{{金额}}, {{到院消费}}.{{日期}}, ">={YEAR_AGO.isoformat()}")'),
    ("价值分级", 'IF({累计消费}>=50000,"S",IF({累计消费}>=30000,"A",IF({累计消费}>=10000,"B","C")))'),
    # twelve function calls: IF AND UPPER LEFT ROUND MAX IF OR ISBLANK LOWER RIGHT YEAR
    ("客户标签", 'IF(AND({到院次数}>0,{累计消费}>=10000),UPPER(LEFT({姓名},4))&"-"&ROUND({累计消费}/MAX(1,{到院次数}),0),'
              'IF(OR(ISBLANK({最近到院}),{到院次数}=0),"NEW",LOWER(RIGHT({姓名},3))&YEAR({最近到院})))'),
    ("M分", "1+MIN(4,INT(5*PERCENTRANK.INC(ALL({近12月消费}),{近12月消费})))"),
]
RANK_FIELD = "M分"

# A 10-node formula for the interpreter: IF, AND, >=, field, 30000, <, field, 180, "A", "B".
INTERP_FORMULA = 'IF(AND({累计消费}>=30000,{天数}<180),"A","B")'


# ----- data -------------------------------------------------------------------------------------
@dataclass
class Data:
    customers: int
    visits: int
    seed: int = 42
    owner: list[int] = field(default_factory=list)  # visit i (0-based, date order) → customer id
    days_ago: list[int] = field(default_factory=list)
    amount: list[float] = field(default_factory=list)

    def generate(self) -> None:
        """Each customer's activity window ends ``end_ago`` days before TODAY (exponential, mean
        150 days) and spans 30 days to 3 years, like perf/common.gen_data."""
        rng = random.Random(self.seed)
        end_ago = [min(int(rng.expovariate(1 / 150)), SPAN_DAYS - 1) for _ in range(self.customers)]
        span = [rng.randrange(30, SPAN_DAYS) for _ in range(self.customers)]
        n = self.customers
        rand, lognorm = rng.random, rng.lognormvariate
        visits: list[tuple[int, int, float]] = []
        for _ in range(self.visits):
            c = int(rand() * n)
            ago = min(end_ago[c] + int(rand() * span[c]), SPAN_DAYS + 399)
            visits.append((ago, c + 1, round(lognorm(7.5, 0.8), 2)))
        visits.sort(key=lambda v: -v[0])  # oldest first: ids follow the calendar
        self.days_ago = [v[0] for v in visits]
        self.owner = [v[1] for v in visits]
        self.amount = [v[2] for v in visits]

    def name(self, cid: int) -> str:
        return f"Cust {(cid * 2654435761) % 2**32:08x}"

    def visit_rows(self, start: int, stop: int) -> Iterator[tuple[int, str, float, str]]:
        dates = [(TODAY - dt.timedelta(days=d)).isoformat() for d in range(SPAN_DAYS + 400)]
        for i in range(start, stop):
            yield i + 1, "复诊", self.amount[i], dates[self.days_ago[i]]


# ----- schema ----------------------------------------------------------------------------------
@dataclass
class Clinic:
    customers: Any  # TableInfo
    visits: Any
    link: Any  # FieldInfo on customers
    formula_ids: dict[str, int]

    @property
    def cust_table(self) -> str:
        return schema.table_name(self.customers.id)

    @property
    def visit_table(self) -> str:
        return schema.table_name(self.visits.id)

    @property
    def junction(self) -> str:
        return schema.junction_name(self.link.id)

    def col(self, table: Any, name: str) -> str:
        return schema.column_name(schema.get_table(self.engine, table.id).field(name).id)

    engine: Any = None


def build_schema(engine: Engine, with_rank: bool) -> Clinic:
    base = schema.create_base(engine, "Clinic")
    visits = schema.create_table(engine, base.id, "到院消费记录", primary_field="项目")
    schema.add_field(engine, visits.id, "金额", "number", {"precision": 2})
    schema.add_field(engine, visits.id, "日期", "date")
    customers = schema.create_table(engine, base.id, "客户", primary_field="姓名")
    link = schema.add_field(engine, customers.id, "到院消费", "link",
                            {"target_table_id": visits.id, "many": True, "inverse_name": "客户",
                             "inverse_many": False})
    ids = {}
    for name, text in FORMULAS:
        if name == RANK_FIELD and not with_rank:
            continue
        ids[name] = schema.add_field(engine, customers.id, name, "formula", {"formula": text}).id
    clinic = Clinic(schema.get_table(engine, customers.id), schema.get_table(engine, visits.id), link, ids)
    clinic.engine = engine
    return clinic


# ----- loading ---------------------------------------------------------------------------------
def _copy(conn: Connection, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _insert(conn: Connection, table: str, columns: list[str], rows: Iterator[tuple[Any, ...]]) -> None:
    if conn.dialect.name == "postgresql":
        _copy(conn, table, columns, rows)
        return
    marks = ", ".join("?" for _ in columns)
    cursor = conn.connection.driver_connection.cursor()
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == 200_000:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", chunk)
            chunk = []
    if chunk:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", chunk)


def _junction_indexes(conn: Connection, junction: str) -> list[str]:
    return [f"CREATE UNIQUE INDEX ux_{junction}_src_dst ON {junction} (src_id, dst_id)",
            f"CREATE INDEX ix_{junction}_dst_src ON {junction} (dst_id, src_id)"]


def load(engine: Engine, clinic: Clinic, data: Data, results: dict[str, Any], key: str) -> None:
    """Direct bulk path: COPY (PostgreSQL) / executemany (SQLite) into t_<id> and l_<id>."""
    name_col, amount_col, date_col = (clinic.col(clinic.customers, "姓名"), clinic.col(clinic.visits, "金额"),
                                      clinic.col(clinic.visits, "日期"))
    item_col = clinic.col(clinic.visits, "项目")
    ts = STAMP if engine.dialect.name == "sqlite" else dt.datetime(2025, 6, 30, tzinfo=dt.UTC)
    j = clinic.junction
    t0 = time.perf_counter()
    with engine.begin() as conn:
        for stmt in (f"DROP INDEX ux_{j}_src_dst", f"DROP INDEX ix_{j}_dst_src"):
            conn.exec_driver_sql(stmt)
        _insert(conn, clinic.cust_table, ["id", "created_at", "updated_at", name_col],
                ((c, ts, ts, data.name(c)) for c in range(1, data.customers + 1)))
        t1 = time.perf_counter()
        _insert(conn, clinic.visit_table, ["id", "created_at", "updated_at", item_col, amount_col, date_col],
                ((i, ts, ts, item, amount, day) for i, item, amount, day in data.visit_rows(0, data.visits)))
        t2 = time.perf_counter()
        _insert(conn, j, ["src_id", "dst_id"], ((data.owner[i], i + 1) for i in range(data.visits)))
        t3 = time.perf_counter()
        for stmt in _junction_indexes(conn, j):
            conn.exec_driver_sql(stmt)
        if engine.dialect.name == "postgresql":
            for t in (clinic.cust_table, clinic.visit_table):
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT MAX(id) FROM {t}))"))
    t4 = time.perf_counter()
    _analyze(engine)
    results[f"{key}.load.customers_s"] = t1 - t0
    results[f"{key}.load.visits_s"] = t2 - t1
    results[f"{key}.load.junction_s"] = t3 - t2
    results[f"{key}.load.junction_indexes_s"] = t4 - t3
    results[f"{key}.load.total_s"] = t4 - t0


def _analyze(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def bulk_create_sample(engine: Engine, clinic: Clinic, n: int, results: dict[str, Any], key: str) -> None:
    """RecordService.bulk_create on ``n`` linked visits (rolled back): the service path's rate."""
    rows = [{"项目": "初诊", "金额": 100.0 + i, "日期": "2025-06-01", "客户": [1 + i % 1000]} for i in range(n)]
    svc = RecordService(engine)
    hooks = list(RecordService.after_change)
    RecordService.after_change.clear()  # the load itself; recompute is measured separately
    try:
        with engine.connect() as conn:
            tx = conn.begin()
            t0 = time.perf_counter()
            RecordService(conn).bulk_create(clinic.visits.id, rows)
            results[f"{key}.load.bulk_create_rows_per_s"] = n / (time.perf_counter() - t0)
            tx.rollback()
    finally:
        RecordService.after_change[:] = hooks
    del svc


# ----- hand-written SQL ------------------------------------------------------------------------
HW_COLUMNS = [("total", "DOUBLE PRECISION"), ("visits", "DOUBLE PRECISION"), ("last_visit", "DATE"),
              ("spend12", "DOUBLE PRECISION"), ("tier", "TEXT"), ("label", "TEXT"), ("m", "DOUBLE PRECISION")]


def create_hw(engine: Engine, clinic: Clinic) -> None:
    """hw_customers: the same rows and outputs as the customers table, for hand-written SQL."""
    name_col = clinic.col(clinic.customers, "姓名")
    cols = ", ".join(f"{c} {t}" for c, t in HW_COLUMNS)
    with engine.begin() as conn:
        ff = " WITH (fillfactor = 70)" if engine.dialect.name == "postgresql" else ""
        conn.exec_driver_sql(f"CREATE TABLE hw_customers (id INTEGER PRIMARY KEY, name TEXT, {cols}){ff}")
        conn.exec_driver_sql(f"INSERT INTO hw_customers (id, name) SELECT id, {name_col} FROM {clinic.cust_table}")
    _analyze(engine)


def _label_sql(pg: bool) -> str:
    year = "EXTRACT(YEAR FROM last_visit)::int::text" if pg else "substr(last_visit, 1, 4)"
    rnd = "round((total / GREATEST(1, visits))::numeric, 0)::bigint::text" if pg else \
        "CAST(CAST(round(total / MAX(1, visits), 0) AS INTEGER) AS TEXT)"
    return (f"CASE WHEN visits > 0 AND total >= 10000 THEN upper(substr(name, 1, 4)) || '-' || {rnd} "
            f"WHEN last_visit IS NULL OR visits = 0 THEN 'NEW' "
            f"ELSE lower(substr(name, length(name) - 2)) || {year} END")


def _tier_sql() -> str:
    return ("CASE WHEN total >= 50000 THEN 'S' WHEN total >= 30000 THEN 'A' "
            "WHEN total >= 10000 THEN 'B' ELSE 'C' END")


def hw_thresholds(conn: Connection) -> list[float]:
    """M quintile thresholds of spend12: the smallest value whose PERCENTRANK.INC truncated to
    3 digits reaches k/5 (k = 1..4), from one sorted pass."""
    values = [r[0] for r in conn.exec_driver_sql("SELECT spend12 FROM hw_customers WHERE spend12 IS NOT NULL "
                                                  "ORDER BY spend12")]
    n = len(values)
    bounds: list[float] = []
    k, less = 1, 0
    for i, v in enumerate(values):
        if i and v != values[i - 1]:
            less = i
        while k <= 4 and n > 1 and (int(less / (n - 1) * 1000) / 1000) * 5 >= k:
            bounds.append(v)
            k += 1
    bounds += [float("inf")] * (4 - len(bounds))
    return bounds


def hw_full_recompute(engine: Engine, clinic: Clinic, with_rank: bool) -> None:
    pg = engine.dialect.name == "postgresql"
    amount, day = clinic.col(clinic.visits, "金额"), clinic.col(clinic.visits, "日期")
    j, v = clinic.junction, clinic.visit_table
    agg = (f"SELECT j.src_id AS cid, SUM(v.{amount}) AS total, COUNT(v.{amount}) AS visits, MAX(v.{day}) AS last_visit, "
           f"SUM(CASE WHEN v.{day} >= :since THEN v.{amount} END) AS spend12 "
           f"FROM {j} j JOIN {v} v ON v.id = j.dst_id GROUP BY j.src_id")
    with engine.begin() as conn:
        since = YEAR_AGO if pg else YEAR_AGO.isoformat()
        if pg:
            conn.execute(sa.text(
                f"UPDATE hw_customers h SET total = COALESCE(a.total, 0), visits = COALESCE(a.visits, 0), "
                f"last_visit = a.last_visit, spend12 = COALESCE(a.spend12, 0) "
                f"FROM hw_customers h2 LEFT JOIN ({agg}) a ON a.cid = h2.id WHERE h.id = h2.id "
                f"AND (h.total, h.visits, h.last_visit, h.spend12) IS DISTINCT FROM "
                f"(COALESCE(a.total, 0), COALESCE(a.visits, 0), a.last_visit, COALESCE(a.spend12, 0))"), {"since": since})
        else:
            conn.exec_driver_sql("DROP TABLE IF EXISTS temp.hw_agg")
            conn.execute(sa.text(f"CREATE TEMP TABLE hw_agg AS {agg}"), {"since": since})
            conn.exec_driver_sql("CREATE UNIQUE INDEX temp.hw_agg_cid ON hw_agg (cid)")
            conn.exec_driver_sql(
                "UPDATE hw_customers SET (total, visits, last_visit, spend12) = "
                "(SELECT COALESCE(a.total, 0), COALESCE(a.visits, 0), a.last_visit, COALESCE(a.spend12, 0) "
                "FROM (SELECT 1) LEFT JOIN hw_agg a ON a.cid = hw_customers.id)")
        sets = [f"tier = {_tier_sql()}", f"label = {_label_sql(pg)}"]
        params: dict[str, Any] = {}
        if with_rank:
            b = hw_thresholds(conn)
            params = {f"b{k}": b[k] for k in range(4)}
            sets.append("m = CASE WHEN spend12 IS NULL THEN NULL WHEN spend12 >= :b3 THEN 5 WHEN spend12 >= :b2 THEN 4 "
                        "WHEN spend12 >= :b1 THEN 3 WHEN spend12 >= :b0 THEN 2 ELSE 1 END")
        where = ""
        if pg:
            targets = "(tier, label" + (", m)" if with_rank else ")")
            values = "(" + ", ".join(s.split(" = ", 1)[1] for s in sets) + ")"
            where = f" WHERE {targets} IS DISTINCT FROM {values}"
        conn.execute(sa.text(f"UPDATE hw_customers SET {', '.join(sets)}{where}"), params)


def hw_reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE hw_customers SET " + ", ".join(f"{c} = NULL" for c, _ in HW_COLUMNS))
    _analyze(engine)


# ----- Tessera ---------------------------------------------------------------------------------
def tessera_reset(engine: Engine, clinic: Clinic) -> None:
    cols = [schema.column_name(i) for i in clinic.formula_ids.values()]
    with engine.begin() as conn:
        conn.exec_driver_sql(f"UPDATE {clinic.cust_table} SET " +
                             ", ".join(f"{c} = NULL, {c}_err = NULL" for c in cols))
    _analyze(engine)


def agreement(engine: Engine, clinic: Clinic, with_rank: bool) -> dict[str, int]:
    """Rows where Tessera's materialized value differs from the hand-written one."""
    pairs = [("累计消费", "total"), ("到院次数", "visits"), ("价值分级", "tier"), ("客户标签", "label")]
    if with_rank:
        pairs.append((RANK_FIELD, "m"))
    out = {}
    with engine.connect() as conn:
        for name, hw in pairs:
            col = schema.column_name(clinic.formula_ids[name])
            n = conn.execute(sa.text(
                f"SELECT COUNT(*) FROM {clinic.cust_table} c JOIN hw_customers h ON h.id = c.id "
                f"WHERE c.{col} IS DISTINCT FROM h.{hw}"
                if name not in ("累计消费", "到院次数") else
                f"SELECT COUNT(*) FROM {clinic.cust_table} c JOIN hw_customers h ON h.id = c.id "
                f"WHERE abs(COALESCE(c.{col}, 0) - COALESCE(h.{hw}, 0)) > 0.005")).scalar_one()
            out[name] = int(n)
    return out


@contextmanager
def statement_times(engine: Engine, into: list[tuple[float, str]]) -> Iterator[None]:
    """Wall seconds of every statement run on ``engine`` inside the block (first 100 characters)."""
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        into.append((time.perf_counter() - started.pop(), " ".join(statement.split())[:100]))

    sa.event.listen(engine, "before_cursor_execute", before)
    sa.event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)


def timed_runs(fn: Callable[[], Any], reset: Callable[[], Any], runs: int) -> dict[str, Any]:
    times = []
    for _ in range(runs):
        reset()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times), "runs_s": times}


def dependents_latency(engine: Engine, clinic: Clinic, data: Data, calls: int) -> dict[str, Any]:
    """Insert one visit linked to a random customer through RecordService.create; time the whole
    call and, separately, the recompute hook (one record's dependents, in the database)."""
    from tessera.compute.changes import on_record_change

    hook_ms = [0.0, 0.0]  # wall, CPU of this process (on SQLite that includes the database's)
    per_call: list[float] = []
    per_call_cpu: list[float] = []

    def timed_hook(conn: Connection, change: Any) -> None:
        t0, c0 = time.perf_counter(), time.process_time()
        on_record_change(conn, change)
        hook_ms[0] += (time.perf_counter() - t0) * 1000
        hook_ms[1] += (time.process_time() - c0) * 1000

    def one(_i: int) -> None:
        hook_ms[:] = [0.0, 0.0]
        svc.create(clinic.visits.id, {"项目": "复诊", "金额": round(rng.uniform(100, 5000), 2),
                                      "日期": "2025-06-29", "客户": [rng.randint(1, data.customers)]})
        per_call.append(hook_ms[0])
        per_call_cpu.append(hook_ms[1])

    hooks = list(RecordService.after_change)
    RecordService.after_change[:] = [timed_hook if h is on_record_change else h for h in hooks]
    svc = RecordService(engine)
    rng = random.Random(7)
    try:
        total = latency(one, calls)
    finally:
        RecordService.after_change[:] = hooks
    per_call.sort()
    per_call_cpu.sort()
    pick = lambda xs, q: xs[min(len(xs) - 1, int(q * len(xs)))]  # noqa: E731
    return {"create_total": total,
            "hook": {"p50_ms": pick(per_call, 0.5), "p95_ms": pick(per_call, 0.95), "p99_ms": pick(per_call, 0.99),
                     "calls": len(per_call)},
            "hook_cpu": {"p50_ms": pick(per_call_cpu, 0.5), "p95_ms": pick(per_call_cpu, 0.95),
                         "p99_ms": pick(per_call_cpu, 0.99)}}


def hw_dependents_latency(engine: Engine, clinic: Clinic, data: Data, calls: int, with_rank: bool) -> dict[str, Any]:
    """Hand-written: insert the visit and its junction row, then recompute that customer's
    rollups, tier, label and M (from cached thresholds) in one transaction."""
    pg = engine.dialect.name == "postgresql"
    amount, day, item = (clinic.col(clinic.visits, "金额"), clinic.col(clinic.visits, "日期"),
                         clinic.col(clinic.visits, "项目"))
    j, v = clinic.junction, clinic.visit_table
    with engine.connect() as conn:
        bounds = hw_thresholds(conn) if with_rank else [0.0] * 4
    rng = random.Random(8)
    ts = STAMP if not pg else dt.datetime(2025, 6, 30, tzinfo=dt.UTC)
    since = YEAR_AGO if pg else YEAR_AGO.isoformat()
    m = ("CASE WHEN spend12 IS NULL THEN NULL WHEN spend12 >= :b3 THEN 5 WHEN spend12 >= :b2 THEN 4 "
         "WHEN spend12 >= :b1 THEN 3 WHEN spend12 >= :b0 THEN 2 ELSE 1 END") if with_rank else "NULL"
    insert = sa.text(f"INSERT INTO {v} (created_at, updated_at, {item}, {amount}, {day}) "
                     f"VALUES (:ts, :ts, '复诊', :amount, :day) RETURNING id")
    link = sa.text(f"INSERT INTO {j} (src_id, dst_id) VALUES (:cid, :vid)")
    rollup = sa.text(
        f"UPDATE hw_customers SET (total, visits, last_visit, spend12) = (SELECT COALESCE(SUM(v.{amount}), 0), "
        f"COUNT(v.{amount}), MAX(v.{day}), COALESCE(SUM(CASE WHEN v.{day} >= :since THEN v.{amount} END), 0) "
        f"FROM {j} j JOIN {v} v ON v.id = j.dst_id WHERE j.src_id = :cid) WHERE id = :cid")
    derived = sa.text(f"UPDATE hw_customers SET tier = {_tier_sql()}, label = {_label_sql(pg)}, m = {m} WHERE id = :cid")
    day_value: Any = dt.date(2025, 6, 29) if pg else "2025-06-29"

    def one(_i: int) -> None:
        cid = rng.randint(1, data.customers)
        with engine.begin() as conn:
            vid = conn.execute(insert, {"ts": ts, "amount": round(rng.uniform(100, 5000), 2), "day": day_value}).scalar_one()
            conn.execute(link, {"cid": cid, "vid": vid})
            conn.execute(rollup, {"cid": cid, "since": since})
            conn.execute(derived, {"cid": cid, **{f"b{k}": bounds[k] for k in range(4)}})

    return latency(one, calls)


# ----- M分 through the column-function pass ----------------------------------------------------
def rank_pass_cost(engine: Engine, clinic: Clinic, original_limit: int) -> dict[str, Any]:
    """Evaluate M分 over every customer (SELECT, no write) with the rank-table pass
    (tessera.compute.column_functions) and, on small tables only, with the compiler's per-row
    whole-column subquery (O(rows²))."""
    from tessera.compute.cell_errors import with_cell_errors
    from tessera.compute.column_functions import column_functions
    from tessera.compute.materialize import Clock
    from tessera.compute.schema_adapter import computed_columns, current_row, table_schema
    from tessera.formula.sqlcompile import compile_sql
    from tessera.formula.sqlcore import SqlContext

    text = dict(FORMULAS)[RANK_FIELD]
    out: dict[str, Any] = {}
    with engine.begin() as conn:
        table = schema.get_table(conn, clinic.customers.id)
        names = table_schema(conn, table, by="name")
        at = Clock.current()

        def evaluate(optimised: bool) -> tuple[float, list[Any]]:
            typed = with_cell_errors(check(parse(text), names), computed_columns(table))
            cur = current_row(conn, table)
            ctx = SqlContext(conn.dialect.name, names, at.today, at.now, cur)
            t0 = time.perf_counter()
            if optimised:
                with column_functions(conn, typed, table.physical_name) as fast:
                    sv = compile_sql(ctx, fast)
                    rows = conn.execute(sa.select(cur.c.id, sv.value, sv.error).order_by(cur.c.id)).all()
            else:
                sv = compile_sql(ctx, typed)
                rows = conn.execute(sa.select(cur.c.id, sv.value, sv.error).order_by(cur.c.id)).all()
            return time.perf_counter() - t0, rows

        out["rank_pass_s"], fast_rows = evaluate(True)
        if clinic_size(conn, clinic) <= original_limit:
            out["per_row_subquery_s"], slow_rows = evaluate(False)
            out["identical"] = fast_rows == slow_rows
    return out


def clinic_size(conn: Connection, clinic: Clinic) -> int:
    return int(conn.execute(sa.text(f"SELECT COUNT(*) FROM {clinic.cust_table}")).scalar_one())


@contextmanager
def correlated_rollups() -> Iterator[None]:
    """Full recomputes without the grouped link aggregates (tessera/compute/link_groups.py):
    every rollup a correlated subquery per record, as before that change."""
    from tessera.compute import propagate

    grouped = propagate._full_recompute_groups
    propagate._full_recompute_groups = lambda *args, **kwargs: None
    try:
        yield
    finally:
        propagate._full_recompute_groups = grouped


def primitives_cost(n: int) -> dict[str, Any]:
    """µs per call of the Excel number primitives behind the SQLite UDFs tx_round, tx_rounddown
    and tx_general: the float fast path against the exact Decimal path (same answers)."""
    from tessera.formula.excel import numbers as xn

    rng = random.Random(5)
    xs = [round(rng.lognormvariate(7.5, 0.8), 2) / rng.choice((1, 3, 7)) for _ in range(n)]
    pairs = {
        "round": (lambda x: xn.round_half_away(x, 0), lambda x: xn.round_exact(x, 0, "ROUND_HALF_UP")),
        "rounddown": (lambda x: xn.rounddown(x, 3), lambda x: xn.round_exact(x, 3, "ROUND_DOWN")),
        "general": (xn.general_text, xn.general_text_exact),
    }
    out: dict[str, Any] = {"calls": n}
    for name, (fast, exact) in pairs.items():
        assert [fast(x) for x in xs] == [exact(x) for x in xs]
        out[f"{name}_fast_us"] = min(_once(lambda f=fast: [f(x) for x in xs]) for _ in range(3)) / n * 1e6
        out[f"{name}_exact_us"] = min(_once(lambda f=exact: [f(x) for x in xs]) for _ in range(3)) / n * 1e6
    return out


# ----- interpreter -----------------------------------------------------------------------------
def interpreter_cost(n: int) -> dict[str, Any]:
    """The interpreter (generated source, tessera/formula/pysource.py) vs a hand-written Python
    function, CPU ns per record (process time: the machine is shared). bench/bench_interpreter.py
    runs this alone, with two more formulas."""
    schema_ = TableSchema("t", "id", {"累计消费": FormulaField("累计消费", FType("number"), "a"),
                                      "天数": FormulaField("天数", FType("number"), "b")})
    closure = compile_python(check(parse(INTERP_FORMULA), schema_))
    rng = random.Random(3)
    envs = [Env({"累计消费": rng.uniform(0, 60000), "天数": float(rng.randrange(0, 720))},
                today=TODAY, now=dt.datetime(2025, 6, 30)) for _ in range(n)]
    rows = [(e.values["累计消费"], e.values["天数"]) for e in envs]

    def by_hand(a: float, b: float) -> str:
        return "A" if (a >= 30000 and b < 180) else "B"

    def run_interp() -> list[Any]:
        return [closure(e) for e in envs]

    def run_hand() -> list[Any]:
        return [by_hand(a, b) for a, b in rows]

    assert run_interp() == run_hand()
    best = lambda fn: min(_cpu_once(fn) for _ in range(3))  # noqa: E731
    ti, th = best(run_interp), best(run_hand)
    return {"records": n, "interpreter_ns": ti / n * 1e9, "python_ns": th / n * 1e9}


def _cpu_once(fn: Callable[[], Any]) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _once(fn: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


# ----- driver ----------------------------------------------------------------------------------
def run_backend(backend: str, url: str, data: Data, args: argparse.Namespace, results: dict[str, Any]) -> None:
    key = backend
    with_rank = not args.skip_rank
    engine = create_engine(url)
    upgrade(engine)
    clinic = build_schema(engine, with_rank)
    print(f"[{backend}] loading {data.customers:,} customers / {data.visits:,} visits", flush=True)
    load(engine, clinic, data, results, key)
    print(f"[{backend}] load {results[f'{key}.load.total_s']:.1f} s", flush=True)
    create_hw(engine, clinic)

    def tessera_full() -> None:
        recompute_table(engine, clinic.customers.id)

    if args.dependents_only:  # one untimed recompute (it builds the rank snapshots), then the inserts
        tessera_full()
        hw_full_recompute(engine, clinic, with_rank)
        dependents_part(engine, clinic, data, args, results, key, with_rank)
        engine.dispose()
        return
    bulk_create_sample(engine, clinic, min(args.sample, data.visits), results, key)

    if not args.skip_correlated:  # before: the same recompute with correlated rollups per record
        with correlated_rollups():
            r = timed_runs(tessera_full, lambda: tessera_reset(engine, clinic), args.runs)
        results[f"{key}.full_recompute.tessera_correlated"] = r
        print(f"[{backend}] Tessera full recompute, correlated rollups (before) {r['median_s']:.2f} s", flush=True)
    cpu0 = time.process_time()
    r = timed_runs(tessera_full, lambda: tessera_reset(engine, clinic), args.runs)  # checked below
    r["process_cpu_s"] = time.process_time() - cpu0  # SQLite runs in-process: its CPU is here
    results[f"{key}.full_recompute.tessera"] = r
    print(f"[{backend}] Tessera full recompute {r['median_s']:.2f} s", flush=True)
    if args.statements:  # one more run, each statement timed (the slowest ones kept)
        tessera_reset(engine, clinic)
        timings: list[tuple[float, str]] = []
        with statement_times(engine, timings):
            tessera_full()
        top = sorted(timings, reverse=True)[:args.statements]
        results[f"{key}.full_recompute.statements"] = [{"s": t, "sql": sql} for t, sql in top]
        for t, sql in top:
            print(f"[{backend}]   {t:8.3f} s  {sql}", flush=True)
    r = timed_runs(lambda: hw_full_recompute(engine, clinic, with_rank), lambda: hw_reset(engine), args.runs)
    results[f"{key}.full_recompute.sql"] = r
    print(f"[{backend}] hand-written full recompute {r['median_s']:.2f} s", flush=True)
    results[f"{key}.agreement_mismatches"] = agreement(engine, clinic, with_rank)
    print(f"[{backend}] mismatches {results[f'{key}.agreement_mismatches']}", flush=True)
    results[f"{key}.rank_pass"] = rank_pass_cost(engine, clinic, args.original_limit)
    print(f"[{backend}] M分 {results[f'{key}.rank_pass']}", flush=True)

    dependents_part(engine, clinic, data, args, results, key, with_rank)
    engine.dispose()


def dependents_part(engine: Engine, clinic: Clinic, data: Data, args: argparse.Namespace, results: dict[str, Any],
                    key: str, with_rank: bool) -> None:
    """One linked insert: with the ALL() field (whole-column dependent) and without it."""
    backend = key
    if with_rank:
        results[f"{key}.dependents_with_rank.tessera"] = dependents_latency(engine, clinic, data, args.rank_calls)
        results[f"{key}.dependents_with_rank.sql"] = hw_dependents_latency(engine, clinic, data, args.calls, True)
        hook = results[f"{key}.dependents_with_rank.tessera"]["hook"]
        # M分 ranks a changed customer against the rank snapshot; every SNAPSHOT_DRIFT of the
        # customers changed, one call refreshes the whole column (it shows in p99, not p50)
        print(f"[{backend}] with {RANK_FIELD}: hook p50 {hook['p50_ms']:.3f} ms, p95 {hook['p95_ms']:.3f} ms, "
              f"p99 {hook['p99_ms']:.3f} ms over {hook['calls']} calls; CPU p50 "
              f"{results[f'{key}.dependents_with_rank.tessera']['hook_cpu']['p50_ms']:.3f} ms", flush=True)
        schema.delete_field(engine, clinic.formula_ids.pop(RANK_FIELD))
    results[f"{key}.dependents.tessera"] = dependents_latency(engine, clinic, data, args.calls)
    results[f"{key}.dependents.sql"] = hw_dependents_latency(engine, clinic, data, args.calls, False)
    hook, cpu = results[f"{key}.dependents.tessera"]["hook"], results[f"{key}.dependents.tessera"]["hook_cpu"]
    print(f"[{backend}] dependents Tessera hook p50 / p95 {hook['p50_ms']:.3f} / {hook['p95_ms']:.3f} ms wall, "
          f"{cpu['p50_ms']:.3f} / {cpu['p95_ms']:.3f} ms CPU; "
          f"SQL {results[f'{key}.dependents.sql']['p50_ms']:.3f} ms", flush=True)


# ----- full recompute only, on a kept database ----------------------------------------------------
def kept_database(directory: str, data: Data) -> Path:
    """The database ``--recompute-only`` keeps between runs, one per size."""
    return Path(directory) / f"formula_{data.customers}_{data.visits}.db"


def open_clinic(engine: Engine, with_rank: bool) -> Clinic | None:
    """The clinic an earlier ``--recompute-only`` run built and loaded here (None: there is none)."""
    base = next((b for b in schema.list_bases(engine) if b.name == "Clinic"), None)
    if base is None:
        return None
    tables = {t.name: t for t in schema.list_tables(engine, base.id)}
    customers, visits = tables.get("客户"), tables.get("到院消费记录")
    if customers is None or visits is None:
        return None
    names = [name for name, _ in FORMULAS if with_rank or name != RANK_FIELD]
    fields = {f.name: f for f in customers.fields}
    if any(name not in fields for name in names):
        return None
    clinic = Clinic(customers, visits, fields["到院消费"], {name: fields[name].id for name in names})
    clinic.engine = engine
    return clinic


def recompute_only(backend: str, url: str, data: Data, args: argparse.Namespace, results: dict[str, Any]) -> None:
    """Tessera's and the hand-written full recompute, CPU (this process: SQLite runs in it) and
    wall per run, then the agreement check; the data is loaded only when the kept database is new."""
    key = backend
    with_rank = not args.skip_rank
    engine = create_engine(url)
    upgrade(engine)
    clinic = open_clinic(engine, with_rank)
    if clinic is None:
        if not data.owner:
            data.generate()
        clinic = build_schema(engine, with_rank)
        print(f"[{backend}] loading {data.customers:,} customers / {data.visits:,} visits", flush=True)
        load(engine, clinic, data, results, key)
        create_hw(engine, clinic)
    runs = {"tessera": (lambda: recompute_table(engine, clinic.customers.id), lambda: tessera_reset(engine, clinic)),
            "sql": (lambda: hw_full_recompute(engine, clinic, with_rank), lambda: hw_reset(engine))}
    for name, (fn, reset) in runs.items():
        walls, cpus = [], []
        for _ in range(args.runs):
            reset()
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            walls.append(time.perf_counter() - t0)
            cpus.append(time.process_time() - c0)
        r = {"median_s": statistics.median(walls), "runs_s": walls,
             "median_cpu_s": statistics.median(cpus), "runs_cpu_s": cpus, "load": os.getloadavg()}
        results[f"{key}.full_recompute.{name}"] = r
        print(f"[{backend}] {name} full recompute: wall {', '.join(f'{t:.2f}' for t in walls)} s, "
              f"CPU {', '.join(f'{t:.2f}' for t in cpus)} s (load {r['load'][0]:.1f})", flush=True)
    if args.statements:
        tessera_reset(engine, clinic)
        timings: list[tuple[float, str]] = []
        with statement_times(engine, timings):
            recompute_table(engine, clinic.customers.id)
        for t, sql in sorted(timings, reverse=True)[:args.statements]:
            print(f"[{backend}]   {t:8.3f} s  {sql}", flush=True)
    results[f"{key}.agreement_mismatches"] = agreement(engine, clinic, with_rank)
    print(f"[{backend}] mismatches {results[f'{key}.agreement_mismatches']}", flush=True)
    engine.dispose()


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--customers", type=int, default=1_000_000)
    p.add_argument("--visits", type=int, default=10_000_000)
    p.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--runs", type=int, default=1, help="full recomputes per method (median)")
    p.add_argument("--calls", type=int, default=300, help="single-insert latency calls")
    p.add_argument("--rank-calls", type=int, default=300,
                   help="calls while the ALL() field exists (more than 1%% of --customers includes a snapshot refresh)")
    p.add_argument("--sample", type=int, default=20_000, help="visits for the bulk_create rate")
    p.add_argument("--interp-records", type=int, default=1_000_000)
    p.add_argument("--skip-rank", action="store_true", help=f"leave out {RANK_FIELD} (PERCENTRANK over ALL)")
    p.add_argument("--skip-correlated", action="store_true",
                   help="do not also time the full recompute with correlated rollups (the code before grouping)")
    p.add_argument("--statements", type=int, default=0,
                   help="after the timed runs, one more Tessera full recompute with its N slowest statements listed")
    p.add_argument("--original-limit", type=int, default=5000,
                   help="largest table on which M分 is also evaluated the O(rows²) way")
    p.add_argument("--dependents-only", action="store_true",
                   help="after the load, one untimed full recompute, then only the single-insert latency")
    p.add_argument("--dir", default=os.environ.get("BENCH_DIR", "/tmp/bench_formula"))
    p.add_argument("--pg-url", default=None, help="use this PostgreSQL server instead of starting one")
    p.add_argument("--out", default="bench_formula")
    p.add_argument("--recompute-only", action="store_true",
                   help="SQLite: only the full recomputes (CPU and wall per run) and their agreement, on a "
                        "database kept in --dir between runs of the same size (built on the first run)")
    args = p.parse_args(argv)

    results: dict[str, Any] = {"customers": args.customers, "visits": args.visits, "runs": args.runs,
                               "formulas": dict(FORMULAS), "with_rank": not args.skip_rank}
    if args.recompute_only:
        data = Data(args.customers, args.visits)
        os.makedirs(args.dir, exist_ok=True)
        recompute_only("sqlite", f"sqlite:///{kept_database(args.dir, data)}", data, args, results)
        results["machine"] = machine()
        print("saved", record(args.out, results))
        return results
    t0 = time.perf_counter()
    data = Data(args.customers, args.visits)
    data.generate()
    results["generate_s"] = time.perf_counter() - t0
    print(f"generated in {results['generate_s']:.1f} s", flush=True)
    os.makedirs(args.dir, exist_ok=True)
    if args.backend in ("sqlite", "both"):
        path = Path(args.dir) / "formula.db"
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        run_backend("sqlite", f"sqlite:///{path}", data, args, results)
    if args.backend in ("postgresql", "both"):
        if args.pg_url:
            run_backend("postgresql", args.pg_url, data, args, results)
        else:
            from tessera.testing.pgcluster import PgCluster

            with PgCluster(settings=PG_SETTINGS) as cluster:
                run_backend("postgresql", cluster.url, data, args, results)
    if args.dependents_only:
        print("saved", record(args.out, results))
        return results
    results["interpreter"] = interpreter_cost(args.interp_records)
    print(f"interpreter {results['interpreter']}", flush=True)
    results["primitives"] = primitives_cost(20_000)
    print(f"number primitives {results['primitives']}", flush=True)
    results["machine"] = machine()
    path = record(args.out, results)
    print("saved", path)
    return results


if __name__ == "__main__":
    main()
