"""Email over SMTP (optionally STARTTLS and login). The ``Message-ID`` is derived from the
idempotency key exactly as the workflow's ``send_email`` does, so a resend after a crash is
recognisable. 4xx SMTP answers and lost connections are transient; 5xx and refused
recipients are permanent."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from tessera.auth.outbound import SMTP  # pinned to the address the guard checked
from tessera.outreach.channels.base import ChannelSpec, Message, SendResult, define_channel
from tessera.outreach.errors import PermanentError, TransientError
from tessera.workflow.effects import message_id

NAME = "email"


def _send(config: Mapping[str, Any], secrets: Mapping[str, Any], msg: Message) -> SendResult:
    if not msg.to:
        raise PermanentError(NAME, "the recipient has no email address")
    mail = EmailMessage()
    mail["From"] = str(config["from"])
    mail["To"] = msg.to
    mail["Subject"] = msg.subject
    mail["Message-ID"] = message_id(msg.idempotency_key)
    mail["X-Tessera-Idempotency-Key"] = msg.idempotency_key
    mail.set_content(msg.body)
    try:
        with SMTP(str(config.get("host", "localhost")), int(config.get("port", 25)),
                          timeout=float(config.get("timeout", 10))) as smtp:
            if config.get("starttls"):
                smtp.starttls()
            if secrets.get("username"):
                smtp.login(str(secrets["username"]), str(secrets.get("password", "")))
            smtp.send_message(mail)
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(NAME, f"the server refused {msg.to}") from exc
    except smtplib.SMTPResponseException as exc:
        kind = TransientError if 400 <= exc.smtp_code < 500 else PermanentError
        raise kind(NAME, f"SMTP {exc.smtp_code} {exc.smtp_error!r}", status=exc.smtp_code) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(NAME, f"the SMTP server could not be reached ({exc})") from exc
    return SendResult(mail["Message-ID"], {})


define_channel(ChannelSpec(
    NAME, "Email (SMTP)", "电子邮件（SMTP）",
    {"required": ["from"], "properties": {
        "host": {"type": "string"}, "port": {"type": "integer"}, "from": {"type": "string"},
        "starttls": {"type": "boolean"}, "timeout": {"type": "number"}}},
    ("username", "password"), "email", "SMTP AUTH with the stored username and password",
    _send))
