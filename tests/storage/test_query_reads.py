"""How page and count reads use the connection: on PostgreSQL they run in autocommit (no BEGIN
and COMMIT round trips: at READ COMMITTED each statement takes its own snapshot either way), on
SQLite inside one transaction (one snapshot for the page, its links and its total); the pooled
connection is transactional again afterwards, and the results are those of a transaction."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tessera import schema_ops as schema
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.query import count_records, ensure_sort_index, query_records, query_view
from tessera.records import RecordService

SORT = [{"field": "Age", "direction": "desc"}]
FILTER = {"field": "Age", "op": ">=", "value": 20}


@pytest.fixture
def people(engine, make_table, records):
    table = make_table("People", [("Age", "number", None)])
    pets = make_table("Pets", [])
    schema.add_field(engine, table.id, "Pets", "link", {"target_table_id": pets.id})
    pet = records.create(pets.id, {"Name": "Mao"})["id"]
    records.bulk_create(table.id, [{"Name": f"P{i}", "Age": (i * 7) % 50 or None,
                                    "Pets": [pet] if i % 3 else []} for i in range(30)])
    return schema.get_table(engine, table.id)


def _watch(engine) -> list[tuple[Any, ...]]:
    """(driver in autocommit, driver in a transaction) before every statement run."""
    seen: list[tuple[Any, ...]] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        driver = conn.connection.dbapi_connection
        if statement.startswith("BEGIN"):          # SQLite's explicit BEGIN (tessera.db)
            return
        if conn.dialect.name == "postgresql":
            import psycopg

            seen.append((driver.autocommit,
                         driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE))
        else:
            seen.append((False, driver.in_transaction))

    sa.event.listen(engine, "before_cursor_execute", before)
    return seen


def _reads(engine, table_id: int, view_id: int) -> list[Any]:
    return [query_records(engine, table_id, filter=FILTER, sort=SORT, limit=5).to_dict(),
            count_records(engine, table_id, filter=FILTER),
            query_view(engine, view_id, limit=5).to_dict()]


def test_reads_skip_begin_and_commit_on_postgresql_only(engine, people):
    view = schema.create_view(engine, people.id, "Older", filters=FILTER, sorts=SORT)
    _reads(engine, people.id, view.id)                # metadata cached, statements prepared
    seen = _watch(engine)
    _reads(engine, people.id, view.id)
    assert seen
    if engine.dialect.name == "postgresql":
        # no statement ran inside a driver transaction: BEGIN and COMMIT were never sent
        assert seen == [(True, False)] * len(seen)
    else:
        # every statement, the first included, inside the one transaction of its call
        assert seen == [(False, True)] * len(seen)


def test_results_equal_those_read_in_a_transaction(engine, people):
    view = schema.create_view(engine, people.id, "Older", filters=FILTER, sorts=SORT)
    with engine.connect() as conn, conn.begin():       # a Connection: the caller's transaction
        expected = _reads(conn, people.id, view.id)
    assert _reads(engine, people.id, view.id) == expected
    first = expected[0]
    older = sum(1 for i in range(30) if (i * 7) % 50 >= 20)
    assert first["total"] == expected[1] == older and len(first["rows"]) == 5
    assert first["rows"][0]["fields"]["Age"] == 49 and first["rows"][1]["fields"]["Pets"]
    page2 = query_records(engine, people.id, filter=FILTER, sort=SORT, limit=5,
                          cursor=first["next_cursor"])
    with engine.connect() as conn, conn.begin():
        assert query_records(conn, people.id, filter=FILTER, sort=SORT, limit=5,
                             cursor=first["next_cursor"]).to_dict() == page2.to_dict()


def test_the_pooled_connection_is_transactional_again_after_a_read(backend_url, tmp_path):
    """A read must not hand an autocommit connection back to the pool: the next user's
    rollback would not undo its writes."""
    engine = create_engine(backend_url, pool_size=1, max_overflow=0) \
        if not backend_url.startswith("sqlite") else create_engine(backend_url)
    try:
        upgrade(engine)
        base = schema.create_base(engine, "B")
        table = schema.create_table(engine, base.id, "T")
        RecordService(engine).create(table.id, {"Name": "kept"})
        assert query_records(engine, table.id).total == 1
        with engine.connect() as conn:
            conn.execute(sa.text(f"DELETE FROM {table.physical_name}"))
            conn.rollback()
        assert count_records(engine, table.id) == 1
    finally:
        engine.dispose()


def _all_pages(engine, table_id: int) -> list[Any]:
    pages, cursor = [], None
    while True:
        page = query_records(engine, table_id, filter=FILTER, sort=SORT + [{"field": "Name"}],
                             limit=4, cursor=cursor, with_total=False)
        pages.append(page.to_dict())
        if not (cursor := page.next_cursor):
            return pages


def test_postgresql_sorts_id_and_keys_only_when_no_index_serves_the_sort(engine, people):
    """Without a sort index, PostgreSQL pages pick (id, keys) in a narrow top-N and join the
    full rows by id; with one, the plain statement reads the index. Same pages either way."""
    statements: list[str] = []
    sa.event.listen(engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *rest: statements.append(statement))
    scanned = _all_pages(engine, people.id)
    narrow = [s for s in statements if "JOIN (SELECT" in s]
    assert len(scanned) == 5 and [len(p["rows"]) for p in scanned] == [4, 4, 4, 4, 2]
    ages = [r["fields"]["Age"] for p in scanned for r in p["rows"]]
    assert ages == sorted(ages, reverse=True)
    assert bool(narrow) == (engine.dialect.name == "postgresql")
    ensure_sort_index(engine, people.id, SORT)
    statements.clear()
    assert _all_pages(engine, people.id) == scanned
    assert not [s for s in statements if "JOIN (SELECT" in s]
