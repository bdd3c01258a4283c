"""Header matching: trimmed, case-insensitive and width-insensitive (full-width ＡＢＣ１２３ and
half-width ABC123 are the same), inner whitespace collapsed."""

from __future__ import annotations

import re
import unicodedata

__all__ = ["header_key", "column_letter"]

_SPACES = re.compile(r"\s+")


def header_key(text: object) -> str:
    """The comparison key of a column header or field name."""
    if text is None:
        return ""
    normalized = unicodedata.normalize("NFKC", str(text))
    return _SPACES.sub(" ", normalized).strip().casefold()


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA (for messages about a column)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
