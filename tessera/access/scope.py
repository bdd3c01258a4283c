"""What one principal may see and change in one table, and the SQL that enforces it.

``table_scope(conn, principal, table, action)`` checks the action against the principal's
role and returns a :class:`TableScope`:

* ``table`` — the table as this principal sees it: hidden fields removed, and the formula text
  of computed fields that read a hidden field blanked (``options["formula_hidden"] = True``).
  Handing this TableInfo to the query layer makes filters, sorts and writes naming a hidden
  field fail exactly like an unknown field, and keeps hidden values out of every response.
* ``row_condition(t)`` — the row rule compiled to SQL over ``t.id`` (None: every row), with
  CURRENT_USER() and ISMEMBER() bound to the principal as parameters.
* ``read_only`` — fields this role may read but not write.
* ``writable`` — for ``records.update`` by a role that cannot change records (commenter,
  viewer): the only fields it may write, those marked ``editable`` for it (None: the role's own
  rights apply). Without any on the table the scope is refused like ``records.write``.

Decision (docs/access.md): a formula, lookup or rollup field that reads a hidden field shows its
own result (it is a separate field with its own permission), never the hidden input nor the
formula text naming it. ``SYSTEM`` and site admins get the unrestricted scope without a query.

Inside ``with scope_memo():`` what a scope reads (the base's trash state, the principal's role,
field permissions, row rule and the compiled rule rows) is read once per principal × table and
reused: a grid block request (position index + page) or one automation run builds each scope
once. The memo lives only as long as the ``with`` block — one request or one run — so a revoked
role, a changed permission or a trashed base takes effect with the next request or run. Use it
only around work that does not itself change access (grants, rules, trash).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.access.errors import ForbiddenError, SignInRequiredError, forbidden
from tessera.access.members import group_names, role_of
from tessera.access.models import FIELD_PERMISSIONS, ROW_RULES
from tessera.access.roles import role_allows
from tessera.auth.models import TRASH
from tessera.auth.principal import Principal
from tessera.errors import NotFoundError
from tessera.schema.catalog import FieldInfo, TableInfo, get_table

__all__ = ["TableScope", "table_scope", "require", "visible_row_ids", "filter_links",
           "base_in_trash", "trashed_bases", "scope_memo", "remember_base", "writable_fields"]

_T = TypeVar("_T")
_MEMO: ContextVar[dict[Any, Any] | None] = ContextVar("tessera_scope_memo", default=None)


@contextmanager
def scope_memo() -> Iterator[dict[Any, Any]]:
    """Reuse access reads for the duration of the block (one request or automation run);
    nested blocks share the outermost memo."""
    outer = _MEMO.get()
    if outer is not None:
        yield outer
        return
    memo: dict[Any, Any] = {}
    token = _MEMO.set(memo)
    try:
        yield memo
    finally:
        _MEMO.reset(token)


def _memoized(key: Any, build: Callable[[], _T], owner: Any = None) -> _T:
    """``build()`` once per key inside :func:`scope_memo` (every time outside it). ``owner``:
    the object the value was derived from (a TableInfo); a different object rebuilds."""
    memo = _MEMO.get()
    if memo is None:
        return build()
    found = memo.get(key)
    if found is not None and found[0] is owner:
        return found[1]  # type: ignore[no-any-return]
    value = build()
    memo[key] = (owner, value)
    return value


@dataclass(frozen=True)
class TableScope:
    principal: Principal
    role: str | None
    full: TableInfo
    table: TableInfo
    read_only: frozenset[int] = frozenset()
    rule: str | None = None  # id-form row rule, None: every row
    editable: frozenset[int] = frozenset()  # fields marked `editable` for this role
    writable: frozenset[int] | None = None  # the only fields it may write (None: any)

    @property
    def hidden(self) -> frozenset[int]:
        shown = {f.id for f in self.table.fields}
        return frozenset(f.id for f in self.full.fields if f.id not in shown)

    @property
    def restricted(self) -> bool:
        return (self.rule is not None or bool(self.hidden) or bool(self.read_only)
                or self.writable is not None)

    @property
    def writable_fields(self) -> frozenset[int]:
        """The visible fields this scope may write (never a computed one)."""
        plain = {f.id for f in self.table.fields if not f.read_only}
        if self.writable is not None:
            return frozenset(plain & self.writable)
        return frozenset(plain - self.read_only)

    def require(self, action: str) -> None:
        if not role_allows(self.role, action):
            raise forbidden(action, self.role, what=self.full.name)

    def row_condition(self, conn: Connection, t: sa.Table) -> sa.ColumnElement[bool] | None:
        """``t.id IN (rows where the rule is TRUE)``, or None when every row is visible."""
        if self.rule is None:
            return None
        return t.c.id.in_(_memoized(
            ("rule_rows", self.principal, self.full.id, self.rule, conn.dialect.name),
            lambda: _rule_rows(conn, self.full, self.rule or "", self.principal), self.full))

    def restrict(self, conn: Connection, t: sa.Table,
                 where: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
        """``where`` AND the row rule (unchanged when every row is visible)."""
        rule = self.row_condition(conn, t)
        return where if rule is None else sa.and_(where, rule)

    @property
    def cache_key(self) -> tuple[Any, ...]:
        """What a cache of query results must be keyed by, beside the query itself: two
        principals share entries only when they see the same fields and rows."""
        per_user = self.rule is not None and any(
            name in self.rule.upper() for name in ("CURRENT_USER", "ISMEMBER"))
        return (tuple(f.id for f in self.table.fields), self.rule,
                self.principal.user_id if per_user else None)

    def check_fields(self, refs: Iterable[Any], *, row: int | None = None) -> None:
        """Refuse writing a hidden (unknown to this user) or read-only field, and in an
        update limited to ``writable`` fields any other. Fields unknown to everybody are left
        to the records service, which lists every bad value at once."""
        from tessera.errors import FieldValueError, RecordValidationError

        if not self.hidden and not self.read_only and self.writable is None:
            return
        errors = []
        for ref in refs:
            try:
                field = self.table.field(ref)
            except NotFoundError:
                if _names_field(self.full, ref):
                    errors.append(FieldValueError(
                        str(ref), None, "the name or id of an existing field",
                        "已存在字段的名称或编号", row=row))
                continue
            if field.id in self.read_only:
                raise forbidden("records.write", self.role,
                                what=f"{field.name}: read-only for your role / 该字段对您只读")
            if self.writable is not None and field.id not in self.writable:
                raise forbidden("records.write", self.role,
                                what=f"{field.name}: not editable for your role / "
                                     "您的角色不能修改该字段")
        if errors:
            raise RecordValidationError(errors)

    def check_visible(self, conn: Connection, ids: Iterable[int]) -> None:
        """404 for records outside the row rule (they do not exist for this user)."""
        if self.rule is None:
            return
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return
        seen = visible_row_ids(conn, self, wanted)
        missing = [i for i in wanted if i not in seen]
        if missing:
            raise NotFoundError("record", missing[0] if len(missing) == 1 else missing)

    def check_still_visible(self, conn: Connection, ids: Iterable[int]) -> None:
        """After a write: refuse one that puts a record outside the writer's row rule."""
        if self.rule is None:
            return
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return
        seen = visible_row_ids(conn, self, wanted)
        if any(i not in seen for i in wanted):
            raise ForbiddenError(
                "This change would put the record outside the rows you may see (your role's "
                "row rule); nothing was saved. Keep the values your rule requires.",
                "此修改会使记录超出您可见的范围（您角色的行规则），未保存任何内容。请保留规则要求的值。",
                code="row_rule_violation", details={"role": self.role})


