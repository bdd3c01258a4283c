"""Streaming import of an .xlsx/.xlsm/.csv sheet into a table.

Pipeline: ``open_sheet`` (reader) → ``map_columns`` (header → field) → optional field
creation (``infer_type`` on the first rows) → chunks of ``chunk_size`` rows, prepared column by
column (``RowPreparer.prepare_chunk``: links → ids, keys) → upsert by key: new rows through
``RecordService.bulk_create_columns`` (the column path: each field type parses its column,
bad rows come back as rejects, the rest is written in one statement with one history entry),
matched rows set-based through ``tessera.io.upsert.update_records`` (parsed per column, one
UPDATE statement per chunk, history per changed field as a single update records it) →
rejects to the reject report, in file order.

The garbage collector runs less often meanwhile (``tessera.io.gctune``). Everything runs in
one transaction: the good rows are committed at the end, or nothing at all
with ``all_or_nothing`` when any row was rejected. Only one chunk of rows is in memory at a
time (plus the keys seen so far, to refuse duplicates).

Extension point — automations: writes carry the actor ``import:<file>`` (see
``import_actor``); the workflow engine does not fire record triggers for that origin.
``run_automations=True`` writes as ``import+automations:<file>`` and triggers fire normally.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tessera import schema_ops as schema
from tessera.io.errors import ImportFileError
from tessera.io.gctune import fewer_collections
from tessera.io.infer import infer_type
from tessera.io.links import LinkResolver
from tessera.io.mapping import ColumnMapping, map_columns
from tessera.io.readers import SheetSource, open_sheet
from tessera.io.rejects import RejectReport
from tessera.io.rows import PreparedChunk, RowPreparer, reason_of
from tessera.io.upsert import update_records
from tessera.records import RecordService
from tessera.schema.catalog import FieldInfo, TableInfo, get_table, sa_table

__all__ = ["ImportOptions", "ImportResult", "import_file", "import_actor", "Progress",
           "IMPORT_ORIGIN", "IMPORT_WITH_AUTOMATIONS_ORIGIN", "default_reject_path",
           "resolve_key_field", "build_resolvers", "SAMPLE_ROWS"]

IMPORT_ORIGIN = "import"
IMPORT_WITH_AUTOMATIONS_ORIGIN = "import+automations"
SAMPLE_ROWS = 1000   # rows read ahead to infer the types of new fields
_KEY_BATCH = {"sqlite": 30_000, "postgresql": 5_000}   # keys per IN list, by dialect

Progress = Callable[[int, int | None], None]   # (rows read so far, estimated total)


@dataclass(frozen=True)
class ImportOptions:
    sheet: str | None = None
    key: str | None = None                       # field name or id to upsert by
    links: Mapping[str, str] = field(default_factory=dict)   # link field → target field
    create_fields: bool = False
    all_or_nothing: bool = False
    run_automations: bool = False
    reject_report: str | Path | None = None      # default: <file>.rejects.xlsx beside it
    reader: str = "auto"
    user: str | None = None                      # who imports (recorded in the actor)
    chunk_size: int = 20000


@dataclass
class ImportResult:
    file_name: str
    sheet: str | None
    reader: str
    mapping: ColumnMapping
    created_fields: list[str] = field(default_factory=list)
    rows_read: int = 0
    blank_rows: int = 0
    created: int = 0
    updated: int = 0
    rejected: int = 0
    committed: bool = False
    reject_report: Path | None = None
    change_set_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0
    write_seconds: float = 0.0     # of which in RecordService (parse, insert, history)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file_name, "sheet": self.sheet, "reader": self.reader,
                "columns": self.mapping.to_list(), "created_fields": self.created_fields,
                "rows_read": self.rows_read, "blank_rows": self.blank_rows,
                "created": self.created, "updated": self.updated, "rejected": self.rejected,
                "committed": self.committed,
                "reject_report": str(self.reject_report) if self.reject_report else None,
                "change_set_ids": self.change_set_ids, "seconds": round(self.seconds, 3),
                "write_seconds": round(self.write_seconds, 3)}

    def summary(self) -> str:
        lines = []
        for c in self.mapping.columns:
            if c.status != "mapped":
                lines.append(f"  column {c.letter} {c.header!r}: {c.to_dict()['note']} / "
                             f"{c.to_dict()['note_zh']}")
        if self.created_fields:
            lines.append(f"  new fields / 新建字段: {', '.join(self.created_fields)}")
        state = "committed / 已提交" if self.committed else \
            "NOTHING WRITTEN (all-or-nothing) / 未写入任何数据（全部或全不）"
        lines.append(f"{self.file_name}: {self.rows_read} rows read / 行已读取, "
                     f"created / 新建 {self.created}, updated / 更新 {self.updated}, "
                     f"rejected / 拒绝 {self.rejected} — {state} ({self.seconds:.1f} s)")
        if self.reject_report:
            lines.append(f"  rejected rows with reasons / 被拒绝的行及原因: {self.reject_report}")
        return "\n".join(lines)


def import_actor(file_name: str, *, run_automations: bool, user: str | None = None) -> str:
    """The RecordService actor for an import: its prefix is the origin marker."""
    origin = IMPORT_WITH_AUTOMATIONS_ORIGIN if run_automations else IMPORT_ORIGIN
    return f"{origin}:{file_name}" + (f" ({user})" if user else "")


def default_reject_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.stem + ".rejects.xlsx")


def resolve_key_field(table: TableInfo, mapping: ColumnMapping, key: str | None
                      ) -> FieldInfo | None:
    if key is None:
        return None
    field_ = table.field(int(key) if str(key).isdigit() else key)
    if field_.column is None or field_.type in ("multi_select", "long_text") or field_.read_only:
        raise ImportFileError(
            f"--key {field_.name!r}: records can only be matched by a writable text, number, "
            f"date, email, phone or select field, not {field_.type}.",
            f"--key「{field_.name}」：只能按可写的文本、数字、日期、邮箱、电话或单选字段匹配记录，"
            f"不能按 {field_.type}。", code="import_key_invalid")
    if mapping.column_for(field_) is None:
        raise ImportFileError(
            f"--key {field_.name!r}: the file has no column named {field_.name!r}.",
            f"--key「{field_.name}」：文件中没有名为「{field_.name}」的列。",
            code="import_key_missing")
    return field_


def build_resolvers(conn: Connection, table: TableInfo, mapping: ColumnMapping,
                    links: Mapping[str, str]) -> dict[int, LinkResolver]:
    for name in links:
        f = table.field(name)
        if f.type != "link":
            raise ImportFileError(f"--link {name}: {f.name!r} is not a link field.",
                                  f"--link {name}：「{f.name}」不是关联字段。",
                                  code="import_link_field_invalid")
    named = {table.field(n).id: target for n, target in links.items()}
    return {c.field.id: LinkResolver.build(conn, c.field, named.get(c.field.id))
            for c in mapping.mapped if c.field is not None and c.field.type == "link"}


def _create_fields(conn: Connection, table: TableInfo, source: SheetSource,
                   mapping: ColumnMapping) -> tuple[TableInfo, ColumnMapping, list[str],
                                                   Iterator[list[Any]]]:
    new = mapping.with_status("unmapped")
    if not new:
        return table, mapping, [], source.rows
    sample = list(itertools.islice(source.rows, SAMPLE_ROWS))
    names = []
    for column in new:
        values = [r[column.index] if column.index < len(r) else None for r in sample]
        inferred = infer_type(values)
        schema.add_field(conn, table.id, column.header, inferred.type, inferred.options)
        names.append(column.header)
    table = get_table(conn, table.id)
    return table, map_columns(source.headers, table), names, itertools.chain(sample, source.rows)


class _Run:
    """One import in progress: the chunk loop, upsert and reject bookkeeping."""

    def __init__(self, conn: Connection, table: TableInfo, preparer: RowPreparer,
                 rejects: RejectReport, result: ImportResult, actor: str) -> None:
        self.conn = conn
        self.table = table
        self.preparer = preparer
        self.rejects = rejects
        self.result = result
        self.actor = actor
        self.service = RecordService(conn)

    def reject_at(self, chunk: PreparedChunk, k: int, reasons: list[str]) -> None:
        self.rejects.add(chunk.numbers[k], chunk.cells[k], "; ".join(reasons))
        self.result.rejected += 1

    def flush(self, chunk: PreparedChunk) -> None:
        refused: dict[int, list[str]] = dict(chunk.problems)
        if self.preparer.key_field is None:   # no upsert: every row not refused is new
            rows = range(len(chunk.keys))
            new = [k for k in rows if k not in refused] if refused else list(rows)
            self.result.created += self._write(chunk, new, None, refused)
            self._reject_refused(chunk, refused)
            return
        existing = self._existing_keys([key for k, key in enumerate(chunk.keys)
                                        if key is not None and k not in refused])
        creates: list[int] = []
        updates: list[int] = []
        update_ids: list[int] = []
        for k, key in enumerate(chunk.keys):
            if k in refused:
                continue
            ids = existing.get(key, []) if key is not None else []
            if len(ids) > 1:
                key_name = self.preparer.key_field.name if self.preparer.key_field else ""
                refused[k] = [
                    f"{key_name}: {key!r} matches {len(ids)} records; make the key unique "
                    f"first / 「{key_name}」{key!r} 匹配到 {len(ids)} 条记录，请先保证键唯一"]
            elif ids:
                updates.append(k)
                update_ids.append(ids[0])
            else:
                creates.append(k)
        self.result.created += self._write(chunk, creates, None, refused)
        self.result.updated += self._write(chunk, updates, update_ids, refused)
        self._reject_refused(chunk, refused)

    def _reject_refused(self, chunk: PreparedChunk, refused: dict[int, list[str]]) -> None:
        for k in sorted(refused):   # the reject report lists a chunk's rows in file order
            self.reject_at(chunk, k, refused[k])

    def _write(self, chunk: PreparedChunk, rows: list[int], record_ids: list[int] | None,
               refused: dict[int, list[str]]) -> int:
        """Create (``record_ids`` None) or update the chunk's ``rows`` through the column
        path; rows with bad values are refused with the field types' reasons."""
        if not rows:
            return 0
        everything = len(rows) == len(chunk.keys)
        columns = {fid: (col if everything else [col[k] for k in rows])
                   for fid, col in chunk.columns.items()}
        started = time.perf_counter()
        if record_ids is None:
            outcome = self.service.bulk_create_columns(self.table.id, columns,
                                                       actor=self.actor, skip_invalid=True)
        else:
            outcome = update_records(self.service, self.conn, self.table, record_ids, columns,
                                     self.actor)
        self.result.write_seconds += time.perf_counter() - started
        for error in outcome.errors:
            refused.setdefault(rows[error.row or 0], []).append(reason_of(error))
        self._note_change_set(outcome.change_set_id)
        return len(outcome.ids)

    def _note_change_set(self, change_set_id: int | None) -> None:
        if change_set_id and (not self.result.change_set_ids
                              or self.result.change_set_ids[-1] != change_set_id):
            self.result.change_set_ids.append(change_set_id)

    def _existing_keys(self, keys: list[Any]) -> dict[Any, list[int]]:
        key_field = self.preparer.key_field
        found: dict[Any, list[int]] = {}
        if not keys or key_field is None:
            return found
        t = sa_table(self.table)
        column = t.c[key_field.column or ""]
        # Few big IN lists: without an index on the key column every statement scans the
        # table (SQLite allows 32,766 variables per statement; PostgreSQL's IN lists stay
        # short and its planner hashes them).
        size = _KEY_BATCH.get(self.conn.dialect.name, 900)
        for start in range(0, len(keys), size):
            for rid, value in self.conn.execute(sa.select(t.c.id, column).where(
                    column.in_(keys[start:start + size]))).all():
                found.setdefault(value, []).append(rid)
        return found


