"""Extension points of schema operations, used by computed fields (tessera.compute).

- ``option_preparers``: ``prepare(conn, table_id, field_type, options, field_id) -> options``
  runs before a field is added, its options updated or its type changed; it may validate
  (raise) and complete the options (a formula's result type, say). ``field_id`` is None for a
  new field.
- ``field_listeners``: ``listen(conn, FieldEvent)`` runs after a change, in its transaction.

Listeners shipped with Tessera are loaded on first use (``DEFAULT_PLUGINS``), so code that only
imports the storage layer still keeps formula columns up to date.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

__all__ = ["FieldEvent", "option_preparers", "field_listeners", "prepare_options", "emit",
           "load_plugins", "DEFAULT_PLUGINS"]

DEFAULT_PLUGINS = ("tessera.compute.hooks",)


@dataclass(frozen=True)
class FieldEvent:
    """kind: added, renamed, options_changed, retyped, deleted. ``field`` is the field after
    the change (before it, for deleted); ``previous`` the field before (renamed/options/retyped)."""

    kind: str
    field: Any
    previous: Any = None


Preparer = Callable[[Connection, int, str, dict[str, Any], int | None], dict[str, Any]]
Listener = Callable[[Connection, FieldEvent], None]

option_preparers: list[Preparer] = []
field_listeners: list[Listener] = []
_loaded = False


def load_plugins() -> None:
    """Import the built-in plugins once (they register themselves)."""
    global _loaded
    if not _loaded:
        _loaded = True
        for name in DEFAULT_PLUGINS:
            importlib.import_module(name)


def prepare_options(conn: Connection, table_id: int, field_type: str, options: dict[str, Any],
                    field_id: int | None) -> dict[str, Any]:
    load_plugins()
    for prepare in option_preparers:
        options = prepare(conn, table_id, field_type, options, field_id)
    return options


def emit(conn: Connection, event: FieldEvent) -> None:
    load_plugins()
    for listen in field_listeners:
        listen(conn, event)
