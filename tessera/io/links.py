"""Link cells → record ids: each value (a cell may hold several, separated like multi-select
values) is looked up in the linked table by its primary field, or by the field ``--link``
names. Lookups are trimmed, case- and width-insensitive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from tessera.fields.parsing import to_text
from tessera.io.errors import ImportFileError
from tessera.io.names import header_key
from tessera.schema.catalog import FieldInfo, get_table, sa_table

__all__ = ["LinkResolver", "split_values", "link_label"]

_SEPARATORS = re.compile(r"[,，;；、\n]")


def split_values(cell: Any) -> list[str]:
    """A cell's values: a list as is, text split on , ， ; ； 、 or line breaks."""
    if cell is None:
        return []
    items = cell if isinstance(cell, list) else _SEPARATORS.split(to_text(cell) or "")
    return [t for t in ((to_text(i) or "").strip() for i in items) if t]


def link_label(stored: Any, field: FieldInfo) -> str:
    """How a linked record is named in a cell (export) and looked up (import)."""
    if field.type in ("date", "datetime"):
        return field.field_type.display(stored, field)
    return to_text(stored) or ""


@dataclass
class LinkResolver:
    """Resolves the cells of one link field against an index built once from the target."""

    field: FieldInfo
    target_field: FieldInfo
    target_table: str
    index: dict[str, list[int]]

    @classmethod
    def build(cls, conn: Connection, field: FieldInfo, by: str | None = None) -> LinkResolver:
        target = get_table(conn, field.options["target_table_id"])
        target_field = target.field(by) if by else target.primary_field
        if target_field.column is None or target_field.type in ("link", "multi_select"):
            raise ImportFileError(
                f"Link {field.name!r}: records of {target.name!r} cannot be found by "
                f"{target_field.name!r} ({target_field.type}); name a text, number or date field "
                f"with --link {field.name}=FIELD.",
                f"关联字段「{field.name}」：不能按「{target_field.name}」（{target_field.type}）"
                f"查找「{target.name}」的记录；请用 --link {field.name}=字段 指定文本、数字或日期字段。",
                code="import_link_field_invalid")
        t = sa_table(target)
        index: dict[str, list[int]] = {}
        column = t.c[target_field.column]
        result = conn.execute(sa.select(t.c.id, column).where(column.is_not(None))
                              .execution_options(yield_per=10_000))
        for rid, stored in result:
            index.setdefault(header_key(link_label(stored, target_field)), []).append(rid)
        return cls(field, target_field, target.name, index)

    def resolve(self, cell: Any) -> tuple[list[int], list[str]]:
        """(record ids, problems) for one cell; a value that matches no record or several
        records is a problem."""
        ids: list[int] = []
        problems: list[str] = []
        for value in split_values(cell):
            found = self.index.get(header_key(value), [])
            if len(found) == 1:
                if found[0] not in ids:
                    ids.append(found[0])
            elif not found:
                problems.append(f"{self.field.name}: no record in {self.target_table!r} has "
                                f"{self.target_field.name} = {value!r} / 「{self.target_table}」"
                                f"中没有「{self.target_field.name}」为 {value!r} 的记录")
            else:
                problems.append(f"{self.field.name}: {len(found)} records in "
                                f"{self.target_table!r} have {self.target_field.name} = "
                                f"{value!r}; make it unique or link by another field / "
                                f"「{self.target_table}」中有 {len(found)} 条记录的"
                                f"「{self.target_field.name}」为 {value!r}")
        if not self.field.options.get("many", True) and len(ids) > 1:
            problems.append(f"{self.field.name}: links to one record only, got {len(ids)} / "
                            f"「{self.field.name}」只能关联一条记录")
        return ids, problems
