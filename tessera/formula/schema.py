"""What the checker and SQL compiler need to know about the table a formula lives in.

:class:`TableSchema` is the one implementation: ``evaluate_sql`` builds one over temporary
tables, the storage layer builds one from its metadata (``t_<id>``, ``f_<id>``,
``l_<field_id>(src_id, dst_id)``). Field names match after trimming spaces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tessera.formula.types import FType

__all__ = ["FieldInfo", "LinkInfo", "TableSchema", "Schema", "STORED_PLAIN", "STORED_UTC", "STORED_CHECKBOX",
           "STORED_OPTIONS"]


# How a column stores a value when that differs from the formula representation (sqlcore.py):
STORED_PLAIN = ""  # as the formula runtime represents its type
STORED_UTC = "utc"  # a datetime as UTC: 'YYYY-MM-DDTHH:MM:SSZ' text (SQLite), timestamptz (PostgreSQL)
STORED_CHECKBOX = "checkbox"  # a boolean whose NULL means FALSE (a checkbox is never blank)
STORED_OPTIONS = "options"  # a multi-select: a JSON array of option labels (type TEXT)


@dataclass(frozen=True, slots=True)
class FieldInfo:
    name: str
    type: FType  # the scalar type of one cell
    column: str  # SQL column of the physical table
    stored: str = STORED_PLAIN  # one of the STORED_* encodings above

    @property
    def options(self) -> bool:
        """A multi-select field: a list of labels for range functions, their text joined with
        ", " everywhere else."""
        return self.stored == STORED_OPTIONS


@dataclass(frozen=True, slots=True)
class LinkInfo:
    name: str
    target: TableSchema  # the linked table
    junction: str  # junction table name
    src_column: str  # junction column holding this table's row id
    dst_column: str  # junction column holding the target row id


class Schema(Protocol):
    table: str
    id_column: str

    def field(self, name: str) -> FieldInfo | None: ...
    def link(self, name: str) -> LinkInfo | None: ...
    def field_names(self) -> list[str]: ...
    def link_names(self) -> list[str]: ...


@dataclass(frozen=True)
class TableSchema:
    table: str
    id_column: str = "id"
    fields: dict[str, FieldInfo] = field(default_factory=dict)
    links: dict[str, LinkInfo] = field(default_factory=dict)

    def field(self, name: str) -> FieldInfo | None:
        return self.fields.get(name.strip())

    def link(self, name: str) -> LinkInfo | None:
        return self.links.get(name.strip())

    def field_names(self) -> list[str]:
        return list(self.fields)

    def link_names(self) -> list[str]:
        return list(self.links)
