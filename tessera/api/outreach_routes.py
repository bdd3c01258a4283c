"""REST routes of outreach (tessera/outreach): message templates, channels, campaigns, the call
team's queue and outcomes, member links — declared with the API's route-table vocabulary and
appended to ``API_ROUTES``. Channel secrets are write-only: answers list which are set
(``secrets_set``), never their values. (The public member page itself is an HTML route,
tessera/outreach/member_web.py.)"""

from __future__ import annotations

import base64
import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import tessera.outreach as out
from tessera.api.spec import ApiRoute, Call, Param
from tessera.outreach import call_summary, calls, member
from tessera.outreach.channels import CHANNEL_KINDS, Message
from tessera.outreach.sending import send_now

__all__ = ["OUTREACH_ROUTES"]

PREFIX = "/api/v1"
TAG = "outreach"
_OBJ: dict[str, Any] = {"type": "object"}
_LIST: dict[str, Any] = {"type": "array", "items": _OBJ}
_ID = {"type": "integer", "minimum": 1}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
_DAY = Param("day", {"type": "string", "format": "date"}, "the day (YYYY-MM-DD); default today")


def _body(required: list[str], props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "required": required, "additionalProperties": False,
            "properties": props}


def _day(call: Call) -> dt.date | None:
    raw = (call.query or {}).get("day") or (call.body or {}).get("day")
    return dt.date.fromisoformat(raw) if raw else None


# --- templates --------------------------------------------------------------------------------
_TEMPLATE = {"name": _NAME, "table_id": _ID, "default_language": {"type": "string"},
             "bodies": {"type": "object", "description": "language → {subject, body, params}; "
                        "placeholders {字段} and {=formula}"}}


def list_message_templates(call: Call) -> list[dict[str, Any]]:
    return out.list_templates(call.engine, call.path["base_id"])


def create_message_template(call: Call) -> dict[str, Any]:
    b = call.body
    return out.create_template(call.engine, base_id=call.path["base_id"], table_id=b["table_id"],
                               name=b["name"], bodies=b["bodies"],
                               default_language=b.get("default_language", "zh"))


def get_message_template(call: Call) -> dict[str, Any]:
    return out.get_template(call.engine, call.path["template_id"])


def update_message_template(call: Call) -> dict[str, Any]:
    b = call.body
    return out.update_template(call.engine, call.path["template_id"], name=b.get("name"),
                               bodies=b.get("bodies"), default_language=b.get("default_language"))


def delete_message_template(call: Call) -> None:
    out.delete_template(call.engine, call.path["template_id"])


def preview_message_template(call: Call) -> list[dict[str, Any]]:
    return out.preview(call.engine, call.path["template_id"], call.body["record_ids"],
                       language=call.body.get("language"))


# --- channels ---------------------------------------------------------------------------------
_CHANNEL = {"name": _NAME, "kind": {"type": "string"}, "config": _OBJ,
            "secrets": {"type": "object", "description": "write-only; null removes a key"},
            "rate_per_second": {"type": ["number", "null"], "minimum": 0},
            "max_attempts": {"type": "integer", "minimum": 1, "maximum": 20},
            "concurrency": {"type": "integer", "minimum": 1, "maximum": 64}}


def list_channel_kinds(call: Call) -> list[dict[str, Any]]:
    return [{"kind": s.name, "label_en": s.label_en, "label_zh": s.label_zh,
             "config_schema": dict(s.config_schema), "secrets": list(s.secret_keys),
             "address": s.address, "signing": s.signing} for s in CHANNEL_KINDS.values()]


def list_outreach_channels(call: Call) -> list[dict[str, Any]]:
    return out.list_channels(call.engine, call.path["base_id"])


def create_outreach_channel(call: Call) -> dict[str, Any]:
    b = call.body
    return out.create_channel(call.engine, base_id=call.path["base_id"], name=b["name"],
                              kind=b["kind"], config=b.get("config"), secrets=b.get("secrets"),
                              rate_per_second=b.get("rate_per_second"),
                              max_attempts=b.get("max_attempts", 5),
                              concurrency=b.get("concurrency"))


def get_outreach_channel(call: Call) -> dict[str, Any]:
    return out.get_channel(call.engine, call.path["channel_id"])


def update_outreach_channel(call: Call) -> dict[str, Any]:
    b = call.body
    return out.update_channel(call.engine, call.path["channel_id"], name=b.get("name"),
                              config=b.get("config"), secrets=b.get("secrets"),
                              rate_per_second=b.get("rate_per_second"),
                              max_attempts=b.get("max_attempts"),
                              concurrency=b.get("concurrency"))


