"""Public intake forms (tessera.web.public_forms): a revocable link that works without signing
in, CSRF bound to the form page, rate-limited, writing only the form's fields as the link's
owner (field permissions and row rules applied), with the field types' validation."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tessera.access import grant, set_field_permission, set_row_rule
from tessera.auth.principal import Principal
from tessera.auth.users import create_user
from tessera.records import RecordService
from tessera.schema.views import create_view
from tessera.web import public_forms
from tessera.web.public_forms import check_form_token, create_link, form_token, revoke_link

API = "/api/v1"


@pytest.fixture
def leads(client) -> dict[str, Any]:
    base = client.post(f"{API}/bases", json={"name": "Clinic"}).json()
    table = client.post(f"{API}/bases/{base['id']}/tables", json={
        "name": "Leads",
        "fields": [{"name": "Age", "type": "number", "options": {"precision": 0}},
                   {"name": "Source", "type": "single_select",
                    "options": {"choices": [{"label": "WeChat"}, {"label": "Referral"}]}},
                   {"name": "VIP", "type": "checkbox"}]}).json()
    ids = {f["name"]: f["id"] for f in table["fields"]}
    return {**table, "ids": ids}


@pytest.fixture
def owner(app, leads) -> Principal:
    """A base admin (may share forms) who is not a site admin: access rules apply to them."""
    engine = app.state.engine
    user_id = create_user(engine, "front-desk", "front-desk-pw-1")
    grant(engine, leads["base_id"], "admin", user_id=user_id)
    return Principal(user_id, "front-desk")


@pytest.fixture
def visitor(app) -> Any:
    with TestClient(app, raise_server_exceptions=False) as anonymous:
        yield anonymous


def _link(app: Any, owner: Principal, leads: dict[str, Any], fields: list[str]) -> str:
    view = create_view(app.state.engine, leads["id"], "Intake", kind="form",
                       layout={"fields": [leads["ids"][n] for n in fields]})
    return create_link(app.state.engine, owner, leads["id"], view.id).token


def _token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def _query(app: Any, leads: dict[str, Any]) -> list[dict[str, Any]]:
    from tessera.query import query_records

    return [r["fields"] for r in query_records(app.state.engine, leads["id"]).rows]


def _send(visitor: Any, token: str, data: dict[str, Any], *, form_token_value: str | None = None
          ) -> Any:
    page = visitor.get(f"/f/{token}")
    sent = {"form_token": form_token_value if form_token_value is not None else _token(page.text),
            **data}
    return visitor.post(f"/f/{token}", data=sent, follow_redirects=False)


def test_link_works_without_signing_in_and_saves_as_its_owner(app, leads, owner, visitor) -> None:
    token = _link(app, owner, leads, ["Name", "Age", "Source"])
    assert len(token) >= 40
    page = visitor.get(f"/f/{token}")
    assert page.status_code == 200 and "Intake" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert f'name="f_{leads["ids"]["Age"]}"' in page.text
    assert f'name="f_{leads["ids"]["VIP"]}"' not in page.text  # not on this form
    response = _send(visitor, token, {f"f_{leads['ids']['Name']}": "Chen Jing",
                                      f"f_{leads['ids']['Age']}": "40",
                                      f"f_{leads['ids']['Source']}": "WeChat"})
    assert response.status_code == 303 and response.headers["location"] == f"/f/{token}?sent=1"
    assert _query(app, leads) == [{"Name": "Chen Jing", "Age": 40, "Source": "WeChat",
                                   "VIP": None}]
    history = RecordService(app.state.engine).history(leads["id"], 1)
    assert history[0].actor == "front-desk"
    assert "form-thanks" in visitor.get(f"/f/{token}?sent=1").text


def test_fields_the_form_does_not_show_are_never_written(app, leads, owner, visitor) -> None:
    token = _link(app, owner, leads, ["Name", "Age"])
    response = _send(visitor, token, {f"f_{leads['ids']['Name']}": "Li",
                                      f"f_{leads['ids']['VIP']}": "on",
                                      f"f_{leads['ids']['Source']}": "Referral",
                                      "id": "99", "f_99999": "x"})
    assert response.status_code == 303
    assert _query(app, leads) == [{"Name": "Li", "Age": None, "Source": None, "VIP": None}]


def test_validation_errors_keep_what_was_typed(app, leads, owner, visitor) -> None:
    token = _link(app, owner, leads, ["Name", "Age"])
    age = f"f_{leads['ids']['Age']}"
    response = _send(visitor, token, {f"f_{leads['ids']['Name']}": "Wang", age: "forty"})
    assert response.status_code == 422
    assert f'id="{age}" name="{age}" value="forty"' in response.text
    assert 'aria-invalid="true"' in response.text and 'class="field-error"' in response.text
    zh = visitor.post(f"/f/{token}", data={"form_token": _token(response.text), age: "forty"},
                      headers={"accept-language": "zh-CN"})
    assert zh.status_code == 422 and "数字" in zh.text
    assert _query(app, leads) == []


def test_csrf_token_is_bound_to_the_page_and_the_browser(app, leads, owner, visitor) -> None:
    token = _link(app, owner, leads, ["Name"])
    other = _link(app, owner, leads, ["Name"])
    name = f"f_{leads['ids']['Name']}"
    # no token at all
    assert visitor.post(f"/f/{token}", data={name: "x"}).status_code == 403
    # a token issued for another link
    foreign = _token(visitor.get(f"/f/{other}").text)
    assert _send(visitor, token, {name: "x"}, form_token_value=foreign).status_code == 403
    # a token without the browser's cookie (another site replaying a stolen form)
    page_token = _token(visitor.get(f"/f/{token}").text)
    with TestClient(app, raise_server_exceptions=False) as elsewhere:
        refused = elsewhere.post(f"/f/{token}", data={"form_token": page_token, name: "x"})
    assert refused.status_code == 403 and 'value="x"' in refused.text  # typed text kept
    assert _query(app, leads) == []
    # the token itself: signed, bound to its nonce, and it expires
    key = "k" * 32
    made = form_token(key, token, "nonce-123", now=1000)
    assert check_form_token(key, token, made, "nonce-123", now=1000 + 60)
    assert not check_form_token(key, token, made, "nonce-999", now=1000 + 60)
    assert not check_form_token(key, other, made, "nonce-123", now=1000 + 60)
    assert not check_form_token(key, token, made, "nonce-123",
                                now=1000 + public_forms.TOKEN_MAX_AGE + 1)


def test_a_revoked_link_stops_for_good(app, client, leads, owner, visitor) -> None:
    token = _link(app, owner, leads, ["Name"])
    page = visitor.get(f"/f/{token}")
    link_id = public_forms.find_link(app.state.engine, token).id
    # revoking from the form page (the signed-in admin here)
    response = client.post(f"/tables/{leads['id']}/form/links/{link_id}/revoke",
                           data={"view": ""}, follow_redirects=False)
    assert response.status_code == 303
    assert visitor.get(f"/f/{token}").status_code == 410
    late = visitor.post(f"/f/{token}", data={"form_token": _token(page.text),
                                             f"f_{leads['ids']['Name']}": "late"})
    assert late.status_code == 410 and "no longer works" in late.text
    assert _query(app, leads) == []
    with pytest.raises(Exception, match="form link"):
        revoke_link(app.state.engine, owner, leads["id"], link_id)
    assert visitor.get("/f/" + "x" * 43).status_code == 410  # never existed


def test_share_button_makes_a_link_listed_on_the_form_page(app, client, leads) -> None:
    response = client.post(f"/tables/{leads['id']}/form/links", data={"view": ""},
                           follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/tables/{leads['id']}/form#share"
    page = client.get(f"/tables/{leads['id']}/form", headers={"accept": "text/html"}).text
    links = re.findall(r'class="public-link" href="[^"]*/f/([A-Za-z0-9_-]+)"', page)
    assert len(links) == 1
    assert public_forms.find_link(app.state.engine, links[0]).table_id == leads["id"]


def test_submissions_are_rate_limited_per_client(app, leads, owner, visitor,
                                                  monkeypatch) -> None:
    monkeypatch.setattr(public_forms, "PER_CLIENT", 2)
    token = _link(app, owner, leads, ["Name"])
    name = f"f_{leads['ids']['Name']}"
    assert [_send(visitor, token, {name: f"n{i}"}).status_code for i in range(2)] == [303, 303]
    third = _send(visitor, token, {name: "n3"})
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
    assert [r["Name"] for r in _query(app, leads)] == ["n0", "n1"]
    with app.state.engine.connect() as conn:
        hits = conn.execute(sa.text("SELECT count(*) FROM ui_form_hits")).scalar()
    assert hits == 2  # the refused one is not counted again


def test_the_owners_field_permissions_and_row_rules_apply(app, leads, owner, visitor) -> None:
    engine = app.state.engine
    token = _link(app, owner, leads, ["Name", "Age", "VIP"])
    set_field_permission(engine, leads["ids"]["VIP"], "admin", "hidden")
    page = visitor.get(f"/f/{token}").text
    assert f'name="f_{leads["ids"]["VIP"]}"' not in page  # hidden from the owner: not shown
    set_row_rule(engine, leads["id"], "admin", "{Age} >= 18")
    refused = _send(visitor, token, {f"f_{leads['ids']['Name']}": "child",
                                     f"f_{leads['ids']['Age']}": "9",
                                     f"f_{leads['ids']['VIP']}": "on"})
    assert refused.status_code == 403 and 'class="form-problem"' in refused.text
    ok = _send(visitor, token, {f"f_{leads['ids']['Name']}": "adult",
                                f"f_{leads['ids']['Age']}": "30",
                                f"f_{leads['ids']['VIP']}": "on"})
    assert ok.status_code == 303
    assert _query(app, leads) == [{"Name": "adult", "Age": 30, "Source": None, "VIP": None}]


def test_a_disabled_owner_ends_the_link(app, leads, owner, visitor) -> None:
    from tessera.auth.models import USERS

    token = _link(app, owner, leads, ["Name"])
    with app.state.engine.begin() as conn:
        conn.execute(sa.update(USERS).where(USERS.c.id == owner.user_id).values(is_active=False))
    assert visitor.get(f"/f/{token}").status_code == 410


def test_only_schema_editors_share_forms_or_see_the_links(app, client, leads) -> None:
    from tessera.auth.tokens import create_token

    engine = app.state.engine
    client.post(f"/tables/{leads['id']}/form/links", data={"view": ""})
    user_id = create_user(engine, "nurse", "nurse-pw-123")
    grant(engine, leads["base_id"], "editor", user_id=user_id)
    with pytest.raises(Exception, match="change tables, fields or views"):
        create_link(engine, Principal(user_id, "nurse"), leads["id"], None)
    secret = create_token(engine, "nurse", name="t")[1]
    with TestClient(app, headers={"Authorization": f"Bearer {secret}"}) as nurse:
        page = nurse.get(f"/tables/{leads['id']}/form", headers={"accept": "text/html"})
    assert page.status_code == 200 and "/f/" not in page.text and "btn-share-form" not in page.text
    admin_page = client.get(f"/tables/{leads['id']}/form", headers={"accept": "text/html"}).text
    assert "/f/" in admin_page and "btn-share-form" in admin_page
