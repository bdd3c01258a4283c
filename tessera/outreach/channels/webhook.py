"""A generic signed webhook: JSON ``{to, subject, body, params, idempotency_key}`` with
``X-Tessera-Timestamp`` and ``X-Tessera-Signature: sha256=<hex HMAC-SHA256(secret,
"<timestamp>." + body)>`` (the timestamp inside the MAC stops replays of old deliveries)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from tessera.outreach.channels.base import ChannelSpec, Message, SendResult, define_channel
from tessera.outreach.channels.http import post

__all__ = ["webhook_signature"]


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _send(config: Mapping[str, Any], secrets: Mapping[str, Any], msg: Message) -> SendResult:
    body = json.dumps({"to": msg.to, "subject": msg.subject, "body": msg.body,
                       "params": dict(msg.params), "idempotency_key": msg.idempotency_key},
                      ensure_ascii=False).encode()
    stamp = str(int(time.time()))
    headers = {"Content-Type": "application/json", "Idempotency-Key": msg.idempotency_key,
               "X-Tessera-Timestamp": stamp}
    if secrets.get("secret"):
        headers["X-Tessera-Signature"] = webhook_signature(str(secrets["secret"]), stamp, body)
    status, answer = post("webhook", str(config["url"]), body, headers,
                          timeout=float(config.get("timeout", 10)))
    provider_id = answer.get("id") if isinstance(answer, dict) else None
    return SendResult(str(provider_id) if provider_id is not None else None, {"status": status})


define_channel(ChannelSpec(
    "webhook", "Signed webhook", "签名 Webhook",
    {"required": ["url"], "properties": {"url": {"type": "string"},
                                         "address": {"type": "string"},
                                         "timeout": {"type": "number"}}},
    ("secret",), "none",
    "X-Tessera-Signature: sha256=HMAC-SHA256(secret, timestamp + '.' + body)", _send))
