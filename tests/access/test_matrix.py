"""The authorization matrix: every declared API route × every role (plus an outsider with no
role and an anonymous caller) × own/other rows, through the web app with API tokens, on SQLite
and PostgreSQL. ``EXPECTED`` is written by hand, independently of tessera.access's tables: a
route added to API_ROUTES without an entry here fails ``test_every_route_is_in_the_matrix``.

Letters: O owner, A schema admin, E editor, C commenter, V viewer, X outsider (no role),
N nobody signed in. Denied callers get 403 (401 for N); allowed ones the route's success
status — except for rows outside their row rule, which do not exist for them (404), and
creating a row outside it (403). Every response is checked against the route's schema."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from starlette.testclient import TestClient

from tessera import access
from tessera import schema_ops as schema
from tessera.api.routes import API_ROUTES
from tessera.api.schemas import COMPONENTS
from tessera.api.spec import ApiRoute
from tessera.web import create_app

from .conftest import RESTRICTED, World

LETTERS = {"O": "owner", "A": "admin", "E": "editor", "C": "commenter", "V": "viewer",
           "X": "outsider", "N": "anonymous"}
CALLERS = tuple(LETTERS.values())
PUBLIC = "public"
ACCESS_CODES = {"forbidden", "row_rule_violation", "not_authenticated", "sign_in_required"}

EXPECTED: dict[str, str] = {
    "openapi_document": PUBLIC, "receive_webhook": PUBLIC,
    "list_bases": "OAECVX", "create_base": "OAECVX",
    "get_base": "OAECV", "rename_base": "O", "delete_base": "O",
    "list_tables": "OAECV", "create_table": "OA", "get_table": "OAECV", "rename_table": "OA",
    "delete_table": "OA",
    "list_fields": "OAECV", "create_field": "OA", "get_field": "OAECV", "update_field": "OA",
    "preview_field_conversion": "OA", "delete_field": "OA",
    "list_records": "OAECV", "count_records": "OAECV", "get_record": "OAECV",
    "record_history": "OAECV", "create_record": "OAE", "bulk_create_records": "OAE",
    "bulk_update_records": "OAE", "bulk_delete_records": "OAE", "update_record": "OAE",
    "delete_record": "OAE",
    "list_views": "OAECV", "create_view": "OA", "get_view": "OAECV", "update_view": "OA",
    "delete_view": "OA", "list_view_records": "OAECV",
    # the editor's row rule and read-only field rule imports out (imports write as the system)
    "upload_import_file": "OA", "preview_import_upload": "OA", "commit_import_upload": "OA",
    "export_table_file": "OAECV", "export_view_file": "OAECV",
    "list_automations": "OA", "create_automation": "OA", "get_automation": "OA",
    "update_automation": "OA", "delete_automation": "OA", "enable_automation": "OA",
    "disable_automation": "OA", "dry_run_automation": "OA", "list_runs": "OA",
    "run_automation": "OAE",
    "list_members": "O", "grant_role": "O", "revoke_role": "O", "get_table_access": "O",
    "set_row_rule": "O", "set_field_permission": "O",
    "validate_pack": "OAECVX", "install_pack": "OAECVX", "upgrade_pack": "OA",
    "export_pack": "OA", "list_dashboards": "OAECV",
    "dry_run_draft": "OA",
    # a pack's roles are granted by whoever manages the base's access: its owner
    "list_pack_roles": "O", "assign_pack_role": "O", "unassign_pack_role": "O",
    # identity (tessera/api/auth_routes.py): own account, tokens and trash for every user;
    # users, the audit log and settings for site administrators only (nobody here is one)
    "me": "OAECVX", "list_tokens": "OAECVX", "create_token": "OAECVX",
    "revoke_token": "OAECVX", "list_trash": "OAECVX", "restore_trash_item": "OAECVX",
    "purge_trash_item": "OAECVX", "list_users": "", "create_user": "", "update_user": "",
    "list_audit": "", "get_allowed_hosts": "", "set_allowed_hosts": "",
}
# Outreach routes (tessera/api/outreach_routes.py, rules in tessera/access/outreach_policy.py):
# the matrix checks the access decision only — denied callers get 401/403, allowed ones reach
# the handler (any answer but 401/403/5xx; the bodies here are valid for the route's schema
# but not always for the outreach engine).
OUTREACH: dict[str, str] = {
    "list_message_templates": "OAECV", "create_message_template": "OA",
    "get_message_template": "OAECV", "update_message_template": "OA",
    "delete_message_template": "OA", "preview_message_template": "OA",
    "list_channel_kinds": "OAECVX",
    "list_outreach_channels": "OA", "create_outreach_channel": "OA", "get_outreach_channel": "OA",
    "update_outreach_channel": "OA", "delete_outreach_channel": "OA",
    "test_outreach_channel": "OA",
    "list_outreach_campaigns": "OA", "create_outreach_campaign": "OA",
    "get_outreach_campaign": "OA", "update_outreach_campaign": "OA",
    "delete_outreach_campaign": "OA", "schedule_outreach_campaign": "OA",
    "cancel_outreach_campaign": "OA", "list_campaign_deliveries": "OA", "campaign_results": "OA",
    "record_campaign_reply": "OAE",
    "list_call_queues": "OA", "create_call_queue": "OA", "get_call_queue": "OA",
    "update_call_queue": "OA", "build_call_queue_day": "OA", "call_queue_list": "OAE",
    "record_call_outcome": "OAE", "call_queue_summary": "OA", "call_queue_summary_xlsx": "OA",
    "get_member_page": "OA", "configure_member_page": "OA", "issue_member_link": "OAE",
    "revoke_member_links": "OAE",
    "issue_channel_callback_token": "OA",
}
EXPECTED.update(OUTREACH)

# Allowed callers' answer when it is not the route's success status: there is no trash item
# 987654 (the route is reachable, the item is not found).
OK_STATUS = {"restore_trash_item": 404, "purge_trash_item": 404}
# Routes about one row: allowed callers restricted by the row rule get 404 on another's row
# (403 when creating one outside their rule); listings simply leave it out.
ROW_ROUTES = {"get_record": 404, "record_history": 404, "update_record": 404,
              "delete_record": 404, "bulk_update_records": 404, "bulk_delete_records": 404,
              "create_record": 403, "bulk_create_records": 403, "list_records": 200,
              "list_view_records": 200, "export_table_file": 200}


@dataclass
class Req:
    method: str
    path: str
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    row: int | None = None  # the row the request is about (listings: must not leak it)


_n = itertools.count(1)
P = "/api/v1"


class Targets:
    """Fresh things for one case to act on, made as the system (or the owner, over the API)."""

    def __init__(self, world: World, client: TestClient) -> None:
        self.world, self.client = world, client

    def owner_call(self, method: str, path: str, json: Any = None) -> Any:
        response = self.client.request(method, path, json=json,
                                       headers=self.world.person("owner").headers)
        assert response.status_code < 300, response.text
        return response.json()

    def base(self) -> int:
        base = schema.create_base(self.world.engine, f"库{next(_n)}")
        for role in ("owner", "admin", "editor", "commenter", "viewer"):
            access.grant(self.world.engine, base.id, role,
                         user_id=self.world.person(role).user_id)
        return base.id

    def table(self) -> int:
        return schema.create_table(self.world.engine, self.world.base_id, f"临时{next(_n)}").id

    def field(self) -> int:
        return schema.add_field(self.world.engine, self.world.visits.id, f"字段{next(_n)}",
                                "text").id

    def view(self) -> int:
        return schema.create_view(self.world.engine, self.world.customers.id,
                                  f"视图{next(_n)}").id

    def pack_base(self) -> int:
        """A new base installed from TINY_PACK, every role granted on it."""
        from tessera.packs import install, load_text

        base_id = install(self.world.engine, load_text(TINY_PACK, locales={}),
                          f"小库{next(_n)}").base_id
        for role in ("owner", "admin", "editor", "commenter", "viewer"):
            access.grant(self.world.engine, base_id, role,
                         user_id=self.world.person(role).user_id)
        return base_id

    def token(self, role: str) -> int:
        """A throwaway token of ``role``'s user (the owner's for the anonymous caller)."""
        from tessera.auth.tokens import create_token

        person = self.world.person(role if role in self.world.people else "owner")
        return create_token(self.world.engine, person.user_id, name="throwaway")[0]

    def outreach(self, kind: str) -> int:
        """A template, channel, campaign, call queue or queue item of the world's base,
        written straight into the outreach tables."""
        import sqlalchemy as sa

        from tessera.fields.sqltypes import utcnow
        from tessera.outreach import models as m

        w, now = self.world, utcnow()
        base = {"base_id": w.base_id, "name": f"{kind}{next(_n)}", "created_at": now}
        with w.engine.begin() as conn:
            def insert(table: sa.Table, **values: Any) -> int:
                return int(conn.execute(sa.insert(table).values(**values)).inserted_primary_key[0])

            if kind in ("template", "campaign"):
                template = insert(m.TEMPLATES, **base, table_id=w.customers.id,
                                  default_language="zh", bodies={"zh": {"body": "您好"}}, updated_at=now)
                if kind == "template":
                    return template
            if kind in ("channel", "campaign"):
                channel = insert(m.CHANNELS, **{**base, "name": f"ch{next(_n)}"}, kind="webhook",
                                 config={"url": "https://example.com/hook"}, max_attempts=1,
                                 updated_at=now)
                if kind == "channel":
                    return channel
            if kind == "campaign":  # through the outreach API: it also makes the automation
                from tessera.outreach.campaigns import create_campaign

                return int(create_campaign(conn, base_id=w.base_id, table_id=w.customers.id,
                                           name=f"cmp{next(_n)}", template_id=template,
                                           channel_id=channel)["id"])
            from tessera.outreach.calls import create_queue

            queue = int(create_queue(conn, base_id=w.base_id, table_id=w.customers.id,
                                     name=f"队列{next(_n)}", config={
                                         "callers": ["甲"], "caller_field": "电话",
                                         "status_field": "等级", "open_values": ["C"],
                                         "customer_field": None})["id"])
            if kind == "queue":
                return queue
            return insert(m.QUEUE_ITEMS, queue_id=queue, day="2026-01-05", caller="someone",
                          task_id=w.rows["owner"], position=1)

    def upload(self) -> str:
        return self.owner_call("POST", f"{P}/tables/{self.world.customers.id}/imports",
                               _csv_upload())["upload_id"]

    def automation(self) -> int:
        return self.owner_call("POST", f"{P}/bases/{self.world.base_id}/automations", {
            "name": f"按钮{next(_n)}", "table_id": self.world.customers.id,
            "trigger": {"type": "manual"},
            "actions": [{"type": "update_record", "options": {"values": {"姓名": "已处理"}}}],
        })["id"]


TINY_PACK = """format: 1
name: tiny
version: 1.0.0
title: {zh-CN: 小, en: Tiny}
locales: [zh-CN, en]
tables:
  - key: items
    name: 物品
    primary: {key: name, name: 名称}
    fields:
      - {key: note, name: 备注, type: text}
