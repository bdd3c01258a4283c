"""Cell-level helpers for writing xlsx with openpyxl: text that must stay text."""

from __future__ import annotations

from typing import Any

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

__all__ = ["safe_cell", "clean_text"]


def clean_text(text: str) -> str:
    """Drop the control characters an xlsx file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def safe_cell(sheet: Any, value: Any) -> Any:
    """A value openpyxl writes as given: text starting with '=' stays text (never a formula)."""
    if isinstance(value, str):
        value = clean_text(value)
        if value.startswith("="):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            return cell
    return value
