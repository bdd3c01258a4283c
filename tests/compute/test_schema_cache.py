"""Metadata caches keyed by the schema stamp: a change made through another engine or another
process is seen at once, a rolled-back change never, and unchanged metadata is served as the
same objects (so SQLAlchemy's compiled cache hits). Recompute statements cached per schema
state must follow formula changes made elsewhere, and the single-record (prepared) and batch
paths must write what a full recompute writes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tessera import schema_ops as schema
from tessera.compute import recompute_table
from tessera.db import create_engine
from tessera.records import RecordService
from tessera.schema.catalog import catalog, get_table, sa_table
from tessera.schema.version import schema_counter, schema_stamp
from tessera.schema.views import create_view


@pytest.fixture
def other(engine: Engine) -> Iterator[Engine]:
    """A second engine (its own connection pool) on the same database."""
    eng = create_engine(engine.url.render_as_string(hide_password=False))
    try:
        yield eng
    finally:
        eng.dispose()


def _names(engine: Engine, table_id: int) -> list[str]:
    return [f.name for f in get_table(engine, table_id).fields]


def _choices(engine: Engine, table_id: int) -> list[str] | None:
    tier = next((f for f in get_table(engine, table_id).fields if f.name == "Tier"), None)
    if tier is None:
        return None
    return [ch["label"] for ch in tier.options["choices"]]


# (change made through the other engine, what the first engine must then see)
CHANGES: list[tuple[str, Callable[[Engine, Any], None], Callable[[Engine, Any], bool]]] = [
    ("add field", lambda e, c: schema.add_field(e, c.customers, "Phone", "phone"),
     lambda e, c: "Phone" in _names(e, c.customers)),
    ("rename field", lambda e, c: schema.rename_field(e, c.field(c.customers, "Age").id, "Years"),
     lambda e, c: "Years" in _names(e, c.customers) and "Age" not in _names(e, c.customers)),
    ("delete field", lambda e, c: schema.delete_field(e, c.field(c.customers, "Age").id),
     lambda e, c: "Age" not in _names(e, c.customers)),
    ("rename table", lambda e, c: schema.rename_table(e, c.customers, "Clients"),
     lambda e, c: get_table(e, c.customers).name == "Clients"),
    ("select options", lambda e, c: schema.update_field_options(
        e, schema.add_field(e, c.customers, "Tier", "single_select", {"choices": ["a"]}).id, {"choices": ["a", "b"]}),
     lambda e, c: _choices(e, c.customers) == ["a", "b"]),
    ("reorder fields", lambda e, c: schema.reorder_fields(e, c.customers, [c.field(c.customers, "Visits").id]),
     lambda e, c: _names(e, c.customers)[0] == "Visits"),
]


@pytest.mark.parametrize("change,seen", [c[1:] for c in CHANGES], ids=[c[0] for c in CHANGES])
def test_change_through_another_engine_is_seen(clinic, other, change, seen) -> None:
    before = get_table(clinic.engine, clinic.customers)  # cached now
    assert not seen(clinic.engine, clinic)
    change(other, clinic)
    assert seen(clinic.engine, clinic)
    assert get_table(clinic.engine, clinic.customers) is not before


def test_view_writes_bump_the_version(clinic) -> None:
    with clinic.engine.connect() as conn:
        counter, stamp = schema_counter(conn), schema_stamp(conn)
    create_view(clinic.engine, clinic.customers, "Grid")
    with clinic.engine.connect() as conn:
        assert schema_counter(conn) > counter and schema_stamp(conn) != stamp


def test_unchanged_schema_gives_the_same_objects(clinic) -> None:
    first = get_table(clinic.engine, clinic.customers)
    assert get_table(clinic.engine, clinic.customers) is first
    assert sa_table(get_table(clinic.engine, clinic.customers)) is sa_table(first)
    clinic.svc.update(clinic.customers, clinic.ids["ann"], {"Age": 41})  # data, not schema
    assert get_table(clinic.engine, clinic.customers) is first


def test_rolled_back_change_is_never_served(clinic, other) -> None:
    with clinic.engine.connect() as conn:
        trans = conn.begin()
        schema.add_field(conn, clinic.customers, "Ghost", "text")
        assert "Ghost" in _names(conn, clinic.customers)  # cached under the uncommitted stamp
        trans.rollback()
    assert "Ghost" not in _names(clinic.engine, clinic.customers)
    schema.add_field(other, clinic.customers, "Real", "text")  # the next committed change
    names = _names(clinic.engine, clinic.customers)
    assert "Real" in names and "Ghost" not in names


SUBPROCESS = textwrap.dedent("""
    import sys
    from tessera import schema_ops as schema
    from tessera.db import create_engine
    engine = create_engine(sys.argv[1])
    field = schema.get_table(engine, int(sys.argv[2])).field("Spend")
    schema.update_field_options(engine, field.id, {"formula": sys.argv[3]})
    engine.dispose()
