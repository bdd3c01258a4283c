"""How each field type's stored values are written to a spreadsheet cell.

``CODECS`` is the registry: one ``CellCodec`` per value family declares the Excel number format
(from the field's options), the xlsx cell value and the CSV text. Field types map to a codec
in ``CODEC_OF_TYPE``; computed types (formula, lookup, rollup) use the codec of their result
kind. Error codes of computed cells are written as the code text (#DIV/0!, …)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tessera.fields.parsing import to_text, zone
from tessera.schema.catalog import FieldInfo

__all__ = ["CellCodec", "CODECS", "codec_for", "number_text"]


def number_text(value: float) -> str:
    """The shortest text that reads back as the same float (12.0 → '12')."""
    if float(value).is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _local(value: dt.datetime, f: FieldInfo) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone(f.options.get("timezone"))).replace(tzinfo=None)


def _decimals(f: FieldInfo, default: int) -> str:
    precision = int(f.options.get("precision", default) or 0)
    return "." + "0" * precision if precision > 0 else ""


def _list_text(value: Any) -> str:
    return ", ".join(to_text(v) or "" for v in value) if isinstance(value, list) else \
        to_text(value) or ""


@dataclass(frozen=True)
class CellCodec:
    name: str
    number_format: Callable[[FieldInfo], str | None]
    xlsx: Callable[[Any, FieldInfo], Any]
    csv: Callable[[Any, FieldInfo], str]


def _same(value: Any, f: FieldInfo) -> Any:
    return value


def _percent_text(value: Any, f: FieldInfo) -> str:
    scaled = Decimal(repr(float(value))) * 100
    text = format(scaled.normalize(), "f")
    return text + "%"


CODECS: dict[str, CellCodec] = {c.name: c for c in (
    CellCodec("text", lambda f: None, lambda v, f: v if type(v) is str else to_text(v),
              lambda v, f: v if type(v) is str else to_text(v) or ""),
    CellCodec("number", lambda f: "#,##0" + _decimals(f, 2), lambda v, f: float(v),
              lambda v, f: number_text(v)),
    CellCodec("currency", lambda f: f'"{f.options.get("symbol", "¥")}"#,##0{_decimals(f, 2)}',
              lambda v, f: float(v), lambda v, f: number_text(v)),
    CellCodec("percent", lambda f: "0" + _decimals(f, 0) + "%", lambda v, f: float(v),
              _percent_text),
    CellCodec("boolean", lambda f: None, lambda v, f: bool(v),
              lambda v, f: "TRUE" if v else "FALSE"),
    CellCodec("date", lambda f: "yyyy-mm-dd", _same,
              lambda v, f: v.isoformat() if isinstance(v, dt.date) else to_text(v) or ""),
    CellCodec("datetime", lambda f: "yyyy-mm-dd hh:mm:ss",
              lambda v, f: _local(v, f) if isinstance(v, dt.datetime) else v,
              lambda v, f: _local(v, f).strftime("%Y-%m-%d %H:%M:%S")
              if isinstance(v, dt.datetime) else to_text(v) or ""),
    CellCodec("list", lambda f: None, lambda v, f: _list_text(v), lambda v, f: _list_text(v)),
    CellCodec("id", lambda f: "0", lambda v, f: int(v), lambda v, f: str(int(v))),
)}

CODEC_OF_TYPE: dict[str, str] = {
    "number": "number", "currency": "currency", "percent": "percent", "checkbox": "boolean",
    "date": "date", "datetime": "datetime", "created_time": "datetime",
    "modified_time": "datetime", "multi_select": "list", "link": "list", "autonumber": "id",
}


def codec_for(f: FieldInfo) -> CellCodec:
    name = CODEC_OF_TYPE.get(f.type)
    if name is None:
        kind = f.field_type.value_kind(f.options)
        name = {"number": "number", "boolean": "boolean", "date": "date",
                "datetime": "datetime", "list": "list"}.get(kind, "text")
        if f.type in ("formula", "rollup", "lookup") and kind == "number":
            fmt = f.options.get("format")
            name = fmt if fmt in ("currency", "percent") else "number"
    return CODECS[name]
