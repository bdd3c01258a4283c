"""Formulas are stored twice: as the user wrote them (``options["formula"]``, names) and in an
id form (``options["expression"]``) where every reference names field ids: ``{f_12}``,
``{f_3}.{f_9}``, ``ALL({f_12})``. The id form is what is compiled and what the dependency
graph reads, so renaming a field never breaks a formula; the display text is re-rendered from
it with the current names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from tessera.formula import ast
from tessera.formula.parser import parse

__all__ = ["Reference", "references", "rewrite", "id_name", "field_id_of", "uses_clock",
           "CLOCK_FUNCTIONS", "clock_functions"]

CLOCK_FUNCTIONS = frozenset({"TODAY", "NOW"})


@dataclass(frozen=True, slots=True)
class Reference:
    """One reference of a formula: ``kind`` is ``field`` ({F}), ``list`` ({Link}.{F}) or
    ``column`` (ALL({F})); ``link`` is the link's name (or id form) for lists."""

    kind: str
    name: str
    link: str | None = None


def id_name(field_id: int) -> str:
    return f"f_{field_id}"


def field_id_of(name: str) -> int | None:
    """The field id of an id-form name (``f_12`` → 12), else None."""
    text = name.strip()
    if text.startswith("f_") and text[2:].isdigit():
        return int(text[2:])
    return None


def _ref_nodes(tree: ast.Node) -> list[ast.Node]:
    found = [n for n in ast.walk(tree) if isinstance(n, ast.FieldRef | ast.LinkFieldRef | ast.ColumnRef)]
    return sorted(found, key=lambda n: n.span.start)


@lru_cache(maxsize=4096)
def references(source: str) -> tuple[Reference, ...]:
    """Every reference in ``source``, in text order (raises FormulaError on bad syntax)."""
    out: list[Reference] = []
    for n in _ref_nodes(parse(source)):
        if isinstance(n, ast.LinkFieldRef):
            out.append(Reference("list", n.name.strip(), n.link.strip()))
        elif isinstance(n, ast.ColumnRef):
            out.append(Reference("column", n.name.strip()))
        else:
            assert isinstance(n, ast.FieldRef)
            out.append(Reference("field", n.name.strip()))
    return tuple(out)


@lru_cache(maxsize=4096)
def clock_functions(source: str) -> frozenset[str]:
    """The clock functions ``source`` calls (TODAY, NOW)."""
    return frozenset(n.name.upper() for n in ast.walk(parse(source))
                     if isinstance(n, ast.Call) and n.name.upper() in CLOCK_FUNCTIONS)


def uses_clock(source: str) -> bool:
    return bool(clock_functions(source))


def _braced(name: str) -> str:
    return "{" + name + "}"


def rewrite(source: str, field: Callable[[str], str], link: Mapping[str, tuple[str, Callable[[str], str]]]
            | Callable[[str], tuple[str, Callable[[str], str]]]) -> str:
    """``source`` with every reference renamed, keeping everything else as written.

    ``field(name)`` renames a field of this table; ``link(name)`` gives a link's new name and
    the renaming function for fields of its target table."""
    tree = parse(source)
    lookup_link = link if callable(link) else link.__getitem__
    pieces: list[str] = []
    at = 0
    for n in _ref_nodes(tree):
        pieces.append(source[at:n.span.start])
        if isinstance(n, ast.LinkFieldRef):
            new_link, target_field = lookup_link(n.link.strip())
            pieces.append(_braced(new_link) + "." + _braced(target_field(n.name.strip())))
        elif isinstance(n, ast.ColumnRef):
            pieces.append("ALL(" + _braced(field(n.name.strip())) + ")")
        else:
            assert isinstance(n, ast.FieldRef)
            pieces.append(_braced(field(n.name.strip())))
        at = n.span.end
    pieces.append(source[at:])
    return "".join(pieces)
