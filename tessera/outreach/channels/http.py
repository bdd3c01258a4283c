"""The one HTTP call the HTTP channels make, with one rule for what is worth retrying:
unreachable, timeouts, 429 and 5xx are transient; other 4xx are permanent.

Calls go through one keep-alive ``httpx.Client`` per thread, so a worker sending a campaign
reuses its connection to the provider instead of opening one per message (a new TCP and TLS
handshake per SMS was a fifth of the send cost). Redirects are not followed: a provider API
answers, it does not send us elsewhere (and the outbound allow-list checked the first host)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Mapping
from typing import Any

import httpx

from tessera.auth.outbound import GuardedTransport
from tessera.outreach.errors import PermanentError, TransientError

__all__ = ["post", "client", "DEFAULT_TIMEOUT"]

DEFAULT_TIMEOUT = 10.0
MAX_ANSWER = 1 << 20

_local = threading.local()


def client() -> httpx.Client:
    """This thread's keep-alive client (created on first use)."""
    found = getattr(_local, "client", None)
    if found is None:
        # connections go to the address the outbound guard checked (tessera/auth/outbound.py).
        # TCP_NODELAY: a request goes out as two writes (head, body); with Nagle the body waits
        # for the server's delayed ACK of the head — 40 ms per message on a kept-alive connection
        found = httpx.Client(follow_redirects=False, transport=GuardedTransport(
            limits=httpx.Limits(max_keepalive_connections=8, keepalive_expiry=30.0),
            socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]))
        _local.client = found
    return found


def post(channel: str, url: str, body: bytes, headers: Mapping[str, str], *,
         timeout: float = DEFAULT_TIMEOUT) -> tuple[int, Any]:
    """POST ``body``; returns (status, parsed JSON or text) for a 2xx answer."""
    try:
        resp = client().post(url, content=body, headers=dict(headers), timeout=timeout)
    except httpx.HTTPError as exc:
        raise TransientError(channel, f"{url} could not be reached ({exc})") from exc
    except OSError as exc:
        raise TransientError(channel, f"{url} could not be reached ({exc})") from exc
    status = resp.status_code
    if status >= 300:
        kind = TransientError if status == 429 or status >= 500 else PermanentError
        raise kind(channel, f"the server answered HTTP {status}", status=status)
    text = resp.content[:MAX_ANSWER].decode("utf-8", errors="replace")
    try:
        return status, json.loads(text) if text else None
    except ValueError:
        return status, text
