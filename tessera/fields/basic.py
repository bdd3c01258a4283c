"""Scalar field types: text family, numbers, checkbox, dates, selects."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from tessera.fields.base import FieldLike, FieldType
from tessera.fields.columns import (
    NONE_TYPE,
    ColumnResult,
    finite_floats,
    kinds_within,
    naive_to_utc,
    parse_each,
    phone_digits,
    plain_text,
    valid_as_is,
)
from tessera.fields.parsing import (
    normalize,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_number,
    to_text,
    zone,
)
from tessera.fields.sqltypes import format_utc

__all__ = ["TextType", "LongTextType", "EmailType", "PhoneType", "UrlType", "NumberType",
           "CurrencyType", "PercentType", "CheckboxType", "DateType", "DateTimeType",
           "SingleSelectType", "MultiSelectType"]


class TextType(FieldType):
    name = "text"
    label_en, label_zh = "Single line text", "单行文本"

    def parse_value(self, value: Any, field: FieldLike) -> str:
        text = to_text(value) or ""
        return " ".join(text.splitlines()).strip()

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        if kinds_within(values, {str}) and plain_text(values):
            return list(values), []
        return parse_each(values, lambda v: self.parse(v, field), fast={str: _plain_line})


class LongTextType(FieldType):
    name = "long_text"
    label_en, label_zh = "Long text", "多行文本"

    def parse_value(self, value: Any, field: FieldLike) -> str:
        return to_text(value) or ""

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        if kinds_within(values, {str}) and all(map(str.strip, values)):
            return list(values), []
        return parse_each(values, lambda v: self.parse(v, field), fast={str: _not_blank})


def _plain_line(text: str) -> str:
    """Text a single-line field stores unchanged, else ValueError (parse decides)."""
    if text and text.isprintable() and text[0] != " " and text[-1] != " ":
        return text
    raise ValueError("needs the full parser")


def _not_blank(text: str) -> str:
    if text.strip():
        return text
    raise ValueError("blank")


def _finite(number: float) -> float:
    if number - number == 0.0:   # NaN and ±inf give NaN
        return number
    raise ValueError("not finite")


def _iso_date(text: str) -> date:
    """'YYYY-MM-DD' (the common exact form) without the regex parser."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii():
        return date.fromisoformat(text)
    raise ValueError("needs the full parser")


def _date_of(value: datetime) -> date:
    return value.date()


class EmailType(FieldType):
    name = "email"
    label_en, label_zh = "Email", "邮箱"
    expected_en, expected_zh = "an email address like name@example.com", "邮箱地址，如 name@example.com"
    _pattern = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

    def parse_value(self, value: Any, field: FieldLike) -> str:
        if not isinstance(value, str):
            raise ValueError("not text")
        text = normalize(value)
        if not self._pattern.fullmatch(text):
            raise ValueError("not an email")
        return text

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        if kinds_within(values, {str, NONE_TYPE}) and valid_as_is(values, self._pattern):
            return list(values), []
        return super().parse_column(values, field)


class PhoneType(FieldType):
    name = "phone"
    label_en, label_zh = "Phone", "电话"
    expected_en, expected_zh = "a phone number like +86 138 0013 8000", "电话号码，如 +86 138 0013 8000"
    _pattern = re.compile(r"\+?[\d\s\-().]{3,30}(\s*(ext|x|转)\s*\d{1,6})?", re.IGNORECASE)

    def parse_value(self, value: Any, field: FieldLike) -> str:
        text = normalize(to_text(value) or "")
        if not self._pattern.fullmatch(text) or sum(map(str.isdigit, text)) < 3:
            raise ValueError("not a phone number")
        return text

    # the same test in one pattern (at least 3 digits), for whole columns
    _column_pattern = re.compile(r"(?=(?:\D*\d){3})" + _pattern.pattern, re.IGNORECASE)

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        if kinds_within(values, {str, NONE_TYPE}) and (
                phone_digits(values) or valid_as_is(values, self._column_pattern)):
            return list(values), []
        return super().parse_column(values, field)


class UrlType(FieldType):
    name = "url"
    label_en, label_zh = "URL", "网址"
    expected_en, expected_zh = "a web address like https://example.com", "网址，如 https://example.com"
    _pattern = re.compile(r"(https?://)?[\w\-]+(\.[\w\-]+)+(:\d+)?([/?#]\S*)?", re.IGNORECASE)

    def parse_value(self, value: Any, field: FieldLike) -> str:
        if not isinstance(value, str):
            raise ValueError("not text")
        text = normalize(value)
        if not self._pattern.fullmatch(text):
            raise ValueError("not a url")
        return text if re.match(r"https?://", text, re.IGNORECASE) else "https://" + text