def _names_field(table: TableInfo, ref: Any) -> bool:
    try:
        table.field(ref)
    except NotFoundError:
        return False
    return True


def _unrestricted(principal: Principal, table: TableInfo, role: str | None) -> TableScope:
    return TableScope(principal, role, table, table)


def base_in_trash(conn: Connection, base_id: int) -> bool:
    """Whether the base was deleted into the trash (tessera/trash.py): closed to everyone."""
    return conn.execute(sa.select(TRASH.c.id).where(
        TRASH.c.base_id == base_id, TRASH.c.kind == "base")).first() is not None


def trashed_bases(conn: Connection) -> set[int]:
    return set(conn.execute(sa.select(TRASH.c.base_id).where(TRASH.c.kind == "base")).scalars())


def _check_open(conn: Connection, principal: Principal, base_id: int) -> None:
    """A base in the trash does not exist for anyone but SYSTEM (which restores it)."""
    if not principal.is_system and _memoized(("trash", base_id),
                                             lambda: base_in_trash(conn, base_id)):
        raise NotFoundError("base", base_id)


def _role(conn: Connection, principal: Principal, base_id: int) -> str | None:
    return _memoized(("role", principal, base_id), lambda: role_of(conn, principal, base_id))


def remember_base(principal: Principal, base_id: int, *, in_trash: bool,
                  role: str | None) -> None:
    """Inside :func:`scope_memo`: a caller that has just read the base's trash state and the
    principal's role (the automation run-as lookup) hands them over instead of a re-read."""
    _memoized(("trash", base_id), lambda: in_trash)
    _memoized(("role", principal, base_id), lambda: role)