roles:
  - key: clerk
    name: 文员
    role: viewer
"""


def _csv_upload() -> dict[str, Any]:
    content = "姓名,等级\n导入的顾客,C\n".encode("utf-8-sig")
    return {"filename": "顾客.csv", "content_base64": base64.b64encode(content).decode()}


def _row_values(world: World, role: str, which: str) -> dict[str, Any]:
    owner = role if which == "own" and role in world.people else "owner"
    return {"姓名": f"新{next(_n)}", "负责人": world.person(owner).user_id}


Builder = Callable[[Targets, str, str], Req]
C = "/tables/{c}"


def _build(targets: Targets, op: str, role: str, which: str) -> Req:
    w, t = targets.world, targets
    c, v = w.customers.id, w.view_id
    def row() -> int:
        return w.own_or_other(role, which)

    builders: dict[str, Callable[[], Req]] = {
        "openapi_document": lambda: Req("GET", f"{P}/openapi.json"),
        "receive_webhook": lambda: Req("POST", f"{P}/automations/{t.automation()}/webhook/x",
                                       json={}),
        "list_bases": lambda: Req("GET", f"{P}/bases"),
        "create_base": lambda: Req("POST", f"{P}/bases", json={"name": f"新库{next(_n)}"}),
        "get_base": lambda: Req("GET", f"{P}/bases/{w.base_id}"),
        "rename_base": lambda: Req("PATCH", f"{P}/bases/{t.base()}", json={"name": "改名"}),
        "delete_base": lambda: Req("DELETE", f"{P}/bases/{t.base()}"),
        "list_tables": lambda: Req("GET", f"{P}/bases/{w.base_id}/tables"),
        "create_table": lambda: Req("POST", f"{P}/bases/{w.base_id}/tables",
                                    json={"name": f"表{next(_n)}"}),
        "get_table": lambda: Req("GET", f"{P}/tables/{c}"),
        "rename_table": lambda: Req("PATCH", f"{P}/tables/{t.table()}",
                                    json={"name": f"改{next(_n)}"}),
        "delete_table": lambda: Req("DELETE", f"{P}/tables/{t.table()}"),
        "list_fields": lambda: Req("GET", f"{P}/tables/{c}/fields"),
        "create_field": lambda: Req("POST", f"{P}/tables/{t.table()}/fields",
                                    json={"name": "备注", "type": "text"}),
        "get_field": lambda: Req("GET", f"{P}/fields/{w.customers.field('姓名').id}"),
        "update_field": lambda: Req("PATCH", f"{P}/fields/{t.field()}",
                                    json={"name": f"改{next(_n)}"}),
        "preview_field_conversion": lambda: Req(
            "POST", f"{P}/fields/{t.field()}/conversion-preview", json={"type": "number"}),
        "delete_field": lambda: Req("DELETE", f"{P}/fields/{t.field()}"),
        "list_records": lambda: Req("GET", f"{P}/tables/{c}/records",
                                    params={"limit": 1000}, row=row()),
        "count_records": lambda: Req("GET", f"{P}/tables/{c}/records/count"),
        "get_record": lambda: Req("GET", f"{P}/tables/{c}/records/{row()}"),
        "record_history": lambda: Req("GET", f"{P}/tables/{c}/records/{row()}/history"),
        "create_record": lambda: Req("POST", f"{P}/tables/{c}/records",
                                     json={"fields": _row_values(w, role, which)}),
        "bulk_create_records": lambda: Req("POST", f"{P}/tables/{c}/records/bulk-create",
                                           json={"records": [
                                               {"fields": _row_values(w, role, which)}]}),
        "bulk_update_records": lambda: Req("POST", f"{P}/tables/{c}/records/bulk-update",
                                           json={"records": [{"id": row(),
                                                              "fields": {"姓名": "改名"}}]}),
        "bulk_delete_records": lambda: Req("POST", f"{P}/tables/{c}/records/bulk-delete",
                                           json={"ids": [row()]}),
        "update_record": lambda: Req("PATCH", f"{P}/tables/{c}/records/{row()}",
                                     json={"fields": {"姓名": "改名"}}),
        "delete_record": lambda: Req("DELETE", f"{P}/tables/{c}/records/{row()}"),
        "list_views": lambda: Req("GET", f"{P}/tables/{c}/views"),
        "create_view": lambda: Req("POST", f"{P}/tables/{c}/views",
                                   json={"name": f"视图{next(_n)}"}),
        "get_view": lambda: Req("GET", f"{P}/views/{v}"),
        "update_view": lambda: Req("PATCH", f"{P}/views/{t.view()}", json={"name": "改名"}),
        "delete_view": lambda: Req("DELETE", f"{P}/views/{t.view()}"),
        "list_view_records": lambda: Req("GET", f"{P}/views/{v}/records",
                                         params={"limit": 1000}, row=row()),
        "upload_import_file": lambda: Req("POST", f"{P}/tables/{c}/imports", json=_csv_upload()),
        "preview_import_upload": lambda: Req("POST", f"{P}/tables/{c}/imports/{t.upload()}"
                                             "/preview", json={}),
        "commit_import_upload": lambda: Req("POST", f"{P}/tables/{c}/imports/{t.upload()}"
                                            "/commit", json={"key": "姓名"}),
        "export_table_file": lambda: Req("POST", f"{P}/tables/{c}/export",
                                         json={"format": "csv"}, row=row()),
        "export_view_file": lambda: Req("POST", f"{P}/views/{v}/export", json={"format": "csv"}),
        "list_automations": lambda: Req("GET", f"{P}/bases/{w.base_id}/automations"),
        "create_automation": lambda: Req("POST", f"{P}/bases/{w.base_id}/automations", json={
            "name": "新按钮", "table_id": c, "trigger": {"type": "manual"},
            "actions": [{"type": "update_record", "options": {"values": {"姓名": "x"}}}]}),
        "get_automation": lambda: Req("GET", f"{P}/automations/{t.automation()}"),
        "update_automation": lambda: Req("PATCH", f"{P}/automations/{t.automation()}",
                                         json={"name": "改名"}),
        "delete_automation": lambda: Req("DELETE", f"{P}/automations/{t.automation()}"),
        "enable_automation": lambda: Req("POST", f"{P}/automations/{t.automation()}/enable",
                                         json={}),
        "disable_automation": lambda: Req("POST", f"{P}/automations/{t.automation()}/disable"),
        "dry_run_automation": lambda: Req("POST", f"{P}/automations/{t.automation()}/dry-run",
                                          json={"record_id": w.rows["owner"]}),
        "list_runs": lambda: Req("GET", f"{P}/automations/{t.automation()}/runs"),
        "run_automation": lambda: Req("POST", f"{P}/automations/{t.automation()}/run",
                                      json={"record_ids": [w.rows[role if role in w.rows
                                                                  else "owner"]]}),
        "validate_pack": lambda: Req("POST", f"{P}/packs/validate", json={"text": TINY_PACK}),
        "install_pack": lambda: Req("POST", f"{P}/packs/install",
                                    json={"text": TINY_PACK, "base_name": f"装{next(_n)}"}),
        "upgrade_pack": lambda: Req("POST", f"{P}/bases/{t.pack_base()}/pack/upgrade",
                                    json={"text": TINY_PACK, "dry_run": True}),
        "export_pack": lambda: Req("GET", f"{P}/bases/{w.base_id}/pack/export"),
        "dry_run_draft": lambda: Req("POST", f"{P}/bases/{w.base_id}/automations/dry-run", json={
            "name": "草稿", "table_id": c, "trigger": {"type": "manual"},
            "actions": [{"type": "update_record", "options": {"values": {"姓名": "x"}}}],
            "record_id": w.rows["owner"]}),
        "list_pack_roles": lambda: Req("GET", f"{P}/bases/{t.pack_base()}/pack/roles"),
        "assign_pack_role": lambda: Req("POST", f"{P}/bases/{t.pack_base()}/pack/roles/clerk"
                                        "/members", json={"user": w.person("outsider").username}),
        "unassign_pack_role": lambda: Req("POST", f"{P}/bases/{t.pack_base()}/pack/roles/revoke",
                                          json={"user": w.person("viewer").username}),
        "me": lambda: Req("GET", f"{P}/me"),
        "list_members": lambda: Req("GET", f"{P}/bases/{w.base_id}/members"),
        "grant_role": lambda: Req("POST", f"{P}/bases/{t.base()}/members",
                                  json={"user": w.person("outsider").username,
                                        "role": "viewer"}),
        "revoke_role": lambda: Req("POST", f"{P}/bases/{t.base()}/members/revoke",
                                   json={"user": w.person("viewer").username}),
        "get_table_access": lambda: Req("GET", f"{P}/tables/{c}/access"),
        "set_row_rule": lambda: Req("PUT", f"{P}/tables/{c}/row-rules/viewer",
                                    json={"formula": "{负责人} = CURRENT_USER()"}),
        "set_field_permission": lambda: Req(
            "PUT", f"{P}/fields/{w.customers.field('电话').id}/permissions/viewer",
            json={"mode": "hidden"}),
        **_outreach_builders(t, role),
        "list_tokens": lambda: Req("GET", f"{P}/tokens"),
        "create_token": lambda: Req("POST", f"{P}/tokens", json={"name": "脚本"}),
        "revoke_token": lambda: Req("DELETE", f"{P}/tokens/{t.token(role)}"),
        "list_trash": lambda: Req("GET", f"{P}/trash"),
        "restore_trash_item": lambda: Req("POST", f"{P}/trash/987654/restore"),
        "purge_trash_item": lambda: Req("DELETE", f"{P}/trash/987654"),
        "list_users": lambda: Req("GET", f"{P}/users"),
        "create_user": lambda: Req("POST", f"{P}/users", json={
            "username": f"新人{next(_n)}", "password": "password-123456"}),
        "update_user": lambda: Req("PATCH", f"{P}/users/{w.person('viewer').user_id}",
                                   json={"is_active": True}),
        "list_audit": lambda: Req("GET", f"{P}/audit"),
        "get_allowed_hosts": lambda: Req("GET", f"{P}/settings/allowed-hosts"),
        "set_allowed_hosts": lambda: Req("PUT", f"{P}/settings/allowed-hosts",
                                         json={"hosts": []}),
        "list_dashboards": lambda: Req("GET", f"{P}/bases/{w.base_id}/dashboards"),
    }
    return builders[op]()


def _outreach_builders(t: Targets, role: str) -> dict[str, Callable[[], Req]]:
    w = t.world
    b, c, own = w.base_id, w.customers.id, w.rows.get(role, w.rows["owner"])
    tpl = lambda: t.outreach("template")  # noqa: E731
    ch = lambda: t.outreach("channel")  # noqa: E731
    cmp = lambda: t.outreach("campaign")  # noqa: E731
    q = lambda: t.outreach("queue")  # noqa: E731
    return {
        "list_message_templates": lambda: Req("GET", f"{P}/bases/{b}/message-templates"),
        "create_message_template": lambda: Req("POST", f"{P}/bases/{b}/message-templates",
                                               json={"name": f"模板{next(_n)}", "table_id": c,
                                                     "bodies": {"zh": {"body": "您好"}}}),
        "get_message_template": lambda: Req("GET", f"{P}/message-templates/{tpl()}"),
        "update_message_template": lambda: Req("PATCH", f"{P}/message-templates/{tpl()}",
                                               json={"name": f"改{next(_n)}"}),
        "delete_message_template": lambda: Req("DELETE", f"{P}/message-templates/{tpl()}"),
        "preview_message_template": lambda: Req("POST", f"{P}/message-templates/{tpl()}/preview",
                                                json={"record_ids": [own]}),
        "list_channel_kinds": lambda: Req("GET", f"{P}/outreach/channel-kinds"),
        "list_outreach_channels": lambda: Req("GET", f"{P}/bases/{b}/channels"),
        "create_outreach_channel": lambda: Req("POST", f"{P}/bases/{b}/channels", json={
            "name": f"通道{next(_n)}", "kind": "webhook",
            "config": {"url": "https://example.com/hook"}}),
        "get_outreach_channel": lambda: Req("GET", f"{P}/channels/{ch()}"),
        "update_outreach_channel": lambda: Req("PATCH", f"{P}/channels/{ch()}",
                                               json={"name": f"改{next(_n)}"}),
        "delete_outreach_channel": lambda: Req("DELETE", f"{P}/channels/{ch()}"),
        "issue_channel_callback_token": lambda: Req("POST",
                                                    f"{P}/channels/{ch()}/callback-token"),
        "test_outreach_channel": lambda: Req("POST", f"{P}/channels/{ch()}/test",
                                             json={"body": "测试"}),
        "list_outreach_campaigns": lambda: Req("GET", f"{P}/bases/{b}/campaigns"),
        "create_outreach_campaign": lambda: Req("POST", f"{P}/bases/{b}/campaigns", json={
            "name": f"活动{next(_n)}", "table_id": c, "template_id": tpl(), "channel_id": ch()}),
        "get_outreach_campaign": lambda: Req("GET", f"{P}/campaigns/{cmp()}"),
        "update_outreach_campaign": lambda: Req("PATCH", f"{P}/campaigns/{cmp()}",
                                                json={"name": f"改{next(_n)}"}),
        "delete_outreach_campaign": lambda: Req("DELETE", f"{P}/campaigns/{cmp()}"),
        "schedule_outreach_campaign": lambda: Req("POST", f"{P}/campaigns/{cmp()}/schedule",
                                                  json={}),
        "cancel_outreach_campaign": lambda: Req("POST", f"{P}/campaigns/{cmp()}/cancel"),
        "list_campaign_deliveries": lambda: Req("GET", f"{P}/campaigns/{cmp()}/deliveries"),
        "campaign_results": lambda: Req("GET", f"{P}/campaigns/{cmp()}/results"),
        "record_campaign_reply": lambda: Req("POST", f"{P}/campaigns/{cmp()}/replies",
                                             json={"record_id": own}),
        "list_call_queues": lambda: Req("GET", f"{P}/bases/{b}/call-queues"),
        "create_call_queue": lambda: Req("POST", f"{P}/bases/{b}/call-queues", json={
            "name": f"队列{next(_n)}", "table_id": c, "config": {}}),
        "get_call_queue": lambda: Req("GET", f"{P}/call-queues/{q()}"),
        "update_call_queue": lambda: Req("PATCH", f"{P}/call-queues/{q()}", json={"config": {}}),
        "build_call_queue_day": lambda: Req("POST", f"{P}/call-queues/{q()}/build", json={}),
        "call_queue_list": lambda: Req("GET", f"{P}/call-queues/{q()}/list",
                                       params={"caller": "甲"}),
        "record_call_outcome": lambda: Req("POST",
                                           f"{P}/queue-items/{t.outreach('item')}/outcome",
                                           json={"outcome": "接通"}),
        "call_queue_summary": lambda: Req("GET", f"{P}/call-queues/{q()}/summary"),
        "call_queue_summary_xlsx": lambda: Req("GET", f"{P}/call-queues/{q()}/summary.xlsx"),
        "get_member_page": lambda: Req("GET", f"{P}/tables/{c}/member-page"),
        "configure_member_page": lambda: Req("POST", f"{P}/tables/{c}/member-page",
                                             json={"fields": [{"field": "姓名"}]}),
        "issue_member_link": lambda: Req("POST", f"{P}/tables/{c}/records/{own}/member-link",
                                         json={}),
        "revoke_member_links": lambda: Req("DELETE", f"{P}/tables/{c}/records/{own}/member-link"),
    }


def _expected(route: ApiRoute, role: str, which: str) -> int:
    rule = EXPECTED[route.operation_id]
    if rule == PUBLIC:
        return -1  # the same answer for everyone: compared with the owner's
    allowed = {LETTERS[x] for x in rule}
    if role not in allowed:
        return 401 if role == "anonymous" else 403
    if which == "other" and role in RESTRICTED and route.operation_id in ROW_ROUTES:
        return ROW_ROUTES[route.operation_id]
    return OK_STATUS.get(route.operation_id, route.status)


def _cases() -> Iterator[Any]:
    for route in API_ROUTES:
        if route.operation_id not in EXPECTED:
            continue  # test_every_route_is_in_the_matrix fails instead
        rows = ("own", "other") if route.operation_id in ROW_ROUTES else ("-",)
        for role in CALLERS:
            for which in rows:
                yield pytest.param(route, role, which,
                                   id=f"{route.operation_id}-{role}-{which}")


def test_every_route_is_in_the_matrix() -> None:
    declared = {r.operation_id for r in API_ROUTES}
    assert sorted(declared - set(EXPECTED)) == [], "add the new routes to EXPECTED"
    assert sorted(set(EXPECTED) - declared) == []


def test_every_route_has_an_access_policy() -> None:
    from tessera.access.api_policy import ROUTE_POLICY

    assert sorted({r.operation_id for r in API_ROUTES} - set(ROUTE_POLICY)) == []


@pytest.fixture(scope="module")
def client(world: World) -> Iterator[TestClient]:
    with TestClient(create_app(engine=world.engine, embedded_worker=False)) as test_client:
        yield test_client


def _validate(route: ApiRoute, response: Any) -> None:
    if response.status_code == route.status and route.response is not None:
        schema_ = route.response
    elif response.status_code >= 400:
        schema_ = {"$ref": "#/components/schemas/Error"}
    else:
        return
    Draft202012Validator({**schema_, "components": {"schemas": COMPONENTS}}).validate(
        response.json())


@pytest.mark.parametrize(("route", "role", "which"), list(_cases()))
def test_matrix(world: World, client: TestClient, route: ApiRoute, role: str,
                which: str) -> None:
    targets = Targets(world, client)
    request = _build(targets, route.operation_id, role, which)
    headers = world.person(role).headers if role in world.people else {}
    response = client.request(request.method, request.path, json=request.json,
                              params=request.params, headers=headers)
    expected = _expected(route, role, which)
    if expected == -1:
        again = _build(targets, route.operation_id, "owner", which)
        expected = client.request(again.method, again.path, json=again.json,
                                  params=again.params).status_code
    if route.operation_id in OUTREACH and expected not in (401, 403):
        assert response.status_code not in (401, 403), response.text  # reached the handler
    else:
        assert response.status_code == expected, response.text
    assert response.status_code < 500, response.text
    _validate(route, response)
    if response.status_code in (401, 403):
        error = response.json()["error"]
        assert error["message"] and error["code"] in ACCESS_CODES
    if request.row is not None and response.status_code == 200 and role in RESTRICTED:
        text = response.text
        if route.operation_id == "export_table_file":
            text = base64.b64decode(response.json()["content_base64"]).decode("utf-8-sig")
            assert "无人负责的顾客" not in text
        else:
            ids = {r["id"] for r in response.json()["rows"]}
            assert (request.row in ids) is (which == "own")
            assert world.rows["other"] not in ids


# Automation "run as" (tessera/access/run_as.py): who may make an automation act as whom, when
# creating it and when changing the steps of one that already acts as someone. "-": nobody
# (O and A, who pass the route's check, get 400: the outsider is no member of the base).
RUN_AS_CREATE = {"self": "OA", "system": "O", "owner": "O", "admin": "OA", "editor": "OA",
                 "viewer": "OA", "outsider": "-"}
RUN_AS_EDIT_STEPS = {"system": "O", "owner": "O", "admin": "OA", "editor": "OA"}


def _run_as(world: World, choice: str) -> dict[str, Any] | None:
    if choice == "self":
        return None
    if choice == "system":
        return {"kind": "system"}
    return {"kind": "user", "user_id": world.person(choice).user_id}


def _run_as_status(rule: str, role: str, success: int) -> int:
    if role == "anonymous":
        return 401
    if role not in ("owner", "admin"):
        return 403       # the route's own rule: automations.write
    if rule == "-":
        return 400
    return success if role in {LETTERS[x] for x in rule} else 403


@pytest.mark.parametrize("choice", list(RUN_AS_CREATE))
@pytest.mark.parametrize("role", CALLERS)
def test_run_as_matrix_create(world: World, client: TestClient, choice: str, role: str) -> None:
    body: dict[str, Any] = {"name": "身份", "table_id": world.customers.id,
                            "trigger": {"type": "manual"}, "actions": []}
    if _run_as(world, choice) is not None:
        body["run_as"] = _run_as(world, choice)
    headers = world.person(role).headers if role in world.people else {}
    response = client.post(f"{P}/bases/{world.base_id}/automations", json=body, headers=headers)
    assert response.status_code == _run_as_status(RUN_AS_CREATE[choice], role, 201), \
        response.text
    if response.status_code == 201:
        run_as = response.json()["run_as"]
        wanted = world.person(role).user_id if choice == "self" else \
            None if choice == "system" else world.person(choice).user_id
        assert (run_as["kind"], run_as["user_id"]) == (
            "system" if choice == "system" else "user", wanted)
    else:
        assert response.json()["error"]["message"]


@pytest.mark.parametrize("runs_as", list(RUN_AS_EDIT_STEPS))
@pytest.mark.parametrize("role", CALLERS)
def test_run_as_matrix_edit_steps(world: World, client: TestClient, runs_as: str,
                                  role: str) -> None:
    made = client.post(f"{P}/bases/{world.base_id}/automations", headers=world.person(
        "owner").headers, json={"name": "步骤", "table_id": world.customers.id,
                                "trigger": {"type": "manual"}, "actions": [],
                                "run_as": _run_as(world, runs_as)})
    assert made.status_code == 201, made.text
    headers = world.person(role).headers if role in world.people else {}
    response = client.patch(f"{P}/automations/{made.json()['id']}", headers=headers, json={
        "actions": [{"type": "update_record", "options": {"values": {"姓名": "改"}}}]})
    assert response.status_code == _run_as_status(RUN_AS_EDIT_STEPS[runs_as], role, 200), \
        response.text
    renamed = client.patch(f"{P}/automations/{made.json()['id']}", headers=headers,
                           json={"name": "只改名"})   # the name is not what runs
    assert renamed.status_code == _run_as_status("OA", role, 200), renamed.text