def _blank(cells: list[Any]) -> bool:
    return cells.count(None) == len(cells) or all(
        v is None or (isinstance(v, str) and not v.strip()) for v in cells)


def _blank_rows(batch: list[list[Any]]) -> set[int]:
    """The rows of ``batch`` with no value. A row whose first cell holds a value is decided
    by that cell alone (the usual case, tested in one comprehension); the others cell by
    cell."""
    suspects = [k for k, cells in enumerate(batch)
                if not cells or cells[0] is None
                or (cells[0].__class__ is str and not cells[0].strip())]
    return {k for k in suspects if _blank(batch[k])}


def import_file(engine: Engine, table_id: int, path: str | Path,
                options: ImportOptions | None = None, *,
                progress: Progress | None = None) -> ImportResult:
    """Import one sheet of ``path`` into table ``table_id``; see the module docstring."""
    options = options or ImportOptions()
    started = time.perf_counter()
    path = Path(path)
    with fewer_collections(), open_sheet(path, options.sheet, reader=options.reader) as source, \
            engine.connect() as conn:
        transaction = conn.begin()
        try:
            result = _run(conn, table_id, source, path, options, progress)
            if result.rejected and options.all_or_nothing:
                transaction.rollback()
                result.created = result.updated = 0
                result.change_set_ids = []
            else:
                transaction.commit()
                result.committed = True
        except BaseException:
            transaction.rollback()
            raise
    result.seconds = time.perf_counter() - started
    return result