def issue_channel_callback_token(call: Call) -> dict[str, Any]:
    from tessera.outreach.receipts import issue_callback_token

    return issue_callback_token(call.engine, call.path["channel_id"])


def delete_outreach_channel(call: Call) -> None:
    out.delete_channel(call.engine, call.path["channel_id"])


def test_outreach_channel(call: Call) -> dict[str, Any]:
    b = call.body
    result = send_now(call.engine, call.path["channel_id"], Message(
        b.get("to"), b.get("subject", ""), b["body"], b.get("idempotency_key") or
        f"test-{dt.datetime.now(dt.UTC).timestamp()}", b.get("params") or {}))
    return {"provider_id": result.provider_id, "detail": result.detail}


# --- campaigns --------------------------------------------------------------------------------
_CAMPAIGN = {"name": _NAME, "table_id": _ID, "template_id": _ID, "channel_id": _ID,
             "view_id": {"type": ["integer", "null"]}, "segment": {"type": ["object", "null"]},
             "audience": {"type": "object", "description": "address_field, consent_field, "
                          "optout_field, exclude, plan_field, language_field, tasks"},
             "max_recipients": {"type": ["integer", "null"], "minimum": 1}}


def list_outreach_campaigns(call: Call) -> list[dict[str, Any]]:
    return out.list_campaigns(call.engine, call.path["base_id"])


def create_outreach_campaign(call: Call) -> dict[str, Any]:
    b = call.body
    return out.create_campaign(call.engine, base_id=call.path["base_id"], table_id=b["table_id"],
                               name=b["name"], template_id=b["template_id"],
                               channel_id=b["channel_id"], view_id=b.get("view_id"),
                               segment=b.get("segment"), audience=b.get("audience"),
                               max_recipients=b.get("max_recipients"))


def get_outreach_campaign(call: Call) -> dict[str, Any]:
    return out.get_campaign(call.engine, call.path["campaign_id"])


def update_outreach_campaign(call: Call) -> dict[str, Any]:
    return out.update_campaign(call.engine, call.path["campaign_id"], **call.body)


def delete_outreach_campaign(call: Call) -> None:
    from tessera.outreach.campaigns import delete_campaign

    delete_campaign(call.engine, call.path["campaign_id"])


def schedule_outreach_campaign(call: Call) -> dict[str, Any]:
    at = (call.body or {}).get("at")
    when = dt.datetime.fromisoformat(at.replace("Z", "+00:00")) if at else None
    return out.schedule_campaign(call.engine, call.path["campaign_id"], at=when)


def cancel_outreach_campaign(call: Call) -> dict[str, Any]:
    return out.cancel_campaign(call.engine, call.path["campaign_id"])


def list_campaign_deliveries(call: Call) -> list[dict[str, Any]]:
    q = call.query
    return out.deliveries(call.engine, call.path["campaign_id"], status=q.get("status"),
                          limit=q.get("limit") or 100, after_id=q.get("after_id") or 0)


def campaign_results(call: Call) -> dict[str, Any]:
    return out.campaign_results(call.engine, call.path["campaign_id"])


def record_campaign_reply(call: Call) -> dict[str, Any]:
    counted = out.record_reply(call.engine, call.path["campaign_id"], call.body["record_id"])
    return {"counted": counted}


# --- call queue -------------------------------------------------------------------------------
def list_call_queues(call: Call) -> list[dict[str, Any]]:
    return calls.list_queues(call.engine, call.path["base_id"])


def create_call_queue(call: Call) -> dict[str, Any]:
    b = call.body
    return calls.create_queue(call.engine, base_id=call.path["base_id"], table_id=b["table_id"],
                              name=b["name"], config=b["config"])


def get_call_queue(call: Call) -> dict[str, Any]:
    return calls.get_queue(call.engine, call.path["queue_id"])


def update_call_queue(call: Call) -> dict[str, Any]:
    return calls.update_queue(call.engine, call.path["queue_id"], call.body["config"])


def build_call_queue_day(call: Call) -> dict[str, Any]:
    return calls.build_day(call.engine, call.path["queue_id"], day=_day(call))


def call_queue_list(call: Call) -> list[dict[str, Any]]:
    return calls.day_list(call.engine, call.path["queue_id"], call.query["caller"], day=_day(call))


def record_call_outcome(call: Call) -> dict[str, Any]:
    return calls.record_outcome(call.engine, call.path["item_id"], call.body["outcome"],
                                note=call.body.get("note"),
                                actor=getattr(call.principal, "username", None))


