"""Registers the Excel primitives (``tx_*``) as deterministic SQL functions on every
SQLite connection made by :func:`tessera.db.create_engine`."""

from __future__ import annotations

import importlib
from typing import Any

from tessera.db import on_sqlite_connect
from tessera.formula.excel import MODULES, SqlFunction

__all__ = ["all_sqlite_functions", "install_sqlite_functions"]


def all_sqlite_functions() -> list[SqlFunction]:
    functions: list[SqlFunction] = []
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # module not written yet
                continue
            raise
        functions.extend(module.SQLITE_FUNCTIONS)
    return functions


def install_sqlite_functions(dbapi_connection: Any) -> None:
    for fn in all_sqlite_functions():
        dbapi_connection.create_function(fn.name, fn.n_args, fn.impl, deterministic=True)


on_sqlite_connect(install_sqlite_functions)