def table_scope(conn: Connection, principal: Principal, table: TableInfo | int,
                action: str = "records.read") -> TableScope:
    """The principal's scope on ``table``, after checking ``action`` (raises 401/403)."""
    info = table if isinstance(table, TableInfo) else get_table(conn, table)
    _check_open(conn, principal, info.base_id)
    if principal.is_admin and principal.token_base_ids is None:
        return _unrestricted(principal, info, "owner")
    role = _role(conn, principal, info.base_id)
    if role is None and principal.user_id is None and not principal.is_admin:
        raise SignInRequiredError()
    if not role_allows(role, action):
        raise forbidden(action, role, what=info.name)
    if role == "owner":
        return _unrestricted(principal, info, role)
    scope = _memoized(("scope", principal, info.id, role),
                      lambda: _restricted(conn, principal, info, role), info)
    if action == "records.update" and not role_allows(role, "records.write"):
        return _editable_only(scope)
    return scope


def _editable_only(scope: TableScope) -> TableScope:
    """An update by a role that cannot change records: only its ``editable`` fields, or
    refused like any write when the table has none for it."""
    if not scope.editable:
        raise forbidden("records.write", scope.role, what=scope.full.name)
    return replace(scope, writable=scope.editable)


def writable_fields(conn: Connection, principal: Principal, table: TableInfo | int
                    ) -> frozenset[int]:
    """Ids of the fields ``principal`` may change in ``table`` (the grid opens an editor on
    these cells only); empty for a role that may change none."""
    try:
        return table_scope(conn, principal, table, "records.update").writable_fields
    except (ForbiddenError, SignInRequiredError):
        return frozenset()


def _restricted(conn: Connection, principal: Principal, info: TableInfo, role: str | None
                ) -> TableScope:
    """The scope of a role other than owner: its field permissions and row rule."""
    assert role is not None
    ids = [f.id for f in info.fields] or [0]
    # one statement: the role's field permissions (field id, mode) and row rule (NULL, rule)
    perms = sa.select(FIELD_PERMISSIONS.c.field_id, sa.cast(FIELD_PERMISSIONS.c.mode, sa.Text)
                      ).where(FIELD_PERMISSIONS.c.field_id.in_(ids),
                              FIELD_PERMISSIONS.c.role == role)
    rules = sa.select(sa.cast(sa.null(), sa.Integer), ROW_RULES.c.expression).where(
        ROW_RULES.c.table_id == info.id, ROW_RULES.c.role == role)
    modes: dict[int, str] = {}
    rule: str | None = None
    for field_id, text in conn.execute(sa.union_all(perms, rules)):
        if field_id is None:
            rule = text
        else:
            modes[field_id] = text
    hidden = {fid for fid, mode in modes.items() if mode == "hidden"}
    hidden |= _across_restricted_links(conn, info, role)
    visible = tuple(_redacted(f, hidden) for f in info.fields if f.id not in hidden)
    read_only = frozenset(fid for fid, mode in modes.items() if mode == "read_only")
    shown = {f.id for f in visible}
    editable = frozenset(fid for fid, mode in modes.items() if mode == "editable" and fid in shown)
    return TableScope(principal, role, info, replace(info, fields=visible), read_only, rule,
                      editable)