def call_queue_summary(call: Call) -> dict[str, Any]:
    return call_summary.day_summary(call.engine, call.path["queue_id"], day=_day(call))


def call_queue_summary_xlsx(call: Call) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "summary.xlsx"
        summary = call_summary.export_summary_xlsx(call.engine, call.path["queue_id"], path,
                                                   day=_day(call))
        data = path.read_bytes()
    return {"filename": f"回访汇总-{summary['day']}.xlsx",
            "content_base64": base64.b64encode(data).decode(), "summary": summary}


# --- member links -----------------------------------------------------------------------------
def get_member_page(call: Call) -> dict[str, Any]:
    return member.get_page(call.engine, call.path["table_id"])


def configure_member_page(call: Call) -> dict[str, Any]:
    from tessera.schema.catalog import get_table

    table = get_table(call.engine, call.path["table_id"])
    return member.configure_page(call.engine, base_id=table.base_id, table_id=table.id,
                                 config=call.body)


def issue_member_link(call: Call) -> dict[str, Any]:
    return member.issue_link(call.engine, call.path["table_id"], call.path["record_id"],
                             base_url=(call.body or {}).get("base_url", ""))


def revoke_member_links(call: Call) -> dict[str, Any]:
    return {"revoked": member.revoke_links(call.engine, call.path["table_id"],
                                           call.path["record_id"])}


def _r(method: str, path: str, handler: Any, summary: str, response: Any, **kw: Any) -> ApiRoute:
    return ApiRoute(method, PREFIX + path, handler, summary, TAG, response, **kw)


BASE = "/bases/{base_id:int}"
TPL, CH = "/message-templates/{template_id:int}", "/channels/{channel_id:int}"
CMP, Q = "/campaigns/{campaign_id:int}", "/call-queues/{queue_id:int}"
MEMBER = "/tables/{table_id:int}/records/{record_id:int}/member-link"

