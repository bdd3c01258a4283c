"""Campaign set-up shared by the campaign, results and API tests."""

from __future__ import annotations

from typing import Any

import tessera.outreach as out

AUDIENCE = {"address_field": "手机", "consent_field": "同意营销", "optout_field": "退订",
            "exclude": [{"field": "满意度", "values": ["纠纷"]},
                        {"field": "勿扰", "values": [True]}],
            "plan_field": "邀约方案", "language_field": "语言",
            "tasks": {"table": "回访任务", "customer_field": "客户", "status_field": "状态",
                      "booked": ["已预约", "已到院"], "arrived": ["已到院"]}}

BODIES = {"zh": {"body": "{姓名}您好，请于{=TEXT({下次召回日期},\"m月d日\")}前复诊",
                 "params": {"name": "{姓名}", "date": "{=TEXT({下次召回日期},\"m月d日\")}"}},
          "en": {"body": "Dear {姓名}, please come back before {=TEXT({下次召回日期},\"mmm d\")}",
                 "params": {"name": "{姓名}"}}}


def webhook_campaign(clinic: Any, url: str, *, rate: float | None = None,
                     max_attempts: int = 3, secret: str = "hook-secret",
                     segment: dict[str, Any] | None = None, view_id: int | None = None,
                     max_recipients: int | None = None,
                     audience: dict[str, Any] | None = None) -> dict[str, Any]:
    """A campaign over 客户 through the signed-webhook channel pointed at ``url``."""
    template = out.create_template(clinic.engine, base_id=clinic.base_id,
                                   table_id=clinic.customers.id, name="recall", bodies=BODIES)
    channel = out.create_channel(clinic.engine, base_id=clinic.base_id, name="hook",
                                 kind="webhook", config={"url": url + "/hook"},
                                 secrets={"secret": secret}, rate_per_second=rate,
                                 max_attempts=max_attempts)
    return out.create_campaign(clinic.engine, base_id=clinic.base_id,
                               table_id=clinic.customers.id, name="spring", view_id=view_id,
                               segment=segment, template_id=template["id"],
                               channel_id=channel["id"], audience=audience or AUDIENCE,
                               max_recipients=max_recipients)


def statuses(clinic: Any, campaign_id: int) -> dict[int, str]:
    return {d["record_id"]: d["status"] for d in out.deliveries(clinic.engine, campaign_id,
                                                                limit=10000)}
