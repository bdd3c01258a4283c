"""AST → typed tree: resolves names against a schema, checks arity, assigns static types.

Every static error found is collected (``Checker.errors``); :func:`check` raises the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tessera.formula import ast
from tessera.formula.errors import (
    FormulaError,
    FormulaReferenceError,
    FormulaTypeError,
    did_you_mean,
)
from tessera.formula.registry import FunctionSpec, all_functions, lookup
from tessera.formula.schema import FieldInfo, LinkInfo
from tessera.formula.types import (
    BLANK,
    BOOLEAN,
    DATE,
    DATETIME,
    ERROR,
    NUMBER,
    TEXT,
    FType,
    is_date_like,
    list_of,
)

__all__ = ["Typed", "check", "Checker", "common_type"]


@dataclass(frozen=True, slots=True, eq=False)
class Typed:
    """An AST node with its static type. ``origin`` says how aggregates see it: a direct
    ``field`` reference (a cell), a ``list`` (``{Link}.{Field}``), a ``column`` (``ALL()``), or
    an ``expr``ession (a literal or computed value)."""

    node: ast.Node
    type: FType
    args: tuple[Typed, ...] = ()
    spec: FunctionSpec | None = None
    origin: str = "expr"
    field: FieldInfo | None = None
    link: LinkInfo | None = None

    @property
    def is_reference(self) -> bool:
        return self.origin in ("field", "list", "column", "options")

    @property
    def is_range(self) -> bool:
        """A range for the functions that take ranges: a ``{Link}.{Field}`` list, an ``ALL()``
        column, or a multi-select field (its options)."""
        return self.origin in ("list", "column", "options")

    @property
    def fractional(self) -> bool:
        """A number literal with a fraction (so that ``date + 0.5`` is a datetime)."""
        n = self.node
        if isinstance(n, ast.Unary) and self.args:
            return self.args[0].fractional
        return isinstance(n, ast.Number) and not float(n.value).is_integer()


def _type_error(node: ast.Node, en: str, zh: str, code: str = "type.mix") -> FormulaTypeError:
    return FormulaTypeError(code, en, zh, position=node.span.position, span=(node.span.start, node.span.end))


def common_type(args: list[Typed], what: str = "results") -> FType:
    """The result type of branches: blank/errors fit any type; text absorbs the others;
    booleans become numbers; mixing number-like and date-like is a static error."""
    kinds: list[Typed] = []
    for a in args:
        if a.type.is_list:
            raise _type_error(
                a.node, "A list cannot be one of the possible results here; aggregate it with SUM(), MAX(), ARRAYJOIN()...",
                "此处的结果不能是列表，请用 SUM()、MAX()、ARRAYJOIN() 等汇总", "type.list",
            )
        if a.type.kind not in ("blank", "error"):
            kinds.append(a)
    if not kinds:
        return BLANK
    names = {a.type.kind for a in kinds}
    if len(names) == 1:
        return kinds[0].type
    if "text" in names:
        return TEXT
    dates = [a for a in kinds if is_date_like(a.type)]
    numbers = [a for a in kinds if not is_date_like(a.type)]
    if dates and numbers:
        culprit = max(dates[0], numbers[0], key=lambda a: a.node.span.start)
        raise _type_error(
            culprit.node,
            f"The possible {what} mix dates and numbers ({dates[0].type} and {numbers[0].type}); "
            "make every branch a date, or every branch a number",
            f"各分支的结果混用了日期和数字（{dates[0].type} 与 {numbers[0].type}），请统一为日期或数字",
        )
    if dates:
        return DATETIME
    return NUMBER


class Checker:
    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.errors: list[FormulaError] = []

    def error(self, exc: FormulaError, node: ast.Node) -> Typed:
        self.errors.append(exc)
        return Typed(node, ERROR)

    def check(self, node: ast.Node) -> Typed:
        method = getattr(self, "_" + type(node).__name__)
        return method(node)

    # ----- leaves ---------------------------------------------------------------------------
    def _Number(self, node: ast.Number) -> Typed:
        return Typed(node, NUMBER)

    def _Text(self, node: ast.Text) -> Typed:
        return Typed(node, TEXT if node.value else BLANK)

    def _Boolean(self, node: ast.Boolean) -> Typed:
        return Typed(node, BOOLEAN)

    def _ErrorLiteral(self, node: ast.ErrorLiteral) -> Typed:
        return Typed(node, ERROR)

    def _Empty(self, node: ast.Empty) -> Typed:
        return Typed(node, BLANK)

    def _unknown_field(self, node: ast.Node, name: str, candidates: list[str], kind: str = "field") -> Typed:
        guess = did_you_mean(name, candidates)
        hint_en = f" — did you mean {{{guess}}}?" if guess else ""
        hint_zh = f"，是否想输入 {{{guess}}}？" if guess else ""
        label_zh = "字段" if kind == "field" else "关联字段"
        return self.error(
            FormulaReferenceError(
                f"reference.unknown_{kind}",
                f"Unknown {kind} {{{name}}}{hint_en}",
                f"未知{label_zh} {{{name}}}{hint_zh}",
                position=node.span.position, span=(node.span.start, node.span.end),
            ),
            node,
        )

    def _FieldRef(self, node: ast.FieldRef) -> Typed:
        info = self.schema.field(node.name)
        if info is None:
            if self.schema.link(node.name) is not None:
                return self.error(
                    FormulaReferenceError(
                        "reference.link_needs_field",
                        f"{{{node.name}}} is a link: name a field of the linked records, as in {{{node.name}}}.{{Field}}",
                        f"{{{node.name}}} 是关联字段，请指定被关联记录的字段，例如 {{{node.name}}}.{{字段}}",
                        position=node.span.position, span=(node.span.start, node.span.end),
                    ),
                    node,
                )
            return self._unknown_field(node, node.name, self.schema.field_names() + self.schema.link_names())
        return Typed(node, info.type, origin="options" if info.options else "field", field=info)

    def _LinkFieldRef(self, node: ast.LinkFieldRef) -> Typed:
        link = self.schema.link(node.link)
        if link is None:
            return self._unknown_field(node, node.link, self.schema.link_names(), "link")
        info = link.target.field(node.name)
        if info is None:
            return self._unknown_field(node, node.name, link.target.field_names())
        return Typed(node, list_of(info.type), origin="list", field=info, link=link)

    def _ColumnRef(self, node: ast.ColumnRef) -> Typed:
        info = self.schema.field(node.name)
        if info is None:
            return self._unknown_field(node, node.name, self.schema.field_names())
        return Typed(node, list_of(info.type), origin="column", field=info)

    # ----- operators ------------------------------------------------------------------------
    def _Unary(self, node: ast.Unary) -> Typed:
        operand = self.check(node.operand)
        return Typed(node, operand.type if node.op == "+" else NUMBER, (operand,))

    def _Percent(self, node: ast.Percent) -> Typed:
        return Typed(node, NUMBER, (self.check(node.operand),))

    def _Binary(self, node: ast.Binary) -> Typed:
        left, right = self.check(node.left), self.check(node.right)
        op = node.op
        if op == "&":
            t = TEXT
        elif op in ("=", "<>", "<", "<=", ">", ">="):
            t = BOOLEAN
        elif op in ("+", "-"):
            t = self._additive_type(op, left, right)
        else:
            t = NUMBER
        return Typed(node, t, (left, right))

    @staticmethod
    def _additive_type(op: str, left: Typed, right: Typed) -> FType:
        ld, rd = is_date_like(left.type.element()), is_date_like(right.type.element())
        if ld and rd:
            return NUMBER
        if ld or (rd and op == "+"):
            # Excel serials: date ± a number of days is a date (the fraction dropped), unless the
            # number is a literal with a fraction (date + 0.5 is a datetime); datetime ± n a datetime
            date_side, other = (left, right) if ld else (right, left)
            if date_side.type.kind == "date" and not other.fractional:
                return DATE
            return DATETIME
        return NUMBER

    # ----- calls ----------------------------------------------------------------------------
    def _Call(self, node: ast.Call) -> Typed:
        spec = lookup(node.name)
        args = tuple(self.check(a) for a in node.args)
        if spec is None:
            names = [s.name for s in all_functions()]
            guess = did_you_mean(node.name, names)
            return self.error(
                FormulaReferenceError(
                    "reference.unknown_function",
                    f"Unknown function {node.name}" + (f" — did you mean {guess}?" if guess else ""),
                    f"未知函数 {node.name}" + (f"，是否想输入 {guess}？" if guess else ""),
                    position=node.name_span.position, span=(node.name_span.start, node.name_span.end),
                ),
                node,
            )
        n, lo, hi = len(args), spec.min_args, spec.max_args
        if n < lo or (hi is not None and n > hi):
            expected = f"{lo}" if lo == hi else (f"at least {lo}" if hi is None else f"{lo} to {hi}")
            expected_zh = f"{lo}" if lo == hi else (f"至少 {lo}" if hi is None else f"{lo} 到 {hi}")
            return self.error(
                FormulaReferenceError(
                    "reference.arity",
                    f"{spec.name} takes {expected} argument{'s' if hi != 1 else ''}, but got {n}: {spec.signature}",
                    f"{spec.name} 需要 {expected_zh} 个参数，实际为 {n} 个：{spec.signature}",
                    position=node.name_span.position, span=(node.span.start, node.span.end),
                ),
                node,
            )
        try:
            t = spec.result_type(list(args))
        except FormulaError as exc:
            return self.error(exc, node)
        return Typed(node, t, args, spec)


def check(node: ast.Node, schema: Any) -> Typed:
    """Type ``node`` against ``schema``; raise the first static error."""
    checker = Checker(schema)
    typed = checker.check(node)
    if not checker.errors and typed.type.is_list:
        checker.errors.append(
            _type_error(
                node, "A formula cannot result in a list; aggregate it, e.g. SUM(...), COUNTA(...) or ARRAYJOIN(...)",
                "公式的结果不能是列表，请先汇总，例如 SUM(...)、COUNTA(...) 或 ARRAYJOIN(...)", "type.list",
            )
        )
    if checker.errors:
        raise checker.errors[0]
    return typed
