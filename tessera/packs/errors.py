"""Pack problems with positions: every finding names the file, line, column and JSON path.

``PackIssue`` is one finding; ``PackValidationError`` carries all of them (validation collects
every problem instead of stopping at the first, like the formula checker)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tessera.errors import TesseraError

__all__ = ["PackIssue", "PackValidationError", "PackError", "json_path"]


def json_path(path: Sequence[str | int]) -> str:
    """``("tables", 0, "fields", 3)`` → ``$.tables[0].fields[3]``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True)
class PackIssue:
    file: str
    line: int
    column: int
    path: str
    message_en: str
    message_zh: str
    code: str = "pack.invalid"

    def message(self, locale: str = "en") -> str:
        text = self.message_zh if locale.startswith("zh") else self.message_en
        return f"{self.file}:{self.line}:{self.column}: {self.path}: {text}"

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "path": self.path,
                "code": self.code, "message": self.message_en, "message_zh": self.message_zh}


class PackError(TesseraError):
    """A pack operation that cannot go on (no such folder, base already has a pack…)."""

    code = "pack.error"


class PackValidationError(TesseraError):
    """The pack has problems; ``issues`` lists each with its position. Nothing was changed."""

    code = "pack.invalid"

    def __init__(self, issues: Sequence[PackIssue]) -> None:
        self.issues = list(issues)
        first = self.issues[0] if self.issues else None
        super().__init__(
            f"The pack has {len(self.issues)} problem(s); nothing was changed. Fix them and "
            f"run `tessera pack validate` again. First: {first.message('en') if first else ''}",
            f"应用包有 {len(self.issues)} 个问题，未做任何修改。请修正后再运行 "
            f"`tessera pack validate`。第一个：{first.message('zh') if first else ''}",
            details={"issues": [i.to_dict() for i in self.issues]})
