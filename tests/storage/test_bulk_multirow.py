"""Multi-row INSERTs of the SQLite bulk path (tessera/bulkwrite.py ``_insert_multirow``): the
rows split into statements of MULTIROW_ROWS rows (a shorter last one), constant columns bound
once per statement wherever they stand, the bound-variable limit respected, and a bulk create
running one statement per few hundred rows instead of one per row."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
import sqlalchemy as sa

from tessera import bulkwrite
from tessera.bulkwrite import Constant, insert_columns
from tessera.fields.sqltypes import JsonValue, UtcDateTime
from tessera.history import record_history
from tessera.schema.naming import table_name


def _table(name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("label", sa.Text), sa.Column("at", UtcDateTime),
                    sa.Column("doc", JsonValue), sa.Column("day", sa.Date),
                    sa.Column("score", sa.Float))


def _rows(n: int) -> dict[str, list]:
    return {"id": list(range(1, n + 1)),
            "label": [None if i % 4 == 0 else f"行{i}'\"" for i in range(n)],
            "doc": [[i, "x"] if i % 3 else None for i in range(n)],
            "day": [dt.date(2024, 1, 1 + i % 28) for i in range(n)],
            "score": [i / 3 for i in range(n)]}


@pytest.mark.parametrize("per", [1, 4, 500])
def test_chunks_and_constants_write_what_sqlalchemy_writes(engine, monkeypatch, per):
    """11 rows in statements of ``per`` rows: 11 of one, 4+4+3, one of 11; the constant column
    sits between varying ones (its numbered parameter must not shift theirs)."""
    monkeypatch.setattr(bulkwrite, "MULTIROW_ROWS", per)
    stamp = dt.datetime(2025, 6, 30, 8, 0, 1, tzinfo=dt.UTC)
    fast, slow = _table(f"mr_fast_{per}"), _table(f"mr_slow_{per}")
    data = _rows(11)
    with engine.begin() as conn:
        fast.create(conn)
        slow.create(conn)
        insert_columns(conn, fast, ["id", "label", "at", "doc", "day", "score"],
                       [data["id"], data["label"], Constant(stamp), data["doc"], data["day"],
                        data["score"]], 11)
        conn.execute(sa.insert(slow), [{"id": i, "label": t, "at": stamp, "doc": d, "day": y,
                                        "score": s} for i, t, d, y, s in zip(*data.values(),
                                                                             strict=True)])
    with engine.connect() as conn:
        got = conn.execute(sa.select(fast).order_by(fast.c.id)).all()
        want = conn.execute(sa.select(slow).order_by(slow.c.id)).all()
    assert got == want and len(got) == 11
    assert got[10].label == "行10'\"" and got[0].label is None and got[4].doc == [4, "x"]


def test_only_constant_columns(engine, monkeypatch):
    monkeypatch.setattr(bulkwrite, "MULTIROW_ROWS", 3)
    t = sa.Table("mr_const", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("a", sa.Text), sa.Column("b", sa.Float))
    with engine.begin() as conn:
        t.create(conn)
        insert_columns(conn, t, ["a", "b"], [Constant("k"), Constant(2.5)], 7)
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.c.a, t.c.b).order_by(t.c.id)).all() == [("k", 2.5)] * 7


def test_statements_stay_under_the_bound_variable_limit(engine):
    """With SQLite's variable limit lowered to 10, five varying columns fit two rows a
    statement; without the cap the 500-row statement fails ('too many SQL variables')."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's bound-variable limit")
    t = _table("mr_limit")
    data = _rows(9)
    with engine.begin() as conn:
        t.create(conn)
        driver = conn.connection.driver_connection
        old = driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 10)
        try:
            insert_columns(conn, t, ["id", "label", "doc", "day", "score"],
                           [data["id"], data["label"], data["doc"], data["day"], data["score"]],
                           9)
        finally:
            driver.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, old)
    with engine.connect() as conn:
        assert conn.execute(sa.select(t.c.id, t.c.score).order_by(t.c.id)).all() == [
            (i + 1, i / 3) for i in range(9)]


def test_bulk_create_runs_a_statement_per_few_hundred_rows(engine, records, make_table):
    """1,201 rows → 3 INSERTs into the user table (500 + 500 + 201), not 1,201 executions;
    ids still follow on after a deleted record (AUTOINCREMENT never reuses one) and each
    record's history shows the batch."""
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's insert path (PostgreSQL loads through COPY)")
    table = make_table("T", [("Age", "number", None), ("Day", "date", None)])
    first = records.create(table.id, {"Name": "gone"})["id"]
    records.delete(table.id, first)
    statements: list[str] = []
    engine.dispose()   # new connections, each traced

    @sa.event.listens_for(engine, "connect")
    def trace(dbapi_connection, _record):  # noqa: ANN001
        dbapi_connection.set_trace_callback(statements.append)

    n = 1201
    ids = records.bulk_create_columns(table.id, {
        "Name": [f"n{i}" for i in range(n)], "Age": list(range(n)),
        "Day": ["2024-01-05"] * n}).ids
    sa.event.remove(engine, "connect", trace)
    inserts = [s for s in statements if s.startswith(f'INSERT INTO "{table_name(table.id)}"')
               or s.startswith(f"INSERT INTO {table_name(table.id)} ")]
    assert len(inserts) == 3
    assert ids == list(range(first + 1, first + 1 + n))
    last = records.get(table.id, ids[-1])["fields"]
    assert last["Name"] == "n1200" and last["Age"] == 1200 and last["Day"] == "2024-01-05"
    [entry] = record_history(engine, table.id, ids[700])
    assert entry.action == "create" and entry.new_value["batch"]["count"] == n
