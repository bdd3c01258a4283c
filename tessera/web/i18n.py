"""Locale negotiation (Accept-Language → "en" or "zh") and the UI's message catalog."""

from __future__ import annotations

from starlette.requests import HTTPConnection

__all__ = ["negotiate", "request_locale", "MESSAGES", "translate"]

SUPPORTED = ("en", "zh")


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an Accept-Language header (default English)."""
    best, best_q = "en", -1.0
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        lang = tag.strip().lower().split("-")[0]
        q = 1.0
        if params.strip().startswith("q="):
            try:
                q = float(params.strip()[2:])
            except ValueError:
                q = 0.0
        if lang in SUPPORTED and (q > best_q) and q > 0:
            best, best_q = lang, q - position * 1e-6
    return best


def request_locale(conn: HTTPConnection) -> str:
    return negotiate(conn.headers.get("accept-language"))


MESSAGES: dict[str, dict[str, str]] = {
    "bases": {"en": "Bases", "zh": "数据库"},
    "no_bases": {"en": "No bases yet. Create one with POST /api/v1/bases.",
                 "zh": "还没有数据库。可以用 POST /api/v1/bases 创建。"},
    "tables": {"en": "Tables", "zh": "表"},
    "no_tables": {"en": "This base has no tables yet.", "zh": "这个数据库还没有表。"},
    "fields": {"en": "fields", "zh": "个字段"},
    "records": {"en": "records", "zh": "条记录"},
    "no_rows": {"en": "No records yet.", "zh": "还没有记录。"},
    "load_more": {"en": "Load more", "zh": "加载更多"},
    "home": {"en": "Home", "zh": "首页"},
    "api": {"en": "API (OpenAPI)", "zh": "API（OpenAPI）"},
    "error": {"en": "Error", "zh": "错误"},
}


def translate(key: str, locale: str) -> str:
    entry = MESSAGES[key]
    return entry.get(locale, entry["en"])
