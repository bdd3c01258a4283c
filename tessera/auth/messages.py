"""The sign-in, setup, audit and trash pages' words in English and Chinese, and the locale
they are shown in (the UI's ``tessera_lang`` cookie when set, else Accept-Language)."""

from __future__ import annotations

from starlette.requests import HTTPConnection

from tessera.web.i18n import SUPPORTED, request_locale

__all__ = ["AUTH_MESSAGES", "auth_locale", "auth_text"]

AUTH_MESSAGES: dict[str, dict[str, str]] = {
    "sign_in": {"en": "Sign in", "zh": "登录"},
    "sign_out": {"en": "Sign out", "zh": "退出登录"},
    "username": {"en": "Username", "zh": "用户名"},
    "password": {"en": "Password", "zh": "密码"},
    "bad_login": {"en": "Wrong username or password; check them and try again.",
                  "zh": "用户名或密码错误，请检查后重试。"},
    "setup_title": {"en": "Create the first administrator", "zh": "创建第一个管理员"},
    "setup_intro": {"en": "No account exists yet. The account you create here administers "
                          "this Tessera installation.",
                    "zh": "还没有任何账号。在此创建的账号将管理此 Tessera 实例。"},
    "create_admin": {"en": "Create administrator", "zh": "创建管理员"},
    "audit_log": {"en": "Audit log", "zh": "审计日志"},
    "when": {"en": "When", "zh": "时间"},
    "who": {"en": "User", "zh": "用户"},
    "action": {"en": "Action", "zh": "操作"},
    "target": {"en": "Target", "zh": "对象"},
    "detail": {"en": "Detail", "zh": "详情"},
    "since": {"en": "From", "zh": "开始日期"},
    "until": {"en": "Before", "zh": "截止日期"},
    "apply": {"en": "Apply", "zh": "应用"},
    "older": {"en": "Older entries", "zh": "更早的记录"},
    "no_entries": {"en": "Nothing recorded.", "zh": "没有记录。"},
    "trash": {"en": "Trash", "zh": "回收站"},
    "trash_intro": {"en": "Deleted items are kept for 30 days, then purged.",
                    "zh": "已删除的内容保留 30 天，之后永久清除。"},
    "kind": {"en": "Kind", "zh": "类型"},
    "deleted_by": {"en": "Deleted by", "zh": "删除者"},
    "restore": {"en": "Restore", "zh": "恢复"},
    "purge": {"en": "Delete forever", "zh": "永久删除"},
    "trash_empty": {"en": "The trash is empty.", "zh": "回收站是空的。"},
}


def auth_locale(conn: HTTPConnection) -> str:
    chosen = conn.cookies.get("tessera_lang", "")
    return chosen if chosen in SUPPORTED else request_locale(conn)


def auth_text(key: str, locale: str) -> str:
    entry = AUTH_MESSAGES[key]
    return entry.get(locale, entry["en"])
