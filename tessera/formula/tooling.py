"""Editor support: tokens for highlighting, referenced fields, the inferred result type and
every static error with its position, without raising."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lark.exceptions import LarkError

from tessera.formula import ast
from tessera.formula.checker import Checker
from tessera.formula.errors import FormulaError
from tessera.formula.parser import lark_parser, parse

__all__ = ["Token", "Analysis", "tokens", "referenced_fields", "analyze"]

_KINDS = {
    "NUMBER": "number", "STRING": "text", "ERROR": "error", "FIELD": "field", "NAME": "function",
    "CMPOP": "operator", "ADDOP": "operator", "MULOP": "operator", "AMPERSAND": "operator",
    "CIRCUMFLEX": "operator", "PERCENT": "operator", "LPAR": "punctuation", "RPAR": "punctuation",
    "COMMA": "punctuation", "DOT": "punctuation",
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # number text error field function boolean operator punctuation
    text: str
    start: int
    end: int
    line: int
    column: int


def tokens(source: str) -> list[Token]:
    """The tokens of ``source`` (up to the first character that cannot start a token)."""
    out: list[Token] = []
    try:
        for tok in lark_parser().lex(source):
            kind = _KINDS.get(tok.type, "operator")
            if kind == "function" and str(tok).upper() in ("TRUE", "FALSE"):
                kind = "boolean"
            out.append(Token(kind, str(tok), tok.start_pos, tok.end_pos, tok.line, tok.column))
    except LarkError:
        pass
    return out


def referenced_fields(node: ast.Node) -> list[str]:
    """Field names the formula reads (``Link.Field`` for link lists), in order, once each."""
    names: list[str] = []
    for n in ast.walk(node):
        if isinstance(n, ast.FieldRef | ast.ColumnRef):
            name = n.name
        elif isinstance(n, ast.LinkFieldRef):
            name = f"{n.link}.{n.name}"
        else:
            continue
        if name not in names:
            names.append(name)
    return names


@dataclass
class Analysis:
    tokens: list[Token]
    fields: list[str] = field(default_factory=list)
    result_type: str | None = None
    errors: list[FormulaError] = field(default_factory=list)
    volatile: bool = False  # reads the clock (TODAY, NOW)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tokens": [_token_dict(t) for t in self.tokens],
            "fields": self.fields,
            "result_type": self.result_type,
            "errors": [e.to_dict() for e in self.errors],
            "volatile": self.volatile,
        }


def _token_dict(t: Token) -> dict[str, Any]:
    return {"kind": t.kind, "text": t.text, "start": t.start, "end": t.end, "line": t.line, "column": t.column}


def analyze(source: str, schema: Any = None) -> Analysis:
    """Everything an editor needs about ``source``; ``schema`` enables name and type checks."""
    result = Analysis(tokens(source))
    try:
        node = parse(source)
    except FormulaError as exc:
        result.errors.append(exc)
        return result
    result.fields = referenced_fields(node)
    result.volatile = any(isinstance(n, ast.Call) and n.name in ("TODAY", "NOW") for n in ast.walk(node))
    if schema is None:
        return result
    checker = Checker(schema)
    typed = checker.check(node)
    result.errors.extend(checker.errors)
    if not checker.errors:
        result.result_type = str(typed.type)
    return result
