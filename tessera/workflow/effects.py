"""Actions whose effect leaves the database: email over SMTP and HTTP webhooks.

The runner records each effect in ``wf_effects`` under the step's idempotency key before
sending and marks it sent afterwards. If a worker dies between the two, the retry sends again
with the same key — the webhook's ``Idempotency-Key`` header and the email's ``Message-ID``
are derived from it, so the receiver can recognise the repeat."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import urllib.error
import urllib.request
from email.message import EmailMessage
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from tessera.auth import outbound
from tessera.auth.outbound import allowed_hosts, check_host
from tessera.workflow.context import StepContext
from tessera.workflow.registry import ActionSpec, define_action, param

__all__ = ["message_id", "signature"]


def message_id(key: str) -> str:
    return f"<{key.replace(':', '.')}@tessera.workflow>"


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _send_email(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    msg = EmailMessage()
    to = options["to"]
    recipients = [t.strip() for t in to.split(",")] if isinstance(to, str) else list(to)
    msg["From"] = options.get("from") or os.environ.get("TESSERA_SMTP_FROM", "tessera@localhost")
    msg["To"] = ", ".join(recipients)
    msg["Subject"] = str(options.get("subject") or "")
    msg["Message-ID"] = message_id(ctx.idempotency_key)
    msg["X-Tessera-Idempotency-Key"] = ctx.idempotency_key
    msg.set_content(str(options.get("body") or ""))
    # An automation's own smtp_host must pass the outbound guard; the operator's
    # TESSERA_SMTP_HOST (default localhost) is trusted configuration.
    # It is resolved once and the connection pinned to the checked address (DNS rebinding).
    connect: Any = smtplib.SMTP
    if options.get("smtp_host"):
        allowed = allowed_hosts(ctx.engine)
        check_host(str(options["smtp_host"]), allowed)
        connect = partial(outbound.SMTP, allowed=allowed)
    host = options.get("smtp_host") or os.environ.get("TESSERA_SMTP_HOST", "localhost")
    port = int(options.get("smtp_port") or os.environ.get("TESSERA_SMTP_PORT", "25"))
    with connect(host, port, timeout=float(options.get("timeout") or 10)) as smtp:
        smtp.send_message(msg)
    return {"message_id": msg["Message-ID"], "to": recipients}


class WebhookError(Exception):
    pass


class _GuardedRedirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to a target that passes the outbound guard too."""

    def __init__(self, allowed: list[str]) -> None:
        self.allowed = allowed

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        _check_url(newurl, self.allowed)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_url(url: str, allowed: list[str]) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise WebhookError(f"{url} is not an http(s) URL")
    if not parts.hostname:   # the host itself is resolved and checked once, at connect
        check_host(parts.hostname, allowed)


def _webhook(ctx: StepContext, options: dict[str, Any]) -> dict[str, Any]:
    payload = options.get("body")
    if payload is None:
        payload = {"automation_id": ctx.automation["id"], "run_id": ctx.run["id"],
                   "record": ctx.record}
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    headers = {"Content-Type": "application/json", "Idempotency-Key": ctx.idempotency_key,
               **{str(k): str(v) for k, v in (options.get("headers") or {}).items()}}
    if options.get("secret"):
        headers["X-Tessera-Signature"] = signature(str(options["secret"]), body)
    allowed = allowed_hosts(ctx.engine)
    _check_url(options["url"], allowed)
    request = urllib.request.Request(options["url"], data=body, headers=headers,
                                     method=options.get("method", "POST"))
    # every connection (redirects too) goes to an address checked when it was resolved
    opener = outbound.opener(allowed, _GuardedRedirects(allowed))
    try:
        with opener.open(request, timeout=float(options.get("timeout") or 10)) as resp:
            status, text = resp.status, resp.read(65536).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        raise WebhookError(f"{options['url']} answered HTTP {exc.code}") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise WebhookError(f"{options['url']} could not be reached: {exc}") from exc
    try:
        parsed: Any = json.loads(text) if text else None
    except ValueError:
        parsed = text
    return {"status": status, "response": parsed}


define_action(ActionSpec(
    "send_email", "Send email", "发送邮件",
    {"required": ["to", "subject"], "properties": {
        "to": param(["string", "array"], "list", "To", "收件人"),
        "subject": param("string", "template", "Subject", "主题"),
        "body": param("string", "textarea", "Body", "正文"),
        "from": param("string", "text", "From", "发件人"),
        "smtp_host": param("string", "text", "SMTP host", "SMTP 主机"),
        "smtp_port": param("integer", "integer", "SMTP port", "SMTP 端口"),
        "timeout": param("number", "number", "Timeout (s)", "超时（秒）")}},
    _send_email, external=True, max_attempts=5))
define_action(ActionSpec(
    "webhook", "Call a webhook", "调用 Webhook",
    {"required": ["url"], "properties": {
        "url": param("string", "template", "URL", "地址"),
        "method": param("string", "enum", "Method", "方法", enum=["POST", "PUT", "PATCH", "GET"]),
        "body": param(["object", "array"], "json", "Body (JSON)", "请求体（JSON）"),
        "headers": param("object", "map", "Headers", "请求头"),
        "secret": param("string", "text", "Signing secret", "签名密钥"),
        "timeout": param("number", "number", "Timeout (s)", "超时（秒）")}},
    _webhook, external=True, max_attempts=5))