def _links_read(field: FieldInfo) -> set[int]:
    """Ids of the link fields whose linked records a computed field aggregates."""
    from tessera.compute.references import field_id_of, references

    links = {int(field.options["link_field_id"])} if field.options.get("link_field_id") else set()
    expression = field.options.get("expression")
    if expression:
        try:
            links |= {field_id_of(r.link) or 0 for r in references(expression) if r.link}
        except Exception:  # an unparsable stored formula: treat it as reading every link
            links.add(0)
    return links


def _across_restricted_links(conn: Connection, table: TableInfo, role: str) -> set[int]:
    """Lookups, rollups and formulas over ``{Link}.{Field}`` aggregate every linked record,
    including those the role's row rule on the linked table hides; such fields are withheld
    from the role (docs/access.md) rather than shown with values of unseen records."""
    targets = {f.id: int(f.options["target_table_id"]) for f in table.fields
               if f.type == "link" and f.options.get("target_table_id")}
    computed = {f.id: _links_read(f) for f in table.fields if f.read_only and f.type != "link"}
    computed = {fid: links for fid, links in computed.items() if links}
    if not computed:
        return set()
    ruled = set(conn.execute(sa.select(ROW_RULES.c.table_id).where(
        ROW_RULES.c.role == role, ROW_RULES.c.table_id.in_(set(targets.values())))).scalars())
    return {fid for fid, links in computed.items()
            if any(targets.get(link) in ruled or link not in targets for link in links)}


def _redacted(field: FieldInfo, hidden: set[int]) -> FieldInfo:
    """A computed field whose definition names a hidden field loses its formula text."""
    if not hidden or not field.read_only:
        return field
    from tessera.compute.references import field_id_of, references

    options = field.options
    named: set[int] = {options.get("target_field_id") or 0}
    expression = options.get("expression")
    if expression:
        try:
            named |= {field_id_of(r.name) or 0 for r in references(expression)}
            named |= {field_id_of(r.link) or 0 for r in references(expression) if r.link}
        except Exception:  # an unparsable stored formula reveals nothing either
            named |= hidden
    if not named & hidden:
        return field
    cleaned = {k: v for k, v in options.items() if k not in ("formula", "expression")}
    return replace(field, options={**cleaned, "formula": "", "formula_hidden": True})


def _rule_rows(conn: Connection, table: TableInfo, expression: str,
               principal: Principal) -> sa.Select[Any]:
    """SELECT id FROM (the table in formula representation) WHERE the rule is TRUE.

    The statement depends on the schema, the rule, the user (CURRENT_USER) and their groups
    (ISMEMBER) only, so it is kept per schema stamp (``catalog().memo``) — except for rules
    that read the clock (TODAY, NOW), compiled afresh each time."""
    from tessera.schema.catalog import catalog

    upper = expression.upper()
    # only ISMEMBER() reads the groups: other rules skip the query
    groups = (frozenset(group_names(conn, principal.user_id)) if "ISMEMBER" in upper
              else frozenset())
    if "TODAY" in upper or "NOW" in upper:
        return _compile_rule_rows(conn, table, expression, principal, groups)
    key = ("access.rule_rows", table.id, expression, principal.user_id, groups,
           conn.dialect.name)
    kept = catalog(conn).memo(key, lambda: (table, _compile_rule_rows(
        conn, table, expression, principal, groups)))
    if kept[0] is table:
        return kept[1]
    return _compile_rule_rows(conn, table, expression, principal, groups)


def _compile_rule_rows(conn: Connection, table: TableInfo, expression: str,
                       principal: Principal, groups: frozenset[str]) -> sa.Select[Any]:
    from tessera.compute.materialize import Clock, compiled_columns
    from tessera.compute.schema_adapter import current_row
    from tessera.formula.functions.identity import acting_as

    cur = current_row(conn, table, name="rule_row")
    with acting_as(principal.user_id, groups):
        value, error, _typed = compiled_columns(conn, table, expression, "boolean", cur,
                                                Clock.current())
    hints = _index_hints(table, expression, principal, cur)
    return sa.select(cur.c.id).where(error.is_(None), value == sa.true(), *hints)


