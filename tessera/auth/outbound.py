"""The outbound guard (SSRF): webhook and email actions may not reach loopback, private,
link-local or otherwise non-public addresses unless an administrator allowed the host.

Every address the host name resolves to is checked with :mod:`ipaddress` (a name with one
public and one private address is refused), IPv4-mapped IPv6 addresses are unwrapped, and
redirects are checked again by the webhook action. The allowlist is the union of the
``outbound_allowed_hosts`` setting (``PUT /api/v1/settings/allowed-hosts``) and the
comma-separated ``TESSERA_ALLOWED_HOSTS`` environment variable; entries are host names or IP
addresses, compared case-insensitively, without ports.

DNS rebinding: checking a name and then letting the HTTP or SMTP library resolve it again
lets a hostile DNS server answer a public address to the check and 127.0.0.1 to the connect.
So the host is resolved ONCE (:func:`vet`), every address is checked, and the connection is
made to a checked address (:func:`open_socket`); the original name stays in the Host header,
the TLS SNI and the certificate check. Every client goes through it: :func:`opener` (urllib,
the webhook action; redirects connect through it too), :class:`GuardedTransport` (httpx, the
outreach HTTP channels) and :class:`SMTP` (email actions and the email channel).

Clients that are not handed the allow-list (the outreach channels) use the one set with
:func:`allowing`, else the environment's plus the settings list this process last read."""

from __future__ import annotations

import http.client
import ipaddress
import os
import smtplib
import socket
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

from tessera.auth.settings import get_setting, set_setting
from tessera.errors import TesseraError
from tessera.schema.catalog import Bind

__all__ = ["OutboundRefused", "allowed_hosts", "set_allowed_hosts", "check_host", "vet",
           "is_public_address", "open_socket", "opener", "GuardedTransport", "SMTP",
           "allowing", "ALLOWED_HOSTS_ENV", "SETTING_KEY"]

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
    global _LAST_READ
    if bind is None:
        return sorted({h for h in from_env if h})
    stored = sorted({_normalize(str(h)) for h in get_setting(bind, SETTING_KEY, []) or []} - {""})
    _LAST_READ = tuple(stored)
    return sorted({h for h in [*from_env, *stored] if h})


def set_allowed_hosts(bind: Bind, hosts: Iterable[str]) -> list[str]:
    clean = sorted({_normalize(h) for h in hosts if _normalize(h)})
    global _LAST_READ
    set_setting(bind, SETTING_KEY, clean)
    _LAST_READ = tuple(clean)
    return clean


def is_public_address(text: str) -> bool:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def _resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def _literal(name: str) -> str | None:
    try:
        return str(ipaddress.ip_address(name.split("%", 1)[0]))
    except ValueError:
        return None


def vet(host: str | None, allowed: Iterable[str] | None = None, *,
        resolve: Resolver | None = None) -> list[str]:
    """Resolve ``host`` once and return its addresses, every one checked: public, or the
    host or that address is on the allow-list (raises OutboundRefused otherwise)."""
    name = _normalize(host or "")
    if not name:
        raise OutboundRefused("The target has no host name; give a full http(s) URL.",
                              "目标地址没有主机名；请填写完整的 http(s) 网址。")
    permitted = set(_policy(allowed))
    literal = _literal(name)
    try:
        addresses = [literal] if literal else (resolve or _RESOLVE)(name)
    except (OSError, UnicodeError) as exc:
        raise OutboundRefused(f"The host {name!r} could not be resolved ({exc}); check it.",
                              f"无法解析主机 {name!r}（{exc}），请检查。") from exc
    if name in permitted:
        return list(addresses)
    private = [a for a in addresses if not is_public_address(a) and _normalize(a) not in permitted]
    if private or not addresses:
        raise OutboundRefused(
            f"The host {name!r} resolves to a private, loopback or link-local address "
            f"({', '.join(private) or 'none'}); an administrator must allow it in "
            "Settings → allowed hosts (or TESSERA_ALLOWED_HOSTS) first.",
            f"主机 {name!r} 解析为内网、回环或链路本地地址（{', '.join(private) or '无'}）；"
            "需要管理员先在“设置 → 允许的主机”（或 TESSERA_ALLOWED_HOSTS）中允许它。",
            details={"host": name, "addresses": private})
    return list(addresses)


def check_host(host: str | None, allowed: Iterable[str] | None = None, *,
               resolve: Resolver | None = None) -> None:
    """Raise OutboundRefused unless ``host`` is allowed or resolves only to public addresses."""
    vet(host, allowed, resolve=resolve)


# --- the allow-list clients use when not handed one -----------------------------------------
_POLICY: ContextVar[tuple[str, ...] | None] = ContextVar("tessera_outbound_allowed", default=None)
_LAST_READ: tuple[str, ...] = ()
# the resolver every check uses (module-level, so tests can answer with a fake DNS server)
_RESOLVE: Resolver = _resolve


