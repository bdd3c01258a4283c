"""``tessera import BASE TABLE FILE`` and ``tessera export BASE TABLE_OR_VIEW FILE``.

BASE, TABLE and views are given by name (trimmed, case- and width-insensitive) or by id. The
database is the main parser's ``--db`` (or $TESSERA_DATABASE_URL). A progress bar (tqdm) is
shown on a terminal only."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from tessera.errors import TesseraError

__all__ = ["register", "run_import", "run_export", "resolve_base", "resolve_table",
           "resolve_table_or_view"]


def register(subparsers: Any) -> None:
    imp = subparsers.add_parser(
        "import", help="import an .xlsx/.xlsm/.csv sheet into a table (upsert with --key)",
        description="Columns map to fields by name. Each cell is parsed by its field type; "
                    "rows that fail are written to a reject report (FILE.rejects.xlsx).")
    imp.add_argument("base", help="base name or id")
    imp.add_argument("table", help="table name or id")
    imp.add_argument("file", help=".xlsx, .xlsm or .csv (UTF-8 or GB18030)")
    imp.add_argument("--sheet", help="sheet name (default: the first sheet)")
    imp.add_argument("--key", metavar="FIELD",
                     help="update records whose FIELD matches; create the others")
    imp.add_argument("--link", action="append", default=[], metavar="FIELD=TARGETFIELD",
                     help="find linked records by TARGETFIELD instead of the primary field")
    imp.add_argument("--create-fields", action="store_true",
                     help="add fields (types inferred from the data) for unmatched columns")
    imp.add_argument("--all-or-nothing", action="store_true",
                     help="write nothing if any row is rejected")
    imp.add_argument("--run-automations", action="store_true",
                     help="let record automations fire for imported rows (off by default)")
    imp.add_argument("--rejects", metavar="PATH", help="reject report path (.xlsx)")
    imp.add_argument("--reader", default="auto", choices=["auto", "calamine", "openpyxl", "csv"],
                     help="spreadsheet reader (auto: calamine, openpyxl for very large sheets)")
    imp.add_argument("--json", action="store_true", help="print the result as JSON")
    imp.set_defaults(handler=run_import)
    exp = subparsers.add_parser(
        "export", help="export a table or a view to .xlsx or .csv (UTF-8 with BOM)")
    exp.add_argument("base", help="base name or id")
    exp.add_argument("table_or_view", help="table name/id, or a view name")
    exp.add_argument("file", help="output .xlsx or .csv")
    exp.add_argument("--view", help="a view of TABLE_OR_VIEW (when view names repeat)")
    exp.add_argument("--json", action="store_true", help="print the result as JSON")
    exp.set_defaults(handler=run_export)


def _engine(args: argparse.Namespace) -> Any:
    from tessera.db import create_engine, database_url

    return create_engine(database_url(getattr(args, "db", None)))


def _fail(error: TesseraError) -> int:
    print(f"error: {error.message_en}\n错误：{error.message_zh}", file=sys.stderr)
    return 2


def _find(items: list[Any], ref: str, kind: str, kind_zh: str, where: str) -> Any:
    from tessera.errors import NotFoundError
    from tessera.io.names import header_key

    if ref.isdigit():
        for item in items:
            if item.id == int(ref):
                return item
    exact = [i for i in items if i.name == ref]
    matches = exact or [i for i in items if header_key(i.name) == header_key(ref)]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise TesseraError(f"{len(matches)} {kind}s are named {ref!r}{where}; give the id.",
                           f"{where}有 {len(matches)} 个名为 {ref!r} 的{kind_zh}，请使用编号。",
                           code="ambiguous_name")
    raise NotFoundError(kind, ref)


def resolve_base(engine: Any, ref: str) -> Any:
    from tessera import schema_ops as schema

    return _find(schema.list_bases(engine), ref, "base", "数据库", "")


def resolve_table(engine: Any, base: Any, ref: str) -> Any:
    from tessera import schema_ops as schema

    return _find(schema.list_tables(engine, base.id), ref, "table", "数据表",
                 f" in base {base.name!r}")


def resolve_table_or_view(engine: Any, base: Any, ref: str, view: str | None
                          ) -> tuple[int | None, int | None]:
    """(table_id, None) or (None, view_id)."""
    from tessera import schema_ops as schema
    from tessera.errors import NotFoundError

    try:
        table = resolve_table(engine, base, ref)
    except NotFoundError:
        if view is not None:
            raise
        views = [v for t in schema.list_tables(engine, base.id)
                 for v in schema.list_views(engine, t.id)]
        return None, _find(views, ref, "view", "视图", f" in base {base.name!r}").id
    if view is None:
        return table.id, None
    return None, _find(schema.list_views(engine, table.id), view, "view", "视图",
                       f" of table {table.name!r}").id


def _links(pairs: list[str]) -> dict[str, str]:
    from tessera.io.errors import ImportFileError

    links = {}
    for pair in pairs:
        name, sep, target = pair.partition("=")
        if not sep or not name.strip() or not target.strip():
            raise ImportFileError(f"--link {pair!r}: write it as FIELD=TARGETFIELD.",
                                  f"--link {pair!r}：格式应为 字段=目标字段。",
                                  code="import_link_option")
        links[name.strip()] = target.strip()
    return links


class _Progress:
    """tqdm on a terminal; silent otherwise."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.enabled = sys.stderr.isatty()

    def __call__(self, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=" rows", file=sys.stderr, dynamic_ncols=True)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def run_import(args: argparse.Namespace) -> int:
    from tessera.io import ImportOptions, import_file

    engine = _engine(args)
    progress = _Progress()
    try:
        base = resolve_base(engine, args.base)
        table = resolve_table(engine, base, args.table)
        options = ImportOptions(sheet=args.sheet, key=args.key, links=_links(args.link),
                                create_fields=args.create_fields,
                                all_or_nothing=args.all_or_nothing,
                                run_automations=args.run_automations,
                                reject_report=args.rejects, reader=args.reader)
        result = import_file(engine, table.id, args.file, options, progress=progress)
    except TesseraError as error:
        return _fail(error)
    finally:
        progress.close()
        engine.dispose()
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if args.json
          else result.summary())
    return 0 if result.rejected == 0 else 1


def run_export(args: argparse.Namespace) -> int:
    from tessera.io import export_records

    engine = _engine(args)
    try:
        base = resolve_base(engine, args.base)
        table_id, view_id = resolve_table_or_view(engine, base, args.table_or_view, args.view)
        result = export_records(engine, args.file, table_id=table_id, view_id=view_id)
    except TesseraError as error:
        return _fail(error)
    finally:
        engine.dispose()
    print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) if args.json else
          f"{result.rows} rows / 行 → {result.path} ({result.seconds:.1f} s)")
    return 0
