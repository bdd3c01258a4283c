"""API tokens (stored hashed, scoped to bases, revocable), the CLI that makes them, and the
rule that every route but the public ones needs authentication."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from starlette.routing import Route

from tessera import schema_ops as schema
from tessera.api.routes import API_ROUTES
from tessera.auth import tokens, users
from tessera.auth.bootstrap import bearer
from tessera.auth.middleware import is_public
from tessera.auth.models import TOKENS
from tessera.cli import main as cli

from .conftest import PASSWORD


def test_token_is_stored_hashed_and_scoped(engine, alice) -> None:
    base = schema.create_base(engine, "Clinic")
    token_id, secret = tokens.create_token(engine, "alice", name="sync", base_ids=[base.id])
    with engine.connect() as conn:
        stored = conn.execute(sa.select(TOKENS.c.token_hash)).scalar_one()
    assert secret not in stored and stored == tokens.token_hash(secret)
    principal = tokens.principal_for_token(engine, secret)
    assert principal is not None and principal.username == "alice"
    assert principal.token_base_ids == frozenset({base.id})
    tokens.revoke_token(engine, token_id)
    assert tokens.principal_for_token(engine, secret) is None


@pytest.mark.parametrize("header", [
    "Bearer tsr_not-a-real-token", "Bearer ", "Basic YWxpY2U6cGFzc3dvcmQ=", "tsr_abc",
])
def test_bad_authorization_headers_are_401(browser, alice, header) -> None:
    response = browser.get("/api/v1/bases", headers={"authorization": header})
    assert response.status_code == 401


def test_token_lifecycle_through_the_api(app, admin_api, engine, alice) -> None:
    from starlette.testclient import TestClient

    base = admin_api.post("/api/v1/bases", json={"name": "Clinic"}).json()
    other = admin_api.post("/api/v1/bases", json={"name": "Other"}).json()
    made = admin_api.post("/api/v1/tokens", json={"name": "for alice", "username": "alice",
                                                  "base_ids": [base["id"]]})
    assert made.status_code == 201, made.text
    secret = made.json()["token"]
    assert made.json()["base_ids"] == [base["id"]]
    with TestClient(app, raise_server_exceptions=False, headers=bearer(secret)) as as_alice:
        me = as_alice.get("/api/v1/me").json()
        assert me == {"user_id": alice, "username": "alice", "is_admin": False,
                      "token_base_ids": [base["id"]]}
        # a scoped token cannot mint a token for more bases than it has
        wider = as_alice.post("/api/v1/tokens", json={"base_ids": [base["id"], other["id"]]})
        assert wider.status_code == 201 and wider.json()["base_ids"] == [base["id"]]
        # alice sees only her own tokens and cannot list or make other users'
        assert {t["username"] for t in as_alice.get("/api/v1/tokens").json()} == {"alice"}
        assert as_alice.get("/api/v1/tokens?user=root").status_code == 403
        assert as_alice.post("/api/v1/tokens", json={"username": "root"}).status_code == 403
        revoked = admin_api.delete(f"/api/v1/tokens/{made.json()['id']}")
        assert revoked.status_code == 200 and revoked.json()["revoked_at"]
        assert as_alice.get("/api/v1/me").status_code == 401
    listed = admin_api.get("/api/v1/tokens?user=alice").json()
    assert [t["name"] for t in listed] == ["api"]  # the one alice made; the revoked is gone
    assert "token" not in listed[0]


def test_unknown_base_in_token_scope_is_404(admin_api) -> None:
    assert admin_api.post("/api/v1/tokens", json={"base_ids": [999]}).status_code == 404


def test_cli_createuser_and_token(backend_url, engine, capsys, monkeypatch) -> None:
    assert cli(["--db", backend_url, "createuser", "ops", "--password", PASSWORD,
                "--admin"]) == 0
    assert users.get_user(engine, "ops").is_admin
    prompts = iter(["typed secret 1", "typed secret 1"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(prompts))
    assert cli(["--db", backend_url, "createuser", "nurse"]) == 0
    assert users.authenticate(engine, "nurse", "typed secret 1") is not None
    assert cli(["--db", backend_url, "createuser", "nurse", "--password", PASSWORD]) == 1
    assert "already exists" in capsys.readouterr().err
    schema.create_base(engine, "Clinic")
    capsys.readouterr()
    assert cli(["--db", backend_url, "token", "create", "nurse", "--base", "Clinic"]) == 0
    secret = capsys.readouterr().out.strip()
    principal = tokens.principal_for_token(engine, secret)
    assert principal is not None and principal.username == "nurse"
    assert principal.token_base_ids == frozenset({schema.list_bases(engine)[0].id})
    assert cli(["--db", backend_url, "token", "create", "nurse", "--base", "Nope"]) == 1
    assert cli(["--db", backend_url, "token", "list", "nurse"]) == 0
    listed = capsys.readouterr().out
    token_id = int(re.search(r'"id": (\d+)', listed).group(1))
    assert cli(["--db", backend_url, "token", "revoke", str(token_id)]) == 0
    assert tokens.principal_for_token(engine, secret) is None


def _concrete(path: str) -> str:
    return re.sub(r"{(\w+)(?::\w+)?}", "1", path)


def _all_routes(app) -> list[tuple[str, str]]:
    out = []
    for route in app.routes:
        if isinstance(route, Route):
            for method in sorted(route.methods or {"GET"}):
                if method != "HEAD":
                    out.append((method, _concrete(route.path)))
    return out


def test_every_route_but_the_public_ones_needs_authentication(app, browser, alice) -> None:
    """Walks the app's whole route table (pages and API), so a new route is covered too."""
    routes = _all_routes(app)
    assert len(routes) >= len(API_ROUTES)
    refused = 0
    for method, path in routes:
        response = browser.request(method, path, json={})
        if is_public(path):
            continue
        assert response.status_code == 401, (method, path, response.status_code)
        refused += 1
    assert refused >= len(API_ROUTES) - 2


@pytest.mark.parametrize("path, public", [
    ("/login", True), ("/setup", True), ("/health", True), ("/api/v1/openapi.json", True),
    ("/static/js/csrf.js", True), ("/api/v1/automations/3/webhook/s3cret", True),
    ("/api/v1/automations/3/webhook/s3cret/x", False), ("/api/v1/automations/3", False),
    ("/login/x", False), ("/", False), ("/admin/audit", False), ("/api/v1/me", False),
])
def test_public_path_list(path, public) -> None:
    assert is_public(path) is public


@pytest.mark.parametrize("authorization", ["Bearer someone-elses-token", "Basic dXNlcjpwdw=="])
def test_webhook_ignores_credentials_meant_for_others(browser, alice, authorization) -> None:
    response = browser.post("/api/v1/automations/999/webhook/secret", json={},
                            headers={"authorization": authorization})
    assert response.status_code == 404  # reached the route: no such automation
    login = browser.post("/login", data={"username": "alice", "password": PASSWORD},
                         headers={"authorization": authorization})
    assert login.status_code == 403  # the sign-in form still needs its CSRF token