class NumberType(FieldType):
    name = "number"
    label_en, label_zh = "Number", "数字"
    kind = "number"
    expected_en, expected_zh = "a number like 1,234.50", "数字，如 1,234.50"

    def default_options(self) -> dict[str, Any]:
        return {"precision": 2}

    def parse_value(self, value: Any, field: FieldLike) -> float:
        if isinstance(value, list):
            raise ValueError("list")
        number, _percent = parse_number(value)
        if number != number or number in (float("inf"), float("-inf")):
            raise ValueError("not finite")
        return number

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        kinds = set(map(type, values))
        if kinds <= {float, NONE_TYPE} and finite_floats(values):
            return list(values), []
        if kinds <= {float, int, NONE_TYPE}:   # Excel integers arrive as int
            try:
                floats = ([v if v is None else float(v) for v in values] if NONE_TYPE in kinds
                          else list(map(float, values)))
            except OverflowError:   # an int too big for a float: parse words the error
                floats = [float("inf")]
            if finite_floats(floats):
                return floats, []
        return parse_each(values, lambda v: self.parse(v, field),
                          fast={float: _finite, int: float})

    def portable(self, stored: Any, field: FieldLike) -> Any:
        return float(stored)

    def display(self, stored: Any, field: FieldLike) -> str:
        if stored is None:
            return ""
        return f"{stored:,.{int(field.options.get('precision', 2))}f}"


class CurrencyType(NumberType):
    name = "currency"
    label_en, label_zh = "Currency", "货币"
    expected_en, expected_zh = "an amount like ¥1,234.50", "金额，如 ¥1,234.50"

    def default_options(self) -> dict[str, Any]:
        return {"symbol": "¥", "precision": 2}

    def display(self, stored: Any, field: FieldLike) -> str:
        if stored is None:
            return ""
        sign = "-" if stored < 0 else ""
        precision = int(field.options.get("precision", 2))
        return f"{sign}{field.options.get('symbol', '¥')}{abs(stored):,.{precision}f}"


class PercentType(NumberType):
    """Stored as a fraction (50% → 0.5). Typed text without % is read as percent, like Excel."""

    name = "percent"
    label_en, label_zh = "Percent", "百分比"
    expected_en, expected_zh = "a percentage like 50%", "百分比，如 50%"

    def default_options(self) -> dict[str, Any]:
        return {"precision": 0}

    def parse_value(self, value: Any, field: FieldLike) -> float:
        number = super().parse_value(value, field)
        if isinstance(value, str) and not parse_number(value)[1]:
            number /= 100
        return number

    def display(self, stored: Any, field: FieldLike) -> str:
        if stored is None:
            return ""
        return f"{stored * 100:.{int(field.options.get('precision', 0))}f}%"


class CheckboxType(FieldType):
    name = "checkbox"
    label_en, label_zh = "Checkbox", "复选框"
    kind = "boolean"
    expected_en, expected_zh = "yes/no (TRUE, FALSE, 是, 否, √)", "是/否（TRUE、FALSE、是、否、√）"

    def parse_value(self, value: Any, field: FieldLike) -> bool:
        if isinstance(value, list):
            raise ValueError("list")
        return parse_bool(value)

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        if kinds_within(values, {bool, NONE_TYPE}):
            return list(values), []
        return parse_each(values, lambda v: self.parse(v, field), keep=frozenset({bool}))

    def display(self, stored: Any, field: FieldLike) -> str:
        return "✓" if stored else ""


class DateType(FieldType):
    name = "date"
    label_en, label_zh = "Date", "日期"
    kind = "date"
    expected_en, expected_zh = "a date like 2024-01-05, 2024/1/5 or 2024年1月5日", "日期，如 2024-01-05、2024/1/5 或 2024年1月5日"

    def parse_value(self, value: Any, field: FieldLike) -> Any:
        return parse_date(value)

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        if kinds_within(values, {date, NONE_TYPE}):
            return list(values), []
        return parse_each(values, lambda v: self.parse(v, field), keep=frozenset({date}),
                          fast={str: _iso_date, datetime: _date_of})

    def display(self, stored: Any, field: FieldLike) -> str:
        return "" if stored is None else stored.isoformat()


class DateTimeType(FieldType):
    """Stored in UTC; ``options.timezone`` reads naive input and formats display."""

    name = "datetime"
    label_en, label_zh = "Date and time", "日期时间"
    kind = "datetime"
    expected_en = "a date and time like 2024-01-05 14:30"
    expected_zh = "日期时间，如 2024-01-05 14:30"

    def default_options(self) -> dict[str, Any]:
        return {"timezone": "UTC"}

    def parse_value(self, value: Any, field: FieldLike) -> Any:
        return parse_datetime(value, zone(field.options.get("timezone")))

    def parse_column(self, values: Sequence[Any], field: FieldLike) -> ColumnResult:
        tz = zone(field.options.get("timezone"))
        converted = naive_to_utc(values, tz)   # naive times, one offset over the column
        if converted is not None:
            return converted, []

        def moment(value: datetime) -> datetime:  # parse_datetime's steps for a datetime
            if value.tzinfo is None:
                if tz is UTC:
                    return value.replace(tzinfo=UTC, microsecond=0)
                value = value.replace(tzinfo=tz)
            return value.astimezone(UTC).replace(microsecond=0)
        return parse_each(values, lambda v: self.parse(v, field), fast={datetime: moment})

    def from_json(self, value: Any, field: FieldLike) -> Any:
        return None if value is None else parse_datetime(value)

    def to_json(self, stored: Any, field: FieldLike) -> Any:
        return None if stored is None else format_utc(stored)

    def display(self, stored: Any, field: FieldLike) -> str:
        if stored is None:
            return ""
        return stored.astimezone(zone(field.options.get("timezone"))).strftime("%Y-%m-%d %H:%M")