OUTREACH_ROUTES: tuple[ApiRoute, ...] = (
    _r("GET", BASE + "/message-templates", list_message_templates, "List message templates",
       _LIST, errors=(404,)),
    _r("POST", BASE + "/message-templates", create_message_template,
       "Create a message template (per language, with {字段} / {=formula} placeholders)", _OBJ,
       status=201, body=_body(["name", "table_id", "bodies"], _TEMPLATE), errors=(400, 404)),
    _r("GET", TPL, get_message_template, "Get a message template", _OBJ, errors=(404,)),
    _r("PATCH", TPL, update_message_template, "Change a message template", _OBJ,
       body=_body([], _TEMPLATE)),
    _r("DELETE", TPL, delete_message_template, "Delete a message template", None, status=204,
       errors=(404,)),
    _r("POST", TPL + "/preview", preview_message_template,
       "Render the template for real records (nothing is sent)", _LIST,
       body=_body(["record_ids"], {"record_ids": {"type": "array", "items": _ID, "minItems": 1,
                                                  "maxItems": 100},
                                   "language": {"type": "string"}})),
    _r("GET", "/outreach/channel-kinds", list_channel_kinds,
       "Channel kinds: settings, secrets and how each signs its requests", _LIST, errors=()),
    _r("GET", BASE + "/channels", list_outreach_channels,
       "List channels (secrets are never returned)", _LIST, errors=(404,)),
    _r("POST", BASE + "/channels", create_outreach_channel,
       "Configure a channel; secrets are stored encrypted", _OBJ, status=201,
       body=_body(["name", "kind"], _CHANNEL), errors=(400, 404)),
    _r("GET", CH, get_outreach_channel, "Get a channel (secrets_set lists the keys only)", _OBJ,
       errors=(404,)),
    _r("PATCH", CH, update_outreach_channel, "Change a channel's settings or secrets", _OBJ,
       body=_body([], {k: v for k, v in _CHANNEL.items() if k != "kind"})),
    _r("DELETE", CH, delete_outreach_channel, "Delete a channel", None, status=204,
       errors=(404,)),
    _r("POST", CH + "/callback-token", issue_channel_callback_token,
       "A new callback URL token for delivery receipts and inbound SMS (shown once; the "
       "previous one stops working)", _OBJ, errors=(400, 404)),
    _r("POST", CH + "/test", test_outreach_channel, "Send one test message now", _OBJ,
       body=_body(["body"], {"to": {"type": ["string", "null"]}, "subject": {"type": "string"},
                             "body": {"type": "string"}, "params": _OBJ,
                             "idempotency_key": {"type": "string"}})),
    _r("GET", BASE + "/campaigns", list_outreach_campaigns, "List campaigns", _LIST,
       errors=(404,)),
    _r("POST", BASE + "/campaigns", create_outreach_campaign,
       "Create a campaign: a segment, a template, a channel, audience rules", _OBJ, status=201,
       body=_body(["name", "table_id", "template_id", "channel_id"], _CAMPAIGN),
       errors=(400, 404)),
    _r("GET", CMP, get_outreach_campaign, "Get a campaign", _OBJ, errors=(404,)),
    _r("PATCH", CMP, update_outreach_campaign, "Change a campaign that has not started", _OBJ,
       body=_body([], {k: v for k, v in _CAMPAIGN.items() if k != "table_id"})),
    _r("DELETE", CMP, delete_outreach_campaign, "Delete a campaign and its delivery log", None,
       status=204, errors=(404,)),
    _r("POST", CMP + "/schedule", schedule_outreach_campaign,
       "Launch at a time (ISO 8601) or now; workers send it", _OBJ,
       body=_body([], {"at": {"type": ["string", "null"], "format": "date-time"}})),
    _r("POST", CMP + "/cancel", cancel_outreach_campaign, "Stop sending what is not sent yet",
       _OBJ),
    _r("GET", CMP + "/deliveries", list_campaign_deliveries, "The delivery log", _LIST,
       params=(Param("status", {"type": "string"}, "only this status"),
               Param("after_id", {"type": "integer", "minimum": 0}, "keyset: rows after this id"),
               Param("limit", {"type": "integer", "minimum": 1, "maximum": 1000,
                               "default": 100}, "rows"))),
    _r("GET", CMP + "/results", campaign_results,
       "Sent, failed, replied, booked, arrived — in total and per invitation plan", _OBJ,
       errors=(404,)),
    _r("POST", CMP + "/replies", record_campaign_reply, "Count a recipient's reply", _OBJ,
       body=_body(["record_id"], {"record_id": _ID})),
    _r("GET", BASE + "/call-queues", list_call_queues, "List call queues", _LIST, errors=(404,)),
    _r("POST", BASE + "/call-queues", create_call_queue,
       "Create a call queue (callers, daily cap, task segment, outcomes)", _OBJ, status=201,
       body=_body(["name", "table_id", "config"], {"name": _NAME, "table_id": _ID,
                                                   "config": _OBJ})),
    _r("GET", Q, get_call_queue, "Get a call queue", _OBJ, errors=(404,)),
    _r("PATCH", Q, update_call_queue, "Change a call queue's settings", _OBJ,
       body=_body(["config"], {"config": _OBJ})),
    _r("POST", Q + "/build", build_call_queue_day,
       "Deal the day's lists: round-robin under the daily cap", _OBJ,
       body=_body([], {"day": {"type": "string", "format": "date"}})),
    _r("GET", Q + "/list", call_queue_list, "A caller's list for the day", _LIST,
       params=(Param("caller", {"type": "string", "minLength": 1}, "the caller", required=True),
               _DAY)),
    _r("POST", "/queue-items/{item_id:int}/outcome", record_call_outcome,
       "One click: 已联系 / 已预约 / 无效 updates the task, the customer and the list", _OBJ,
       body=_body(["outcome"], {"outcome": {"type": "string"},
                                "note": {"type": ["string", "null"]}})),
    _r("GET", Q + "/summary", call_queue_summary,
       "The evening summary: calls → bookings → arrivals by caller and plan", _OBJ,
       params=(_DAY,)),
    _r("GET", Q + "/summary.xlsx", call_queue_summary_xlsx,
       "The evening summary as an xlsx file (base64)", _OBJ, params=(_DAY,)),
    _r("GET", "/tables/{table_id:int}/member-page", get_member_page,
       "The member page settings of a customer table", _OBJ, errors=(404,)),
    _r("POST", "/tables/{table_id:int}/member-page", configure_member_page,
       "Set which fields the member page shows", _OBJ,
       body=_body(["fields"], {"title": {"type": "string"}, "title_en": {"type": "string"},
                               "contact": {"type": "string"}, "contact_en": {"type": "string"},
                               "fields": {"type": "array", "minItems": 1, "items": _OBJ}})),
    _r("POST", MEMBER, issue_member_link,
       "Issue a customer's self-service link and QR code (earlier links stop working)", _OBJ,
       status=201, body=_body([], {"base_url": {"type": "string"}})),
    _r("DELETE", MEMBER, revoke_member_links, "Revoke a customer's self-service links", _OBJ),
)
