"""``tessera migrate``, ``tessera backup PATH`` and ``tessera restore PATH``.

SQLite: the sqlite3 online backup API, which copies a consistent snapshot while the app keeps
running; restore checks the file is a Tessera database and copies it back the same way.
PostgreSQL: ``pg_dump -Fc`` / ``pg_restore --clean`` (found on PATH, in $TESSERA_PG_BIN or in
/usr/lib/postgresql/*/bin)."""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from tessera.cli.serve_cmd import command_url

__all__ = ["register", "run_migrate", "run_backup", "run_restore", "BackupError"]


class BackupError(Exception):
    """A backup or restore could not run; the message says why and what to do."""


def register(subparsers: Any) -> None:
    migrate = subparsers.add_parser("migrate", help="upgrade the database schema to the latest")
    migrate.add_argument("--db", dest="command_db", default=None, metavar="URL")
    migrate.set_defaults(handler=run_migrate)
    backup = subparsers.add_parser("backup", help="write a consistent backup of the database")
    backup.add_argument("path", help="backup file to write")
    backup.add_argument("--db", dest="command_db", default=None, metavar="URL")
    backup.set_defaults(handler=run_backup)
    restore = subparsers.add_parser("restore", help="replace the database with a backup")
    restore.add_argument("path", help="backup file made by `tessera backup`")
    restore.add_argument("--db", dest="command_db", default=None, metavar="URL")
    restore.set_defaults(handler=run_restore)


def run_migrate(args: argparse.Namespace) -> int:
    from tessera.migrate import current_revision, upgrade

    url = command_url(args)
    upgrade(url)
    print(f"database is at revision {current_revision(url)}")
    return 0


def run_backup(args: argparse.Namespace) -> int:
    return _run(backup, args)


def run_restore(args: argparse.Namespace) -> int:
    return _run(restore, args)


def _run(action: Any, args: argparse.Namespace) -> int:
    try:
        print(action(command_url(args), Path(args.path)))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


# --- the two operations, by backend ------------------------------------------------------
def backup(url: str, path: Path) -> str:
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_backup(_sqlite_path(url), path)
    return _pg_backup(url, path)


def restore(url: str, path: Path) -> str:
    if not path.is_file():
        raise BackupError(f"{path} does not exist; pass the file written by `tessera backup`.")
    if make_url(url).get_backend_name() == "sqlite":
        return _sqlite_restore(path, _sqlite_path(url))
    return _pg_restore(url, path)


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> str:
    if not source.is_file():
        raise BackupError(f"the database {source} does not exist; run `tessera migrate` first.")
    if target.resolve() == source.resolve():
        raise BackupError("the backup path is the database itself; choose another file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        with dst:
            src.backup(dst)  # consistent snapshot even while the app writes (WAL)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
    finally:
        dst.close()
        src.close()
    return f"backed up {source} to {target}"


def _check_sqlite_backup(path: Path) -> None:
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise BackupError(f"{path} is not a SQLite database; pass a file made by "
                              "`tessera backup`.")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        status = conn.execute("PRAGMA quick_check").fetchone()[0]
        if status != "ok":
            raise BackupError(f"{path} is damaged ({status}); use another backup.")
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
        if not {"alembic_version", "bases"} <= tables:
            raise BackupError(f"{path} is a SQLite file but not a Tessera database.")
    finally:
        conn.close()


def _sqlite_restore(backup_file: Path, database: Path) -> str:
    _check_sqlite_backup(backup_file)
    database.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    dst = sqlite3.connect(database, timeout=30)
    try:
        with dst:
            src.backup(dst)
    finally:
        dst.close()
        src.close()
    return f"restored {database} from {backup_file} (run `tessera migrate` if it is older)"


def pg_tool(name: str) -> str:
    """Path of a PostgreSQL client program (pg_dump, pg_restore), newest version first."""
    explicit = os.environ.get("TESSERA_PG_BIN")
    candidates = [os.path.join(explicit, name)] if explicit else []
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                         key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit()
                         else 0, reverse=True)
    on_path = shutil.which(name)
    candidates += [on_path] if on_path else []
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(f"{name} was not found; install the PostgreSQL client tools "
                      f"(e.g. apt-get install postgresql-client) or set TESSERA_PG_BIN "
                      f"to their directory. You can also run {name} yourself: it is the "
                      f"standard PostgreSQL format (-Fc).")


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip() or result.stdout.strip()}")


def _pg_backup(url: str, path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    _pg([pg_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(path), "-d", _libpq_url(url)],
        "pg_dump")
    return f"backed up {make_url(url).database} to {path} (pg_dump custom format)"


def _pg_restore(url: str, path: Path) -> str:
    with path.open("rb") as handle:
        if handle.read(5) != b"PGDMP":
            raise BackupError(f"{path} is not a pg_dump custom-format archive; pass a file "
                              "made by `tessera backup` (or `pg_dump -Fc`).")
    _pg([pg_tool("pg_restore"), "-l", str(path)], f"reading {path}")
    _pg([pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
         "-d", _libpq_url(url), str(path)], "pg_restore")
    return f"restored {make_url(url).database} from {path}"
