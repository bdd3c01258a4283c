"""DNS rebinding: the outbound guard resolves a host once, checks every address and connects
to the checked one. A fake DNS server answers a public address first and loopback after that
(what a rebinding attacker's server does); the "internet" is a local server that the fake
connector reaches whatever address it is asked for, recording which one that was."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import socketserver
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tessera.auth import outbound
from tessera.auth.outbound import OutboundRefused, set_allowed_hosts
from tessera.workflow.context import StepContext
from tessera.workflow.registry import ACTIONS

PUBLIC = "93.184.216.34"


class FlipDNS:
    """Answers ``first`` to the first question about a name, ``then`` afterwards."""

    def __init__(self, first: list[str], then: list[str]) -> None:
        self.first, self.then = first, then
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        return self.first if len(self.asked) == 1 else self.then


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        type(self).seen.append({"path": self.path, "host": self.headers["Host"]})
        body = b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


class _Smtp(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        self.wfile.write(b"220 fake ESMTP\r\n")
        for line in self.rfile:
            if line.upper().startswith(b"QUIT"):
                self.wfile.write(b"221 bye\r\n")
                return
            self.wfile.write(b"250 ok\r\n")


@pytest.fixture
def web() -> Iterator[int]:
    _Handler.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_port() -> Iterator[int]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def dialled(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Every address the guard connects to; the connection itself reaches the local server
    listening on that port (standing in for the host on the internet)."""
    calls: list[tuple[str, int]] = []

    def connect(address: tuple[str, int], timeout: Any,
                source: Any = None) -> socket.socket:
        calls.append(address)
        return socket.create_connection(("127.0.0.1", address[1]), 5)

    monkeypatch.setattr(outbound, "_connect", connect)
    return calls


@pytest.fixture
def rebinding(monkeypatch: pytest.MonkeyPatch) -> FlipDNS:
    dns = FlipDNS([PUBLIC], ["127.0.0.1"])
    monkeypatch.setattr(outbound, "_RESOLVE", dns)
    monkeypatch.setenv(outbound.ALLOWED_HOSTS_ENV, "")
    return dns


def test_the_fake_dns_would_rebind(rebinding: FlipDNS) -> None:
    """The attack the pinning defeats: check, then resolve again at connect time."""
    outbound.check_host("rebind.example", [])
    assert outbound._RESOLVE("rebind.example") == ["127.0.0.1"]


def test_urllib_opener_connects_to_the_checked_address(rebinding, dialled, web) -> None:
    url = f"http://rebind.example:{web}/hook"
    with outbound.opener([]).open(url, data=b"{}", timeout=5) as resp:
        assert resp.status == 200
    assert dialled == [(PUBLIC, web)]
    assert rebinding.asked == ["rebind.example"]           # resolved once, never again
    assert _Handler.seen == [{"path": "/hook", "host": f"rebind.example:{web}"}]


def test_httpx_transport_connects_to_the_checked_address(rebinding, dialled, web) -> None:
    with httpx.Client(transport=outbound.GuardedTransport([])) as client:
        assert client.post(f"http://rebind.example:{web}/x", content=b"{}").status_code == 200
    assert dialled == [(PUBLIC, web)]
    assert rebinding.asked == ["rebind.example"]
    assert _Handler.seen[0]["host"] == f"rebind.example:{web}"


def test_outreach_http_channel_is_pinned(rebinding, dialled, web) -> None:
    from tessera.outreach.channels.http import post

    status, answer = post("webhook", f"http://rebind-outreach.example:{web}/send", b"{}", {})
    assert (status, answer) == (200, {"ok": True})
    assert dialled == [(PUBLIC, web)]


def test_smtp_connects_to_the_checked_address(rebinding, dialled, smtp_port) -> None:
    with outbound.SMTP("mail.rebind.example", smtp_port, allowed=[], timeout=5) as smtp:
        assert smtp.noop()[0] == 250
    assert dialled == [(PUBLIC, smtp_port)]
    assert rebinding.asked == ["mail.rebind.example"]


@pytest.mark.parametrize("answer", [[PUBLIC, "127.0.0.1"], ["::ffff:127.0.0.1"], ["0.0.0.0"],
                                    ["169.254.169.254"], ["fe80::1"], ["224.0.0.1"],
                                    ["10.0.0.8", PUBLIC]])
def test_any_private_answer_refuses_before_connecting(answer, monkeypatch, dialled) -> None:
    monkeypatch.setattr(outbound, "_RESOLVE", lambda host: answer)
    monkeypatch.setenv(outbound.ALLOWED_HOSTS_ENV, "")
    with pytest.raises(OutboundRefused) as info:
        outbound.open_socket("mixed.example", 80, allowed=[])
    assert "allowed hosts" in info.value.message_en and info.value.message_zh
    assert dialled == []


def test_allowed_name_or_address_may_be_private(monkeypatch, dialled, web) -> None:
    monkeypatch.setattr(outbound, "_RESOLVE", lambda host: ["10.0.0.8"])
    outbound.open_socket("hooks.lan", web, allowed=["hooks.lan"]).close()
    outbound.open_socket("other.lan", web, allowed=["10.0.0.8"]).close()
    assert dialled == [("10.0.0.8", web), ("10.0.0.8", web)]
    with pytest.raises(OutboundRefused):
        outbound.open_socket("third.lan", web, allowed=["10.0.0.9"])


def test_allowing_sets_the_list_for_clients_not_handed_one(monkeypatch, dialled, web) -> None:
    monkeypatch.setattr(outbound, "_RESOLVE", lambda host: ["10.0.0.8"])
    monkeypatch.setenv(outbound.ALLOWED_HOSTS_ENV, "")
    monkeypatch.setattr(outbound, "_LAST_READ", ())
    with pytest.raises(OutboundRefused):
        outbound.open_socket("sms.lan", web)
    with outbound.allowing(["sms.lan"]):
        outbound.open_socket("sms.lan", web).close()
    assert dialled == [("10.0.0.8", web)]


def test_webhook_action_is_pinned(engine, rebinding, dialled, web) -> None:
    set_allowed_hosts(engine, [])
    now = dt.datetime.now(dt.UTC)
    ctx = StepContext(engine, None, {"id": 1, "base_id": 1}, {"id": 1}, None, None, {}, "0",
                      "1:0", now.date(), now)
    out = ACTIONS["webhook"].run(ctx, {"url": f"http://rebind-hook.example:{web}/in"})
    assert out["status"] == 200
    assert dialled == [(PUBLIC, web)]
    assert rebinding.asked == ["rebind-hook.example"]
