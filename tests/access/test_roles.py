"""Roles: the action × role table, effective roles through groups, site admins and token
scopes, grant/revoke/list with their audit entries, and bad grants refused with clear
messages."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from tessera import access
from tessera import schema_ops as schema
from tessera.access.roles import ACTIONS, ROLES, role_allows
from tessera.auth.audit import list_entries
from tessera.auth.principal import SYSTEM, Principal
from tessera.auth.users import add_member, create_group, create_user
from tessera.errors import NotFoundError, SchemaError

from .conftest import Person

# action → the roles allowed, written out independently of tessera/access/roles.py
MATRIX = {
    "base.read": "OAECV", "base.rename": "O", "base.delete": "O", "access.manage": "O",
    "schema.write": "OA", "records.read": "OAECV", "records.export": "OAECV",
    "records.comment": "OAEC", "records.write": "OAE", "records.import": "OAE",
    # commenters and viewers: only the fields marked editable for their role (test_editable.py)
    "records.update": "OAECV",
    "automations.read": "OA", "automations.write": "OA", "automations.run": "OAE",
}
LETTER = {"O": "owner", "A": "admin", "E": "editor", "C": "commenter", "V": "viewer"}


def test_every_action_is_in_the_matrix() -> None:
    assert set(MATRIX) == set(ACTIONS)


@pytest.mark.parametrize("role", [*ROLES, None])
@pytest.mark.parametrize("action", sorted(MATRIX))
def test_action_table(action: str, role: str | None) -> None:
    allowed = {LETTER[x] for x in MATRIX[action]}
    assert role_allows(role, action) is (role in allowed)


def test_unknown_action_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        role_allows("owner", "records.teleport")


@pytest.fixture(scope="module")
def base_id(engine: Engine) -> int:
    return schema.create_base(engine, "角色").id


def test_effective_role_is_the_strongest_of_user_and_groups(engine: Engine, base_id: int,
                                                           people: dict[str, Person]) -> None:
    uid = create_user(engine, "组员_" + str(base_id), "password-123456")
    me = Principal(uid, "组员")
    assert access.role_of(engine, me, base_id) is None
    group = create_group(engine, f"电话组{base_id}")
    add_member(engine, group, uid)
    access.grant(engine, base_id, "viewer", user_id=uid)
    access.grant(engine, base_id, "editor", group_id=group)
    assert access.role_of(engine, me, base_id) == "editor"
    access.revoke(engine, base_id, group_id=group)
    assert access.role_of(engine, me, base_id) == "viewer"
    access.grant(engine, base_id, "commenter", user_id=uid)  # replaces the viewer grant
    assert [m.role for m in access.list_members(engine, base_id) if m.user_id == uid] == [
        "commenter"]
    assert access.bases_of(engine, me) == {base_id: "commenter"}


@pytest.mark.parametrize(("principal", "expected"), [
    (SYSTEM, "owner"),
    (Principal(424242, "site-admin", is_admin=True), "owner"),
    (Principal(424242, "scoped-admin", is_admin=True, token_base_ids=frozenset({-5})), None),
    (Principal(None, "anonymous"), None),
])
def test_site_admins_own_every_base_within_their_token_scope(engine: Engine, base_id: int,
                                                            principal: Principal,
                                                            expected: str | None) -> None:
    assert access.role_of(engine, principal, base_id) == expected


def test_grants_and_rules_are_audited(engine: Engine, base_id: int,
                                      people: dict[str, Person]) -> None:
    owner = people["owner"].principal
    access.grant(engine, base_id, "viewer", user_id=people["viewer"].user_id, actor=owner)
    access.revoke(engine, base_id, user_id=people["viewer"].user_id, actor=owner)
    entries = list_entries(engine, username=owner.username, action="access.*").entries
    assert [e.action for e in entries][:2] == ["access.revoke", "access.grant"]
    assert entries[1].target == f"base:{base_id}" and entries[1].detail["role"] == "viewer"


@pytest.mark.parametrize(("kwargs", "error", "code"), [
    ({"role": "superuser", "user_id": "VIEWER"}, SchemaError, "invalid_role"),
    ({"role": "viewer"}, SchemaError, "invalid_grant"),
    ({"role": "viewer", "user_id": "VIEWER", "group_id": 1}, SchemaError, "invalid_grant"),
    ({"role": "viewer", "user_id": 987654}, NotFoundError, "not_found"),
    ({"role": "viewer", "group_id": 987654}, NotFoundError, "not_found"),
])
def test_bad_grants_are_refused(engine: Engine, base_id: int, people: dict[str, Person],
                                kwargs: dict[str, object], error: type, code: str) -> None:
    kwargs = {k: (people["viewer"].user_id if v == "VIEWER" else v) for k, v in kwargs.items()}
    with pytest.raises(error) as info:
        access.grant(engine, base_id, **kwargs)  # type: ignore[arg-type]
    assert info.value.code == code and info.value.message_zh


def test_forbidden_message_names_the_action_and_role_in_both_languages(
        engine: Engine, base_id: int, people: dict[str, Person]) -> None:
    access.grant(engine, base_id, "viewer", user_id=people["viewer"].user_id)
    with engine.begin() as conn, pytest.raises(access.ForbiddenError) as info:
        access.require(conn, people["viewer"].principal, "schema.write", base_id)
    assert "viewer" in info.value.message("en") and "Ask the base's owner" in info.value.message("en")
    assert "查看者" in info.value.message("zh") and "所有者" in info.value.message("zh")
    assert info.value.http_status == 403
