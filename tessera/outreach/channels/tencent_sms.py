"""Tencent Cloud SMS (``SendSms``, API 2021-01-11) signed with TC3-HMAC-SHA256, as Tencent
Cloud documents it:

CanonicalRequest = ``POST\\n/\\n\\ncontent-type:application/json; charset=utf-8\\nhost:<host>\\n``
``\\ncontent-type;host\\n`` + hex(SHA256(payload));
StringToSign = ``TC3-HMAC-SHA256\\n<timestamp>\\n<date>/sms/tc3_request\\n`` + hex(SHA256(CR));
key = HMAC(HMAC(HMAC("TC3" + SecretKey, date), "sms"), "tc3_request");
Authorization = ``TC3-HMAC-SHA256 Credential=<SecretId>/<date>/sms/tc3_request,
SignedHeaders=content-type;host, Signature=<hex HMAC(key, StringToSign)>``.

The message's idempotency key travels in ``SessionContext``."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

from tessera.outreach.channels.base import ChannelSpec, Message, SendResult, define_channel
from tessera.outreach.channels.http import post
from tessera.outreach.errors import ConfigError, PermanentError, TransientError

__all__ = ["canonical_request", "tc3_signature", "authorization", "CONTENT_TYPE"]

NAME = "tencent_sms"
SERVICE = "sms"
CONTENT_TYPE = "application/json; charset=utf-8"
TRANSIENT_CODES = {"RequestLimitExceeded", "InternalError", "FailedOperation.InsufficientBalanceInSmsPackage",
                   "LimitExceeded.PhoneNumberThirtySecondLimit"}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode(), hashlib.sha256).digest()


def canonical_request(host: str, payload: bytes) -> str:
    return (f"POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n\ncontent-type;host\n"
            f"{_sha256(payload)}")


def tc3_signature(secret_key: str, host: str, payload: bytes, timestamp: int) -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{SERVICE}/tc3_request"
    to_sign = (f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n"
               f"{_sha256(canonical_request(host, payload).encode())}")
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), SERVICE), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


def authorization(secret_id: str, secret_key: str, host: str, payload: bytes,
                  timestamp: int) -> str:
    date = dt.datetime.fromtimestamp(timestamp, dt.UTC).strftime("%Y-%m-%d")
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{date}/{SERVICE}/tc3_request, "
            f"SignedHeaders=content-type;host, "
            f"Signature={tc3_signature(secret_key, host, payload, timestamp)}")


def _phone(number: str, country: str) -> str:
    number = number.strip().replace(" ", "")
    return number if number.startswith("+") else f"{country}{number}"


def _send(config: Mapping[str, Any], secrets: Mapping[str, Any], msg: Message) -> SendResult:
    if not msg.to:
        raise PermanentError(NAME, "the recipient has no mobile number")
    if not secrets.get("secret_id") or not secrets.get("secret_key"):
        raise ConfigError("Tencent Cloud SMS needs secret_id and secret_key.",
                          "腾讯云短信需要 secret_id 和 secret_key。")
    order = list(config.get("param_order") or msg.params.keys())
    payload = json.dumps({
        "PhoneNumberSet": [_phone(msg.to, config.get("country_code", "+86"))],
        "SmsSdkAppId": config["sdk_app_id"], "SignName": config["sign_name"],
        "TemplateId": config["template_id"],
        "TemplateParamSet": [str(msg.params.get(k, "")) for k in order],
        "SessionContext": msg.idempotency_key}, ensure_ascii=False).encode()
    url = config.get("base_url", "https://sms.tencentcloudapi.com").rstrip("/") + "/"
    host = urllib.parse.urlsplit(url).netloc
    now = int(time.time())
    headers = {"Authorization": authorization(str(secrets["secret_id"]),
                                              str(secrets["secret_key"]), host, payload, now),
               "Content-Type": CONTENT_TYPE, "Host": host, "X-TC-Action": "SendSms",
               "X-TC-Timestamp": str(now), "X-TC-Version": "2021-01-11",
               "X-TC-Region": config.get("region", "ap-guangzhou")}
    _, answer = post(NAME, url, payload, headers, timeout=float(config.get("timeout", 10)))
    response = (answer or {}).get("Response", {}) if isinstance(answer, dict) else {}
    error = response.get("Error")
    if error:
        kind = TransientError if error.get("Code") in TRANSIENT_CODES else PermanentError
        raise kind(NAME, f"provider code {error.get('Code')}: {error.get('Message')}")
    status = (response.get("SendStatusSet") or [{}])[0]
    if status.get("Code") == "Ok":
        return SendResult(status.get("SerialNo"), {"request_id": response.get("RequestId")})
    kind = TransientError if status.get("Code") in TRANSIENT_CODES else PermanentError
    raise kind(NAME, f"provider code {status.get('Code')}: {status.get('Message')}")


define_channel(ChannelSpec(
    NAME, "Tencent Cloud SMS", "腾讯云短信",
    {"required": ["sdk_app_id", "sign_name", "template_id"], "properties": {
        "base_url": {"type": "string"}, "region": {"type": "string"},
        "sdk_app_id": {"type": "string"}, "sign_name": {"type": "string"},
        "template_id": {"type": "string"}, "country_code": {"type": "string"},
        "param_order": {"type": "array"}, "timeout": {"type": "number"}}},
    ("secret_id", "secret_key"), "phone",
    "TC3-HMAC-SHA256 over the canonical request (content-type;host), key derived by date/sms",
    _send))
