"""Storage at 1,000,000 rows on SQLite and PostgreSQL: Tessera next to raw SQL, same run.

    python bench/bench_storage.py --rows 1000000 --backend both

Every operation is measured twice in the same process on the same data: through Tessera's
storage API (``RecordService``, ``query_records``, ``count_records``) and as the hand-written
SQL doing the same work through the raw DBAPI cursor (the floor). The ratio is Tessera / raw.

- table: 8 fields of mixed types (text ×2, single select, number ×2, currency, date, checkbox);
- bulk insert: ``RecordService.bulk_create_columns`` (the column path the importer uses;
  parsing, validation, one history entry per batch and the recompute hook included) in chunks
  of 100k rows vs executemany (SQLite) / COPY (PostgreSQL) of the same typed values into a
  twin plain table. ``--only bulk`` runs just this part and adds ``bulk_create`` with row
  dicts (the API shape) into a second table as a reference;
- first page sorted by an unindexed field with a filter; filtered count;
- keyset pages on an indexed sort (``ensure_sort_index``): first page and the page after row
  ~N/2, ascending and descending, vs the raw row-value keyset SQL;
- single-record update: ``RecordService.update`` (history, hooks) vs a raw autocommit UPDATE;
- HTTP: ``tessera serve`` as a subprocess, GET the records endpoint's keyset pages with httpx
  (p50/p95 sequential) and, when ``wrk`` is installed, requests/s at 32 connections.

PostgreSQL is a throwaway cluster (``tessera.testing.pgcluster.PgCluster``) with the settings of
shared/perf/BASELINES.md (fsync and synchronous_commit on). Results: bench/out/bench_storage.json
(or --out) and a markdown table on stdout for bench/RESULTS.md. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from common import OUT, latency, machine  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from tessera import schema_ops as schema  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.query import (  # noqa: E402
    _fingerprint,
    _make_cursor,
    count_records,
    ensure_sort_index,
    query_records,
)
from tessera.records import RecordService  # noqa: E402

PG_SETTINGS = {"shared_buffers": "4GB", "work_mem": "128MB", "maintenance_work_mem": "1GB",
               "max_wal_size": "8GB", "effective_cache_size": "16GB", "fsync": "on",
               "synchronous_commit": "on", "full_page_writes": "on",
               "max_parallel_workers_per_gather": "2"}
CHUNK = 100_000
CITIES = ["Beijing", "Shanghai", "Guangzhou", "Shenzhen", "Chengdu", "Hangzhou", "Wuhan",
          "Xi'an", "Nanjing", "Tianjin", "Suzhou", "Chongqing"]
TIERS = ["S", "A", "B", "C"]
START = dt.date(2015, 1, 1)

# (name, type, options) — the primary field "Name" (text) comes with the table.
FIELDS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("City", "text", None),
    ("Tier", "single_select", {"choices": [{"label": t} for t in TIERS]}),
    ("Age", "number", {"precision": 0}),
    ("Score", "number", {"precision": 2}),
    ("Spend", "currency", {"precision": 2}),
    ("Joined", "date", None),
    ("Active", "checkbox", None),
]
FILTER = {"and": [{"field": "Active", "op": "=", "value": True},
                  {"field": "Age", "op": ">=", "value": 30}]}
UNINDEXED_SORT = [{"field": "Score", "direction": "desc"}]
INDEXED_ASC = [{"field": "Spend", "direction": "asc"}]
INDEXED_DESC = [{"field": "Spend", "direction": "desc"}]
PAGE = 100


# ----- data -------------------------------------------------------------------------------------
@dataclass
class Data:
    """Seeded columns; row i (0-based) becomes record id i+1 in the Tessera table."""

    n: int
    seed: int = 7

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        n = self.n
        self.name = [f"Cust {(i * 2654435761) % 2**32:08x}" for i in range(1, n + 1)]
        self.city = [CITIES[int(rng.random() * len(CITIES))] for _ in range(n)]
        self.tier = [TIERS[min(3, int(rng.expovariate(1.2)))] for _ in range(n)]
        self.age = [float(18 + int(rng.random() * 62)) for _ in range(n)]
        self.score = [round(rng.random() * 1000, 2) for _ in range(n)]
        self.spend = [round(rng.lognormvariate(7.5, 0.8), 2) for _ in range(n)]
        self.joined = [START + dt.timedelta(days=int(rng.random() * 3650)) for _ in range(n)]
        self.active = [rng.random() < 0.7 for _ in range(n)]

    def api_rows(self, start: int, stop: int) -> list[dict[str, Any]]:
        """What a client sends to RecordService (dates as ISO text)."""
        return [{"Name": self.name[i], "City": self.city[i], "Tier": self.tier[i],
                 "Age": self.age[i], "Score": self.score[i], "Spend": self.spend[i],
                 "Joined": self.joined[i].isoformat(), "Active": self.active[i]}
                for i in range(start, stop)]

    def typed_rows(self, sqlite: bool) -> Iterator[tuple[Any, ...]]:
        """The same values as the database stores them (raw insert input)."""
        now = dt.datetime(2025, 6, 30, tzinfo=dt.UTC)
        stamp: Any = "2025-06-30T00:00:00Z" if sqlite else now
        for i in range(self.n):
            joined: Any = self.joined[i].isoformat() if sqlite else self.joined[i]
            yield (stamp, stamp, self.name[i], self.city[i], self.tier[i], self.age[i],
                   self.score[i], self.spend[i], joined, self.active[i])

    def keyset_position(self, row: int, desc: bool) -> tuple[float, int]:
        """(Spend, id) of the ``row``-th record (0-based) in the sort order: the deep cursor."""
        order = sorted(range(self.n), key=lambda i: (-self.spend[i] if desc else self.spend[i], i))
        i = order[row]
        return self.spend[i], i + 1


# ----- helpers ----------------------------------------------------------------------------------
def p50(fn: Callable[[int], Any], calls: int) -> dict[str, float]:
    return latency(fn, calls)


def raw_cursor(engine: Engine) -> Any:
    """A DBAPI connection outside SQLAlchemy's pool, autocommit."""
    dbapi = engine.raw_connection()
    driver = dbapi.driver_connection
    if engine.dialect.name == "postgresql":
        driver.autocommit = True
    return dbapi, driver


