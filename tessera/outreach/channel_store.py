"""Configured channels: a kind from the registry, its settings and its encrypted secrets.

``public(row)`` is the only shape that leaves this module for users: it lists which secrets
are set, never their values. ``load(conn, id)`` decrypts for the sender."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tessera.errors import NotFoundError
from tessera.outreach.channels import ChannelSpec, get_kind, validate_config
from tessera.outreach.errors import ConfigError
from tessera.outreach.models import CHANNELS
from tessera.outreach.secrets import decrypt_secrets, encrypt_secrets
from tessera.schema.catalog import Bind, transaction
from tessera.workflow import timebase

__all__ = ["LoadedChannel", "create_channel", "update_channel", "get_channel", "list_channels",
           "delete_channel", "load", "public", "DEFAULT_MAX_ATTEMPTS"]

DEFAULT_MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class LoadedChannel:
    id: int
    name: str
    spec: ChannelSpec
    config: dict[str, Any]
    secrets: dict[str, Any]
    rate_per_second: float | None
    max_attempts: int
    concurrency: int = 1


def public(row: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("secrets", "callback_token_hash")}
    out["secrets_set"] = sorted(decrypt_secrets(row["secrets"])) if row.get("secrets") else []
    return out


def _row(conn: sa.Connection, channel_id: int) -> dict[str, Any]:
    row = conn.execute(sa.select(CHANNELS).where(CHANNELS.c.id == channel_id)).first()
    if row is None:
        raise NotFoundError("channel", channel_id)
    return dict(row._mapping)


def create_channel(bind: Bind, *, base_id: int, name: str, kind: str,
                   config: Mapping[str, Any] | None = None,
                   secrets: Mapping[str, Any] | None = None,
                   rate_per_second: float | None = None,
                   max_attempts: int = DEFAULT_MAX_ATTEMPTS,
                   concurrency: int | None = None) -> dict[str, Any]:
    """``concurrency``: messages a worker may have in flight at once on this channel (default
    1). Above 1 a SIGKILL of the worker may resend that many messages (under their keys)."""
    spec = get_kind(kind)
    config, secrets = dict(config or {}), dict(secrets or {})
    validate_config(spec, config, secrets)
    with transaction(bind) as conn:
        now = timebase.now()
        cid = conn.execute(sa.insert(CHANNELS).values(
            base_id=base_id, name=name, kind=kind, config=config,
            secrets=encrypt_secrets(secrets), rate_per_second=rate_per_second,
            max_attempts=max_attempts, concurrency=_concurrency(concurrency), created_at=now,
            updated_at=now)
            .returning(CHANNELS.c.id)).scalar_one()
        return public(_row(conn, cid))


def update_channel(bind: Bind, channel_id: int, *, name: str | None = None,
                   config: Mapping[str, Any] | None = None,
                   secrets: Mapping[str, Any] | None = None,
                   rate_per_second: float | None = None,
                   max_attempts: int | None = None,
                   concurrency: int | None = None) -> dict[str, Any]:
    """``secrets`` are merged: keys given are replaced, a key set to None is removed."""
    _forget()
    with transaction(bind) as conn:
        row = _row(conn, channel_id)
        spec = get_kind(row["kind"])
        new_config = dict(config) if config is not None else row["config"]
        current = decrypt_secrets(row["secrets"])
        for key, value in (secrets or {}).items():
            if value is None:
                current.pop(key, None)
            else:
                current[key] = value
        validate_config(spec, new_config, current)
        conn.execute(sa.update(CHANNELS).where(CHANNELS.c.id == channel_id).values(
            name=name or row["name"], config=new_config, secrets=encrypt_secrets(current),
            rate_per_second=rate_per_second if rate_per_second is not None
            else row["rate_per_second"],
            max_attempts=max_attempts or row["max_attempts"],
            concurrency=_concurrency(concurrency) if concurrency is not None
            else row["concurrency"], updated_at=timebase.now()))
        return public(_row(conn, channel_id))


def get_channel(bind: Bind, channel_id: int) -> dict[str, Any]:
    with transaction(bind) as conn:
        return public(_row(conn, channel_id))


def list_channels(bind: Bind, base_id: int) -> list[dict[str, Any]]:
    with transaction(bind) as conn:
        return [public(dict(r._mapping)) for r in conn.execute(
            sa.select(CHANNELS).where(CHANNELS.c.base_id == base_id).order_by(CHANNELS.c.id))]


def delete_channel(bind: Bind, channel_id: int) -> None:
    _forget()
    with transaction(bind) as conn:
        _row(conn, channel_id)
        conn.execute(sa.delete(CHANNELS).where(CHANNELS.c.id == channel_id))


def load(conn: sa.Connection, channel_id: int) -> LoadedChannel:
    row = _row(conn, channel_id)
    return LoadedChannel(row["id"], row["name"], get_kind(row["kind"]), dict(row["config"]),
                         decrypt_secrets(row["secrets"]), row["rate_per_second"],
                         row["max_attempts"], row["concurrency"] or 1)


def _concurrency(value: int | None) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 64:
        raise ConfigError("concurrency must be a whole number from 1 to 64.",
                          "并发数必须是 1 到 64 之间的整数。")
    return value


def _forget() -> None:
    from tessera.outreach.sending import clear_cache

    clear_cache()


def check_targets(bind: Bind, channel: LoadedChannel,
                  allowed: list[str] | None = None) -> None:
    """The outbound guard of tessera/auth (SSRF) for the hosts a channel's *settings* point
    at: ``base_url`` / ``url`` / the SMTP ``host``. The providers' built-in public endpoints
    are not checked. Raises ``OutboundRefused`` (en + zh) unless public or allowed."""
    from urllib.parse import urlsplit

    from tessera.auth.outbound import allowed_hosts, check_host

    hosts = [urlsplit(str(channel.config[k])).hostname for k in ("base_url", "url")
             if channel.config.get(k)]
    if channel.spec.name == "email":
        hosts.append(str(channel.config.get("host") or "localhost"))
    if not hosts:
        return
    allowed = allowed if allowed is not None else allowed_hosts(bind)
    for host in hosts:
        check_host(host, allowed)
