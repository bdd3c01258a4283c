"""Message text with placeholders: ``{姓名}`` inserts a field's value, ``{=TEXT({下次召回日期},
"m月d日")}`` inserts a formula's result (the formula language of FORMULA.md, over the
recipient's fields), ``{{`` and ``}}`` are literal braces.

A text is split once into literal and placeholder pieces (cached), then filled per record
with the workflow's formula templates, so a message reads exactly like an automation's
``=formula`` option would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from tessera.formula import FormulaError
from tessera.formula.parser import parse
from tessera.outreach.errors import TemplateRenderError
from tessera.workflow.templates import TemplateError, render

__all__ = ["Piece", "split", "fill", "field_names", "format_value", "check"]


@dataclass(frozen=True)
class Piece:
    kind: str        # "text" | "field" | "formula"
    value: str


def _closing(text: str, start: int) -> int:
    """Index of the ``}`` closing the placeholder opened at ``start`` (quotes and nested
    ``{field}`` references inside a formula are skipped)."""
    depth, quote, i = 0, False, start + 1
    while i < len(text):
        ch = text[i]
        if quote:
            quote = ch != '"'          # "" inside a string closes and reopens it
        elif ch == '"':
            quote = True
        elif ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                return i
            depth -= 1
        i += 1
    raise TemplateRenderError(text[start:start + 30], "the placeholder is not closed with }")


@lru_cache(maxsize=512)
def split(text: str) -> tuple[Piece, ...]:
    pieces: list[Piece] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "{}" and text[i:i + 2] in ("{{", "}}"):
            literal.append(ch)
            i += 2
            continue
        if ch != "{":
            literal.append(ch)
            i += 1
            continue
        end = _closing(text, i)
        inner = text[i + 1:end].strip()
        if literal:
            pieces.append(Piece("text", "".join(literal)))
            literal = []
        if inner.startswith("="):
            pieces.append(Piece("formula", inner[1:].strip()))
        else:
            pieces.append(Piece("field", inner))
        i = end + 1
    if literal:
        pieces.append(Piece("text", "".join(literal)))
    return tuple(pieces)


def field_names(text: str) -> set[str]:
    return {p.value for p in split(text) if p.kind == "field"}


def check(text: str, known_fields: set[str]) -> None:
    """Refuse unknown fields and formulas that do not parse (at save time, not at send time)."""
    for piece in split(text):
        if piece.kind == "field" and piece.value not in known_fields:
            raise TemplateRenderError(piece.value, "no field has this name")
        if piece.kind == "formula":
            try:
                parse(piece.value)
            except FormulaError as exc:
                raise TemplateRenderError(piece.value, str(exc)) from exc


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def fill(text: str, env: Mapping[str, Any], *, today: dt.date | None = None) -> str:
    out: list[str] = []
    for piece in split(text):
        if piece.kind == "text":
            out.append(piece.value)
        elif piece.kind == "field":
            if piece.value not in env:
                raise TemplateRenderError(piece.value, "no field has this name")
            out.append(format_value(env[piece.value]))
        else:
            try:
                out.append(format_value(render("=" + piece.value, env, today=today)))
            except TemplateError as exc:
                raise TemplateRenderError(piece.value, str(exc)) from exc
    return "".join(out)
