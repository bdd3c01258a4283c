"""Users and groups: create, authenticate, list, change password, deactivate, membership."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tessera.auth import users
from tessera.auth.errors import AuthInputError
from tessera.auth.models import USERS
from tessera.auth.principal import Principal
from tessera.errors import NameConflictError, NotFoundError

from .conftest import PASSWORD


def test_create_and_authenticate(engine) -> None:
    uid = users.create_user(engine, "王医生", PASSWORD, is_admin=True)
    principal = users.authenticate(engine, "王医生", PASSWORD)
    assert principal == Principal(user_id=uid, username="王医生", is_admin=True)
    assert users.get_user(engine, uid).last_login_at is not None
    assert users.get_user(engine, "王医生").id == uid


def test_password_is_stored_as_argon2id(engine, alice) -> None:
    with engine.connect() as conn:
        stored = conn.execute(sa.select(USERS.c.password_hash)).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


@pytest.mark.parametrize("username, password", [
    ("alice", "wrong password"),
    ("alice", ""),
    ("ALICE", PASSWORD),          # usernames are exact
    ("nobody", PASSWORD),
    ("", PASSWORD),
    ("with space", PASSWORD),
])
def test_bad_credentials_give_none(engine, alice, username, password) -> None:
    assert users.authenticate(engine, username, password) is None


@pytest.mark.parametrize("username, password, error", [
    ("", PASSWORD, AuthInputError),
    ("two words", PASSWORD, AuthInputError),
    ("tab\tname", PASSWORD, AuthInputError),
    ("x" * 151, PASSWORD, AuthInputError),
    ("bob", "short", AuthInputError),
    ("alice", PASSWORD, NameConflictError),
])
def test_create_user_refusals(engine, alice, username, password, error) -> None:
    with pytest.raises(error) as info:
        users.create_user(engine, username, password)
    assert info.value.message_zh and info.value.message_en


def test_set_password_and_deactivate(engine, alice) -> None:
    users.set_password(engine, "alice", "a brand new secret")
    assert users.authenticate(engine, "alice", PASSWORD) is None
    assert users.authenticate(engine, "alice", "a brand new secret") is not None
    users.deactivate(engine, "alice")
    assert users.authenticate(engine, "alice", "a brand new secret") is None
    assert [u.username for u in users.list_users(engine)] == []
    assert [u.username for u in users.list_users(engine, include_inactive=True)] == ["alice"]
    users.activate(engine, alice)
    assert users.authenticate(engine, "alice", "a brand new secret") is not None


def test_groups(engine, alice) -> None:
    bob = users.create_user(engine, "bob", PASSWORD)
    users.create_user(engine, "carol", PASSWORD)
    gid = users.create_group(engine, "咨询师")
    users.add_member(engine, gid, "bob")
    users.add_member(engine, "咨询师", alice)
    users.add_member(engine, "咨询师", alice)  # idempotent
    assert [u.username for u in users.group_members(engine, "咨询师")] == ["alice", "bob"]
    assert [g.name for g in users.user_groups(engine, bob)] == ["咨询师"]
    users.deactivate(engine, bob)
    assert [u.username for u in users.group_members(engine, gid)] == ["alice"]
    users.remove_member(engine, gid, "alice")
    assert users.group_members(engine, gid) == []
    with pytest.raises(NameConflictError):
        users.create_group(engine, "咨询师")
    with pytest.raises(NotFoundError):
        users.add_member(engine, "no such group", "alice")
    assert [g.name for g in users.list_groups(engine)] == ["咨询师"]


def test_users_api_for_admins(admin_api, engine, alice) -> None:
    made = admin_api.post("/api/v1/users", json={"username": "nurse", "password": PASSWORD})
    assert made.status_code == 201 and made.json()["is_admin"] is False
    assert admin_api.post("/api/v1/users", json={"username": "nurse",
                                                 "password": PASSWORD}).status_code == 409
    short = admin_api.post("/api/v1/users", json={"username": "x", "password": "short"})
    assert short.status_code == 400
    uid = made.json()["id"]
    changed = admin_api.patch(f"/api/v1/users/{uid}", json={"is_admin": True,
                                                           "password": "changed password"})
    assert changed.status_code == 200 and changed.json()["is_admin"] is True
    assert users.authenticate(engine, "nurse", "changed password") is not None
    assert admin_api.patch(f"/api/v1/users/{uid}", json={"is_active": False}).json()[
        "is_active"] is False
    names = [u["username"] for u in admin_api.get("/api/v1/users").json()]
    assert "nurse" not in names and "alice" in names
    everyone = admin_api.get("/api/v1/users?include_inactive=true").json()
    assert "nurse" in [u["username"] for u in everyone]
    assert admin_api.patch("/api/v1/users/999", json={"is_admin": True}).status_code == 404


def test_users_api_refuses_non_admins(app, engine, alice) -> None:
    from starlette.testclient import TestClient

    from tessera.auth.bootstrap import bearer
    from tessera.auth.tokens import create_token

    with TestClient(app, raise_server_exceptions=False,
                    headers=bearer(create_token(engine, "alice")[1])) as as_alice:
        assert as_alice.get("/api/v1/users").status_code == 403
        assert as_alice.post("/api/v1/users", json={"username": "x", "password": PASSWORD,
                                                    "is_admin": True}).status_code == 403
        assert as_alice.patch(f"/api/v1/users/{alice}",
                              json={"is_admin": True}).status_code == 403
    assert not users.get_user(engine, alice).is_admin
