"""Outreach errors: each says what went wrong and what to do, in English and Chinese."""

from __future__ import annotations

from typing import Any

from tessera.errors import TesseraError

__all__ = ["OutreachError", "ConfigError", "SecretKeyError", "ChannelError", "TransientError",
           "PermanentError", "TemplateRenderError", "LinkRefused", "CallbackRefused"]


class OutreachError(TesseraError):
    code = "outreach.error"


class ConfigError(OutreachError):
    """Bad configuration of a template, channel, campaign, queue or member page."""

    code = "outreach.config"

    def __init__(self, en: str, zh: str, **details: Any) -> None:
        super().__init__(en, zh, details=details)


class SecretKeyError(OutreachError):
    code = "outreach.secret_key"
    http_status = 500

    def __init__(self, problem_en: str, problem_zh: str) -> None:
        super().__init__(
            f"{problem_en} Set TESSERA_SECRET_KEY to a long random secret (or "
            "TESSERA_SECRET_KEY_FILE to a file holding one) and restart.",
            f"{problem_zh} 请将 TESSERA_SECRET_KEY 设为足够长的随机密钥（或用 TESSERA_SECRET_KEY_FILE "
            "指向保存密钥的文件）后重启。")


class TemplateRenderError(OutreachError):
    code = "outreach.template"

    def __init__(self, placeholder: str, problem: str) -> None:
        super().__init__(
            f"The placeholder {placeholder!r} could not be filled: {problem}. Check the field "
            "name and the formula in the template.",
            f"占位符 {placeholder!r} 无法填充：{problem}。请检查模板中的字段名和公式。",
            details={"placeholder": placeholder})


class ChannelError(OutreachError):
    """A channel call failed; ``transient`` failures are retried, permanent ones are not."""

    code = "outreach.channel"
    transient = True

    def __init__(self, channel: str, problem: str, *, status: int | None = None) -> None:
        self.channel = channel
        self.status = status
        super().__init__(
            f"Sending through {channel} failed: {problem}.",
            f"通过 {channel} 发送失败：{problem}。",
            details={"channel": channel, "status": status})


class TransientError(ChannelError):
    """Network trouble, 5xx, throttling: worth another attempt."""


class PermanentError(ChannelError):
    """Refused for good (bad number, bad credentials, unknown template): not retried."""

    transient = False


class LinkRefused(OutreachError):
    http_status = 404
    code = "outreach.link"

    def __init__(self) -> None:
        super().__init__("This link is not valid. Ask the clinic for a new one.",
                         "此链接无效，请联系诊所获取新链接。")


class CallbackRefused(OutreachError):
    """A provider callback that cannot be applied: 400 (malformed), 401 (signature), 404."""

    code = "outreach.callback"

    def __init__(self, status: int, en: str, zh: str) -> None:
        self.http_status = status
        super().__init__(en, zh, details={"status": status})