""")


def test_formula_changed_by_another_process_is_used_by_the_next_write(clinic) -> None:
    spend = clinic.add(clinic.customers, "Spend", "formula", {"formula": "SUM({Visits}.{Amount})"})
    clinic.svc.update(clinic.visits, clinic.ids["v3"], {"Amount": 31})  # caches graph and statements
    assert clinic.values(clinic.customers, "Spend")["bob"] == 31.0
    url = clinic.engine.url.render_as_string(hide_password=False)
    subprocess.run([sys.executable, "-c", SUBPROCESS, url, str(clinic.customers), "SUM({Visits}.{Amount}) * 2"],
                   check=True, timeout=120)
    clinic.svc.update(clinic.visits, clinic.ids["v3"], {"Amount": 40})
    assert clinic.values(clinic.customers, "Spend") == {"ann": 300.0, "bob": 80.0, "cat": 0.0}
    assert get_table(clinic.engine, clinic.customers).field(spend.id).options["formula"] == "SUM({Visits}.{Amount}) * 2"


def test_graph_follows_a_formula_added_by_another_engine(clinic, other) -> None:
    clinic.svc.update(clinic.visits, clinic.ids["v1"], {"Amount": 101})  # graph cached without Count
    schema.add_field(other, clinic.customers, "Count", "formula", {"formula": "COUNT({Visits}.{Amount})"})
    clinic.svc.create(clinic.visits, {"Name": "v4", "Amount": 5, "Customer": [clinic.ids["cat"]]})
    assert clinic.values(clinic.customers, "Count") == {"ann": 2, "bob": 1, "cat": 1}


@pytest.mark.parametrize("records", [1, 3, 16, 17, 40])  # prepared per count up to 16, then one batch statement
def test_single_and_batch_paths_write_what_a_full_recompute_writes(clinic, records: int) -> None:
    clinic.add(clinic.customers, "Spend", "formula", {"formula": "SUM({Visits}.{Amount})"})
    clinic.add(clinic.customers, "Tier", "formula", {"formula": 'IF({Spend} >= 100, "gold", "basic")'})
    svc = RecordService(clinic.engine)
    new = svc.bulk_create(clinic.customers, [{"Name": f"c{i}", "Age": i} for i in range(records)])
    ids = list(new)
    svc.bulk_create(clinic.visits, [{"Name": f"w{i}", "Amount": 10 * (i + 1), "Customer": [cid]}
                                    for i, cid in enumerate(ids)])
    incremental = clinic.values(clinic.customers, "Tier"), clinic.values(clinic.customers, "Spend")
    expected_spend = {f"c{i}": 10.0 * (i + 1) for i in range(records)}
    assert {k: incremental[1][k] for k in expected_spend} == expected_spend
    table = get_table(clinic.engine, clinic.customers)
    t = sa_table(table)
    with clinic.engine.begin() as conn:  # wipe, then recompute everything
        conn.execute(sa.update(t).values({table.field("Spend").column: None, table.field("Tier").column: None}))
    recompute_table(clinic.engine, clinic.customers)
    assert (clinic.values(clinic.customers, "Tier"), clinic.values(clinic.customers, "Spend")) == incremental


def test_catalog_is_per_database(tmp_path) -> None:
    """Two databases with the same table ids never share cached metadata (each database
    starts with its own random stamp)."""
    from tessera.migrate import upgrade

    engines = []
    for name, field in (("a.db", "Alpha"), ("b.db", "Beta")):
        eng = create_engine(f"sqlite:///{tmp_path / name}")
        upgrade(eng)
        base = schema.create_base(eng, "B")
        schema.create_table(eng, base.id, "T", fields=[schema.FieldSpec(field, "text")])
        engines.append(eng)
    try:
        assert [f.name for f in get_table(engines[0], 1).fields] == ["Name", "Alpha"]
        assert [f.name for f in get_table(engines[1], 1).fields] == ["Name", "Beta"]
        assert catalog(engines[0]) is not catalog(engines[1])
    finally:
        for eng in engines:
            eng.dispose()


@pytest.mark.parametrize("between", ["rollback", "ddl", "both"])
def test_prepared_statements_survive_rollbacks_and_ddl(clinic, between: str) -> None:
    """On PostgreSQL the single-record statements are PREPAREd per connection; psycopg drops
    every prepared statement after DDL or a rollback once it has its own, and the next write
    must prepare them again rather than fail."""
    clinic.add(clinic.customers, "Spend", "formula", {"formula": "SUM({Visits}.{Amount}) + 1"})
    for amount in range(8):  # past psycopg's own prepare threshold (5 runs of a statement)
        clinic.svc.update(clinic.visits, clinic.ids["v3"], {"Amount": amount})
    if between in ("rollback", "both"):
        with clinic.engine.connect() as conn:
            trans = conn.begin()
            RecordService(conn).update(clinic.visits, clinic.ids["v3"], {"Amount": 1000})
            trans.rollback()
    if between in ("ddl", "both"):
        clinic.add(clinic.visits, "Note", "text")
    clinic.svc.update(clinic.visits, clinic.ids["v3"], {"Amount": 40})
    clinic.svc.update(clinic.visits, clinic.ids["v1"], {"Amount": 60})
    assert clinic.values(clinic.customers, "Spend") == {"ann": 111.0, "bob": 41.0, "cat": 1.0}


def test_a_schema_change_elsewhere_reuses_the_compiled_statements(clinic, monkeypatch):
    """A view or a table unrelated to the formula moves the stamp, but the single-record
    UPDATE is the same: it is served from compute/shapes.py, not compiled again. A change to
    the formula's own table compiles it again, and the values stay right throughout."""
    from tessera.compute import materialize as mat

    clinic.add(clinic.customers, "Total", "formula", {"formula": "SUM({Visits}.{Amount}) + {Age}"})
    compiled: list[int] = []
    real = mat._prepared
    monkeypatch.setattr(mat, "_prepared", lambda *a, **k: compiled.append(1) or real(*a, **k))
    clinic.svc.update(clinic.customers, clinic.ids["ann"], {"Age": 41})  # compiled once for this schema
    assert clinic.values(clinic.customers, "Total")["ann"] == 191
    compiled.clear()
    stamp = schema_stamp_of(clinic.engine)
    create_view(clinic.engine, clinic.customers, "Grid")  # unrelated: a view
    base = get_table(clinic.engine, clinic.customers).base_id
    schema.create_table(clinic.engine, base, "Rooms")  # unrelated: another table
    assert schema_stamp_of(clinic.engine) != stamp
    clinic.svc.update(clinic.customers, clinic.ids["ann"], {"Age": 42})
    assert compiled == []
    assert clinic.values(clinic.customers, "Total")["ann"] == 192
    schema.add_field(clinic.engine, clinic.customers, "Phone", "phone")  # its own table changed
    clinic.svc.update(clinic.customers, clinic.ids["ann"], {"Age": 43})
    assert compiled == [1]
    schema.add_field(clinic.engine, clinic.visits, "Fee", "number")  # a table its link reads
    clinic.svc.create(clinic.visits, {"Name": "v9", "Amount": 7, "Fee": 1, "Customer": [clinic.ids["ann"]]})
    assert compiled == [1, 1]
    assert clinic.values(clinic.customers, "Total")["ann"] == 43 + 157


