"""Delivery receipts and inbound messages from the SMS providers' callbacks.

Each channel kind that can call back registers a ``CallbackFormat`` in ``CALLBACK_FORMATS``:
how to read its status reports and its up-link (inbound) messages, how to authenticate the
call and what to answer. Formats, as the providers document them:

- ``aliyun_sms`` — HTTP batch push. Status report (SmsReport): a JSON array of
  ``{phone_number, send_time, report_time, success, err_code, err_msg, sms_size, biz_id,
  out_id}``; up-link (SmsUp): a JSON array of ``{phone_number, send_time, content, sign_name,
  dest_code, sequence_id}``; answer ``{"code": 0, "msg": "成功"}``. Aliyun does not sign its
  pushes: the credential is the channel's unguessable callback URL.
- ``tencent_sms`` — status callback: a JSON array of ``{user_receive_time, nationcode,
  mobile, report_status (SUCCESS|FAIL), errmsg, description, sid}``; reply callback:
  ``{extend, mobile, nationcode, sign, text, time}`` (one object, or an array); answer
  ``{"result": 0, "errmsg": "OK"}``. Not signed either: the URL is the credential.
- ``webhook`` (generic) — ``{"receipts": [{idempotency_key | provider_id, status
  (delivered|failed), code}]}`` and ``{"messages": [{from, text, id}]}``, signed like our own
  outgoing webhook: ``X-Tessera-Signature: sha256=HMAC-SHA256(secret, "<X-Tessera-Timestamp>."
  + body)`` with the channel's secret, the timestamp within five minutes.

A receipt updates its delivery (matched by our idempotency key — Aliyun echoes it as
``out_id`` — or by the provider's message id): ``receipt`` = delivered | failed with the
provider's code. An inbound message is matched to the customer by phone (the latest message
this channel sent to that number); ``TD`` / ``T`` / ``退订`` / ``N`` (trimmed, any case) ticks
the campaign's opt-out field, anything else marks the delivery replied. Every report is kept
once per channel (unique SHA-256 of its content): a repeated callback changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.errors import NotFoundError
from tessera.outreach.errors import CallbackRefused
from tessera.outreach.models import CAMPAIGNS, CHANNELS, DELIVERIES, INBOUND, RECEIPTS
from tessera.outreach.secrets import decrypt_secrets
from tessera.schema.catalog import Bind, get_table, transaction
from tessera.workflow import timebase

__all__ = ["Receipt", "Inbound", "CallbackFormat", "CALLBACK_FORMATS", "issue_callback_token",
           "handle_callback", "OPT_OUT_WORDS", "normalise_phone"]

OPT_OUT_WORDS = frozenset({"TD", "T", "退订", "N"})
MAX_SKEW_SECONDS = 300


@dataclass(frozen=True)
class Receipt:
    outcome: str                      # delivered | failed
    code: str | None
    idempotency_key: str | None
    provider_id: str | None
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class Inbound:
    phone: str
    text: str
    raw: Mapping[str, Any]


@dataclass(frozen=True)
class CallbackFormat:
    kind: str
    receipts: Callable[[Any], list[Receipt]]
    inbound: Callable[[Any], list[Inbound]]
    answer: dict[str, Any]
    signed: bool = False              # checks X-Tessera-Signature with the channel's secret


def _items(body: Any, *keys: str) -> list[Mapping[str, Any]]:
    for key in keys:
        if isinstance(body, Mapping) and key in body:
            body = body[key]
    items = body if isinstance(body, list) else [body]
    if not items or not all(isinstance(i, Mapping) for i in items):
        raise CallbackRefused(400, "The callback body must be a JSON object or an array of "
                              "objects.", "回调内容必须是 JSON 对象或对象数组。")
    return items


def _need(item: Mapping[str, Any], *names: str) -> None:
    missing = [n for n in names if item.get(n) in (None, "")]
    if missing:
        raise CallbackRefused(400, f"A callback item lacks {', '.join(missing)}; send the "
                              "provider's documented fields.",
                              f"回调条目缺少字段 {', '.join(missing)}，请按服务商文档发送。")


def _aliyun_receipts(body: Any) -> list[Receipt]:
    out = []
    for i in _items(body):
        _need(i, "success")
        ok = i["success"] in (True, "true", "True", 1)
        out.append(Receipt("delivered" if ok else "failed", i.get("err_code"),
                           i.get("out_id") or None, i.get("biz_id") or None, i))
    return out


def _aliyun_inbound(body: Any) -> list[Inbound]:
    items = _items(body)
    for i in items:
        _need(i, "phone_number", "content")
    return [Inbound(str(i["phone_number"]), str(i["content"]), i) for i in items]


def _tencent_receipts(body: Any) -> list[Receipt]:
    out = []
    for i in _items(body):
        _need(i, "report_status", "sid")
        ok = str(i["report_status"]).upper() == "SUCCESS"
        out.append(Receipt("delivered" if ok else "failed", i.get("errmsg"), None,
                           str(i["sid"]), i))
    return out


def _tencent_inbound(body: Any) -> list[Inbound]:
    items = _items(body)
    for i in items:
        _need(i, "mobile", "text")
    return [Inbound(str(i["mobile"]), str(i["text"]), i) for i in items]


def _generic_receipts(body: Any) -> list[Receipt]:
    out = []
    for i in _items(body, "receipts"):
        _need(i, "status")
        if not (i.get("idempotency_key") or i.get("provider_id")):
            _need(i, "idempotency_key")
        if i["status"] not in ("delivered", "failed"):
            raise CallbackRefused(400, "A receipt's status must be delivered or failed.",
                                  "回执 status 必须是 delivered 或 failed。")
        out.append(Receipt(i["status"], i.get("code"), i.get("idempotency_key"),
                           i.get("provider_id"), i))
    return out


def _generic_inbound(body: Any) -> list[Inbound]:
    items = _items(body, "messages")
    for i in items:
        _need(i, "from", "text")
    return [Inbound(str(i["from"]), str(i["text"]), i) for i in items]


CALLBACK_FORMATS: dict[str, CallbackFormat] = {}


def define_format(fmt: CallbackFormat) -> CallbackFormat:
    CALLBACK_FORMATS[fmt.kind] = fmt
    return fmt


define_format(CallbackFormat("aliyun_sms", _aliyun_receipts, _aliyun_inbound,
                             {"code": 0, "msg": "成功"}))
define_format(CallbackFormat("tencent_sms", _tencent_receipts, _tencent_inbound,
                             {"result": 0, "errmsg": "OK"}))
define_format(CallbackFormat("webhook", _generic_receipts, _generic_inbound, {"ok": True},
                             signed=True))


# --- tokens and authentication ------------------------------------------------------------
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_callback_token(bind: Bind, channel_id: int) -> dict[str, Any]:
    """A new callback URL token for the channel (shown once; only its hash is stored; the
    previous token stops working). Returns the token and the two callback paths."""
    token = secrets.token_urlsafe(32)
    with transaction(bind, write=True) as conn:
        row = conn.execute(sa.select(CHANNELS.c.kind).where(CHANNELS.c.id == channel_id)).first()
        if row is None:
            raise NotFoundError("channel", channel_id)
        if row.kind not in CALLBACK_FORMATS:
            raise CallbackRefused(400, f"Channel kind {row.kind} has no callbacks; receipts "
                                  f"come from {', '.join(sorted(CALLBACK_FORMATS))}.",
                                  f"渠道类型 {row.kind} 不支持回调。")
        conn.execute(sa.update(CHANNELS).where(CHANNELS.c.id == channel_id).values(
            callback_token_hash=_hash(token)))
    base = f"/hooks/outreach/{channel_id}/{token}"
    return {"token": token, "receipts_path": f"{base}/receipts",
            "inbound_path": f"{base}/inbound"}


def _channel(conn: sa.Connection, channel_id: int, token: str) -> Any:
    row = conn.execute(sa.select(CHANNELS).where(CHANNELS.c.id == channel_id)).first()
    if (row is None or not row.callback_token_hash
            or not hmac.compare_digest(row.callback_token_hash, _hash(token))):
        raise CallbackRefused(404, "No such callback address; copy the URL from the channel's "
                              "callback settings again.", "回调地址不存在，请重新复制渠道的回调地址。")
    return row


def _check_signature(row: Any, body: bytes, headers: Mapping[str, str],
                     now: float | None = None) -> None:
    secret = decrypt_secrets(row.secrets).get("secret") if row.secrets else None
    stamp, given = headers.get("x-tessera-timestamp", ""), headers.get("x-tessera-signature", "")
    if not secret:
        raise CallbackRefused(401, "The channel has no secret to check callbacks with; set its "
                              "secret first.", "渠道未设置密钥，无法校验回调，请先设置 secret。")
    want = "sha256=" + hmac.new(str(secret).encode(), stamp.encode() + b"." + body,
                                hashlib.sha256).hexdigest()
    if not given or not hmac.compare_digest(given, want):
        raise CallbackRefused(401, "The callback signature does not match: sign "
                              "'<X-Tessera-Timestamp>.' + body with HMAC-SHA256 and the "
                              "channel's secret.", "回调签名不匹配：请用渠道密钥对"
                              "「时间戳.请求体」做 HMAC-SHA256 签名。")
    if not stamp.isdigit() or abs((now or time.time()) - int(stamp)) > MAX_SKEW_SECONDS:
        raise CallbackRefused(401, "The callback timestamp is more than five minutes off; "
                              "send the current time in X-Tessera-Timestamp.",
                              "回调时间戳与当前时间相差超过五分钟，请发送当前时间。")


# --- applying -----------------------------------------------------------------------------
def _digest(item: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(item, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def normalise_phone(phone: str) -> str:
    """Digits only, without the +86 / 0086 / 86 country prefix of a mainland mobile."""
    digits = re.sub(r"\D", "", phone)
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            return digits[len(prefix):]
    return digits


def _is_new(conn: sa.Connection, table: sa.Table, values: dict[str, Any]) -> bool:
    exists = conn.execute(sa.select(table.c.id).where(
        table.c.channel_id == values["channel_id"],
        table.c.dedupe_key == values["dedupe_key"])).first()
    if exists is not None:
        return False
    conn.execute(sa.insert(table).values(**values))
    return True


def _apply_receipt(conn: sa.Connection, channel_id: int, r: Receipt) -> bool:
    d, c = DELIVERIES, CAMPAIGNS
    ours = sa.select(c.c.id).where(c.c.channel_id == channel_id)
    found = None
    for column, value in ((d.c.idempotency_key, r.idempotency_key),
                          (d.c.provider_id, r.provider_id)):
        if value and found is None:
            found = conn.execute(sa.select(d.c.id).where(
                column == str(value), d.c.campaign_id.in_(ours)).order_by(
                d.c.id.desc()).limit(1)).scalar()
    now = timebase.now()
    if not _is_new(conn, RECEIPTS, {
            "channel_id": channel_id, "dedupe_key": _digest(r.raw), "delivery_id": found,
            "provider_id": r.provider_id, "outcome": r.outcome,
            "code": None if r.code is None else str(r.code)[:100], "detail": dict(r.raw),
            "received_at": now}):
        return False
    if found is not None:
        conn.execute(sa.update(d).where(d.c.id == found).values(
            receipt=r.outcome, receipt_code=None if r.code is None else str(r.code)[:100],
            receipt_at=now))
    return True


def _apply_inbound(conn: sa.Connection, channel_id: int, m: Inbound) -> str | None:
    from tessera.records import RecordService

    d, c = DELIVERIES, CAMPAIGNS
    phone = normalise_phone(m.phone)
    variants = {phone, "+86" + phone, "86" + phone, "0086" + phone, m.phone}
    hit = conn.execute(sa.select(d.c.id, d.c.record_id, d.c.campaign_id, c.c.table_id,
                                 c.c.audience).join(c, c.c.id == d.c.campaign_id).where(
        c.c.channel_id == channel_id, d.c.address.in_(variants),
        d.c.status == "sent").order_by(d.c.id.desc()).limit(1)).first()
    word = m.text.strip().upper()
    kind = "unmatched" if hit is None else "optout" if word in OPT_OUT_WORDS else "reply"
    if not _is_new(conn, INBOUND, {
            "channel_id": channel_id, "dedupe_key": _digest(m.raw), "phone": phone[:40],
            "text": m.text, "kind": kind, "campaign_id": hit.campaign_id if hit else None,
            "record_id": hit.record_id if hit else None, "received_at": timebase.now()}):
        return None
    if hit is None:
        return kind
    field = (hit.audience or {}).get("optout_field")
    if kind == "optout" and field:
        records = RecordService(conn)
        table = get_table(conn, hit.table_id)
        current = records.get(table.id, hit.record_id)["fields"].get(field)
        if current is not True:
            records.update(table.id, hit.record_id, {field: True}, actor="outreach:inbound")
    elif kind == "reply":
        conn.execute(sa.update(d).where(d.c.id == hit.id, d.c.replied_at.is_(None))
                     .values(replied_at=timebase.now()))
    return kind


def handle_callback(bind: Bind, channel_id: int, token: str, what: str, body: bytes,
                    headers: Mapping[str, str]) -> dict[str, Any]:
    """Authenticate and apply one callback (``what`` = receipts | inbound) in one
    transaction; returns the provider's expected answer plus what was applied."""
    if what not in ("receipts", "inbound"):
        raise CallbackRefused(404, "Callbacks are …/receipts or …/inbound.",
                              "回调地址应以 /receipts 或 /inbound 结尾。")
    with transaction(bind, write=True) as conn:
        row = _channel(conn, channel_id, token)
        fmt = CALLBACK_FORMATS.get(row.kind)
        if fmt is None:
            raise CallbackRefused(404, "No such callback address.", "回调地址不存在。")
        if fmt.signed:
            _check_signature(row, body, headers)
        try:
            parsed = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise CallbackRefused(400, "The callback body is not JSON (UTF-8).",
                                  "回调内容不是 UTF-8 编码的 JSON。") from None
        if what == "receipts":
            applied = sum(_apply_receipt(conn, channel_id, r) for r in fmt.receipts(parsed))
            return {**fmt.answer, "applied": applied}
        kinds = [_apply_inbound(conn, channel_id, m) for m in fmt.inbound(parsed)]
        return {**fmt.answer, "applied": sum(k is not None for k in kinds),
                "optouts": kinds.count("optout"), "replies": kinds.count("reply")}
