"""How an API value reads as plain text (the no-JavaScript rows, chart labels)."""

from __future__ import annotations

from typing import Any

__all__ = ["cell_text"]


def cell_text(value: Any) -> str:
    """An API value as text: empty for None, ✓ for true, lists joined by commas."""
    if value is None or value is False:
        return ""
    if value is True:
        return "✓"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(cell_text(v) for v in value)
    return str(value)
