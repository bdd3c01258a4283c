"""The outbound guard (SSRF): webhook and email actions may not reach loopback, private,
link-local or otherwise non-public addresses unless an administrator allowed the host.

Every address the host name resolves to is checked with :mod:`ipaddress` (a name with one
public and one private address is refused), IPv4-mapped IPv6 addresses are unwrapped, and
redirects are checked again by the webhook action. The allowlist is the union of the
``outbound_allowed_hosts`` setting (``PUT /api/v1/settings/allowed-hosts``) and the
comma-separated ``TESSERA_ALLOWED_HOSTS`` environment variable; entries are host names or IP
addresses, compared case-insensitively, without ports."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterable

from tessera.auth.settings import get_setting, set_setting
from tessera.errors import TesseraError
from tessera.schema.catalog import Bind

__all__ = ["OutboundRefused", "allowed_hosts", "set_allowed_hosts", "check_host",
           "is_public_address", "ALLOWED_HOSTS_ENV", "SETTING_KEY"]

ALLOWED_HOSTS_ENV = "TESSERA_ALLOWED_HOSTS"
SETTING_KEY = "outbound_allowed_hosts"

Resolver = Callable[[str], list[str]]


class OutboundRefused(TesseraError):
    http_status = 400
    code = "outbound_refused"


def _normalize(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def allowed_hosts(bind: Bind | None) -> list[str]:
    from_env = [_normalize(h) for h in os.environ.get(ALLOWED_HOSTS_ENV, "").split(",")]
    stored = get_setting(bind, SETTING_KEY, []) if bind is not None else []
    return sorted({h for h in [*from_env, *(_normalize(str(h)) for h in stored or [])] if h})


def set_allowed_hosts(bind: Bind, hosts: Iterable[str]) -> list[str]:
    clean = sorted({_normalize(h) for h in hosts if _normalize(h)})
    set_setting(bind, SETTING_KEY, clean)
    return clean


def is_public_address(text: str) -> bool:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def check_host(host: str | None, allowed: Iterable[str], *,
               resolve: Resolver = _resolve) -> None:
    """Raise OutboundRefused unless ``host`` is allowed or resolves only to public addresses."""
    name = _normalize(host or "")
    if not name:
        raise OutboundRefused("The target has no host name; give a full http(s) URL.",
                              "目标地址没有主机名；请填写完整的 http(s) 网址。")
    if name in set(allowed):
        return
    try:
        addresses = resolve(name)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused(f"The host {name!r} could not be resolved ({exc}); check it.",
                              f"无法解析主机 {name!r}（{exc}），请检查。") from exc
    private = [a for a in addresses if not is_public_address(a)]
    if private or not addresses:
        raise OutboundRefused(
            f"The host {name!r} resolves to a private, loopback or link-local address "
            f"({', '.join(private) or 'none'}); an administrator must allow it in "
            "Settings → allowed hosts (or TESSERA_ALLOWED_HOSTS) first.",
            f"主机 {name!r} 解析为内网、回环或链路本地地址（{', '.join(private) or '无'}）；"
            "需要管理员先在“设置 → 允许的主机”（或 TESSERA_ALLOWED_HOSTS）中允许它。",
            details={"host": name, "addresses": private})