def marks(engine: Engine, n: int) -> str:
    return ", ".join(["?" if engine.dialect.name == "sqlite" else "%s"] * n)


def q(engine: Engine, sql: str) -> str:
    """Raw SQL with ? placeholders in the driver's paramstyle."""
    return sql if engine.dialect.name == "sqlite" else sql.replace("?", "%s")


@dataclass
class Setup:
    engine: Engine
    url: str
    table_id: int
    t: str                     # physical table name
    col: dict[str, str]        # field name → column


def build_table(engine: Engine, url: str) -> Setup:
    upgrade(engine)
    base = schema.create_base(engine, "Bench")
    table = schema.create_table(engine, base.id, "Customers", primary_field="Name")
    for name, type_, options in FIELDS:
        schema.add_field(engine, table.id, name, type_, options)
    table = schema.get_table(engine, table.id)
    cols = {f.name: f.column or "" for f in table.fields}
    return Setup(engine, url, table.id, schema.table_name(table.id), cols)


# ----- operations -------------------------------------------------------------------------------
def api_columns(data: Data, start: int, stop: int) -> dict[str, list[Any]]:
    """The same values per column (what the importer and ``bulk_create_columns`` take)."""
    return {"Name": data.name[start:stop], "City": data.city[start:stop],
            "Tier": data.tier[start:stop], "Age": data.age[start:stop],
            "Score": data.score[start:stop], "Spend": data.spend[start:stop],
            "Joined": [d.isoformat() for d in data.joined[start:stop]],
            "Active": data.active[start:stop]}


def tessera_insert(s: Setup, data: Data, mode: str) -> float:
    """Seconds to load all rows through RecordService: ``columns`` (bulk_create_columns) or
    ``rows`` (bulk_create with one dict per row), in chunks of CHUNK rows, history included."""
    svc = RecordService(s.engine)
    elapsed = 0.0
    for start in range(0, data.n, CHUNK):
        stop = min(data.n, start + CHUNK)
        payload: Any = api_columns(data, start, stop) if mode == "columns" else data.api_rows(start, stop)
        t0 = time.perf_counter()   # building the input is the caller's work, not timed
        if mode == "columns":
            svc.bulk_create_columns(s.table_id, payload, actor="bench")
        else:
            svc.bulk_create(s.table_id, payload, actor="bench")
        elapsed += time.perf_counter() - t0
    return elapsed


