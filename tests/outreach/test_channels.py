"""Every channel against a local fake that checks its signature and payload: success,
a wrong secret, throttling, a server error and a permanent refusal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from tessera.outreach.channels import CHANNEL_KINDS, Message
from tessera.outreach.errors import PermanentError, TransientError
from tests.outreach.fakes import (
    Fake,
    Mailbox,
    aliyun_verifier,
    dingtalk_verifier,
    fake_server,
    smtp_server,
    tencent_verifier,
    webhook_verifier,
    wecom_verifier,
)

MSG = Message("13800000001", "回访提醒", "王芳您好，请于4月3日复诊", "campaign-1-record-7",
              {"name": "王芳", "date": "4月3日"})


@dataclass(frozen=True)
class Kind:
    name: str
    fake: Any                      # () -> verifier
    config: dict[str, Any]
    secrets: dict[str, str]
    wrong: dict[str, str]          # secrets the fake refuses

    def check_payload(self, r: Any) -> None:
        if self.name == "aliyun_sms":
            form = r.form
            assert form["PhoneNumbers"] == "13800000001"
            assert form["SignName"] == "微笑口腔" and form["TemplateCode"] == "SMS_1"
            assert form["OutId"] == MSG.idempotency_key
            assert form["TemplateParam"] == '{"name":"王芳","date":"4月3日"}'
        elif self.name == "tencent_sms":
            body = r.json
            assert body["PhoneNumberSet"] == ["+8613800000001"]
            assert body["TemplateParamSet"] == ["王芳", "4月3日"]
            assert body["SmsSdkAppId"] == "1400000000" and body["SessionContext"] == MSG.idempotency_key
        elif self.name in ("wecom_bot", "dingtalk_bot"):
            assert r.json == {"msgtype": "text", "text": {"content": MSG.body}}
        else:
            assert r.json["body"] == MSG.body and r.json["to"] == MSG.to
            assert r.headers["Idempotency-Key"] == MSG.idempotency_key


KINDS = [
    Kind("aliyun_sms", lambda: aliyun_verifier("LTAI-id", "ali-secret"),
         {"sign_name": "微笑口腔", "template_code": "SMS_1"},
         {"access_key_id": "LTAI-id", "access_key_secret": "ali-secret"},
         {"access_key_id": "LTAI-id", "access_key_secret": "wrong"}),
    Kind("tencent_sms", lambda: tencent_verifier("AKID-x", "tc-secret"),
         {"sdk_app_id": "1400000000", "sign_name": "微笑口腔", "template_id": "100",
          "param_order": ["name", "date"]},
         {"secret_id": "AKID-x", "secret_key": "tc-secret"},
         {"secret_id": "AKID-x", "secret_key": "nope"}),
    Kind("wecom_bot", lambda: wecom_verifier("wk-1"), {}, {"key": "wk-1"}, {"key": "wk-2"}),
    Kind("dingtalk_bot", lambda: dingtalk_verifier("tok", "SECabc"), {},
         {"access_token": "tok", "secret": "SECabc"}, {"access_token": "tok", "secret": "SECx"}),
    Kind("webhook", lambda: webhook_verifier("hook-secret"), {}, {"secret": "hook-secret"},
         {"secret": "other"}),
]

# outcome scripted at the fake → what the channel raises (None: delivered)
OUTCOMES = [("ok", None), ("busy", TransientError), ("http500", TransientError),
            ("reject", PermanentError), ("wrong_secret", PermanentError)]


def _config(kind: Kind, url: str) -> dict[str, Any]:
    if kind.name == "webhook":
        return {**kind.config, "url": url + "/hook"}
    return {**kind.config, "base_url": url}


@pytest.fixture(autouse=True)
def _local_fakes_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fakes listen on 127.0.0.1, which the outbound guard refuses unless allowed."""
    monkeypatch.setenv("TESSERA_ALLOWED_HOSTS", "127.0.0.1")


@pytest.mark.parametrize("outcome,raises", OUTCOMES, ids=[o for o, _ in OUTCOMES])
@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
def test_channel_against_fake(kind: Kind, outcome: str, raises: type | None) -> None:
    fake = Fake(kind.name, kind.fake(), script=[] if outcome in ("ok", "wrong_secret") else [outcome])
    secrets = kind.wrong if outcome == "wrong_secret" else kind.secrets
    spec = CHANNEL_KINDS[kind.name]
    with fake_server(fake):
        if raises is None:
            spec.send(_config(kind, fake.url), secrets, MSG)
        else:
            with pytest.raises(raises):
                spec.send(_config(kind, fake.url), secrets, MSG)
    assert len(fake.received) == 1
    assert fake.received[0].verified is (outcome != "wrong_secret"), fake.received[0].problem
    if outcome == "ok":
        kind.check_payload(fake.received[0])


def test_unreachable_endpoint_is_transient() -> None:
    spec = CHANNEL_KINDS["aliyun_sms"]
    with pytest.raises(TransientError):
        spec.send({"sign_name": "s", "template_code": "t", "base_url": "http://127.0.0.1:9",
                   "timeout": 2}, {"access_key_id": "a", "access_key_secret": "b"}, MSG)


def test_sms_without_number_is_permanent() -> None:
    msg = Message(None, "", "x", "k")
    for name in ("aliyun_sms", "tencent_sms"):
        with pytest.raises(PermanentError):
            CHANNEL_KINDS[name].send({}, {}, msg)


@pytest.mark.parametrize("outcome,raises", [("ok", None), ("busy", TransientError),
                                            ("reject", PermanentError)])
def test_email_against_local_smtp(outcome: str, raises: type | None) -> None:
    box = Mailbox([] if outcome == "ok" else [outcome])
    msg = Message("wang@example.com", "回访提醒", "王芳您好", "campaign-1-record-7")
    with smtp_server(box) as port:
        config = {"host": "127.0.0.1", "port": port, "from": "clinic@example.com"}
        if raises is None:
            CHANNEL_KINDS["email"].send(config, {}, msg)
        else:
            with pytest.raises(raises):
                CHANNEL_KINDS["email"].send(config, {}, msg)
    if outcome == "ok":
        (mail,) = box.messages
        assert mail["To"] == "wang@example.com" and mail["Subject"] == "回访提醒"
        assert mail["Message-ID"] == "<campaign-1-record-7@tessera.workflow>"
        assert mail.get_content().strip() == "王芳您好"
    else:
        assert box.messages == []


def test_registry_declares_every_channel() -> None:
    assert set(CHANNEL_KINDS) >= {"email", "aliyun_sms", "tencent_sms", "wecom_bot",
                                  "dingtalk_bot", "webhook"}
    for spec in CHANNEL_KINDS.values():
        assert spec.label_zh and spec.signing and spec.address in ("phone", "email", "none")
        assert "properties" in spec.config_schema
