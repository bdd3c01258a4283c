"""Building blocks of the SQL compiler, shared by the operators and every function module.

A compiled node is a :class:`SqlValue`: ``value`` (a SQLAlchemy expression; SQL NULL is blank)
and ``error`` (None when the node can never fail, else an expression that is NULL or an Excel
error code). When ``error`` is not NULL the value is meaningless. Representations: numbers
double precision; text non-empty text or NULL; booleans SQLite 0/1, PostgreSQL boolean; dates
SQLite ISO text ('YYYY-MM-DD', 'YYYY-MM-DD HH:MM:SS'), PostgreSQL date / timestamp.

The coercions below mirror :mod:`tessera.formula.values` one to one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnElement

from tessera.formula.types import FType

__all__ = ["SqlValue", "SqlContext", "first_error", "error_literal"]

F = sa.func
Expr = ColumnElement[Any]


@dataclass(frozen=True, slots=True)
class SqlValue:
    value: Expr
    error: Expr | None = None


def error_literal(code: str) -> Expr:
    return sa.cast(sa.literal(code), sa.Text)


def first_error(*errors: Expr | None) -> Expr | None:
    """The first non-NULL error in evaluation order (None when none can occur)."""
    present = [e for e in errors if e is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return F.coalesce(*present)


def when_error(condition: Expr, code: str) -> Expr:
    return sa.case((condition, error_literal(code)))


@dataclass
class SqlContext:
    """Per-compilation state: dialect, schema, clock, the current row's table alias."""

    dialect: str  # "sqlite" | "postgresql"
    schema: Any
    today: dt.date
    now: dt.datetime
    row: Any  # the FROM clause object of the current record (table or alias)
    compile: Any = None  # callable(Typed) -> SqlValue, set by the compiler
    counter: list[int] = field(default_factory=lambda: [0])
    # Full recomputes: ``groups.link(link)`` gives a link's shared aliases and turns the list
    # aggregates over it into columns of one GROUP BY (tessera.compute.link_groups); None:
    # correlated subqueries per record.
    groups: Any = None
    # Derived tables the statement LEFT JOINs to the current row, as (table, ON clause), added
    # by functions that would otherwise probe them with correlated subqueries in every place
    # the compiled formula repeats them (tessera.compute.column_functions); None: the caller
    # does not add joins, so functions must not ask for any.
    joins: list[tuple[Any, Any]] | None = None

    @property
    def pg(self) -> bool:
        return self.dialect == "postgresql"

    def fresh_name(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]}"

    # ----- literals -------------------------------------------------------------------------
    def number(self, x: float) -> Expr:
        return sa.cast(sa.literal(float(x)), sa.Float(53))

    def text(self, s: str) -> Expr:
        return sa.cast(sa.literal(s), sa.Text)

    def boolean(self, b: bool) -> Expr:
        return sa.true() if b else sa.false()

    def date(self, d: dt.date) -> Expr:
        if isinstance(d, dt.datetime):
            if self.pg:
                return sa.cast(sa.literal(d), sa.DateTime)
            return self.text(d.strftime("%Y-%m-%d %H:%M:%S"))
        if self.pg:
            return sa.cast(sa.literal(d), sa.Date)
        return self.text(d.isoformat())

    def null(self, t: FType) -> Expr:
        sql_type = {
            "number": sa.Float(53), "text": sa.Text, "boolean": sa.Boolean,
            "date": sa.Date if self.pg else sa.Text, "datetime": sa.DateTime if self.pg else sa.Text,
        }.get(t.kind)
        return sa.cast(sa.null(), sql_type) if sql_type is not None else sa.null()

    # ----- text helpers ---------------------------------------------------------------------
    def lower(self, e: Expr) -> Expr:
        """ASCII lower-casing identical on both dialects (and values.ascii_lower)."""
        return F.lower(sa.collate(e, "C")) if self.pg else F.lower(e)

    def upper(self, e: Expr) -> Expr:
        return F.upper(sa.collate(e, "C")) if self.pg else F.upper(e)

    def nonempty(self, e: Expr) -> Expr:
        """'' is blank: text results pass through NULLIF(x, '')."""
        return F.nullif(e, "")

    def length(self, e: Expr) -> Expr:
        return sa.cast(F.length(e), sa.Float(53))

    def floor(self, x: Expr) -> Expr:
        """floor(x) as a double. On SQLite, tessera.db installs a NULL-safe floor() returning a
        double on every connection (SQLAlchemy's pysqlite dialect would otherwise put Python's
        math.floor there), so ``x`` appears once in the SQL: nested formulas must not repeat
        their arguments, or the statement grows exponentially with the nesting."""
        return F.floor(x)

    # ----- stored columns (schema.STORED_*) ---------------------------------------------------
    def stored(self, column: Expr, info: Any) -> Expr:
        """A column of a physical table, read in the formula representation of ``info``
        (a schema.FieldInfo): UTC datetimes as naive UTC, a NULL checkbox as FALSE, a
        multi-select as its labels joined with ", "."""
        how = info.stored
        if how == "utc":
            if self.pg:
                return F.timezone("UTC", column)
            return F.strftime("%Y-%m-%d %H:%M:%S", column)
        if how == "checkbox":
            return F.coalesce(column, self.boolean(False))
        if how == "options":
            return self.options_text(column)
        return column

    def option_items(self, column: Expr) -> tuple[Any, Expr, Expr]:
        """(FROM object, label, position) of the labels of a multi-select's JSON array."""
        name = self.fresh_name("opt")
        if self.pg:
            fn = F.jsonb_array_elements_text(column).table_valued("value", with_ordinality="ord").render_derived(name)
            return fn, fn.c.value, fn.c.ord
        fn = F.json_each(column).table_valued("value", "key").alias(name)
        return fn, fn.c.value, fn.c.key

    def options_text(self, column: Expr) -> Expr:
        """A multi-select's labels joined with ", " in their stored order (NULL when none)."""
        src, value, position = self.option_items(column)
        if self.pg:
            from sqlalchemy.dialects.postgresql import aggregate_order_by

            joined = F.string_agg(value, aggregate_order_by(sa.literal(", "), position))
        else:  # json_each yields the array in order and a plain scan keeps it
            joined = F.group_concat(value, ", ")
        return sa.type_coerce(sa.select(joined).select_from(src).scalar_subquery(), sa.Text)

    # ----- dates ----------------------------------------------------------------------------
    def serial(self, e: Expr, kind: str) -> Expr:
        """Excel serial number of a date / datetime (NULL stays NULL)."""
        if not self.pg:
            if kind == "date":
                return F.julianday(e) - 2415018.5  # whole days: exact
            # julianday() arithmetic differs from Python's days + seconds/86400 in the last bit
            return F.tx_date_to_serial(e)
        if kind == "date":
            return sa.cast(e - sa.cast(sa.literal(dt.date(1899, 12, 30)), sa.Date), sa.Float(53))
        delta = e - sa.cast(sa.literal(dt.datetime(1899, 12, 30)), sa.DateTime)
        return sa.cast(sa.extract("epoch", delta), sa.Float(53)) / 86400.0

    def serial_to_date(self, n: Expr) -> Expr:
        if not self.pg:
            return F.date(n + 2415018.5)  # date() of a julian day drops the time: floor
        return sa.cast(sa.literal(dt.date(1899, 12, 30)), sa.Date) + sa.cast(F.floor(n), sa.Integer)

    def serial_to_datetime(self, n: Expr) -> Expr:
        seconds = self.round_half_away(n * 86400.0)
        if not self.pg:
            return F.datetime("1899-12-30", sa.cast(sa.cast(seconds, sa.Integer), sa.Text) + " seconds")
        return sa.cast(sa.literal(dt.datetime(1899, 12, 30)), sa.DateTime) + F.make_interval(
            0, 0, 0, 0, 0, 0, seconds
        )

    def round_half_away(self, n: Expr) -> Expr:
        """Round to an integer, halves away from zero (SQLite round() does; PG numeric does)."""
        if self.pg:
            return sa.cast(F.round(sa.cast(n, sa.Numeric)), sa.Float(53))
        return F.round(n)

    def date_part(self, e: Expr, part: str) -> Expr:
        """year / month / day / hour / minute / second of a date-like value, as a number."""
        if self.pg:
            return sa.cast(sa.extract(part, e), sa.Float(53))
        fmt = {"year": "%Y", "month": "%m", "day": "%d", "hour": "%H", "minute": "%M", "second": "%S"}[part]
        return sa.cast(F.strftime(fmt, e), sa.Float(53))

    def date_text(self, e: Expr, kind: str) -> Expr:
        """ISO text of a date / datetime."""
        if not self.pg:
            return e
        return F.to_char(e, "YYYY-MM-DD" if kind == "date" else "YYYY-MM-DD HH24:MI:SS")

    def as_date(self, e: Expr) -> Expr:
        """The date part of a datetime."""
        return sa.cast(e, sa.Date) if self.pg else F.date(e)

    def as_datetime(self, e: Expr) -> Expr:
        return sa.cast(e, sa.DateTime) if self.pg else F.datetime(e)


