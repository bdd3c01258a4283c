"""Group-bot webhooks: 企业微信 (WeCom) and DingTalk.

WeCom's bot is authenticated by the ``key`` in its URL (a secret here). DingTalk's "加签" mode
appends ``timestamp`` (ms) and ``sign`` = URL-encoded Base64(HMAC-SHA256(secret,
"<timestamp>\\n<secret>")) to the URL, as DingTalk documents. Both answer ``{"errcode": 0}``."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from tessera.outreach.channels.base import ChannelSpec, Message, SendResult, define_channel
from tessera.outreach.channels.http import post
from tessera.outreach.errors import PermanentError, TransientError

__all__ = ["dingtalk_sign"]

# "too many requests" codes of the two bots: retried
WECOM_BUSY = {45009, -1}
DINGTALK_BUSY = {130101, -1}


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(),
                      hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _text_body(config: Mapping[str, Any], msg: Message) -> bytes:
    if config.get("markdown"):
        title = msg.subject or msg.body[:20]
        body: dict[str, Any] = {"msgtype": "markdown",
                                "markdown": {"title": title, "content": msg.body, "text": msg.body}}
    else:
        body = {"msgtype": "text", "text": {"content": msg.body}}
    return json.dumps(body, ensure_ascii=False).encode()


def _check(name: str, answer: Any, busy: set[int]) -> SendResult:
    code = answer.get("errcode") if isinstance(answer, dict) else None
    if code == 0:
        return SendResult(None, {"errmsg": answer.get("errmsg")})
    kind = TransientError if code in busy else PermanentError
    raise kind(name, f"errcode {code}: {answer.get('errmsg') if isinstance(answer, dict) else answer}")


def _wecom(config: Mapping[str, Any], secrets: Mapping[str, Any], msg: Message) -> SendResult:
    base = config.get("base_url", "https://qyapi.weixin.qq.com").rstrip("/")
    url = f"{base}/cgi-bin/webhook/send?key={urllib.parse.quote(str(secrets.get('key', '')))}"
    _, answer = post("wecom_bot", url, _text_body(config, msg),
                     {"Content-Type": "application/json",
                      "Idempotency-Key": msg.idempotency_key})
    return _check("wecom_bot", answer, WECOM_BUSY)


def _dingtalk(config: Mapping[str, Any], secrets: Mapping[str, Any], msg: Message) -> SendResult:
    base = config.get("base_url", "https://oapi.dingtalk.com").rstrip("/")
    query = {"access_token": str(secrets.get("access_token", ""))}
    if secrets.get("secret"):
        stamp = int(time.time() * 1000)
        query.update(timestamp=str(stamp), sign=dingtalk_sign(str(secrets["secret"]), stamp))
    url = f"{base}/robot/send?{urllib.parse.urlencode(query)}"
    _, answer = post("dingtalk_bot", url, _text_body(config, msg),
                     {"Content-Type": "application/json",
                      "Idempotency-Key": msg.idempotency_key})
    return _check("dingtalk_bot", answer, DINGTALK_BUSY)


_BOT_SCHEMA = {"properties": {"base_url": {"type": "string"}, "markdown": {"type": "boolean"}}}

define_channel(ChannelSpec(
    "wecom_bot", "WeCom group bot", "企业微信群机器人", _BOT_SCHEMA, ("key",), "none",
    "the webhook key in the URL", _wecom))
define_channel(ChannelSpec(
    "dingtalk_bot", "DingTalk group bot", "钉钉群机器人", _BOT_SCHEMA,
    ("access_token", "secret"), "none",
    "timestamp + sign = Base64(HMAC-SHA256(secret, timestamp + '\\n' + secret)) in the URL",
    _dingtalk))
