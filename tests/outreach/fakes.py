"""Local fake providers on 127.0.0.1 that check every request the way the real service does.

Each verifier is written independently of tessera's signing code (from the providers' public
descriptions), so a wrong signature in tessera fails here. ``script`` scripts the answers:
``ok``, ``http500``, ``busy`` (the provider's throttling code) or ``reject`` (a permanent
refusal), consumed one per request, then ``ok``."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: Any                     # case-insensitive (http.client.HTTPMessage)
    body: bytes
    verified: bool
    problem: str | None

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        return dict(urllib.parse.parse_qsl(self.body.decode(), keep_blank_values=True))


@dataclass
class Fake:
    kind: str
    verify: Callable[[Received], str | None]
    script: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""
    delay: float = 0.0

    @property
    def good(self) -> list[Received]:
        return [r for r in self.received if r.verified]


# --- independent verifiers ------------------------------------------------------------------
def _aliyun_encode(value: str) -> str:
    # the providers' recipe: form-encode, then + → %20, * → %2A, %7E → ~
    return (urllib.parse.quote_plus(value, safe="").replace("+", "%20").replace("*", "%2A")
            .replace("%7E", "~"))


def aliyun_verifier(key_id: str, secret: str) -> Callable[[Received], str | None]:
    nonces: set[str] = set()

    def verify(r: Received) -> str | None:
        params = r.form
        given = params.pop("Signature", None)
        query = "&".join(f"{_aliyun_encode(k)}={_aliyun_encode(v)}" for k, v in sorted(params.items()))
        to_sign = "POST&%2F&" + _aliyun_encode(query)
        want = base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(),
                                         hashlib.sha1).digest()).decode()
        if given != want:
            return "SignatureDoesNotMatch"
        if params.get("AccessKeyId") != key_id or params.get("SignatureMethod") != "HMAC-SHA1":
            return "InvalidAccessKeyId"
        if params["SignatureNonce"] in nonces:
            return "SignatureNonceUsed"
        nonces.add(params["SignatureNonce"])
        stamp = dt.datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)
        if abs((dt.datetime.now(dt.UTC) - stamp).total_seconds()) > 900:
            return "InvalidTimeStamp.Expired"
        return None

    return verify


def tencent_verifier(secret_id: str, secret_key: str) -> Callable[[Received], str | None]:
    def verify(r: Received) -> str | None:
        auth = r.headers.get("Authorization", "")
        stamp = int(r.headers.get("X-TC-Timestamp", "0"))
        if abs(time.time() - stamp) > 300:
            return "AuthFailure.SignatureExpire"
        date = dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d")
        ctype, host = r.headers.get("Content-Type", ""), r.headers.get("Host", "")
        canonical = "\n".join(["POST", "/", "", f"content-type:{ctype}", f"host:{host}", "",
                               "content-type;host", hashlib.sha256(r.body).hexdigest()])
        scope = f"{date}/sms/tc3_request"
        to_sign = "\n".join(["TC3-HMAC-SHA256", str(stamp), scope,
                             hashlib.sha256(canonical.encode()).hexdigest()])

        def mac(key: bytes, msg: str) -> bytes:
            return hmac.new(key, msg.encode(), hashlib.sha256).digest()

        signing = mac(mac(mac(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
        want = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
        expected = (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
                    f"SignedHeaders=content-type;host, Signature={want}")
        if auth != expected:
            return "AuthFailure.SignatureFailure"
        if r.headers.get("X-TC-Action") != "SendSms":
            return "InvalidAction"
        return None

    return verify


def dingtalk_verifier(token: str, secret: str) -> Callable[[Received], str | None]:
    def verify(r: Received) -> str | None:
        if r.query.get("access_token") != token:
            return "token"
        stamp = r.query.get("timestamp", "0")
        if abs(time.time() * 1000 - int(stamp)) > 3600_000:
            return "timestamp"
        want = base64.b64encode(hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(),
                                         hashlib.sha256).digest()).decode()
        return None if r.query.get("sign") == want else "sign"

    return verify


def wecom_verifier(key: str) -> Callable[[Received], str | None]:
    return lambda r: None if r.query.get("key") == key and r.path.endswith("/webhook/send") else "key"


def webhook_verifier(secret: str) -> Callable[[Received], str | None]:
    def verify(r: Received) -> str | None:
        stamp = r.headers.get("X-Tessera-Timestamp", "")
        want = "sha256=" + hmac.new(secret.encode(), stamp.encode() + b"." + r.body,
                                    hashlib.sha256).hexdigest()
        return None if r.headers.get("X-Tessera-Signature") == want else "signature"

    return verify


# --- answers ----------------------------------------------------------------------------------
def _answer(kind: str, outcome: str, problem: str | None, n: int) -> tuple[int, dict[str, Any]]:
    if outcome == "http500":
        return 500, {"error": "boom"}
    if kind == "aliyun_sms":
        if problem:
            return 400, {"Code": problem, "Message": "bad request"}
        code = {"busy": "isv.BUSINESS_LIMIT_CONTROL", "reject": "isv.MOBILE_NUMBER_ILLEGAL"}.get(
            outcome, "OK")
        return 200, {"Code": code, "Message": code, "BizId": f"biz{n}", "RequestId": f"rq{n}"}
    if kind == "tencent_sms":
        if problem:
            return 200, {"Response": {"Error": {"Code": problem, "Message": "auth"}, "RequestId": "x"}}
        if outcome == "busy":
            return 200, {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": "slow"}}}
        code = "InvalidParameterValue.IncorrectPhoneNumber" if outcome == "reject" else "Ok"
        return 200, {"Response": {"SendStatusSet": [{"Code": code, "SerialNo": f"sn{n}",
                                                     "Message": code}], "RequestId": f"r{n}"}}
    if kind in ("wecom_bot", "dingtalk_bot"):
        if problem:
            return 200, {"errcode": 310000, "errmsg": f"bad {problem}"}
        busy = 45009 if kind == "wecom_bot" else 130101
        code = {"busy": busy, "reject": 300001}.get(outcome, 0)
        return 200, {"errcode": code, "errmsg": "ok" if code == 0 else "no"}
    if problem:
        return 401, {"error": problem}
    if outcome == "reject":
        return 422, {"error": "rejected"}
    if outcome == "busy":
        return 429, {"error": "slow down"}
    return 200, {"id": f"m{n}"}


@contextmanager
def fake_server(fake: Fake) -> Iterator[Fake]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            parts = urllib.parse.urlsplit(self.path)
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received = Received(parts.path, dict(urllib.parse.parse_qsl(parts.query)),
                                self.headers, body, False, None)
            problem = fake.verify(received)
            with fake.lock:
                received.verified, received.problem = problem is None, problem
                fake.received.append(received)
                outcome = fake.script.pop(0) if fake.script and problem is None else "ok"
                n = len(fake.received)
            if fake.delay:
                time.sleep(fake.delay)
            status, answer = _answer(fake.kind, outcome, problem, n)
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


# --- SMTP -------------------------------------------------------------------------------------
class Mailbox:
    def __init__(self, script: list[str] | None = None) -> None:
        self.messages: list[Any] = []
        self.script = list(script or [])

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        outcome = self.script.pop(0) if self.script else "ok"
        if outcome == "busy":
            return "451 4.3.0 try again later"
        if outcome == "reject":
            return "550 5.1.1 no such mailbox"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@contextmanager
def smtp_server(box: Mailbox) -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
