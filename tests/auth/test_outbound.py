"""The outbound guard: webhook and email actions refuse loopback, private, link-local and
other non-public targets unless an administrator allowed the host."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

import tessera.workflow as wf
from tessera import schema_ops as schema
from tessera.auth.outbound import (
    OutboundRefused,
    allowed_hosts,
    check_host,
    is_public_address,
    set_allowed_hosts,
)
from tessera.workflow.models import RUN_LOG, STEPS


@pytest.mark.parametrize("address, public", [
    ("127.0.0.1", False), ("127.8.9.10", False), ("10.1.2.3", False), ("172.16.0.9", False),
    ("192.168.1.1", False), ("169.254.169.254", False), ("0.0.0.0", False),
    ("100.64.0.1", False), ("224.0.0.1", False), ("::1", False), ("fe80::1%eth0", False),
    ("fc00::1", False), ("::ffff:127.0.0.1", False), ("::ffff:10.0.0.1", False),
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("::ffff:93.184.216.34", True),
])
def test_is_public_address(address, public) -> None:
    assert is_public_address(address) is public


def _resolver(table: dict[str, list[str]]):
    def resolve(host: str) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]
    return resolve


DNS = _resolver({"example.com": ["93.184.216.34"], "intranet.local": ["10.0.0.5"],
                 "sneaky.example": ["93.184.216.34", "127.0.0.1"], "localhost": ["127.0.0.1"],
                 "metadata.cloud": ["169.254.169.254"]})


@pytest.mark.parametrize("host, allowed, refused", [
    ("example.com", [], False),
    ("EXAMPLE.com.", [], False),
    ("intranet.local", [], True),
    ("sneaky.example", [], True),          # every resolved address is checked
    ("localhost", [], True),
    ("metadata.cloud", [], True),
    ("127.0.0.1", [], True),
    ("nowhere.invalid", [], True),
    ("", [], True),
    ("intranet.local", ["intranet.local"], False),
    ("127.0.0.1", ["127.0.0.1"], False),
    ("[::1]", ["::1"], False),
])
def test_check_host(host, allowed, refused) -> None:
    resolve = _resolver({**{h: DNS(h) for h in ("example.com", "intranet.local", "sneaky.example",
                                                "localhost", "metadata.cloud")},
                         "127.0.0.1": ["127.0.0.1"], "::1": ["::1"]})
    if refused:
        with pytest.raises(OutboundRefused) as info:
            check_host(host, allowed, resolve=resolve)
        assert info.value.message_zh
    else:
        check_host(host, allowed, resolve=resolve)


def test_allowlist_from_settings_and_environment(engine, monkeypatch) -> None:
    assert allowed_hosts(engine) == []
    assert set_allowed_hosts(engine, [" Hooks.Internal. ", "10.0.0.5", ""]) == [
        "10.0.0.5", "hooks.internal"]
    monkeypatch.setenv("TESSERA_ALLOWED_HOSTS", "smtp.lan, 127.0.0.1")
    assert allowed_hosts(engine) == ["10.0.0.5", "127.0.0.1", "hooks.internal", "smtp.lan"]


def test_allowlist_api_is_admin_only_and_audited(admin_api, engine, alice) -> None:
    put = admin_api.put("/api/v1/settings/allowed-hosts", json={"hosts": ["hooks.lan"]})
    assert put.status_code == 200 and put.json() == {"hosts": ["hooks.lan"]}
    assert admin_api.get("/api/v1/settings/allowed-hosts").json() == {"hosts": ["hooks.lan"]}
    assert allowed_hosts(engine) == ["hooks.lan"]


def _step_error(engine, automation_id: int) -> str:
    with engine.connect() as conn:
        errors = conn.execute(sa.select(STEPS.c.error).where(STEPS.c.error.is_not(None))).all()
        log = conn.execute(sa.select(RUN_LOG.c.message)).scalars().all()
    return " ".join([e for (e,) in errors] + log)


@pytest.mark.parametrize("action", [
    {"type": "webhook", "options": {"url": "http://127.0.0.1:9/hook", "timeout": 1}},
    {"type": "webhook", "options": {"url": "http://169.254.169.254/latest/meta-data"}},
    {"type": "webhook", "options": {"url": "file:///etc/passwd"}},
    {"type": "send_email", "options": {"to": "a@example.com", "subject": "s",
                                       "smtp_host": "127.0.0.1", "smtp_port": 9}},
])
def test_workflow_actions_refuse_private_targets(engine, action) -> None:
    base = schema.create_base(engine, "Clinic")
    aid = wf.create_automation(engine, base_id=base.id, name="out",
                               trigger={"type": "webhook"}, webhook_secret="s", enabled=True,
                               actions=[{**action, "retries": 1}])
    wf.receive_webhook(engine, aid, "s", {"x": 1})
    wf.Worker(engine, worker_id="t").run_once()
    [run] = wf.run_history(engine, aid)
    assert run.status == "failed"
    text = _step_error(engine, aid)
    assert "private" in text or "http(s)" in text, text