def raw_insert(s: Setup, data: Data) -> float:
    """The floor: executemany (SQLite) / COPY (PostgreSQL) of already-typed tuples into a plain
    twin table with the same column types."""
    engine, sqlite = s.engine, s.engine.dialect.name == "sqlite"
    twin = "raw_twin"
    columns = ["created_at", "updated_at", *[s.col[n] for n in ("Name", "City", "Tier", "Age",
                                                                  "Score", "Spend", "Joined",
                                                                  "Active")]]
    types = ["TEXT", "TEXT", "TEXT", "TEXT", "TEXT", "DOUBLE PRECISION", "DOUBLE PRECISION",
             "DOUBLE PRECISION", "DATE", "BOOLEAN"]
    if not sqlite:
        types[0] = types[1] = "TIMESTAMPTZ"
    dbapi, driver = raw_cursor(engine)
    try:
        cur = driver.cursor()
        cur.execute(f"DROP TABLE IF EXISTS {twin}")
        cur.execute(f"CREATE TABLE {twin} (id {'INTEGER PRIMARY KEY AUTOINCREMENT' if sqlite else 'SERIAL PRIMARY KEY'}, "
                    + ", ".join(f"{c} {ty}" for c, ty in zip(columns, types, strict=True)) + ")"
                    + ("" if sqlite else " WITH (fillfactor = 70)"))
        t0 = time.perf_counter()
        rows = data.typed_rows(sqlite)
        if sqlite:
            cur.execute("BEGIN")
            sql = f"INSERT INTO {twin} ({', '.join(columns)}) VALUES ({marks(engine, len(columns))})"
            while chunk := [r for _, r in zip(range(CHUNK), rows, strict=False)]:
                cur.executemany(sql, chunk)
            cur.execute("COMMIT")
        else:
            with driver.transaction(), cur.copy(f"COPY {twin} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        raw = time.perf_counter() - t0
        if not sqlite:  # the binary floor too: what the column path's COPY does
            cur.execute(f"TRUNCATE {twin}")
            t0 = time.perf_counter()
            with driver.transaction(), cur.copy(f"COPY {twin} ({', '.join(columns)}) FROM STDIN "
                                                "(FORMAT BINARY)") as copy:
                copy.set_types(["timestamptz", "timestamptz", "text", "text", "text", "float8",
                                "float8", "float8", "date", "bool"])
                for row in data.typed_rows(sqlite):
                    copy.write_row(row)
            RAW_EXTRA["binary_s"] = time.perf_counter() - t0
        cur.execute(f"DROP TABLE {twin}")
        if sqlite:
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            cur.execute(f"VACUUM ANALYZE {s.t}")  # untimed; autovacuum would do it after a load
    finally:
        dbapi.close()
    return raw


RAW_EXTRA: dict[str, float] = {}


def bench_insert(s: Setup, data: Data, res: dict[str, Any], mode: str = "columns") -> None:
    sqlite = s.engine.dialect.name == "sqlite"
    loadavg = _loadavg()
    tessera = tessera_insert(s, data, mode)
    RAW_EXTRA.clear()
    raw = raw_insert(s, data)
    res["bulk_insert"] = {"tessera_s": tessera, "raw_s": raw, "tessera_rows_s": data.n / tessera,
                          "raw_rows_s": data.n / raw, "ratio": tessera / raw, "mode": mode,
                          "loadavg": loadavg, "raw_binary_s": RAW_EXTRA.get("binary_s"),
                          "raw_method": "executemany, 1 tx" if sqlite else "COPY write_row"}


def run_bulk_only(backend: str, rows: int, workdir: Path) -> dict[str, Any]:
    """The bulk part alone: the column path into the N-row table, the raw floor, and (as a
    reference) the row-dict ``bulk_create`` into a second table, all in one process."""
    res: dict[str, Any] = {"rows": rows, "loadavg_start": _loadavg()}
    data = Data(rows)
    with backend_engine(backend, workdir / "bench_bulk.sqlite") as (engine, url):
        s = build_table(engine, url)
        modes = ["columns", "rows"] if hasattr(RecordService, "bulk_create_columns") else ["rows"]
        bench_insert(s, data, res, modes[0])
        for mode in modes[1:]:
            twin = build_table(engine, url)
            res[f"bulk_insert_{mode}"] = {"tessera_s": tessera_insert(twin, data, mode),
                                          "loadavg": _loadavg()}
        with engine.connect() as conn:
            res["history_rows"] = conn.execute(sa.text("SELECT count(*) FROM record_history")).scalar_one()
    res["loadavg_end"] = _loadavg()
    return res


def bulk_markdown(backend: str, res: dict[str, Any]) -> str:
    b = res["bulk_insert"]
    n = res["rows"]
    lines = [f"### {backend} — bulk insert, {n:,} rows (load {b['loadavg']})",
             "| path | seconds | rows/s | × raw |", "|---|---|---|---|",
             f"| raw {b['raw_method']} | {b['raw_s']:.2f} | {b['raw_rows_s']:,.0f} | 1.0 |",
             *([f"| raw COPY write_row, FORMAT BINARY with set_types | {b['raw_binary_s']:.2f} | "
                f"{n / b['raw_binary_s']:,.0f} | {b['raw_binary_s'] / b['raw_s']:.2f} |"]
               if b.get("raw_binary_s") else []),
             f"| Tessera `{'bulk_create_columns' if b['mode'] == 'columns' else 'bulk_create'}` "
             f"| {b['tessera_s']:.2f} | {b['tessera_rows_s']:,.0f} | {b['ratio']:.2f} |"]
    for mode in ("rows",):
        other = res.get(f"bulk_insert_{mode}")
        if other:
            lines.append(f"| Tessera `bulk_create` (row dicts, load {other['loadavg']}) | "
                         f"{other['tessera_s']:.2f} | {n / other['tessera_s']:,.0f} | "
                         f"{other['tessera_s'] / b['raw_s']:.2f} |")
    lines.append(f"history rows written: {res['history_rows']}")
    return "\n".join(lines)


def _raw_where(s: Setup, sqlite: bool) -> str:
    active = f"{s.col['Active']} = 1" if sqlite else f"{s.col['Active']} IS TRUE"
    return f"{active} AND {s.col['Age']} >= 30"


def bench_unindexed_page(s: Setup, res: dict[str, Any], calls: int) -> None:
    engine, sqlite = s.engine, s.engine.dialect.name == "sqlite"

    def tessera(_: int) -> None:
        page = query_records(engine, s.table_id, filter=FILTER, sort=UNINDEXED_SORT, limit=PAGE,
                             with_total=False)
        assert len(page.rows) == min(PAGE, res["_matching"])

    sql = (f"SELECT * FROM {s.t} WHERE {_raw_where(s, sqlite)} "
           f"ORDER BY {s.col['Score']} DESC NULLS LAST, id LIMIT {PAGE + 1}")
    dbapi, driver = raw_cursor(engine)
    try:
        cur = driver.cursor()
        res["first_page_unindexed_sort_filtered"] = _pair(
            p50(tessera, calls), p50(lambda _: cur.execute(sql).fetchall()
                                     if sqlite else (cur.execute(sql), cur.fetchall()), calls))
        res["plan_first_page_unindexed"] = _plan(engine, cur, sql)
        # the same page sorting (id, key) only and joining the rows by id (what query_records
        # does on PostgreSQL when no index serves the sort): the narrow floor
        narrow = (f"SELECT t.* FROM {s.t} t JOIN (SELECT id FROM {s.t} WHERE {_raw_where(s, sqlite)} "
                  f"ORDER BY {s.col['Score']} DESC NULLS LAST, id LIMIT {PAGE + 1}) k ON k.id = t.id "
                  f"ORDER BY t.{s.col['Score']} DESC NULLS LAST, t.id")
        res["first_page_unindexed_raw_narrow"] = p50(
            lambda _: cur.execute(narrow).fetchall() if sqlite
            else (cur.execute(narrow), cur.fetchall()), calls)
        res["plan_first_page_unindexed_narrow"] = _plan(engine, cur, narrow)
    finally:
        dbapi.close()


def bench_count(s: Setup, res: dict[str, Any], calls: int) -> None:
    engine, sqlite = s.engine, s.engine.dialect.name == "sqlite"
    sql = f"SELECT count(*) FROM {s.t} WHERE {_raw_where(s, sqlite)}"
    dbapi, driver = raw_cursor(engine)
    try:
        cur = driver.cursor()
        cur.execute(sql)
        res["_matching"] = cur.fetchone()[0]
        got = count_records(engine, s.table_id, filter=FILTER)
        assert got == res["_matching"], (got, res["_matching"])
        res["filtered_count"] = _pair(
            p50(lambda _: count_records(engine, s.table_id, filter=FILTER), calls),
            p50(lambda _: (cur.execute(sql), cur.fetchone()), calls))
    finally:
        dbapi.close()


def bench_keyset(s: Setup, data: Data, res: dict[str, Any], calls: int) -> None:
    engine = s.engine
    t0 = time.perf_counter()
    ensure_sort_index(engine, s.table_id, INDEXED_ASC)
    res["ensure_sort_index_s"] = time.perf_counter() - t0
    spend = s.col["Spend"]
    dbapi, driver = raw_cursor(engine)
    try:
        cur = driver.cursor()
        for label, sort, desc in (("asc", INDEXED_ASC, False), ("desc", INDEXED_DESC, True)):
            deep_row = data.n // 2
            value, last_id = data.keyset_position(deep_row - 1, desc)
            cursor = _make_cursor(_fingerprint(s.table_id, None, sort), [value], last_id)
            expected_first = data.keyset_position(deep_row, desc)[1] if deep_row < data.n else None

            def first(_: int, sort: list[dict[str, str]] = sort) -> None:
                query_records(engine, s.table_id, sort=sort, limit=PAGE, with_total=False)

            def deep(_: int, sort: list[dict[str, str]] = sort, cursor: str = cursor,
                     expected: int | None = expected_first) -> None:
                page = query_records(engine, s.table_id, sort=sort, limit=PAGE, cursor=cursor,
                                     with_total=False)
                assert page.rows[0]["id"] == expected, (page.rows[0]["id"], expected)

            op = "<" if desc else ">"
            direction = "DESC" if desc else "ASC"
            first_sql = f"SELECT * FROM {s.t} ORDER BY {spend} {direction}, id {direction} LIMIT {PAGE + 1}"
            deep_sql = q(engine, f"SELECT * FROM {s.t} WHERE ({spend}, id) {op} (?, ?) "
                                 f"ORDER BY {spend} {direction}, id {direction} LIMIT {PAGE + 1}")

            def run(sql: str, params: tuple[Any, ...] = ()) -> Callable[[int], Any]:
                def call(_: int) -> Any:
                    cur.execute(sql, params)
                    return cur.fetchall()
                return call

            res[f"keyset_first_page_{label}"] = _pair(p50(first, calls), p50(run(first_sql), calls))
            res[f"keyset_deep_page_{label}"] = _pair(p50(deep, calls),
                                                     p50(run(deep_sql, (value, last_id)), calls))
            res[f"plan_keyset_deep_{label}"] = _tessera_plan(s, sort, cursor)
            res[f"keyset_deep_page_{label}_single_statement"] = p50(
                _single_statement_page(s, desc, value, last_id), max(3, calls // 10))
            with _without_metadata_cache():
                res[f"keyset_deep_page_{label}_no_metadata_cache"] = p50(deep, calls)
    finally:
        dbapi.close()


@contextmanager
def _without_metadata_cache() -> Iterator[None]:
    """Before/after for the metadata cache: without a schema stamp the catalog keeps nothing,
    so every call reads its table's metadata again (two queries and new objects), as before
    the cache existed."""
    from tessera.schema import catalog

    real = catalog.schema_stamp
    catalog.schema_stamp = lambda conn: None  # type: ignore[assignment]
    try:
        yield
    finally:
        catalog.schema_stamp = real


def bench_update(s: Setup, data: Data, res: dict[str, Any], calls: int) -> None:
    engine, sqlite = s.engine, s.engine.dialect.name == "sqlite"
    rng = random.Random(11)
    ids = [rng.randrange(1, data.n + 1) for _ in range(calls)]
    svc = RecordService(engine)
    tessera = p50(lambda i: svc.update(s.table_id, ids[i], {"Score": 1000.0 + i}, actor="bench"),
                  calls)
    sql = q(engine, f"UPDATE {s.t} SET {s.col['Score']} = ?, updated_at = ? WHERE id = ?")
    stamp: Any = "2025-06-30T00:00:00Z" if sqlite else dt.datetime(2025, 6, 30, tzinfo=dt.UTC)
    dbapi, driver = raw_cursor(engine)
    try:
        cur = driver.cursor()
        raw = p50(lambda i: cur.execute(sql, (2000.0 + i, stamp, ids[i])), calls)
    finally:
        dbapi.close()
    res["single_update"] = _pair(tessera, raw)


def _single_statement_page(s: Setup, desc: bool, value: float, last_id: int) -> Callable[[int], Any]:
    """The deep page as query_records built it before the two-part read (for before/after):
    one statement, ORDER BY key NULLS LAST, id with the OR-expanded keyset condition."""
    t = sa.table(s.t, sa.column("id"), sa.column(s.col["Spend"]))
    key = t.c[s.col["Spend"]]
    beyond = key < value if desc else key > value
    condition = sa.or_(sa.and_(sa.or_(beyond, key.is_(None))), sa.and_(key == value, t.c.id > last_id))
    statement = (sa.select(sa.text("*")).select_from(t).where(condition)
                 .order_by((key.desc() if desc else key.asc()).nulls_last(), t.c.id.asc())
                 .limit(PAGE + 1))

    def call(_: int) -> Any:
        with s.engine.connect() as conn:
            return conn.execute(statement).all()
    return call


# ----- HTTP ------------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_http(s: Setup, data: Data, res: dict[str, Any], calls: int, wrk_seconds: int) -> None:
    import httpx

    from tessera.auth.bootstrap import admin_token, bearer

    headers = bearer(admin_token(s.engine, name="bench"))  # the REST API needs a login
    port = _free_port()
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(
        [sys.executable, "-m", "tessera", "serve", "--db", s.url, "--port", str(port),
         "--log-level", "warning"], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
            while True:
                try:
                    client.get("/api/v1/bases").raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.time() > deadline or server.poll() is not None:
                        log.seek(0)
                        raise RuntimeError("tessera serve did not start:\n" + log.read().decode()) from None
                    time.sleep(0.2)
            value, last_id = data.keyset_position(data.n // 2 - 1, False)
            cursor = _make_cursor(_fingerprint(s.table_id, None, INDEXED_ASC), [value], last_id)
            path = f"/api/v1/tables/{s.table_id}/records"
            first = {"sort": json.dumps(INDEXED_ASC), "limit": PAGE, "total": "false"}
            deep = {**first, "cursor": cursor}

            def get(params: dict[str, Any]) -> Callable[[int], Any]:
                def call(_: int) -> None:
                    r = client.get(path, params=params)
                    r.raise_for_status()
                    assert len(r.json()["rows"]) == min(PAGE, data.n)
                return call

            get(first)(0)
            res["http_keyset_first_page"] = p50(get(first), calls)
            res["http_keyset_deep_page"] = p50(get(deep), calls)
            url = str(httpx.URL(base + path, params=deep))
        if shutil.which("wrk") and wrk_seconds > 0:
            res["http_wrk_deep_page"] = _wrk(url, wrk_seconds, headers)
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _wrk(url: str, seconds: int, headers: dict[str, str]) -> dict[str, Any]:
    header_args = [arg for k, v in headers.items() for arg in ("-H", f"{k}: {v}")]
    out = subprocess.run(["wrk", "-t1", "-c32", f"-d{seconds}s", "--latency", *header_args, url],
                         capture_output=True, text=True, timeout=seconds + 60).stdout

    def ms(text: str) -> float:
        number, unit = re.match(r"([\d.]+)(\w+)", text).groups()  # type: ignore[union-attr]
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
            "p50_ms": ms(re.search(r"50%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
            "p99_ms": ms(re.search(r"99%\s+(\S+)", out).group(1)),  # type: ignore[union-attr]
            "non_2xx": int(errors.group(1)) if errors else 0, "connections": 32,
            "seconds": seconds}


# ----- plans and result shape ------------------------------------------------------------------
def _pair(tessera: dict[str, float], raw: dict[str, float]) -> dict[str, Any]:
    return {"tessera": tessera, "raw": raw, "ratio_p50": tessera["p50_ms"] / max(raw["p50_ms"], 1e-6)}


def _plan(engine: Engine, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> str:
    if engine.dialect.name == "sqlite":
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(str(r[-1]) for r in cur.fetchall())
    cur.execute("EXPLAIN " + sql, params)
    return " | ".join(r[0].strip() for r in cur.fetchall())


def _tessera_plan(s: Setup, sort: list[dict[str, str]], cursor: str) -> str:
    """The plan of the SQL query_records runs for a deep keyset page (captured, then explained)."""
    seen: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor_: Any, statement: str, parameters: Any, context: Any,
                executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "ORDER BY" in statement:
            seen.append((statement, parameters))

    sa.event.listen(s.engine, "before_cursor_execute", capture)
    try:
        query_records(s.engine, s.table_id, sort=sort, limit=PAGE, cursor=cursor, with_total=False)
    finally:
        sa.event.remove(s.engine, "before_cursor_execute", capture)
    statement, params = seen[-1]
    dbapi, driver = raw_cursor(s.engine)
    try:
        return _plan(s.engine, driver.cursor(), statement, params)
    finally:
        dbapi.close()


RESULT_KEYS = ["bulk_insert", "filtered_count", "first_page_unindexed_sort_filtered",
               "keyset_first_page_asc", "keyset_deep_page_asc", "keyset_first_page_desc",
               "keyset_deep_page_desc", "single_update", "http_keyset_first_page",
               "http_keyset_deep_page"]


@contextmanager
def backend_engine(backend: str, sqlite_file: Path) -> Iterator[tuple[Engine, str]]:
    """(engine, url) on a throwaway PostgreSQL cluster with the BASELINES settings, or on a
    SQLite file; the cluster is stopped and the engine disposed afterwards."""
    cluster = None
    if backend == "postgresql":
        from tessera.testing.pgcluster import PgCluster

        cluster = PgCluster(settings=PG_SETTINGS)
        cluster.start()
        url = cluster.url
    else:
        url = f"sqlite:///{sqlite_file}"
    engine = create_engine(url)
    try:
        yield engine, url
    finally:
        engine.dispose()
        if cluster is not None:
            cluster.stop()


def direct_load(s: Setup, data: Data) -> float:
    """Untimed setup of ``--only reads``: the seeded rows straight into the table at the
    driver level (executemany on SQLite, COPY on PostgreSQL; no history), so the read part
    can run at 1,000,000 rows in minutes. Returns the seconds it took."""
    engine, sqlite = s.engine, s.engine.dialect.name == "sqlite"
    stamp = dt.datetime(2025, 6, 30, tzinfo=dt.UTC)
    names = ("Name", "City", "Tier", "Age", "Score", "Spend", "Joined", "Active")
    columns = ["created_at", "updated_at", *[s.col[n] for n in names]]
    rows = ((stamp, stamp, data.name[i], data.city[i], data.tier[i], data.age[i],
             data.score[i], data.spend[i], data.joined[i], data.active[i]) for i in range(data.n))
    t0 = time.perf_counter()
    if sqlite:
        from tessera.bulkwrite import insert_many
        from tessera.schema.catalog import get_table, sa_table

        with engine.begin() as conn:
            insert_many(conn, sa_table(get_table(conn, s.table_id)), columns, rows)
        return time.perf_counter() - t0
    dbapi, driver = raw_cursor(engine)
    try:
        cur = driver.cursor()
        with driver.transaction(), cur.copy(f"COPY {s.t} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(f"VACUUM ANALYZE {s.t}")
    finally:
        dbapi.close()
    return time.perf_counter() - t0


def read_steps(s: Setup, data: Data, res: dict[str, Any], calls: dict[str, int],
               wrk_seconds: int) -> list[tuple[str, Callable[[], None]]]:
    """The read part: count, pages, keyset pages, HTTP and the single-record update."""
    return [
        ("filtered count", lambda: bench_count(s, res, calls["count"])),
        ("unindexed first page", lambda: bench_unindexed_page(s, res, calls["unindexed"])),
        ("keyset pages", lambda: bench_keyset(s, data, res, calls["keyset"])),
        ("HTTP", lambda: bench_http(s, data, res, calls["http"], wrk_seconds)),
        ("single update", lambda: bench_update(s, data, res, calls["update"])),
    ]


def run_steps(backend: str, res: dict[str, Any], steps: list[tuple[str, Callable[[], None]]]
              ) -> None:
    for label, step in steps:
        t0 = time.perf_counter()
        step()
        res[f"loadavg_after_{label.replace(' ', '_')}"] = _loadavg()
        print(f"[{backend}] {label}: {time.perf_counter() - t0:.1f} s", flush=True)


def run_reads_only(backend: str, rows: int, workdir: Path, calls: dict[str, int],
                   wrk_seconds: int) -> dict[str, Any]:
    """The read part alone (count, pages, keyset pages, HTTP, single update) on a table
    loaded by :func:`direct_load`."""
    res: dict[str, Any] = {"rows": rows, "loadavg_start": _loadavg()}
    data = Data(rows)
    with backend_engine(backend, workdir / "bench_reads.sqlite") as (engine, url):
        s = build_table(engine, url)
        res["direct_load_s"] = direct_load(s, data)
        print(f"[{backend}] loaded {rows:,} rows in {res['direct_load_s']:.1f} s", flush=True)
        run_steps(backend, res, read_steps(s, data, res, calls, wrk_seconds))
    res.pop("_matching", None)
    res["loadavg_end"] = _loadavg()
    return res


def run_backend(backend: str, rows: int, workdir: Path, calls: dict[str, int],
                wrk_seconds: int) -> dict[str, Any]:
    res: dict[str, Any] = {"rows": rows, "loadavg_start": _loadavg()}
    print(f"[{backend}] generating {rows:,} rows", flush=True)
    data = Data(rows)
    with backend_engine(backend, workdir / "bench_storage.sqlite") as (engine, url):
        s = build_table(engine, url)
        run_steps(backend, res, [("bulk insert", lambda: bench_insert(s, data, res)),
                                 *read_steps(s, data, res, calls, wrk_seconds)])
        with engine.connect() as conn:
            res["history_rows"] = conn.execute(sa.text("SELECT count(*) FROM record_history")).scalar_one()
    res.pop("_matching", None)
    res["loadavg_end"] = _loadavg()
    return res


def _loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text().split(" ", 3)[:3].__str__()
    except OSError:
        return "unknown"


# ----- report ----------------------------------------------------------------------------------
TARGETS: dict[str, tuple[str, Callable[[dict[str, Any]], float], float | None, str]] = {
    # key: (label, value extractor → number, target bound (None: report only), unit)
    "bulk_insert": ("bulk insert (rows/s)", lambda r: r["tessera_rows_s"], None, "rows/s"),
    "first_page_unindexed_sort_filtered": ("first page, unindexed sort + filter", lambda r: r["tessera"]["p50_ms"], 100.0, "ms"),
    "keyset_first_page_asc": ("keyset first page, indexed sort asc", lambda r: r["tessera"]["p50_ms"], 5.0, "ms"),
    "keyset_deep_page_asc": ("keyset page at row N/2, asc", lambda r: r["tessera"]["p50_ms"], 5.0, "ms"),
    "keyset_first_page_desc": ("keyset first page, indexed sort desc", lambda r: r["tessera"]["p50_ms"], 5.0, "ms"),
    "keyset_deep_page_desc": ("keyset page at row N/2, desc", lambda r: r["tessera"]["p50_ms"], 5.0, "ms"),
    "filtered_count": ("filtered count", lambda r: r["tessera"]["p50_ms"], 100.0, "ms"),
    "single_update": ("single-record update p50", lambda r: r["tessera"]["p50_ms"], None, "ms"),
}


def _cell(x: dict[str, float], with_p95: bool) -> str:
    return f"{x['p50_ms']:.2f} ms" + (f" (p95 {x['p95_ms']:.2f})" if with_p95 else "")


def markdown(backend: str, res: dict[str, Any]) -> str:
    lines = [f"### {backend} — {res['rows']:,} rows",
             "| operation | Tessera | raw SQL | ratio | target | verdict |", "|---|---|---|---|---|---|"]
    b = res.get("bulk_insert")
    if b is None:  # --only reads
        b = {"tessera_s": float("nan"), "tessera_rows_s": float("nan"), "raw_s": float("nan"),
             "raw_rows_s": float("nan"), "raw_method": "not run (--only reads)", "ratio": float("nan")}
    target = 500_000 if backend == "sqlite" else None
    verdict = ("—" if target is None else ("met" if b["tessera_rows_s"] >= target else "missed"))
    lines.append(f"| bulk insert | {b['tessera_s']:.1f} s ({b['tessera_rows_s']/1000:,.0f}k rows/s) | "
                 f"{b['raw_s']:.1f} s ({b['raw_rows_s']/1000:,.0f}k rows/s, {b['raw_method']}) | "
                 f"{b['ratio']:.1f}× | {'≥ 500k rows/s' if target else '—'} | {verdict} |")
    for key, (label, _, bound, _unit) in TARGETS.items():
        if key == "bulk_insert":
            continue
        r = res[key]
        t, w = r["tessera"], r["raw"]
        with_p95 = key == "single_update"
        verdict = "—" if bound is None else ("met" if t["p50_ms"] <= bound else "missed")
        lines.append(f"| {label} | {_cell(t, with_p95)} | {_cell(w, with_p95)} | "
                     f"{r['ratio_p50']:.1f}× | {f'≤ {bound:g} ms' if bound else '—'} | {verdict} |")
    for key, label in (("http_keyset_first_page", "HTTP keyset first page p50 (p95)"),
                       ("http_keyset_deep_page", "HTTP keyset page at N/2 p50 (p95)")):
        h = res[key]
        verdict = "met" if h["p50_ms"] <= 15 else "missed"
        lines.append(f"| {label} | {h['p50_ms']:.2f} ms ({h['p95_ms']:.2f}) | — | — | ≤ 15 ms | {verdict} |")
    narrow = res.get("first_page_unindexed_raw_narrow")
    if narrow:
        lines.append(f"| raw SQL of the first page, unindexed sort, narrow top-N joined by id | "
                     f"{narrow['p50_ms']:.2f} ms | — | — | ≤ 100 ms | "
                     f"{'met' if narrow['p50_ms'] <= 100 else 'missed'} |")
    for suffix, what in (("single_statement", "before the fix: page at N/2, {}, one NULLS LAST statement"),
                         ("no_metadata_cache", "without the metadata cache: page at N/2, {}")):
        for label in ("asc", "desc"):
            old = res.get(f"keyset_deep_page_{label}_{suffix}")
            if old:
                lines.append(f"| {what.format(label)} | {old['p50_ms']:.2f} ms | — | — | ≤ 5 ms | "
                             f"{'met' if old['p50_ms'] <= 5 else 'missed'} |")
    if "http_wrk_deep_page" in res:
        w = res["http_wrk_deep_page"]
        lines.append(f"| HTTP deep keyset page, wrk -c32 | {w['requests_s']:,.0f} req/s, p50 {w['p50_ms']:.1f} ms,"
                     f" p99 {w['p99_ms']:.1f} ms | — | — | — | — |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--out", type=Path, default=OUT / "bench_storage.json")
    parser.add_argument("--wrk-seconds", type=int, default=8)
    parser.add_argument("--calls", type=int, default=0,
                        help="override the number of calls per latency measurement")
    parser.add_argument("--only", choices=["bulk", "reads"], default=None,
                        help="run only the bulk-insert part (bench_bulk.md section of RESULTS.md)"
                             " or only the read part (rows loaded directly, untimed)")
    args = parser.parse_args(argv)
    calls = {"count": 5, "unindexed": 10, "keyset": 50, "http": 200, "update": 500}
    if args.calls:
        calls = {k: args.calls for k in calls}
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="tessera-bench-") as workdir:
        for backend in backends:
            if args.only == "bulk":
                results[backend] = run_bulk_only(backend, args.rows, Path(workdir))
                print(bulk_markdown(backend, results[backend]), flush=True)
                continue
            if args.only == "reads":
                results[backend] = run_reads_only(backend, args.rows, Path(workdir), calls,
                                                  args.wrk_seconds)
                print(markdown(backend, results[backend]), flush=True)
                continue
            results[backend] = run_backend(backend, args.rows, Path(workdir), calls, args.wrk_seconds)
            print(markdown(backend, results[backend]), flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine(), "argv": sys.argv[1:], "results": results},
                                   indent=2, ensure_ascii=False, default=str))
    print(f"results written to {args.out}")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TESSERA_TODAY", "2025-06-30")
    raise SystemExit(main())