def _index_hints(table: TableInfo, expression: str, principal: Principal,
                 cur: Any) -> list[sa.ColumnElement[bool]]:
    """Redundant, index-friendly conditions implied by the rule.

    Formula equality treats blank as 0 (``coalesce(col, 0) = coalesce(:v, 0)``), which no index
    can serve. When the rule is (an AND of) ``{number field} = CURRENT_USER()`` or ``= <non-zero
    number>``, ``col = :v`` is implied exactly (the value is not blank or 0), so it is added for
    the planner's benefit: the usual ``{负责人} = CURRENT_USER()`` becomes an index lookup."""
    from tessera.compute.references import field_id_of
    from tessera.formula import ast
    from tessera.formula.parser import parse

    def constant(node: ast.Node) -> float | None:
        if isinstance(node, ast.Call) and node.name == "CURRENT_USER" and not node.args:
            return None if principal.user_id is None else float(principal.user_id)
        if isinstance(node, ast.Number) and node.value:
            return float(node.value)
        return None

    def hints(node: ast.Node) -> list[sa.ColumnElement[bool]]:
        if isinstance(node, ast.Call) and node.name == "AND":
            return [h for arg in node.args for h in hints(arg)]
        if not isinstance(node, ast.Binary) or node.op != "=":
            return []
        for ref, other in ((node.left, node.right), (node.right, node.left)):
            fid = field_id_of(ref.name) if isinstance(ref, ast.FieldRef) else None
            field = next((f for f in table.fields if f.id == fid), None)
            value = constant(other)
            if field is not None and field.column and field.value_kind == "number" \
                    and value is not None:
                integer = isinstance(field.field_type.sql_type(field.options), sa.Integer)
                # an integer column compared with an integer keeps PostgreSQL on its index
                return [cur.c[field.column] == (int(value) if integer and value.is_integer()
                                                else value)]
        return []

    try:
        return hints(parse(expression))
    except Exception:  # the rule itself still applies; only the hint is lost
        return []


def visible_row_ids(conn: Connection, scope: TableScope, ids: list[int]) -> set[int]:
    if scope.rule is None:
        return set(ids)
    t = sa.table(scope.full.physical_name, sa.column("id"))
    rule = scope.rule
    rows = _memoized(("rule_rows", scope.principal, scope.full.id, rule, conn.dialect.name),
                     lambda: _rule_rows(conn, scope.full, rule, scope.principal), scope.full)
    seen: set[int] = set()
    for start in range(0, len(ids), 900):
        chunk = ids[start:start + 900]
        seen |= set(conn.execute(sa.select(t.c.id).where(
            t.c.id.in_(chunk), t.c.id.in_(rows))).scalars())
    return seen


def filter_links(conn: Connection, principal: Principal, field: FieldInfo,
                 links: Mapping[int, list[int]]) -> dict[int, list[int]]:
    """Link cells without the linked records the principal may not see."""
    if principal.is_admin and principal.token_base_ids is None:
        return dict(links)
    target_id = field.options.get("target_table_id")
    wanted = sorted({i for ids in links.values() for i in ids})
    if not target_id or not wanted:
        return dict(links)
    try:
        scope = table_scope(conn, principal, int(target_id), "records.read")
    except (ForbiddenError, SignInRequiredError):
        return {rid: [] for rid in links}
    seen = visible_row_ids(conn, scope, wanted)
    return {rid: [i for i in ids if i in seen] for rid, ids in links.items()}


def require(conn: Connection, principal: Principal, action: str, base_id: int) -> str:
    """Check a base-level action; the principal's role (raises 401/403, 404 in the trash)."""
    _check_open(conn, principal, base_id)
    if principal.is_admin and principal.token_base_ids is None:
        return "owner"
    role = _role(conn, principal, base_id)
    if role is None and principal.user_id is None and not principal.is_admin:
        raise SignInRequiredError()
    if not role_allows(role, action):
        raise forbidden(action, role)
    assert role is not None
    return role