def _labels(options: Mapping[str, Any]) -> list[str]:
    return [c["label"] for c in options.get("choices", [])]


def _match_label(text: str, options: Mapping[str, Any]) -> str:
    wanted = normalize(text).casefold()
    for label in _labels(options):
        if normalize(label).casefold() == wanted:
            return label
    raise ValueError("unknown option")


_COLORS = ["blue", "green", "orange", "red", "purple", "teal", "yellow", "gray", "pink", "cyan"]


def _with_choices(values: list[Any], options: dict[str, Any]) -> dict[str, Any]:
    choices = list(options.get("choices", []))
    known = {normalize(c["label"]).casefold() for c in choices}
    for value in values:
        items = value if isinstance(value, list) else _split(to_text(value) or "")
        for item in items:
            label = (to_text(item) or "").strip()
            if label and normalize(label).casefold() not in known:
                known.add(normalize(label).casefold())
                choices.append({"label": label, "color": _COLORS[len(choices) % len(_COLORS)]})
    return {**options, "choices": choices}


def _choices(options: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The select options as ``[{"label", "color"}]``: plain strings and ``name`` for ``label``
    are accepted; anything else is refused with a message naming the bad entry."""
    from tessera.errors import SchemaError

    raw = (options or {}).get("choices") or []
    if not isinstance(raw, list):
        raise SchemaError("Select options ('choices') must be a list of labels.",
                          "选项（choices）必须是标签列表。")
    choices: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in raw:
        label = entry if isinstance(entry, str) else (
            entry.get("label", entry.get("name")) if isinstance(entry, dict) else None)
        if not isinstance(label, str) or not label.strip():
            raise SchemaError(f"Option {entry!r} has no label: give each option a non-empty label.",
                              f"选项 {entry!r} 没有名称：请为每个选项填写名称。")
        label = label.strip()
        if normalize(label).casefold() in seen:
            raise SchemaError(f"Option {label!r} appears twice; keep one.",
                              f"选项「{label}」重复，请只保留一个。")
        seen.add(normalize(label).casefold())
        color = entry.get("color") if isinstance(entry, dict) else None
        if not isinstance(color, str) or not color:
            color = _COLORS[len(choices) % len(_COLORS)]
        choices.append({"label": label, "color": color})
    return choices


class _SelectType(FieldType):
    def default_options(self) -> dict[str, Any]:
        return {"choices": []}

    def normalize_options(self, options: Mapping[str, Any] | None) -> dict[str, Any]:
        merged = super().normalize_options(options)
        merged["choices"] = _choices(merged)
        return merged


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，;；、\n]", text) if part.strip()]


class SingleSelectType(_SelectType):
    name = "single_select"
    label_en, label_zh = "Single select", "单选"

    def expected(self, field: FieldLike) -> tuple[str, str]:
        labels = ", ".join(_labels(field.options)) or "(no options defined)"
        return f"one of: {labels}", f"以下选项之一：{labels}"

    def parse_value(self, value: Any, field: FieldLike) -> str:
        if isinstance(value, list):
            if len(value) != 1:
                raise ValueError("several options")
            value = value[0]
        return _match_label(to_text(value) or "", field.options)

    def conversion_options(self, values: list[Any], options: dict[str, Any]) -> dict[str, Any]:
        return _with_choices([v for v in values if not isinstance(v, list) or len(v) <= 1],
                             options)


class MultiSelectType(_SelectType):
    name = "multi_select"
    label_en, label_zh = "Multiple select", "多选"
    kind = "list"
    sortable = False

    def expected(self, field: FieldLike) -> tuple[str, str]:
        labels = ", ".join(_labels(field.options)) or "(no options defined)"
        return (f"options from: {labels} (separated by commas)",
                f"以下选项（用逗号分隔）：{labels}")

    def parse_value(self, value: Any, field: FieldLike) -> list[str] | None:
        items = value if isinstance(value, list) else _split(to_text(value) or "")
        result: list[str] = []
        for item in items:
            label = _match_label(to_text(item) or "", field.options)
            if label not in result:
                result.append(label)
        return result or None

    def display(self, stored: Any, field: FieldLike) -> str:
        return ", ".join(stored or [])

    def conversion_options(self, values: list[Any], options: dict[str, Any]) -> dict[str, Any]:
        return _with_choices(values, options)
