"""Access rules of the outreach routes (tessera/api/outreach_routes.py): message templates,
channels, campaigns, call queues and member pages, with the resolvers that lead from their ids
to the base. Registered with ``setdefault`` so the outreach area can refine them.

Templates render record values and channels hold secrets, so managing them is schema work;
campaigns and queues are managed like automations; callers (editors) work their call list and
record outcomes and replies; member self-service links are issued by editors.
"""

from __future__ import annotations

import sqlalchemy as sa

from tessera.access.api_policy import ROUTE_POLICY, RoutePolicy, register_base_resolver

__all__ = ["OUTREACH_POLICY"]


def _by_column(table_name: str, param: str) -> None:
    def resolve(conn: sa.Connection, ident: int) -> int | None:
        from tessera.outreach import models

        table = {t.name: t for t in models.OUTREACH_TABLES}[table_name]
        return conn.execute(sa.select(table.c.base_id).where(table.c.id == ident)).scalar()

    register_base_resolver(param, resolve)


def _item_base(conn: sa.Connection, ident: int) -> int | None:
    from tessera.outreach.models import CALL_QUEUES, QUEUE_ITEMS

    return conn.execute(sa.select(CALL_QUEUES.c.base_id).join(
        QUEUE_ITEMS, QUEUE_ITEMS.c.queue_id == CALL_QUEUES.c.id).where(
        QUEUE_ITEMS.c.id == ident)).scalar()


for _table, _param in (("out_templates", "template_id"), ("out_channels", "channel_id"),
                       ("out_campaigns", "campaign_id"), ("out_call_queues", "queue_id")):
    _by_column(_table, _param)
register_base_resolver("item_id", _item_base)


def _p(action: str, via: str | None = None) -> RoutePolicy:
    return RoutePolicy(action, via)


SCHEMA_B, SCHEMA_T = _p("schema.write", "base_id"), _p("schema.write", "template_id")
OUTREACH_POLICY: dict[str, RoutePolicy] = {
    "list_message_templates": _p("base.read", "base_id"),
    "create_message_template": SCHEMA_B,
    "get_message_template": _p("base.read", "template_id"),
    "update_message_template": SCHEMA_T, "delete_message_template": SCHEMA_T,
    "preview_message_template": SCHEMA_T,  # renders real records: every field
    "list_channel_kinds": _p("signed_in"),
    "list_outreach_channels": _p("automations.read", "base_id"),
    "create_outreach_channel": _p("automations.write", "base_id"),
    "get_outreach_channel": _p("automations.read", "channel_id"),
    "update_outreach_channel": _p("automations.write", "channel_id"),
    "delete_outreach_channel": _p("automations.write", "channel_id"),
    "test_outreach_channel": _p("automations.write", "channel_id"),
    "issue_channel_callback_token": _p("automations.write", "channel_id"),
    "list_outreach_campaigns": _p("automations.read", "base_id"),
    "create_outreach_campaign": _p("automations.write", "base_id"),
    "get_outreach_campaign": _p("automations.read", "campaign_id"),
    "update_outreach_campaign": _p("automations.write", "campaign_id"),
    "delete_outreach_campaign": _p("automations.write", "campaign_id"),
    "schedule_outreach_campaign": _p("automations.write", "campaign_id"),
    "cancel_outreach_campaign": _p("automations.write", "campaign_id"),
    "list_campaign_deliveries": _p("automations.read", "campaign_id"),
    "campaign_results": _p("automations.read", "campaign_id"),
    "record_campaign_reply": _p("records.write", "campaign_id"),
    "list_call_queues": _p("automations.read", "base_id"),
    "create_call_queue": _p("automations.write", "base_id"),
    "get_call_queue": _p("automations.read", "queue_id"),
    "update_call_queue": _p("automations.write", "queue_id"),
    "build_call_queue_day": _p("automations.write", "queue_id"),
    "call_queue_list": _p("records.write", "queue_id"),  # a caller's list: the phone team
    "record_call_outcome": _p("records.write", "item_id"),
    "call_queue_summary": _p("automations.read", "queue_id"),
    "call_queue_summary_xlsx": _p("automations.read", "queue_id"),
    "get_member_page": _p("schema.write", "table_id"),
    "configure_member_page": _p("schema.write", "table_id"),
    "issue_member_link": _p("records.write", "table_id"),
    "revoke_member_links": _p("records.write", "table_id"),
}
for _name, _policy in OUTREACH_POLICY.items():
    ROUTE_POLICY.setdefault(_name, _policy)
