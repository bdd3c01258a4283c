"""Action option templates: a string starting with ``=`` is a formula over the trigger record's
fields and earlier steps' outputs (``="您好 " & {姓名}``, ``={task.id}``); anything else is
taken literally. Lists and dicts are rendered item by item."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from tessera.formula import ExcelError, FormulaError, evaluate
from tessera.formula import ast as A
from tessera.formula.parser import parse
from tessera.schema.catalog import TableInfo

__all__ = ["render", "record_env", "references", "TemplateError", "is_formula"]


class TemplateError(Exception):
    """A template formula failed; the message names the formula."""


def is_formula(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("=") and len(value) > 1


def _formula_value(value: Any) -> Any:
    """A record's API value as the formula interpreter wants it."""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or None
    return value


def record_env(table: TableInfo | None, record: Mapping[str, Any] | None) -> dict[str, Any]:
    """Name → formula value for the trigger record (dates as dates)."""
    if table is None or record is None:
        return {}
    env: dict[str, Any] = {}
    fields = record.get("fields", {})
    for f in table.fields:
        value = fields.get(f.name)
        kind = f.field_type.value_kind(f.options)
        if value is not None and kind == "date" and isinstance(value, str):
            value = dt.date.fromisoformat(value[:10])
        elif value is not None and kind == "datetime" and isinstance(value, str):
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00")).replace(tzinfo=None)
        env[f.name.strip()] = _formula_value(value)
    env.setdefault("id", record.get("id"))
    return env


def _json(value: Any) -> Any:
    if isinstance(value, ExcelError):
        raise TemplateError(f"the formula returned the error {value}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@lru_cache(maxsize=4096)
def references(source: str) -> frozenset[str] | None:
    """The names a template formula reads, or None when it reads more than plain ``{name}``
    references (link or column references) or does not parse.

    Why: the interpreter builds its typed dataset (and its compiled-formula cache key) from
    every value it is given; a run's environment holds the whole trigger record, so passing
    only the referenced names makes each render cheap and keeps the compiled closure cached
    across records whose other fields differ in blankness."""
    try:
        tree = parse(source)
    except FormulaError:
        return None
    names: set[str] = set()
    for node in A.walk(tree):
        if isinstance(node, A.LinkFieldRef | A.ColumnRef):
            return None
        if isinstance(node, A.FieldRef):
            names.add(node.name.strip())
    return frozenset(names)


def render(template: Any, env: Mapping[str, Any], *, today: dt.date | None = None) -> Any:
    """The template with every ``=formula`` string evaluated against ``env``."""
    if isinstance(template, dict):
        return {k: render(v, env, today=today) for k, v in template.items()}
    if isinstance(template, list):
        return [render(v, env, today=today) for v in template]
    if not is_formula(template):
        return template
    source = template[1:]
    wanted = references(source)
    if wanted is None:
        values = {k: v for k, v in env.items() if not isinstance(v, dict | list)}
    else:
        values = {k: env[k] for k in wanted if k in env and not isinstance(env[k], dict | list)}
    try:
        return _json(evaluate(source, values, today=today))
    except FormulaError as exc:
        raise TemplateError(f"{source!r}: {exc}") from exc
