"""Member self-service: a page per customer reached by an unguessable link (or its QR code),
no login. The link's token (32 random bytes, URL-safe) is shown once when issued; only its
SHA-256 is stored, so a database leak does not leak working links. Issuing a new link revokes
the customer's previous ones; revoking leaves the page answering "not valid".

The page shows exactly the fields configured for the table (``{"title", "fields": [{"field",
"label", "label_en"}], "contact", "contact_en"}``) of the one record the token belongs to."""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Mapping
from typing import Any

import segno
import sqlalchemy as sa

from tessera.errors import NotFoundError
from tessera.outreach.errors import ConfigError, LinkRefused
from tessera.outreach.models import MEMBER_LINKS, MEMBER_PAGES
from tessera.outreach.placeholders import format_value
from tessera.records import RecordService
from tessera.schema.catalog import Bind, get_table, transaction
from tessera.workflow import timebase

__all__ = ["configure_page", "get_page", "issue_link", "revoke_links", "member_view",
           "qr_svg", "token_hash", "MEMBER_PATH"]

MEMBER_PATH = "/m/"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def qr_svg(url: str) -> str:
    """An SVG QR code of ``url`` (error correction M, fits a phone screen or a receipt)."""
    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="svg", scale=4, border=2, xmldecl=False,
                                    title="QR")
    return buf.getvalue().decode()


def _validate(table: Any, config: Mapping[str, Any]) -> dict[str, Any]:
    fields = list(config.get("fields") or [])
    if not fields:
        raise ConfigError("The member page needs a list of fields to show.",
                          "会员页面需要配置要显示的字段列表。")
    for entry in fields:
        try:
            table.field(entry["field"])
        except (NotFoundError, KeyError, TypeError) as exc:
            raise ConfigError(f"The member page names a field {entry!r} that table "
                              f"{table.name!r} does not have.",
                              f"会员页面引用的字段 {entry!r} 在表「{table.name}」中不存在。") from exc
    unknown = set(config) - {"title", "title_en", "fields", "contact", "contact_en"}
    if unknown:
        raise ConfigError(f"Unknown member page setting(s) {sorted(unknown)}.",
                          f"未知会员页面设置 {sorted(unknown)}。")
    return {"title": config.get("title") or "会员中心", "title_en": config.get("title_en"),
            "fields": [{"field": e["field"], "label": e.get("label") or e["field"],
                        "label_en": e.get("label_en")} for e in fields],
            "contact": config.get("contact") or "", "contact_en": config.get("contact_en")}


def configure_page(bind: Bind, *, base_id: int, table_id: int,
                   config: Mapping[str, Any]) -> dict[str, Any]:
    with transaction(bind) as conn:
        cfg = _validate(get_table(conn, table_id), config)
        page = conn.execute(sa.select(MEMBER_PAGES.c.id).where(
            MEMBER_PAGES.c.table_id == table_id)).scalar()
        if page is None:
            conn.execute(sa.insert(MEMBER_PAGES).values(base_id=base_id, table_id=table_id,
                                                        config=cfg, created_at=timebase.now()))
        else:
            conn.execute(sa.update(MEMBER_PAGES).where(MEMBER_PAGES.c.id == page).values(config=cfg))
        return get_page(conn, table_id)


def get_page(bind: Bind, table_id: int) -> dict[str, Any]:
    with transaction(bind) as conn:
        row = conn.execute(sa.select(MEMBER_PAGES).where(MEMBER_PAGES.c.table_id == table_id)).first()
        if row is None:
            raise NotFoundError("member page", table_id)
        return dict(row._mapping)


def issue_link(bind: Bind, table_id: int, record_id: int, *,
               base_url: str = "") -> dict[str, Any]:
    """A new link for the customer (the previous ones stop working). The token is in the
    answer and nowhere else: hand it to the customer now."""
    token = secrets.token_urlsafe(32)
    with transaction(bind) as conn:
        page = get_page(conn, table_id)
        RecordService(conn).get(table_id, record_id)          # the customer must exist
        now = timebase.now()
        conn.execute(sa.update(MEMBER_LINKS).where(
            MEMBER_LINKS.c.page_id == page["id"], MEMBER_LINKS.c.record_id == record_id,
            MEMBER_LINKS.c.revoked_at.is_(None)).values(revoked_at=now))
        link_id = conn.execute(sa.insert(MEMBER_LINKS).values(
            page_id=page["id"], record_id=record_id, token_hash=token_hash(token),
            created_at=now).returning(MEMBER_LINKS.c.id)).scalar_one()
    url = f"{base_url.rstrip('/')}{MEMBER_PATH}{token}"
    return {"link_id": link_id, "record_id": record_id, "token": token, "url": url,
            "qr_svg": qr_svg(url)}


def revoke_links(bind: Bind, table_id: int, record_id: int) -> int:
    with transaction(bind) as conn:
        page = get_page(conn, table_id)
        done = conn.execute(sa.update(MEMBER_LINKS).where(
            MEMBER_LINKS.c.page_id == page["id"], MEMBER_LINKS.c.record_id == record_id,
            MEMBER_LINKS.c.revoked_at.is_(None)).values(revoked_at=timebase.now()))
        return int(done.rowcount or 0)


def member_view(bind: Bind, token: str, *, locale: str = "zh") -> dict[str, Any]:
    """The page's content for a token; LinkRefused for an unknown, revoked or orphaned one."""
    if not token or len(token) > 200:
        raise LinkRefused()
    with transaction(bind) as conn:
        row = conn.execute(sa.select(MEMBER_LINKS, MEMBER_PAGES.c.table_id,
                                     MEMBER_PAGES.c.config).join(
            MEMBER_PAGES, MEMBER_PAGES.c.id == MEMBER_LINKS.c.page_id).where(
            MEMBER_LINKS.c.token_hash == token_hash(token))).first()
        if row is None or row.revoked_at is not None:
            raise LinkRefused()
        try:
            record = RecordService(conn).get(row.table_id, row.record_id)
        except NotFoundError as exc:
            raise LinkRefused() from exc
    cfg = row.config
    english = locale.startswith("en")
    fields = record["fields"]
    return {"title": (english and cfg.get("title_en")) or cfg["title"],
            "rows": [{"label": (english and f.get("label_en")) or f["label"],
                      "value": format_value(fields.get(f["field"]))} for f in cfg["fields"]],
            "contact": (english and cfg.get("contact_en")) or cfg["contact"]}