def _run(conn: Connection, table_id: int, source: SheetSource, path: Path,
         options: ImportOptions, progress: Progress | None) -> ImportResult:
    table = get_table(conn, table_id)
    mapping = map_columns(source.headers, table)
    rows: Iterator[list[Any]] = source.rows
    created_fields: list[str] = []
    if options.create_fields:
        table, mapping, created_fields, rows = _create_fields(conn, table, source, mapping)
    if not mapping.mapped:
        raise ImportFileError(
            f"{source.file_name}: no column matches a field of {table.name!r} (columns: "
            f"{', '.join(source.headers)}). Rename the columns to the field names or use "
            "--create-fields.",
            f"{source.file_name}：没有列与「{table.name}」的字段同名（列：{'、'.join(source.headers)}）。"
            "请将列名改为字段名，或使用 --create-fields。", code="import_no_columns")
    key_field = resolve_key_field(table, mapping, options.key)
    resolvers = build_resolvers(conn, table, mapping, options.links)
    preparer = RowPreparer(mapping, key_field, resolvers)
    result = ImportResult(source.file_name, source.sheet, source.reader, mapping,
                          created_fields)
    report = RejectReport(options.reject_report or default_reject_path(path), source.headers)
    actor = import_actor(source.file_name, run_automations=options.run_automations,
                         user=options.user)
    run = _Run(conn, table, preparer, report, result, actor)
    number = source.header_row
    while batch := list(itertools.islice(rows, options.chunk_size)):
        numbers = list(range(number + 1, number + 1 + len(batch)))
        number += len(batch)
        result.rows_read += len(batch)
        blank = _blank_rows(batch)
        if blank:
            result.blank_rows += len(blank)
            numbers = [n for k, n in enumerate(numbers) if k not in blank]
            batch = [cells for k, cells in enumerate(batch) if k not in blank]
        if batch:
            run.flush(preparer.prepare_chunk(numbers, batch))
        del batch, numbers   # one chunk in memory: not this one while the next is read
        if progress:
            progress(result.rows_read, source.total_rows)
    if progress and not result.rows_read:
        progress(0, source.total_rows)
    result.reject_report = report.close()
    return result