# ----- coercions (mirror values.to_number / to_text / to_boolean / to_date / to_datetime) ------


def convert(ctx: SqlContext, sv: SqlValue, src: FType, kind: str) -> SqlValue:
    """``sv`` (of static type ``src``) coerced to ``kind``; errors of the coercion appended."""
    if kind == "any" and not src.is_list:
        return sv
    if src.is_list:
        return SqlValue(ctx.null(FType(kind)), first_error(sv.error, error_literal("#VALUE!")))
    if src.kind == "error":
        return SqlValue(ctx.null(FType(kind)), sv.error)
    return _CONVERTERS[kind](ctx, sv, src)


def _to_number(ctx: SqlContext, sv: SqlValue, src: FType) -> SqlValue:
    v, k = sv.value, src.kind
    if k == "blank":
        return SqlValue(ctx.number(0), sv.error)
    if k == "number":
        return SqlValue(F.coalesce(v, ctx.number(0)), sv.error)
    if k == "boolean":
        return SqlValue(sa.case((v, 1.0), else_=0.0), sv.error)
    if k in ("date", "datetime"):
        return SqlValue(F.coalesce(ctx.serial(v, k), ctx.number(0)), sv.error)
    parsed = F.tx_to_number(v)
    err = when_error(sa.and_(v.is_not(None), parsed.is_(None)), "#VALUE!")
    return SqlValue(F.coalesce(parsed, ctx.number(0)), first_error(sv.error, err))


