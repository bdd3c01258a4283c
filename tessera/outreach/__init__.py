"""Reaching customers: message templates, channels, campaigns, the call team's queue and the
member self-service page. Everything is configured over tables and fields by name; nothing
here knows the clinic pack's schema.

Modules, one job each::

    models.py            out_* metadata tables (migration 0007_outreach)
    placeholders.py      ``{字段}`` / ``{=formula}`` texts, split once, filled per record
    message_templates.py templates per language, preview against real records
    channels/            the channel registry: email, aliyun_sms, tencent_sms, wecom_bot,
                         dingtalk_bot, webhook (one module each, signing as documented)
    secrets.py           Fernet encryption of channel credentials (TESSERA_SECRET_KEY)
    channel_store.py     configured channels; secrets never leave except to the sender
    ratelimit.py         per-channel sends per second, shared by all workers
    audience.py          segment + consent / opt-out / exclusions as SQL and as a live check
    campaigns.py         campaigns on the workflow queue: launch, one run per recipient
    sending.py           the ``outreach_launch`` / ``outreach_send`` workflow actions
    results.py           sent / failed / replied / booked / arrived per campaign and plan
    calls.py             the call team's daily queue (the workflow's ``assign`` action),
                         one-click outcomes
    call_summary.py      the evening summary (calls → bookings → arrivals) and its xlsx
    member.py            self-service links (hashed tokens, revocable), page data, QR code
    member_web.py        the public page routes (rate-limited, no login)

Importing the package registers the channels and the two workflow actions.
"""

from tessera.outreach import channels as _channels  # noqa: F401  (registers channel kinds)
from tessera.outreach import sending as _sending  # noqa: F401  (registers workflow actions)
from tessera.outreach.campaigns import (
    cancel_campaign,
    create_campaign,
    deliveries,
    get_campaign,
    list_campaigns,
    record_reply,
    schedule_campaign,
    update_campaign,
)
from tessera.outreach.channel_store import (
    create_channel,
    delete_channel,
    get_channel,
    list_channels,
    update_channel,
)
from tessera.outreach.message_templates import (
    create_template,
    delete_template,
    get_template,
    list_templates,
    preview,
    update_template,
)
from tessera.outreach.results import campaign_results

__all__ = [
    "create_template", "update_template", "get_template", "list_templates", "delete_template",
    "preview", "create_channel", "update_channel", "get_channel", "list_channels",
    "delete_channel", "create_campaign", "update_campaign", "get_campaign", "list_campaigns",
    "schedule_campaign", "cancel_campaign", "deliveries", "record_reply", "campaign_results",
]
