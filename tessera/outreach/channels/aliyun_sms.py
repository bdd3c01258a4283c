"""Aliyun SMS (dysmsapi ``SendSms``) with the RPC signature v1, as Aliyun documents it:

1. every parameter except ``Signature`` sorted by name, names and values percent-encoded as
   RFC 3986 (unreserved ``A-Z a-z 0-9 - _ . ~`` kept; space → ``%20``, ``*`` → ``%2A``) and
   joined ``k=v&…``: the canonicalized query string;
2. StringToSign = ``POST&%2F&`` + percent-encode(canonicalized query string);
3. Signature = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign)).

The message's idempotency key goes in ``OutId`` so the provider's receipts name it."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from tessera.outreach.channels.base import ChannelSpec, Message, SendResult, define_channel
from tessera.outreach.channels.http import post
from tessera.outreach.errors import ConfigError, PermanentError, TransientError

__all__ = ["percent_encode", "canonical_query", "string_to_sign", "sign"]

NAME = "aliyun_sms"
# provider codes worth another attempt (rate control, busy)
TRANSIENT_CODES = {"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "Throttling", "SignatureNonceUsed",
                   "ServiceUnavailable", "InternalError"}


def percent_encode(value: Any) -> str:
    return urllib.parse.quote(str(value), safe="-_.~")


def canonical_query(params: Mapping[str, Any]) -> str:
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                    for k, v in sorted(params.items()) if k != "Signature")


def string_to_sign(method: str, params: Mapping[str, Any]) -> str:
    return f"{method}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def sign(secret: str, method: str, params: Mapping[str, Any]) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(),
                      hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _send(config: Mapping[str, Any], secrets: Mapping[str, Any], msg: Message) -> SendResult:
    if not msg.to:
        raise PermanentError(NAME, "the recipient has no mobile number")
    if not secrets.get("access_key_id") or not secrets.get("access_key_secret"):
        raise ConfigError("Aliyun SMS needs access_key_id and access_key_secret.",
                          "阿里云短信需要 access_key_id 和 access_key_secret。")
    params: dict[str, Any] = {
        "AccessKeyId": secrets["access_key_id"], "Action": "SendSms", "Format": "JSON",
        "PhoneNumbers": msg.to, "RegionId": config.get("region", "cn-hangzhou"),
        "SignName": config["sign_name"], "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
        "TemplateCode": config["template_code"],
        "TemplateParam": json.dumps(dict(msg.params), ensure_ascii=False, separators=(",", ":")),
        "Timestamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Version": "2017-05-25", "OutId": msg.idempotency_key,
    }
    params["Signature"] = sign(str(secrets["access_key_secret"]), "POST", params)
    body = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in params.items())
    url = config.get("base_url", "https://dysmsapi.aliyuncs.com").rstrip("/") + "/"
    _, answer = post(NAME, url, body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "Idempotency-Key": msg.idempotency_key}, timeout=float(config.get("timeout", 10)))
    code = (answer or {}).get("Code") if isinstance(answer, dict) else None
    if code == "OK":
        return SendResult(answer.get("BizId"), {"request_id": answer.get("RequestId")})
    problem = f"provider code {code}: {(answer or {}).get('Message') if isinstance(answer, dict) else answer}"
    raise (TransientError if code in TRANSIENT_CODES else PermanentError)(NAME, problem)


define_channel(ChannelSpec(
    NAME, "Aliyun SMS", "阿里云短信",
    {"required": ["sign_name", "template_code"], "properties": {
        "base_url": {"type": "string"}, "region": {"type": "string"},
        "sign_name": {"type": "string"}, "template_code": {"type": "string"},
        "timeout": {"type": "number"}}},
    ("access_key_id", "access_key_secret"), "phone",
    "RPC signature v1: Base64(HMAC-SHA1(secret + '&', 'POST&%2F&' + encoded sorted query))",
    _send))