def _to_text(ctx: SqlContext, sv: SqlValue, src: FType) -> SqlValue:
    v, k = sv.value, src.kind
    if k == "blank":
        return SqlValue(ctx.text(""), sv.error)
    if k == "number":
        return SqlValue(F.coalesce(general_text(ctx, v), ""), sv.error)
    if k == "boolean":
        return SqlValue(sa.case((v.is_(None), ""), (v, "TRUE"), else_="FALSE"), sv.error)
    if k in ("date", "datetime"):
        return SqlValue(F.coalesce(ctx.date_text(v, k), ""), sv.error)
    return SqlValue(F.coalesce(v, ""), sv.error)


def general_text(ctx: SqlContext, v: Expr) -> Expr:
    """A number's General text (``tx_general``). A whole number below 1e15 is written as its
    integer digits (``-0`` as ``0``) in native SQL, without calling the function once per row,
    when ``v`` is cheap to evaluate more than once (no function ``tx_*``, no subquery)."""
    if not _cheap(v):
        return F.tx_general(v)
    whole = sa.cast(v, sa.BigInteger)  # (SQLite saturates; PostgreSQL only casts below 1e15)
    integral = F.trunc(v) == v if ctx.pg else whole == v
    return sa.case((sa.and_(F.abs(v) < 1e15, integral), sa.cast(whole, sa.Text)), else_=F.tx_general(v))


