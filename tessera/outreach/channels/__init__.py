"""Channels, one module each, registered in ``CHANNEL_KINDS`` on import (see base.py)."""

from tessera.outreach.channels import aliyun_sms, bots, smtp, tencent_sms, webhook  # noqa: F401
from tessera.outreach.channels.base import (
    CHANNEL_KINDS,
    ChannelSpec,
    Message,
    SendResult,
    define_channel,
    get_kind,
    validate_config,
)

__all__ = ["CHANNEL_KINDS", "ChannelSpec", "Message", "SendResult", "define_channel",
           "get_kind", "validate_config"]
