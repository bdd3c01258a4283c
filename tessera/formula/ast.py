"""The formula AST: frozen dataclasses with source spans. No Lark object reaches past parser.py."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "Span", "Node", "Number", "Text", "Boolean", "ErrorLiteral", "Empty", "FieldRef",
    "LinkFieldRef", "ColumnRef", "Call", "Unary", "Binary", "Percent", "walk",
]


@dataclass(frozen=True, slots=True)
class Span:
    start: int  # offset of the first character
    end: int  # offset after the last character
    line: int  # 1-based
    column: int  # 1-based

    @property
    def position(self) -> tuple[int, int]:
        return (self.line, self.column)


@dataclass(frozen=True, slots=True)
class Node:
    span: Span


@dataclass(frozen=True, slots=True)
class Number(Node):
    value: float


@dataclass(frozen=True, slots=True)
class Text(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Boolean(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class ErrorLiteral(Node):
    code: str


@dataclass(frozen=True, slots=True)
class Empty(Node):
    """An omitted argument, as in ``IF(c,,x)``: blank."""


@dataclass(frozen=True, slots=True)
class FieldRef(Node):
    name: str


@dataclass(frozen=True, slots=True)
class LinkFieldRef(Node):
    link: str
    name: str


@dataclass(frozen=True, slots=True)
class ColumnRef(Node):
    """``ALL({Field})``: the field over every record of the table."""

    name: str


@dataclass(frozen=True, slots=True)
class Call(Node):
    name: str  # upper case
    args: tuple[Node, ...]
    name_span: Span


@dataclass(frozen=True, slots=True)
class Unary(Node):
    op: str  # "-" or "+"
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    op: str  # + - * / ^ & = <> < <= > >=
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Percent(Node):
    operand: Node


def walk(node: Node):
    """Every node of the tree, parents first."""
    yield node
    if isinstance(node, Call):
        for a in node.args:
            yield from walk(a)
    elif isinstance(node, Unary | Percent):
        yield from walk(node.operand)
    elif isinstance(node, Binary):
        yield from walk(node.left)
        yield from walk(node.right)