def _cheap(v: Expr) -> bool:
    for element in visitors.iterate(v):
        if isinstance(element, sa.sql.selectable.ScalarSelect | sa.sql.selectable.SelectBase):
            return False
        if isinstance(element, sa.sql.functions.FunctionElement) and getattr(element, "name", "").startswith("tx_"):
            return False
    return True


def _to_boolean(ctx: SqlContext, sv: SqlValue, src: FType) -> SqlValue:
    v, k = sv.value, src.kind
    if k == "blank":
        return SqlValue(ctx.boolean(False), sv.error)
    if k == "boolean":
        return SqlValue(F.coalesce(v, ctx.boolean(False)), sv.error)
    if k == "number":
        return SqlValue(F.coalesce(v, 0.0) != 0, sv.error)
    if k in ("date", "datetime"):
        return SqlValue(F.coalesce(ctx.serial(v, k), 0.0) != 0, sv.error)
    low = ctx.lower(v)
    value = sa.case((low == "true", ctx.boolean(True)), else_=ctx.boolean(False))
    err = when_error(sa.and_(v.is_not(None), low.not_in(["true", "false"])), "#VALUE!")
    return SqlValue(value, first_error(sv.error, err))


def _from_excel_serial(ctx: SqlContext, sv: SqlValue, kind: str) -> SqlValue:
    """A number where a date is expected (mirrors values._excel_serial): #NUM! out of range."""
    if kind == "date":
        r = F.tx_serial_to_date(sv.value, type_=sa.Date if ctx.pg else None)
    else:
        r = F.tx_serial_to_datetime(sv.value, type_=sa.DateTime if ctx.pg else None)
    return SqlValue(r, first_error(sv.error, when_error(sa.and_(sv.value.is_not(None), r.is_(None)), "#NUM!")))


def _to_date(ctx: SqlContext, sv: SqlValue, src: FType) -> SqlValue:
    v, k = sv.value, src.kind
    if k == "blank":
        return SqlValue(ctx.null(FType("date")), sv.error)
    if k == "date":
        return sv
    if k == "datetime":
        return SqlValue(ctx.as_date(v), sv.error)
    if k == "number":
        return _from_excel_serial(ctx, sv, "date")
    if k == "boolean":
        return SqlValue(ctx.null(FType("date")), first_error(sv.error, when_error(v.is_not(None), "#VALUE!")))
    parsed = ctx.as_date(F.tx_to_datetime(v))
    err = when_error(sa.and_(v.is_not(None), parsed.is_(None)), "#VALUE!")
    return SqlValue(parsed, first_error(sv.error, err))


def _to_datetime(ctx: SqlContext, sv: SqlValue, src: FType) -> SqlValue:
    v, k = sv.value, src.kind
    if k == "blank":
        return SqlValue(ctx.null(FType("datetime")), sv.error)
    if k == "datetime":
        return sv
    if k == "date":
        return SqlValue(ctx.as_datetime(v), sv.error)
    if k == "number":
        return _from_excel_serial(ctx, sv, "datetime")
    if k == "boolean":
        return SqlValue(ctx.null(FType("datetime")), first_error(sv.error, when_error(v.is_not(None), "#VALUE!")))
    parsed = F.tx_to_datetime(v)
    err = when_error(sa.and_(v.is_not(None), parsed.is_(None)), "#VALUE!")
    return SqlValue(parsed, first_error(sv.error, err))


_CONVERTERS = {
    "number": _to_number,
    "text": _to_text,
    "boolean": _to_boolean,
    "date": _to_date,
    "datetime": _to_datetime,
}