def schema_stamp_of(engine: Engine) -> Any:
    with engine.connect() as conn:
        return schema_stamp(conn)


def test_warm_up_compiles_the_first_writes_statements_ahead(clinic, monkeypatch):
    """After warm_statements (what the web app runs in a thread at start-up), the first record
    change of the schema state compiles no UPDATE, and writes the right values."""
    from tessera.compute import materialize as mat
    from tessera.compute.shapes import SHAPES
    from tessera.compute.warmup import start_warmup, warm_statements

    clinic.add(clinic.customers, "Total", "formula", {"formula": "SUM({Visits}.{Amount}) + {Age}"})
    clinic.add(clinic.customers, "Tier", "formula", {"formula": 'IF({Total} > 100, "A", "B")'})
    SHAPES.clear()
    compiled: list[int] = []
    real = mat._prepared
    monkeypatch.setattr(mat, "_prepared", lambda *a, **k: compiled.append(1) or real(*a, **k))
    assert warm_statements(clinic.engine) == 2
    assert len(compiled) == 2
    compiled.clear()
    clinic.svc.update(clinic.customers, clinic.ids["bob"], {"Age": 90})
    assert compiled == []
    assert clinic.values(clinic.customers, "Total")["bob"] == 120
    assert clinic.values(clinic.customers, "Tier")["bob"] == "A"
    thread = start_warmup(clinic.engine)  # the thread form: same caches, nothing left to compile
    thread.join(60)
    assert not thread.is_alive() and compiled == []
