"""Static formula errors: raised when a formula is saved, never at run time.

Every error carries a stable ``code`` (also the message id), the ``position`` (line, column,
both 1-based) and the ``span`` (start, end offsets in the source), and a message in English and
Simplified Chinese. Runtime errors are values (:class:`tessera.formula.values.ExcelError`).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "FormulaError",
    "FormulaSyntaxError",
    "FormulaReferenceError",
    "FormulaTypeError",
    "did_you_mean",
]

LANGUAGES = ("en", "zh-CN")


class FormulaError(Exception):
    """A static error in a formula, with its position and a bilingual message."""

    def __init__(
        self,
        code: str,
        message_en: str,
        message_zh: str,
        *,
        position: tuple[int, int] = (1, 1),
        span: tuple[int, int] = (0, 0),
    ) -> None:
        self.code = code
        self.position = position
        self.span = span
        self.messages = {"en": message_en, "zh-CN": message_zh}
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The English message, ending with the position."""
        return self.message_for("en")

    def message_for(self, language: str = "en") -> str:
        line, column = self.position
        if language.lower().startswith("zh"):
            return f"{self.messages['zh-CN']}（第 {line} 行第 {column} 列）"
        return f"{self.messages['en']} (at {line}:{column})"

    def to_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "line": self.position[0],
            "column": self.position[1],
            "start": self.span[0],
            "end": self.span[1],
            "message": self.messages["en"],
            "message_zh": self.messages["zh-CN"],
        }


class FormulaSyntaxError(FormulaError):
    """The text is not a formula (unexpected character or token, unclosed text...)."""


class FormulaReferenceError(FormulaError):
    """Unknown field, link or function, or a wrong number of arguments."""


class FormulaTypeError(FormulaError):
    """A statically impossible combination (number-like and date-like branches, list result)."""


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to ``name`` (case-insensitive), or None."""
    by_lower = {c.lower(): c for c in candidates}
    found = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=0.6)
    return by_lower[found[0]] if found else None
