"""Domain exceptions with user-facing messages in English and Chinese.

Engine modules raise these; the web layer maps ``http_status`` and ``to_dict()`` to its one
error shape. ``code`` is stable (usable as an i18n id)."""

from __future__ import annotations

from typing import Any

__all__ = [
    "TesseraError",
    "NotFoundError",
    "SchemaError",
    "NameConflictError",
    "FieldValueError",
    "RecordValidationError",
    "ReadOnlyFieldError",
    "QueryError",
]


class TesseraError(Exception):
    """Base of every user-facing error: a code, an English and a Chinese message."""

    http_status = 400
    code = "error"

    def __init__(self, message_en: str, message_zh: str, *, code: str | None = None,
                 details: dict[str, Any] | None = None) -> None:
        super().__init__(message_en)
        self.message_en = message_en
        self.message_zh = message_zh
        if code:
            self.code = code
        self.details = details or {}

    def message(self, locale: str = "en") -> str:
        return self.message_zh if locale.startswith("zh") else self.message_en

    def to_dict(self, locale: str = "en") -> dict[str, Any]:
        return {"code": self.code, "message": self.message(locale), "details": self.details}


class NotFoundError(TesseraError):
    http_status = 404
    code = "not_found"

    def __init__(self, kind: str, ident: object) -> None:
        zh = {"base": "数据库", "table": "表", "field": "字段", "view": "视图",
              "record": "记录", "change set": "变更集",
              "user": "用户", "group": "用户组", "token": "令牌",
              "trash item": "回收站项目"}.get(kind, kind)
        super().__init__(
            f"No {kind} with id or name {ident!r} exists; check that it was not deleted.",
            f"找不到{zh} {ident!r}，请确认它没有被删除。",
            details={"kind": kind, "id": ident},
        )


class SchemaError(TesseraError):
    code = "schema_error"


class NameConflictError(TesseraError):
    http_status = 409
    code = "name_conflict"

    def __init__(self, kind: str, name: str) -> None:
        zh = {"table": "表", "field": "字段", "view": "视图", "user": "用户",
              "group": "用户组"}.get(kind, kind)
        super().__init__(
            f"A {kind} named {name!r} already exists here; choose another name.",
            f"已存在名为 {name!r} 的{zh}，请换一个名称。",
            details={"kind": kind, "name": name},
        )


class FieldValueError(TesseraError):
    """One bad value for one field: names the field, the value and the expected form."""

    http_status = 422
    code = "invalid_value"

    def __init__(self, field: str, value: object, expected_en: str, expected_zh: str,
                 *, row: int | None = None) -> None:
        self.field = field
        self.value = value
        self.expected = expected_en
        self.expected_zh = expected_zh
        self.row = row
        where_en = f"row {row + 1}, " if row is not None else ""
        where_zh = f"第 {row + 1} 行，" if row is not None else ""
        super().__init__(
            f"{where_en}field {field!r}: {value!r} is not valid; expected {expected_en}.",
            f"{where_zh}字段「{field}」：{value!r} 无效，应为{expected_zh}。",
            details={"field": field, "value": _jsonable(value), "expected": expected_en,
                     "row": row},
        )

    def at_row(self, row: int) -> FieldValueError:
        return FieldValueError(self.field, self.value, self.expected, self.expected_zh, row=row)


class ReadOnlyFieldError(FieldValueError):
    code = "read_only_field"

    def __init__(self, field: str, value: object = None, *, row: int | None = None) -> None:
        super().__init__(field, value, "no input (this field is computed and read-only)",
                         "空（该字段由系统计算，只读）", row=row)

    def at_row(self, row: int) -> ReadOnlyFieldError:
        return ReadOnlyFieldError(self.field, self.value, row=row)


class RecordValidationError(TesseraError):
    """Bad input somewhere in a (bulk) write: lists every bad row/field/value; nothing written."""

    http_status = 422
    code = "invalid_records"

    def __init__(self, errors: list[FieldValueError]) -> None:
        self.errors = errors
        n = len(errors)
        first_en = errors[0].message_en if errors else ""
        first_zh = errors[0].message_zh if errors else ""
        super().__init__(
            f"{n} invalid value(s); nothing was saved. Fix them and try again. First: {first_en}",
            f"{n} 个值无效，未保存任何数据。请修正后重试。第一个：{first_zh}",
            details={"errors": [e.details for e in errors]},
        )


class QueryError(TesseraError):
    code = "invalid_query"


def _jsonable(value: object) -> object:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)