@contextmanager
def allowing(hosts: Iterable[str]) -> Iterator[None]:
    """Connections made inside this block use ``hosts`` as the allow-list."""
    token = _POLICY.set(tuple(_normalize(h) for h in hosts))
    try:
        yield
    finally:
        _POLICY.reset(token)


def _policy(allowed: Iterable[str] | None) -> list[str]:
    if allowed is not None:
        return [_normalize(h) for h in allowed]
    chosen = _POLICY.get()
    if chosen is not None:
        return list(chosen)
    return sorted({*allowed_hosts(None), *_LAST_READ})


# --- connecting to a vetted address ---------------------------------------------------------
def _connect(address: tuple[str, int], timeout: float | None,
             source_address: tuple[str, int] | None = None) -> socket.socket:
    return socket.create_connection(address, timeout, source_address)


_DEFAULT_TIMEOUT: Any = socket._GLOBAL_DEFAULT_TIMEOUT  # type: ignore[attr-defined]


def open_socket(host: str, port: int, *, allowed: Iterable[str] | None = None,
                timeout: Any = _DEFAULT_TIMEOUT,
                source_address: tuple[str, int] | None = None,
                resolve: Resolver | None = None) -> socket.socket:
    """A TCP connection to a vetted address of ``host`` (never resolved a second time)."""
    last: OSError | None = None
    for address in vet(host, allowed, resolve=resolve):
        try:
            return _connect((address, int(port)), timeout, source_address)
        except OSError as exc:
            last = exc
    raise last or OSError(f"no address of {host!r} accepted a connection")


class _Pinned:
    """``socket.create_connection`` for http.client: vet the host, connect to that address."""

    def __init__(self, allowed: Iterable[str] | None, resolve: Resolver | None) -> None:
        self.allowed = None if allowed is None else list(allowed)
        self.resolve = resolve

    def __call__(self, address: tuple[str, int], timeout: Any = _DEFAULT_TIMEOUT,
                 source_address: tuple[str, int] | None = None) -> socket.socket:
        host, port = address
        return open_socket(host, port, allowed=self.allowed, timeout=timeout,
                           source_address=source_address, resolve=self.resolve)


class _GuardedHTTP(urllib.request.HTTPHandler):
    def __init__(self, pinned: _Pinned) -> None:
        super().__init__()
        self.pinned = pinned

    def http_open(self, req: Any) -> Any:
        return self.do_open(self._connection, req)

    def _connection(self, host: str, **kw: Any) -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(host, **kw)
        conn._create_connection = self.pinned  # type: ignore[attr-defined]
        return conn


class _GuardedHTTPS(urllib.request.HTTPSHandler):
    def __init__(self, pinned: _Pinned) -> None:
        super().__init__()
        self.pinned = pinned

    def https_open(self, req: Any) -> Any:
        return self.do_open(self._connection, req, context=self._context)  # type: ignore[attr-defined]

    def _connection(self, host: str, **kw: Any) -> http.client.HTTPSConnection:
        # TLS wraps the pinned socket with server_hostname = the URL's host: SNI and the
        # certificate check are for the name, not the address
        conn = http.client.HTTPSConnection(host, **kw)
        conn._create_connection = self.pinned  # type: ignore[attr-defined]
        return conn


def opener(allowed: Iterable[str] | None = None, *handlers: Any,
           resolve: Resolver | None = None) -> urllib.request.OpenerDirector:
    """A urllib opener whose every connection (redirects too) goes to a vetted address."""
    pinned = _Pinned(allowed, resolve)
    return urllib.request.build_opener(_GuardedHTTP(pinned), _GuardedHTTPS(pinned), *handlers)


class _GuardedBackend(httpcore.NetworkBackend):
    def __init__(self, pinned: _Pinned) -> None:
        self.pinned = pinned

    def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                    local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        from httpcore._backends.sync import SyncStream

        with httpcore._exceptions.map_exceptions(  # type: ignore[attr-defined]
                {socket.timeout: httpcore.ConnectTimeout, OSError: httpcore.ConnectError}):
            sock = self.pinned((host, port), timeout,
                               (local_address, 0) if local_address else None)
        for option in socket_options or ():
            sock.setsockopt(*option)
        return SyncStream(sock)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not an outbound target")

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections go to vetted addresses (TLS keeps the name)."""

    def __init__(self, allowed: Iterable[str] | None = None, *, resolve: Resolver | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._pool._network_backend = _GuardedBackend(_Pinned(allowed, resolve))  # noqa: SLF001


class SMTP(smtplib.SMTP):
    """smtplib.SMTP connecting to a vetted address; STARTTLS checks the host name."""

    def __init__(self, host: str = "", port: int = 0, *, allowed: Iterable[str] | None = None,
                 resolve: Resolver | None = None, **kwargs: Any) -> None:
        self._pinned = _Pinned(allowed, resolve)
        super().__init__(host, port, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: Any) -> socket.socket:
        return self._pinned((host, port), timeout, self.source_address)
