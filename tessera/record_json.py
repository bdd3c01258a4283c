"""Rows → the API's record shape, through a conversion plan compiled once per schema.

A page of 100 rows × 8 fields used to call every field type's ``to_json`` 800 times and
re-format ``created_at``/``updated_at`` of every row: about half of a keyset page's CPU.
:func:`conversion_plan` resolves, once per set of field objects (the catalog hands out new
``FieldInfo`` objects whenever the schema stamp moves, so a schema change compiles a new plan),
each field's output name, its column, its formula-error column and which Python classes its
``to_json`` returns unchanged. Converting a row is then a positional read per field, and a
call of ``to_json`` only for values that need one (dates, datetimes, integers of number fields,
computed types). The output is exactly what each field type's ``to_json`` gives
(tests/storage/test_record_json.py compares them on every field type)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tessera.fields.base import FieldType
from tessera.fields.computed import error_column_name, has_error_column
from tessera.fields.sqltypes import format_utc

__all__ = ["ConversionPlan", "conversion_plan", "json_time", "rows_to_records"]

_NONE = type(None)
# Values the base FieldType.to_json (json_for_kind) returns as they are.
_BASE_PASSTHROUGH = frozenset({str, float, bool, _NONE})
_MAX_PLANS = 256


@dataclass(frozen=True)
class _Step:
    name: str                  # key in the record's "fields"
    field: Any                 # FieldInfo (kept: the plan's cache key is its identity)
    column: str | None
    error_column: str | None
    link_id: int | None        # link fields read the junction map instead of a column
    passthrough: frozenset[type]
    to_json: Any


@dataclass(frozen=True)
class ConversionPlan:
    steps: tuple[_Step, ...]


_plans: OrderedDict[tuple[Any, ...], ConversionPlan] = OrderedDict()
_lock = threading.Lock()


def _passthrough(field: Any) -> frozenset[type]:
    field_type = field.field_type
    if type(field_type).to_json is FieldType.to_json:
        return _BASE_PASSTHROUGH
    try:
        keeps_none = field_type.to_json(None, field) is None
    except (TypeError, ValueError, AttributeError):
        keeps_none = False
    return frozenset({_NONE}) if keeps_none else frozenset()


def _compile(fields: Sequence[Any], key: str) -> ConversionPlan:
    steps = []
    for f in fields:
        is_link = f.type == "link"
        error_column = (error_column_name(f.column or "") if has_error_column(f.field_type)
                        else None)
        steps.append(_Step(f.name if key == "name" else str(f.id), f, f.column, error_column,
                           f.id if is_link else None,
                           frozenset() if is_link else _passthrough(f), f.field_type.to_json))
    return ConversionPlan(tuple(steps))


def conversion_plan(fields: Sequence[Any], key: str = "name") -> ConversionPlan:
    """The plan for these field objects (cached by their identity; the plan holds them, so an
    id cannot be reused while its entry lives)."""
    cache_key = (key, *map(id, fields))
    with _lock:
        plan = _plans.get(cache_key)
        if plan is not None:
            _plans.move_to_end(cache_key)
            return plan
    plan = _compile(fields, key)
    with _lock:
        _plans[cache_key] = plan
        while len(_plans) > _MAX_PLANS:
            _plans.popitem(last=False)
    return plan


def json_time(value: Any, memo: dict[Any, str] | None = None) -> Any:
    """A record timestamp as 'YYYY-MM-DDTHH:MM:SSZ'. SQLite text already in that form (what
    UtcDateTime writes) is returned as is; ``memo`` reuses the text of equal datetimes (rows
    written by one bulk call share their timestamps)."""
    if value is None:
        return None
    if value.__class__ is str:
        if len(value) == 20 and value[-1] == "Z" and value[10] == "T":
            return value
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if memo is not None:
        found = memo.get(value)
        if found is not None:
            return found
    if value.tzinfo is UTC:  # isoformat is twice as fast as strftime
        text = value.isoformat()[:19] + "Z"
    else:
        text = format_utc(value)
    if memo is not None:
        memo[value] = text
    return text


def rows_to_records(plan: ConversionPlan, rows: Sequence[Any],
                    links: Mapping[int, Mapping[int, list[int]]]) -> list[dict[str, Any]]:
    """Rows (SQLAlchemy Rows or tuples with ``_fields``) → {"id", "created_at", "updated_at",
    "fields"} through ``plan``."""
    if not rows:
        return []
    names = rows[0]._fields
    pos = {name: i for i, name in enumerate(names)}
    id_i, created_i, updated_i = pos["id"], pos["created_at"], pos["updated_at"]
    compiled = []
    for s in plan.steps:
        if s.link_id is not None:
            compiled.append((s.name, -1, -1, links.get(s.link_id, {}), None, None, None))
        else:
            compiled.append((s.name, pos[s.column],
                             pos.get(s.error_column, -1) if s.error_column else -1, None,
                             s.passthrough, s.to_json, s.field))
    memo: dict[Any, str] = {}
    result = []
    for row in rows:
        rid = row[id_i]
        values: dict[str, Any] = {}
        for name, i, err_i, linked, keep, to_json, f in compiled:
            if i < 0:
                values[name] = list(linked.get(rid, ()))
                continue
            if err_i >= 0 and row[err_i]:
                values[name] = {"error": row[err_i]}
                continue
            v = row[i]
            values[name] = v if v.__class__ in keep else to_json(v, f)
        result.append({"id": rid, "created_at": json_time(row[created_i], memo),
                       "updated_at": json_time(row[updated_i], memo), "fields": values})
    return result
