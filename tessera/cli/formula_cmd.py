"""``tessera formula eval 'EXPR' --values JSON --today YYYY-MM-DD [--sql URL] [--rows JSON]``:
prints the result as JSON (errors as their code); a static error prints its message with the
position and exits with status 2."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import Any

__all__ = ["register"]


def register(subparsers: Any) -> None:
    formula = subparsers.add_parser("formula", help="formula language tools")
    commands = formula.add_subparsers(dest="formula_command", required=True)
    ev = commands.add_parser("eval", help="evaluate a formula and print the result as JSON")
    ev.add_argument("expr", help="the formula text")
    ev.add_argument("--values", default=None, help='field values as JSON, e.g. {"A": 1}')
    ev.add_argument("--rows", default=None, help="a JSON list of records (evaluates every row)")
    ev.add_argument("--today", default=None, help="fix TODAY() (YYYY-MM-DD or an ISO datetime)")
    ev.add_argument("--sql", default=None, metavar="URL", help="compile to SQL and run on this database")
    ev.add_argument("--lang", default="en", help="language of error messages (en, zh-CN)")
    ev.set_defaults(handler=run_eval)


_DATE_KEYS = ("date", "datetime")


def _decode(value: Any) -> Any:
    """JSON values; ISO date strings stay text unless given as {"date": "..."} / {"datetime": "..."}."""
    if isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _DATE_KEYS:
        kind, text = next(iter(value.items()))
        return dt.date.fromisoformat(text) if kind == "date" else dt.datetime.fromisoformat(text)
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _encode(value: Any) -> Any:
    from tessera.formula.values import ExcelError

    if isinstance(value, ExcelError):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, list):
        return [_encode(v) for v in value]
    return value


def run_eval(args: argparse.Namespace) -> int:
    from tessera.formula import FormulaError, evaluate, evaluate_sql

    values = {k: _decode(v) for k, v in json.loads(args.values).items()} if args.values else None
    rows = [{k: _decode(v) for k, v in r.items()} for r in json.loads(args.rows)] if args.rows else None
    today = None
    if args.today:
        today = dt.datetime.fromisoformat(args.today) if ("T" in args.today or " " in args.today) else dt.date.fromisoformat(args.today)
    try:
        if args.sql:
            result = evaluate_sql(args.expr, values, rows=rows, today=today, url=args.sql)
        else:
            result = evaluate(args.expr, values, rows=rows, today=today)
    except FormulaError as exc:
        print(exc.message_for(args.lang), file=sys.stderr)
        return 2
    print(json.dumps(_encode(result), ensure_ascii=False))
    return 0
