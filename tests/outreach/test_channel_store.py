"""Channel credentials: stored encrypted with the Fernet key, never shown back, merged on
update, refused without a key; the configured channel sends with the decrypted secrets."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

import tessera.outreach as out
from tessera.outreach.channels import Message
from tessera.outreach.errors import ConfigError, PermanentError, SecretKeyError
from tessera.outreach.models import CHANNELS
from tessera.outreach.secrets import generate_key
from tessera.outreach.sending import send_now
from tests.outreach.fakes import Fake, dingtalk_verifier, fake_server


def _raw(clinic, cid: int) -> str:
    with clinic.engine.connect() as conn:
        return conn.execute(sa.select(CHANNELS.c.secrets).where(CHANNELS.c.id == cid)).scalar_one()


def test_secrets_encrypted_and_never_shown(clinic) -> None:
    ch = out.create_channel(clinic.engine, base_id=clinic.base_id, name="ding",
                            kind="dingtalk_bot", config={},
                            secrets={"access_token": "tok", "secret": "SECabc"})
    assert ch["secrets_set"] == ["access_token", "secret"]
    shown = json.dumps([ch, out.get_channel(clinic.engine, ch["id"]),
                        out.list_channels(clinic.engine, clinic.base_id)], default=str)
    assert "SECabc" not in shown and "tok\"" not in shown and "secrets\"" not in shown
    raw = _raw(clinic, ch["id"])
    assert "SECabc" not in raw and raw.startswith("gAAAA")           # a Fernet token
    fake = Fake("dingtalk_bot", dingtalk_verifier("tok", "SECabc"))
    with fake_server(fake):
        out.update_channel(clinic.engine, ch["id"], config={"base_url": fake.url})
        send_now(clinic.engine, ch["id"], Message(None, "", "hello", "k1"))
        out.update_channel(clinic.engine, ch["id"], secrets={"secret": None})   # remove one
        assert out.get_channel(clinic.engine, ch["id"])["secrets_set"] == ["access_token"]
        with pytest.raises(PermanentError):                      # the bot wants a signature
            send_now(clinic.engine, ch["id"], Message(None, "", "unsigned", "k2"))
    assert [r.verified for r in fake.received] == [True, False]


def test_wrong_key_and_missing_key(clinic, monkeypatch) -> None:
    ch = out.create_channel(clinic.engine, base_id=clinic.base_id, name="hook", kind="webhook",
                            config={"url": "http://127.0.0.1:9/x"}, secrets={"secret": "s"})
    monkeypatch.setenv("TESSERA_SECRET_KEY", generate_key())
    with pytest.raises(SecretKeyError) as wrong:
        out.get_channel(clinic.engine, ch["id"])
    assert "TESSERA_SECRET_KEY" in wrong.value.message("en") and "密钥" in wrong.value.message("zh")
    monkeypatch.delenv("TESSERA_SECRET_KEY")
    with pytest.raises(SecretKeyError):
        out.create_channel(clinic.engine, base_id=clinic.base_id, name="h2", kind="webhook",
                           config={"url": "http://x"}, secrets={"secret": "s"})


def test_key_file(clinic, monkeypatch, tmp_path) -> None:
    key_file = tmp_path / "key"
    key_file.write_text(generate_key())
    monkeypatch.delenv("TESSERA_SECRET_KEY")
    monkeypatch.setenv("TESSERA_SECRET_KEY_FILE", str(key_file))
    ch = out.create_channel(clinic.engine, base_id=clinic.base_id, name="w", kind="wecom_bot",
                            secrets={"key": "k"})
    assert ch["secrets_set"] == ["key"]


BAD = [
    ("unknown kind", "fax", {}, {}),
    ("missing setting", "aliyun_sms", {"sign_name": "x"}, {}),
    ("unknown setting", "webhook", {"url": "http://x", "colour": "red"}, {}),
    ("wrong type", "email", {"from": "a@b", "port": "25"}, {}),
    ("unknown secret", "wecom_bot", {}, {"password": "x"}),
]


@pytest.mark.parametrize("kind,config,secrets", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_configuration_refused(clinic, kind, config, secrets) -> None:
    with pytest.raises(ConfigError) as err:
        out.create_channel(clinic.engine, base_id=clinic.base_id, name="x", kind=kind,
                           config=config, secrets=secrets)
    assert err.value.message("zh") != err.value.message("en")


def test_outbound_guard_refuses_private_hosts(clinic, monkeypatch) -> None:
    from tessera.auth.outbound import OutboundRefused
    from tests.outreach.fakes import webhook_verifier
    from tests.outreach.helpers import statuses, webhook_campaign

    rid = clinic.add_customer("a", 手机="1")
    fake = Fake("webhook", webhook_verifier("hook-secret"))
    monkeypatch.setenv("TESSERA_ALLOWED_HOSTS", "")
    with fake_server(fake):
        campaign = webhook_campaign(clinic, fake.url)
        with pytest.raises(OutboundRefused):
            send_now(clinic.engine, campaign["channel_id"], Message("1", "", "x", "k"))
        out.schedule_campaign(clinic.engine, campaign["id"])
        clinic.drain()
    assert fake.received == [] and statuses(clinic, campaign["id"]) == {rid: "failed"}
    (delivery,) = out.deliveries(clinic.engine, campaign["id"])
    assert "allowed hosts" in delivery["error"]
