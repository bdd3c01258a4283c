"""What a computed field computes: formula, lookup and rollup all become one formula in id form.

Options of every computed field (kept in the field's metadata):
``expression`` (id form, None while unconfigured), ``result_type`` (the column's kind),
``volatile`` (reads the clock), ``clock_date`` (the day its values were computed for, when
volatile) and ``broken`` (None, or the error that stopped it: a deleted reference...).
A formula also keeps ``formula`` (the text shown to users, re-rendered on renames); a lookup
``link_field_id`` + ``target_field_id``; a rollup those plus ``function``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.errors import SchemaError

__all__ = ["COMPUTED_TYPES", "ROLLUP_FUNCTIONS", "Definition", "definition_of", "synthesize"]

COMPUTED_TYPES = ("formula", "lookup", "rollup")

# aggregate → what it is, for error messages and docs
ROLLUP_FUNCTIONS = {
    "SUM": "sum of the numbers", "AVERAGE": "average of the numbers", "MIN": "smallest value",
    "MAX": "largest value", "COUNT": "count of numbers", "COUNTA": "count of non-blank values",
    "COUNTUNIQUE": "count of distinct values", "MEDIAN": "median of the numbers",
    "PRODUCT": "product of the numbers", "ARRAYJOIN": "values joined with commas",
}


@dataclass(frozen=True)
class Definition:
    """A computed field as the recompute machinery sees it."""

    field_id: int
    table_id: int
    type: str
    expression: str | None
    result_type: str
    volatile: bool
    broken: dict[str, Any] | None

    @property
    def active(self) -> bool:
        return self.expression is not None and not self.broken


def definition_of(field_id: int, table_id: int, type_: str, options: dict[str, Any]) -> Definition:
    return Definition(field_id, table_id, type_, options.get("expression") or None,
                      options.get("result_type") or "text", bool(options.get("volatile")),
                      options.get("broken") or None)


def synthesize(type_: str, options: dict[str, Any]) -> str | None:
    """The id-form formula of a lookup or rollup (None while its options are incomplete)."""
    link, target = options.get("link_field_id"), options.get("target_field_id")
    if not link or not target:
        return None
    if type_ == "lookup":
        return f"ARRAYJOIN({{f_{int(link)}}}.{{f_{int(target)}}})"
    function = str(options.get("function") or "SUM").upper()
    if function not in ROLLUP_FUNCTIONS:
        names = ", ".join(ROLLUP_FUNCTIONS)
        raise SchemaError(f"Unknown rollup function {function}; use one of {names}.",
                          f"未知的汇总函数 {function}，可用：{names}。", code="rollup_function")
    return f"{function}({{f_{int(link)}}}.{{f_{int(target)}}})"
