"""The FieldType protocol: everything a field type declares, in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Protocol

import sqlalchemy as sa

from tessera.errors import FieldValueError, ReadOnlyFieldError
from tessera.fields.columns import ColumnResult, parse_each
from tessera.fields.sqltypes import JsonValue, UtcDateTime, format_utc

__all__ = ["FieldLike", "FieldType", "ReadOnlyType", "VALUE_KINDS", "sql_type_for_kind",
           "json_for_kind"]

VALUE_KINDS = ("number", "text", "boolean", "date", "datetime", "list")


class FieldLike(Protocol):
    """What a field type needs to know about a field: its name and options."""

    @property
    def name(self) -> str: ...

    @property
    def options(self) -> Mapping[str, Any]: ...


def sql_type_for_kind(kind: str) -> sa.types.TypeEngine[Any]:
    return {
        "number": sa.Double(),
        "text": sa.Text(),
        "boolean": sa.Boolean(),
        "date": sa.Date(),
        "datetime": UtcDateTime(),
        "list": JsonValue,
    }[kind]


def json_for_kind(value: Any) -> Any:
    """Stored Python value → JSON-friendly API value."""
    if isinstance(value, datetime):
        return format_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


class FieldType:
    """Base of every field type. Subclasses set the class attributes and override parse."""

    name: ClassVar[str]
    label_en: ClassVar[str]
    label_zh: ClassVar[str]
    kind: ClassVar[str] = "text"              # value kind formulas see
    read_only: ClassVar[bool] = False
    expected_en: ClassVar[str] = "text"
    expected_zh: ClassVar[str] = "文本"
    sortable: ClassVar[bool] = True

    # --- declaration ---------------------------------------------------------------------
    def default_options(self) -> dict[str, Any]:
        return {}

    def normalize_options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = self.default_options()
        merged.update(options or {})
        return merged

    def value_kind(self, options: Mapping[str, Any]) -> str:
        return self.kind

    def sql_type(self, options: Mapping[str, Any]) -> sa.types.TypeEngine[Any] | None:
        """Column type, or None when the field has no column of its own."""
        return sql_type_for_kind(self.value_kind(options))

    # --- values --------------------------------------------------------------------------
    def parse(self, value: Any, field: FieldLike) -> Any:
        """User input (str or JSON value) → stored value; None/'' → None."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        try:
            return self.parse_value(value, field)
        except (ValueError, TypeError, OverflowError) as exc:
            raise self.error(field, value) from exc

    def parse_value(self, value: Any, field: FieldLike) -> Any:
        raise ValueError("abstract")

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        """``parse`` for a whole column (bulk loads): the same stored values and errors, as
        ``(stored, [(index, error), …])``. Types override it with fast paths for values that
        are already in stored form (tessera/fields/columns.py)."""
        return parse_each(values, lambda value: self.parse(value, field))

    def expected(self, field: FieldLike) -> tuple[str, str]:
        return self.expected_en, self.expected_zh

    def error(self, field: FieldLike, value: Any) -> FieldValueError:
        en, zh = self.expected(field)
        return FieldValueError(field.name, value, en, zh)

    def to_json(self, stored: Any, field: FieldLike) -> Any:
        return None if stored is None else json_for_kind(stored)

    def from_json(self, value: Any, field: FieldLike) -> Any:
        """API value (as stored in history/cursors) → stored value."""
        return self.parse(value, field)

    def display(self, stored: Any, field: FieldLike) -> str:
        from tessera.fields.parsing import to_text

        return to_text(stored) or ""

    def portable(self, stored: Any, field: FieldLike) -> Any:
        """The value handed to another type's parse when converting a field."""
        return stored

    def convert(self, stored: Any, from_type: FieldType, from_field: FieldLike,
                to_field: FieldLike) -> Any:
        """Convert one stored value of ``from_type`` into this type (raises FieldValueError)."""
        if stored is None:
            return None
        return self.parse(from_type.portable(stored, from_field), to_field)

    def conversion_options(self, values: list[Any], options: dict[str, Any]) -> dict[str, Any]:
        """Options for a type change, given the portable values (selects add missing labels)."""
        return options


class ReadOnlyType(FieldType):
    """Computed fields: never accept input."""

    read_only = True

    def parse(self, value: Any, field: FieldLike) -> Any:
        raise ReadOnlyFieldError(field.name, value)

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        return [None] * len(values), [(i, ReadOnlyFieldError(field.name, v))
                                      for i, v in enumerate(values)]

    def from_json(self, value: Any, field: FieldLike) -> Any:
        return value
