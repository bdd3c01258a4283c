"""insert_many writes exactly what SQLAlchemy's own executemany writes, faster."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from tessera.bulkwrite import insert_many
from tessera.fields.sqltypes import JsonValue, UtcDateTime

ROWS = [
    (1, dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC), ["a", 1], "x", dt.date(2024, 2, 29)),
    (2, dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=8))), {"k": None},
     None, None),
    (3, None, None, "引号'\"", dt.date(1999, 12, 31)),
    (4, None, "text as json", "", None),
]


def _table(name: str) -> sa.Table:
    return sa.Table(name, sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("at", UtcDateTime), sa.Column("doc", JsonValue),
                    sa.Column("label", sa.Text), sa.Column("day", sa.Date))


def test_insert_many_matches_sqlalchemy(engine):
    fast, slow = _table("bw_fast"), _table("bw_slow")
    with engine.begin() as conn:
        fast.create(conn)
        slow.create(conn)
        columns = ["id", "at", "doc", "label", "day"]
        # the same datetime object in several rows exercises the repeated-value shortcut
        shared = ROWS[0][1]
        rows = [*ROWS, (5, shared, [1], "y", None), (6, shared, [2], "z", None)]
        insert_many(conn, fast, columns, rows)
        conn.execute(sa.insert(slow), [dict(zip(columns, r, strict=True)) for r in rows])
    with engine.connect() as conn:
        got = conn.execute(sa.select(fast).order_by(fast.c.id)).all()
        want = conn.execute(sa.select(slow).order_by(slow.c.id)).all()
    assert got == want
    assert got[5].doc == [2] and got[1].at == dt.datetime(2025, 1, 1, 19, 4, 5, tzinfo=dt.UTC)


def test_columns_write_what_sqlalchemy_writes(engine):
    """insert_columns (SQLite) / copy_columns (PostgreSQL, binary COPY): column lists, a
    constant column and repeated values (the memoised conversions) give SQLAlchemy's rows."""
    from tessera.bulkwrite import Constant, copy_columns, insert_columns

    fast, slow = _table("bwc_fast"), _table("bwc_slow")
    stamp = dt.datetime(2025, 6, 30, 8, 0, 1, tzinfo=dt.UTC)
    labels = ["x", None, "引号'\"", "", "x", "x"]
    docs = [["a", 1], {"k": None}, None, "text as json", [2], ["a", 1]]
    days = [dt.date(2024, 2, 29), None, dt.date(999, 1, 1), dt.date(2024, 2, 29),
            dt.date(2024, 2, 29), dt.date(2024, 2, 29)]
    ids = list(range(1, 7))
    with engine.begin() as conn:
        fast.create(conn)
        slow.create(conn)
        write = copy_columns if conn.dialect.name == "postgresql" else insert_columns
        write(conn, fast, ["id", "at", "doc", "label", "day"],
              [ids, Constant(stamp), docs, labels, days], len(ids))
        conn.execute(sa.insert(slow), [{"id": i, "at": stamp, "doc": d, "label": t, "day": y}
                                       for i, d, t, y in zip(ids, docs, labels, days, strict=True)])
    with engine.connect() as conn:
        got = conn.execute(sa.select(fast).order_by(fast.c.id)).all()
        want = conn.execute(sa.select(slow).order_by(slow.c.id)).all()
        raw_fast = conn.execute(sa.text("SELECT at, day FROM bwc_fast ORDER BY id")).all()
        raw_slow = conn.execute(sa.text("SELECT at, day FROM bwc_slow ORDER BY id")).all()
    assert got == want and raw_fast == raw_slow
    assert got[2].day == dt.date(999, 1, 1) and got[0].doc == ["a", 1] and got[3].label == ""
