"""Type-checking a pack's formulas before anything is installed.

The checker (tessera.formula) needs a schema with a static type for every field. A pack's
formula, lookup and rollup fields get theirs from their own formulas, so the schema here is
lazy: asking for a field's type checks that field's formula first (depth first, with cycle
detection). The order in which computed fields finish is a dependency order, which is also
the order install adds them in. A field whose formula fails is typed ``error`` so formulas
reading it are not reported again for the same cause."""

from __future__ import annotations

from dataclasses import dataclass, field

from tessera.compute.materialize import result_kind
from tessera.fields import REGISTRY
from tessera.formula.checker import check
from tessera.formula.errors import FormulaError
from tessera.formula.parser import parse
from tessera.formula.schema import STORED_OPTIONS, STORED_PLAIN, LinkInfo, TableSchema
from tessera.formula.schema import FieldInfo as FormulaField
from tessera.formula.types import ERROR, FType
from tessera.packs.index import PackField, PackIndex, PackTable, Path_

__all__ = ["FormulaTyper", "FormulaProblem", "FORMULA_KINDS", "COMPUTED"]

FORMULA_KINDS = ("number", "text", "boolean", "date", "datetime")
COMPUTED = ("formula", "lookup", "rollup")


@dataclass(frozen=True)
class FormulaProblem:
    """A formula that does not check: where it is in the pack and the checker's error (or a
    cycle / reference message when ``error`` is None)."""

    path: Path_
    error: FormulaError | None
    message_en: str = ""
    message_zh: str = ""


def _column(f: PackField) -> str:
    return f"c_{f.table}_{f.key}"


class _LazySchema:
    """The formula Schema protocol over a pack table, typing computed fields on demand."""

    def __init__(self, typer: FormulaTyper, table: PackTable, with_links: bool = True) -> None:
        self.typer, self.pack_table, self.with_links = typer, table, with_links
        self.table = f"t_{table.key}"
        self.id_column = "id"

    def _named(self, name: str) -> PackField | None:
        text = name.strip()
        return next((f for f in self.pack_table.fields if f.name.strip() == text), None)

    def field(self, name: str) -> FormulaField | None:
        f = self._named(name)
        if f is None or f.type == "link":
            return None
        kind = self.typer.kind(f)
        if kind is None:
            return None
        # a multi-select reads as its labels (ranges) or their ", "-joined text, as in the
        # live schema (tessera.compute.schema_adapter)
        stored = STORED_OPTIONS if f.type == "multi_select" else STORED_PLAIN
        return FormulaField(f.name, ERROR if kind == "error" else FType(kind), _column(f), stored)

    def link(self, name: str) -> LinkInfo | None:
        f = self._named(name)
        target = self.typer.index.link_target(f) if f is not None and self.with_links else None
        if f is None or target is None:
            return None
        return LinkInfo(f.name, _LazySchema(self.typer, target, with_links=False),  # type: ignore[arg-type]
                        f"l_{f.table}_{f.key}", "src_id", "dst_id")

    def field_names(self) -> list[str]:
        # no typing here: did-you-mean hints must not recurse into the fields being typed
        return [f.name for f in self.pack_table.fields if f.type != "link"]

    def link_names(self) -> list[str]:
        if not self.with_links:
            return []
        return [f.name for f in self.pack_table.fields if f.type == "link"]


@dataclass
class FormulaTyper:
    index: PackIndex
    problems: list[FormulaProblem] = field(default_factory=list)
    order: list[PackField] = field(default_factory=list)  # computed fields, dependencies first
    _kinds: dict[str, str | None] = field(default_factory=dict)
    _active: list[str] = field(default_factory=list)

    def schema(self, table: PackTable) -> TableSchema:
        return _LazySchema(self, table)  # type: ignore[return-value]

    def run(self) -> None:
        for table in self.index.tables.values():
            for f in table.fields:
                self.kind(f)

    def kind(self, f: PackField) -> str | None:
        """The value kind formulas see for ``f`` (``error`` when its own formula fails;
        ``text`` for a multi-select, read as its labels; None when formulas cannot read it:
        links, attachments)."""
        if f.ref in self._kinds:
            return self._kinds[f.ref]
        if f.type == "multi_select":
            self._kinds[f.ref] = "text"
            return "text"
        if f.type not in COMPUTED:
            field_type = REGISTRY.get(f.type)
            kind = field_type.value_kind(f.options) if field_type else None
            self._kinds[f.ref] = kind if kind in FORMULA_KINDS else None
            return self._kinds[f.ref]
        if f.ref in self._active:
            cycle = " → ".join(self._active[self._active.index(f.ref):] + [f.ref])
            self.problems.append(FormulaProblem(
                f.path, None, f"reference cycle: {cycle}; a formula cannot depend on itself.",
                f"循环引用：{cycle}；公式不能依赖自身。"))
            self._kinds[f.ref] = "error"
            return "error"
        self._active.append(f.ref)
        try:
            self._kinds[f.ref] = kind = self._type_computed(f)
        finally:
            self._active.pop()
        self.order.append(f)
        return kind

    def _type_computed(self, f: PackField) -> str:
        table = self.index.tables[f.table]
        if f.type == "formula":
            return self._check(f, (*f.path, "options", "formula"), f.options.get("formula") or "",
                               table) or "error"
        link = table.field(f.options.get("link"))
        target = self.index.link_target(link) if link is not None else None
        target_field = target.field(f.options.get("field")) if target is not None else None
        if link is None or target is None or target_field is None:
            return "error"  # reported by the reference checks
        if f.type == "lookup":
            self.kind(target_field)
            return "text"
        text = f"{f.options.get('function', 'SUM')}({{{link.name}}}.{{{target_field.name}}})"
        return self._check(f, (*f.path, "options"), text, table) or "error"

    def _check(self, f: PackField, path: Path_, text: str, table: PackTable) -> str | None:
        try:
            typed = check(parse(text), self.schema(table))
        except FormulaError as exc:
            self.problems.append(FormulaProblem(path, exc))
            return None
        return result_kind(typed.type)

    def check_text(self, path: Path_, text: str, table: PackTable) -> None:
        """Check a formula that is not a field (automation conditions, trigger formulas)."""
        try:
            check(parse(text), self.schema(table))
        except FormulaError as exc:
            self.problems.append(FormulaProblem(path, exc))

    def check_rule(self, path: Path_, text: str, table: PackTable) -> None:
        """Check a row rule: a formula that must give TRUE/FALSE for each row."""
        try:
            typed = check(parse(text), self.schema(table))
        except FormulaError as exc:
            self.problems.append(FormulaProblem(path, exc))
            return
        if typed.type.kind != "boolean":
            self.problems.append(FormulaProblem(
                path, None, f"a row rule must give TRUE or FALSE (this one gives {typed.type}); "
                "write a comparison such as {负责人} = CURRENT_USER().",
                f"行规则必须得出 TRUE 或 FALSE（此规则得出 {typed.type}），请写成比较式，"
                "例如 {负责人} = CURRENT_USER()。"))
