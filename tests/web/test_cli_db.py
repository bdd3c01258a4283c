"""`tessera migrate`, `tessera backup PATH` and `tessera restore PATH` on both backends:
a base survives a round trip; bad backup files are refused with a clear message."""

from __future__ import annotations

import pytest

from tessera import schema_ops as schema
from tessera.cli import main
from tessera.cli.db_cmd import pg_tool
from tessera.db import create_engine
from tessera.migrate import current_revision
from tessera.records import RecordService


def _seed(url: str) -> int:
    engine = create_engine(url)
    try:
        base = schema.create_base(engine, "Clinic")
        table = schema.create_table(engine, base.id, "Patients",
                                    fields=[schema.FieldSpec("Age", "number")])
        RecordService(engine).bulk_create(table.id, [{"Name": "Ann", "Age": 31},
                                                     {"Name": "Bo", "Age": 47}])
        return table.id
    finally:
        engine.dispose()


def _snapshot(url: str) -> tuple[list[str], list[tuple]]:
    engine = create_engine(url)
    try:
        bases = [b.name for b in schema.list_bases(engine)]
        rows: list[tuple] = []
        for base in schema.list_bases(engine):
            for table in schema.list_tables(engine, base.id):
                from tessera.query import query_records

                page = query_records(engine, table.id, limit=100)
                rows += [(table.name, r["fields"]["Name"], r["fields"]["Age"]) for r in page.rows]
        return bases, rows
    finally:
        engine.dispose()


def test_migrate_is_idempotent(backend_url, capsys) -> None:
    assert main(["--db", backend_url, "migrate"]) == 0
    first = current_revision(backend_url)
    assert first is not None
    assert main(["migrate", "--db", backend_url]) == 0
    assert current_revision(backend_url) == first
    assert f"revision {first}" in capsys.readouterr().out


def test_backup_restore_round_trip(backend_url, tmp_path, capsys) -> None:
    main(["--db", backend_url, "migrate"])
    _seed(backend_url)
    before = _snapshot(backend_url)
    assert before == (["Clinic"], [("Patients", "Ann", 31.0), ("Patients", "Bo", 47.0)])
    backup_file = tmp_path / "backups" / "clinic.backup"
    assert main(["--db", backend_url, "backup", str(backup_file)]) == 0
    assert backup_file.stat().st_size > 0
    engine = create_engine(backend_url)
    try:
        schema.delete_base(engine, schema.list_bases(engine)[0].id)
        schema.create_base(engine, "Scratch")
    finally:
        engine.dispose()
    assert _snapshot(backend_url) == (["Scratch"], [])
    assert main(["--db", backend_url, "restore", str(backup_file)]) == 0
    assert _snapshot(backend_url) == before
    assert "restored" in capsys.readouterr().out


def test_sqlite_backup_is_consistent_while_the_app_writes(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'live.db'}"
    main(["--db", url, "migrate"])
    engine = create_engine(url)  # an app's engine: WAL, connections kept open
    try:
        base = schema.create_base(engine, "Live")
        with engine.connect() as reader:  # an open read transaction pins the WAL
            assert reader.exec_driver_sql("SELECT count(*) FROM bases").scalar_one() == 1
            schema.rename_base(engine, base.id, "Live renamed")
            assert main(["--db", url, "backup", str(tmp_path / "copy.db")]) == 0
    finally:
        engine.dispose()
    assert _snapshot(f"sqlite:///{tmp_path / 'copy.db'}")[0] == ["Live renamed"]


@pytest.mark.parametrize(("content", "message"), [
    (None, "does not exist"),
    (b"not a database at all", "is not"),
])
def test_restore_refuses_bad_files(backend_url, tmp_path, capsys, content, message) -> None:
    main(["--db", backend_url, "migrate"])
    _seed(backend_url)
    path = tmp_path / "bad.backup"
    if content is not None:
        path.write_bytes(content)
    assert main(["--db", backend_url, "restore", str(path)]) == 1
    assert message in capsys.readouterr().err
    assert _snapshot(backend_url)[0] == ["Clinic"]  # untouched


def test_sqlite_restore_refuses_a_foreign_sqlite_file(tmp_path, capsys) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    url = f"sqlite:///{tmp_path / 'main.db'}"
    main(["--db", url, "migrate"])
    assert main(["--db", url, "restore", str(other)]) == 1
    assert "not a Tessera database" in capsys.readouterr().err


def test_missing_pg_tools_give_a_clear_message(monkeypatch, tmp_path) -> None:
    from tessera.cli.db_cmd import BackupError

    monkeypatch.setenv("TESSERA_PG_BIN", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr("glob.glob", lambda pattern: [])
    with pytest.raises(BackupError, match="pg_dump was not found; install"):
        pg_tool("pg_dump")
