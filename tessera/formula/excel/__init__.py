"""Excel primitives: the semantics of Excel operations that neither SQL dialect has natively
(General number format, text→number/date coercion, decimal rounding, TEXT format codes,
criteria strings, regular expressions, date arithmetic).

Each primitive exists three times and the three must agree (tests/formula/test_excel_*.py
prove it): a Python function here (used by the interpreter), the same Python function
registered on every SQLite connection as a deterministic SQL function (``tx_*``), and a
PL/pgSQL function of the same name installed on PostgreSQL from ``tessera/formula/pg/*.sql``.

Each module lists its SQLite registrations in ``SQLITE_FUNCTIONS``.
SQL calling convention: a primitive that fails returns SQL NULL; its docstring names the
Excel error that NULL stands for. Dates travel as ISO text on SQLite ('YYYY-MM-DD',
'YYYY-MM-DD HH:MM:SS') and as ``date`` / ``timestamp`` on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["SqlFunction", "MODULES"]


@dataclass(frozen=True)
class SqlFunction:
    """One SQL function registered on SQLite connections."""

    name: str
    n_args: int  # -1 for variadic
    impl: Callable[..., Any]


# The modules that declare SQLITE_FUNCTIONS, in load order.
MODULES = (
    "tessera.formula.excel.numbers",
    "tessera.formula.excel.text_format",
    "tessera.formula.excel.criteria",
    "tessera.formula.excel.regex",
    "tessera.formula.excel.dates",
    "tessera.formula.excel.sums",
)
