"""Full recomputes read aggregates over a link from one grouped statement per link
(tessera/compute/link_groups.py) and give exactly what the per-record correlated SQL gives."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tessera.compute import preview_formula, recompute_table

FORMULAS = {
    "S": "SUM({Visits}.{Amount})",
    "C": "COUNT({Visits}.{Amount})",
    "M": "MAX({Visits}.{Day})",
    "I": 'SUMIFS({Visits}.{Amount}, {Visits}.{Day}, ">=2024-02-01")',
    "L": 'SUMIFS({Visits}.{Amount}, {Visits}.{Amount}, ">"&{Age})',  # reads the record: correlated
    "A": "COUNTA({Visits}.{Day}) + AVERAGE({Visits}.{Amount})",
    "P": "PRODUCT({Visits}.{Amount}) + MIN({Visits}.{Amount})",
    "O": "OR({Visits}.{Amount})",
    # grouped aggregates nested in subqueries (a derived table of numbers, a correlated criterion)
    "N": "MEDIAN(SUM({Visits}.{Amount}), 1, COUNT({Visits}.{Amount}))",
    "Q": 'SUMIFS({Visits}.{Amount}, {Visits}.{Amount}, "<"&MAX({Visits}.{Amount}))',
}


@pytest.fixture
def statements(clinic):
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    sa.event.listen(clinic.engine, "before_cursor_execute", record)
    yield seen
    sa.event.remove(clinic.engine, "before_cursor_execute", record)


def test_full_recompute_groups_every_aggregate_of_a_link_in_one_statement(clinic, statements):
    blank = clinic.svc.create(clinic.visits, {"Name": "v4", "Day": "2024-04-01"})["id"]
    clinic.svc.update(clinic.customers, clinic.ids["bob"], {"Visits": [clinic.ids["v3"], blank]})
    for name, formula in FORMULAS.items():
        clinic.add(clinic.customers, name, "formula", {"formula": formula})
    expected = {name: preview_formula(clinic.engine, clinic.customers, formula).to_dict()["rows"]
                for name, formula in FORMULAS.items()}  # preview: correlated subqueries per record
    for name in FORMULAS:
        column = clinic.field(clinic.customers, name).column
        clinic.poke(clinic.customers, column, "ann", None)
        clinic.poke(clinic.customers, column, "cat", 12345 if name not in ("M", "O") else None)
    statements.clear()
    recompute_table(clinic.engine, clinic.customers)
    creates = [s for s in statements if "CREATE TEMPORARY TABLE" in s]
    assert len(creates) == 1 and "GROUP BY" in creates[0]
    # none of them reads another, so one UPDATE writes all ten columns (L's aggregate stays correlated)
    updates = [s for s in statements if s.lstrip().startswith(("UPDATE", "WITH")) and "UPDATE" in s]
    assert len(updates) == 1 and "tx_grp_1" in updates[0]
    for name in FORMULAS:
        # (a value with an error column is blanked there: CASE WHEN (calc.e<k> IS NULL) THEN calc.v<k>)
        assert re.search(rf"\b{clinic.field(clinic.customers, name).column}=(CASE WHEN \(calc\.e\d+ IS NULL\) "
                         r"THEN )?calc\.v\d+", updates[0].split(" SET ", 1)[1]), name
    for name in FORMULAS:
        got = [{"id": rid, "value": clinic.svc.get(clinic.customers, rid)["fields"][name]}
               for rid in (clinic.ids["ann"], clinic.ids["bob"], clinic.ids["cat"])]
        assert got == expected[name], name
    assert clinic.values(clinic.customers, "A")["cat"] == {"error": "#DIV/0!"}


def test_full_recompute_writes_one_update_per_dependency_level_and_only_changed_rows(clinic, statements):
    """T and K read only the link, G and H read T: two UPDATEs of the customers table, G and H
    computed from the T just written; a second run writes no row."""
    formulas = {"T": "SUM({Visits}.{Amount})", "K": "COUNT({Visits}.{Amount})",
                "G": 'IF({T}>=20,"big",IF({T}>0,"small","none"))', "H": "{T} * 2 + {K}"}
    for name, formula in formulas.items():
        clinic.add(clinic.customers, name, "formula", {"formula": formula})
    expected = {name: preview_formula(clinic.engine, clinic.customers, formula).to_dict()["rows"]
                for name, formula in formulas.items()}
    for name in formulas:
        clinic.poke(clinic.customers, clinic.field(clinic.customers, name).column, "ann", None)
    statements.clear()
    rowcounts: list[int] = []  # rows each UPDATE wrote
    before: list[int] = []

    def written(cursor) -> int:  # sqlite3 reports -1 as the rowcount of a WITH … UPDATE
        raw = cursor.connection
        return raw.total_changes if hasattr(raw, "total_changes") else cursor.rowcount

    def start(_conn, cursor, statement, *_args):
        if "UPDATE" in statement:
            before[:] = [written(cursor) if hasattr(cursor.connection, "total_changes") else 0]

    def count(_conn, cursor, statement, *_args):
        if "UPDATE" in statement:
            rowcounts.append(written(cursor) - before[0])

    sa.event.listen(clinic.engine, "before_cursor_execute", start)
    sa.event.listen(clinic.engine, "after_cursor_execute", count)
    try:
        recompute_table(clinic.engine, clinic.customers)
        updates = [s for s in statements if "UPDATE" in s]
        assert len(updates) == 2, updates
        first, second = (u.split(" SET ", 1)[1] for u in updates)
        assert all(f"{clinic.field(clinic.customers, n).column}=" in first for n in "TK")
        assert all(f"{clinic.field(clinic.customers, n).column}=" in second for n in "GH")
        assert rowcounts[0] == 1 and rowcounts[1] == 1  # only ann was blanked
        for name in formulas:
            got = [{"id": rid, "value": clinic.svc.get(clinic.customers, rid)["fields"][name]}
                   for rid in (clinic.ids["ann"], clinic.ids["bob"], clinic.ids["cat"])]
            assert got == expected[name], name
        rowcounts.clear()
        recompute_table(clinic.engine, clinic.customers)
        assert rowcounts == [0, 0]  # nothing differs: no row written
    finally:
        sa.event.remove(clinic.engine, "after_cursor_execute", count)
        sa.event.remove(clinic.engine, "before_cursor_execute", start)


def test_grouped_tables_are_rebuilt_after_the_run_writes_their_target(clinic):
    """A rollup over a computed field of the linked table sees the values written earlier
    in the same run (the grouped table over that table is rebuilt, not reused)."""
    clinic.add(clinic.customers, "Total", "formula", {"formula": "SUM({Visits}.{Amount})"})
    clinic.add(clinic.visits, "Share", "formula", {"formula": "{Amount} / MAX(1, SUM({Customer}.{Total}))"})
    clinic.add(clinic.customers, "Shares", "formula", {"formula": "ROUND(SUM({Visits}.{Share}), 6)"})
    clinic.poke(clinic.customers, clinic.field(clinic.customers, "Total").column, "ann", 1.0)
    clinic.poke(clinic.visits, clinic.field(clinic.visits, "Share").column, "v1", 99.0)  # stale
    recompute_table(clinic.engine, clinic.customers)
    assert clinic.values(clinic.customers, "Shares") == {"ann": 1.0, "bob": 1.0, "cat": 0.0}


def test_no_temporary_table_outlives_the_run(clinic):
    clinic.add(clinic.customers, "Total", "formula", {"formula": "SUM({Visits}.{Amount})"})
    recompute_table(clinic.engine, clinic.customers)
    with clinic.engine.connect() as conn:
        catalog = "SELECT name FROM sqlite_temp_master" if conn.dialect.name == "sqlite" else \
            "SELECT relname FROM pg_class"
        names = conn.execute(sa.text(f"{catalog} WHERE {catalog.split()[1]} LIKE :pattern"),
                             {"pattern": "tx_grp%"}).all()
    assert names == []


def test_grouped_table_computes_only_the_aggregates_statements_read(clinic, statements):
    """SUM's SQL builds the partial aggregates PRODUCT and MIN/MAX would use (sum of ln|x|,
    counts of negatives and zeros); the grouped table leaves out those no statement reads."""
    formulas = {"S": "SUM({Visits}.{Amount})", "M": "MAX({Visits}.{Day})",
                "P": "PRODUCT({Visits}.{Amount})"}
    for name, formula in formulas.items():
        clinic.add(clinic.customers, name, "formula", {"formula": formula})
    expected = {name: preview_formula(clinic.engine, clinic.customers, formula).to_dict()["rows"]
                for name, formula in formulas.items()}
    for name in formulas:
        clinic.poke(clinic.customers, clinic.field(clinic.customers, name).column, "ann", None)
    statements.clear()
    recompute_table(clinic.engine, clinic.customers)
    creates = [s for s in statements if "CREATE TEMPORARY TABLE" in s]
    assert len(creates) == 1
    select = creates[0].split(" GROUP BY ")[0]
    # S: sum; M: max of the day; P: count, sum of ln|x|, negatives, zeros (no min, no day sums)
    assert select.count(" AS a") == 6, select
    assert "min(" not in select and select.count("ln(") == 1
    for name in formulas:
        got = [{"id": rid, "value": clinic.svc.get(clinic.customers, rid)["fields"][name]}
               for rid in (clinic.ids["ann"], clinic.ids["bob"], clinic.ids["cat"])]
        assert got == expected[name], name
