"""The channel extension point: one ``ChannelSpec`` per way of reaching people.

A spec declares its config schema (non-secret settings such as the base URL, sign name or SMTP
host), the names of its secrets (stored encrypted, never shown back), what kind of address a
recipient needs, how it signs its requests (a sentence for the docs and the UI) and its
``send`` function. ``send`` raises :class:`TransientError` when another attempt may succeed and
:class:`PermanentError` when it cannot; campaigns and the API only ever go through here."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tessera.outreach.errors import ConfigError

__all__ = ["Message", "SendResult", "ChannelSpec", "CHANNEL_KINDS", "define_channel",
           "get_kind", "validate_config"]


@dataclass(frozen=True)
class Message:
    """One rendered message for one recipient. ``params`` feed SMS providers' own templates
    (their TemplateParam / TemplateParamSet); ``idempotency_key`` lets a receiver drop repeats."""

    to: str | None
    subject: str
    body: str
    idempotency_key: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_id: str | None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelSpec:
    name: str
    label_en: str
    label_zh: str
    config_schema: Mapping[str, Any]
    secret_keys: tuple[str, ...]
    address: str                    # "phone" | "email" | "none" (group bots)
    signing: str                    # how requests are authenticated, for docs and UI
    send: Callable[[Mapping[str, Any], Mapping[str, Any], Message], SendResult]


CHANNEL_KINDS: dict[str, ChannelSpec] = {}


def define_channel(spec: ChannelSpec) -> ChannelSpec:
    CHANNEL_KINDS[spec.name] = spec
    return spec


def get_kind(name: str) -> ChannelSpec:
    try:
        return CHANNEL_KINDS[name]
    except KeyError:
        raise ConfigError(f"Unknown channel kind {name!r}; use one of: "
                          f"{', '.join(sorted(CHANNEL_KINDS))}.",
                          f"未知渠道类型 {name!r}，可用：{'、'.join(sorted(CHANNEL_KINDS))}。",
                          kind=name) from None


_TYPES = {"string": str, "integer": int, "number": (int, float), "boolean": bool,
          "object": dict, "array": list}


def validate_config(spec: ChannelSpec, config: Mapping[str, Any],
                    secrets: Mapping[str, Any]) -> None:
    """Required keys present, no unknown keys, simple types; every declared secret given."""
    props = spec.config_schema.get("properties", {})
    for key in spec.config_schema.get("required", ()):
        if config.get(key) in (None, ""):
            raise ConfigError(f"Channel {spec.name}: the setting {key!r} is required.",
                              f"渠道 {spec.label_zh}：缺少必填设置 {key!r}。", key=key)
    for key, value in config.items():
        if key not in props:
            raise ConfigError(f"Channel {spec.name}: unknown setting {key!r}; known: "
                              f"{', '.join(props)}.",
                              f"渠道 {spec.label_zh}：未知设置 {key!r}；可用：{'、'.join(props)}。",
                              key=key)
        want = _TYPES[props[key].get("type", "string")]
        if value is not None and not isinstance(value, want):
            raise ConfigError(f"Channel {spec.name}: {key!r} must be {props[key]['type']}.",
                              f"渠道 {spec.label_zh}：{key!r} 的类型应为 {props[key]['type']}。",
                              key=key)
    unknown = set(secrets) - set(spec.secret_keys)
    if unknown:
        raise ConfigError(f"Channel {spec.name}: unknown secret(s) {sorted(unknown)}; known: "
                          f"{', '.join(spec.secret_keys) or 'none'}.",
                          f"渠道 {spec.label_zh}：未知凭据 {sorted(unknown)}。")
