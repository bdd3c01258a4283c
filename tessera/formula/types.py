"""Static types of formula values.

A type is a kind (number, text, boolean, date, datetime, blank, error) plus a list flag
(``{Link}.{Field}`` and ``ALL()`` give lists). The checker assigns one to every node; both
the interpreter and the SQL compiler rely on it, which is what makes ``"1"=1`` FALSE in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FType", "NUMBER", "TEXT", "BOOLEAN", "DATE", "DATETIME", "BLANK", "ERROR",
    "list_of", "is_date_like", "is_number_like", "compare_class",
]


@dataclass(frozen=True, slots=True)
class FType:
    kind: str  # number | text | boolean | date | datetime | blank | error
    is_list: bool = False

    def element(self) -> FType:
        return FType(self.kind)

    def __str__(self) -> str:
        return f"list of {self.kind}" if self.is_list else self.kind


NUMBER = FType("number")
TEXT = FType("text")
BOOLEAN = FType("boolean")
DATE = FType("date")
DATETIME = FType("datetime")
BLANK = FType("blank")  # always blank: fits any type
ERROR = FType("error")  # always an error (NA(), #N/A): fits any type


def list_of(t: FType) -> FType:
    return FType(t.kind, True)


def is_date_like(t: FType) -> bool:
    return t.kind in ("date", "datetime")


def is_number_like(t: FType) -> bool:
    return t.kind in ("number", "boolean")


def compare_class(t: FType) -> int | None:
    """Excel's cross-type order: numbers and dates (0) < text (1) < booleans (2)."""
    return {"number": 0, "date": 0, "datetime": 0, "text": 1, "boolean": 2}.get(t.kind)
