"""Message templates: per-language subject, body and provider params, each a placeholder text
(see placeholders.py), kept for one customer table, previewed against real records.

``bodies`` = ``{"zh": {"subject": …, "body": …, "params": {"name": "{姓名}"}}, "en": {…}}``.
A recipient gets the language named by the campaign's ``language_field`` when the template
has it, otherwise the template's default language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from tessera.errors import NotFoundError
from tessera.outreach.errors import ConfigError
from tessera.outreach.models import TEMPLATES
from tessera.outreach.placeholders import check, fill
from tessera.records import RecordService
from tessera.schema.catalog import Bind, TableInfo, get_table, transaction
from tessera.workflow import timebase
from tessera.workflow.templates import record_env

__all__ = ["Rendered", "create_template", "update_template", "get_template", "list_templates",
           "delete_template", "render_message", "preview", "pick_language"]

_PARTS = ("subject", "body")


@dataclass(frozen=True)
class Rendered:
    language: str
    subject: str
    body: str
    params: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"language": self.language, "subject": self.subject, "body": self.body,
                "params": self.params}


def _validate(table: TableInfo, bodies: Mapping[str, Any], default_language: str) -> None:
    if not bodies:
        raise ConfigError("A template needs at least one language with a body.",
                          "模板至少需要一种语言的正文。")
    if default_language not in bodies:
        raise ConfigError(f"The default language {default_language!r} has no text; add it or "
                          f"choose one of {sorted(bodies)}.",
                          f"默认语言 {default_language!r} 没有内容，请补充或从 {sorted(bodies)} 中选择。")
    names = {f.name for f in table.fields}
    for lang, parts in bodies.items():
        if not isinstance(parts, Mapping) or not parts.get("body"):
            raise ConfigError(f"Language {lang!r} needs a body.", f"语言 {lang!r} 缺少正文。")
        for key in _PARTS:
            check(str(parts.get(key) or ""), names)
        for text in (parts.get("params") or {}).values():
            check(str(text), names)


def _row(conn: sa.Connection, template_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(TEMPLATES).where(TEMPLATES.c.id == template_id)).first()
    if row is None:
        raise NotFoundError("template", template_id)
    return dict(row._mapping)


def create_template(bind: Bind, *, base_id: int, table_id: int, name: str,
                    bodies: Mapping[str, Any], default_language: str = "zh") -> dict[str, Any]:
    with transaction(bind) as conn:
        _validate(get_table(conn, table_id), bodies, default_language)
        now = timebase.now()
        tid = conn.execute(sa.insert(TEMPLATES).values(
            base_id=base_id, table_id=table_id, name=name, bodies=dict(bodies),
            default_language=default_language, created_at=now, updated_at=now)
            .returning(TEMPLATES.c.id)).scalar_one()
        return _row(conn, tid)


def update_template(bind: Bind, template_id: int, *, name: str | None = None,
                    bodies: Mapping[str, Any] | None = None,
                    default_language: str | None = None) -> dict[str, Any]:
    _forget()
    with transaction(bind) as conn:
        row = _row(conn, template_id)
        new_bodies = dict(bodies) if bodies is not None else row["bodies"]
        lang = default_language or row["default_language"]
        _validate(get_table(conn, row["table_id"]), new_bodies, lang)
        conn.execute(sa.update(TEMPLATES).where(TEMPLATES.c.id == template_id).values(
            name=name or row["name"], bodies=new_bodies, default_language=lang,
            updated_at=timebase.now()))
        return _row(conn, template_id)


def get_template(bind: Bind, template_id: int) -> dict[str, Any]:
    with transaction(bind) as conn:
        return _row(conn, template_id)


def list_templates(bind: Bind, base_id: int) -> list[dict[str, Any]]:
    with transaction(bind) as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(TEMPLATES).where(TEMPLATES.c.base_id == base_id).order_by(TEMPLATES.c.id))]


def delete_template(bind: Bind, template_id: int) -> None:
    _forget()
    with transaction(bind) as conn:
        _row(conn, template_id)
        conn.execute(sa.delete(TEMPLATES).where(TEMPLATES.c.id == template_id))


def pick_language(template: Mapping[str, Any], wanted: Any) -> str:
    wanted = str(wanted or "").strip()
    return wanted if wanted in template["bodies"] else template["default_language"]


def render_message(template: Mapping[str, Any], env: Mapping[str, Any], *,
                   language: str | None = None, today: dt.date | None = None) -> Rendered:
    lang = pick_language(template, language)
    parts = template["bodies"][lang]
    return Rendered(lang, fill(str(parts.get("subject") or ""), env, today=today),
                    fill(str(parts["body"]), env, today=today),
                    {k: fill(str(v), env, today=today)
                     for k, v in (parts.get("params") or {}).items()})


def preview(bind: Bind, template_id: int, record_ids: list[int], *,
            language: str | None = None) -> list[dict[str, Any]]:
    """The messages these records would receive (nothing is sent or stored)."""
    with transaction(bind) as conn:
        template = _row(conn, template_id)
        table = get_table(conn, template["table_id"])
        svc = RecordService(conn)
        out = []
        for rid in record_ids:
            env = record_env(table, svc.get(table.id, rid))
            out.append({"record_id": rid, **render_message(
                template, env, language=language, today=timebase.today()).to_dict()})
        return out


def _forget() -> None:
    from tessera.outreach.sending import clear_cache

    clear_cache()
