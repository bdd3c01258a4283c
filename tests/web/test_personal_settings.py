"""Personal grid settings on the server (tessera.web.personal): per user, per table view,
embedded in the table page so they follow the user to another browser; bad values refused."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from starlette.testclient import TestClient

from tessera.access import grant
from tessera.auth.bootstrap import admin_token, bearer
from tessera.schema.views import create_view

API = "/api/v1"


@pytest.fixture
def patients(client) -> dict[str, Any]:
    base = client.post(f"{API}/bases", json={"name": "Clinic"}).json()
    return client.post(f"{API}/bases/{base['id']}/tables", json={
        "name": "Patients", "fields": [{"name": "Age", "type": "number"},
                                       {"name": "Phone", "type": "phone"}]}).json()


def _settings(patients: dict[str, Any]) -> dict[str, Any]:
    age, phone = (f["id"] for f in patients["fields"][1:])
    return {"widths": {str(age): 220}, "order": [phone, age], "hidden": [phone], "frozen": 1,
            "rowH": 64, "groupBy": age}


def _page_config(client: Any, path: str) -> dict[str, Any]:
    page = client.get(path, headers={"accept": "text/html"}).text
    return json.loads(html.unescape(re.search(r'data-config="([^"]*)"', page).group(1)))


def test_settings_are_kept_per_user_and_view(app, client, patients) -> None:
    url = f"/ui/tables/{patients['id']}/personal"
    assert client.get(url).json() == {"settings": None}
    saved = client.request("PUT", url, json=_settings(patients))
    assert saved.status_code == 200 and saved.json()["settings"] == _settings(patients)
    assert client.get(url).json()["settings"] == _settings(patients)
    # a new browser of the same user: the table page carries them
    assert _page_config(client, f"/tables/{patients['id']}")["personal"] == _settings(patients)
    # a saved view has its own personal settings; the table's stay as they were
    view = create_view(app.state.engine, patients["id"], "Recall")
    assert client.get(f"{url}?view={view.id}").json()["settings"] is None
    client.request("PUT", f"{url}?view={view.id}", json={"frozen": 0, "rowH": 28})
    assert client.get(f"{url}?view={view.id}").json()["settings"]["rowH"] == 28
    assert client.get(url).json()["settings"]["rowH"] == 64
    assert _page_config(client, f"/tables/{patients['id']}?view={view.id}")["personal"][
        "rowH"] == 28
    # saving again replaces (one row per user and view)
    client.request("PUT", url, json={"frozen": 2})
    assert client.get(url).json()["settings"] == {"frozen": 2, "groupBy": None}
    # another user sees none of them
    other = admin_token(app.state.engine, "second-admin")
    with TestClient(app, headers=bearer(other)) as second:
        assert second.get(url).json() == {"settings": None}
        assert _page_config(second, f"/tables/{patients['id']}")["personal"] is None


@pytest.mark.parametrize("body, key", [
    ({"widths": {"2": 5}}, "widths"),
    ({"widths": ["a"]}, "widths"),
    ({"order": ["Age"]}, "order"),
    ({"rowH": 33}, "rowH"),
    ({"frozen": -1}, "frozen"),
    ({"colour": "red"}, "colour"),
    ([1, 2], "body"),
])
def test_bad_settings_are_refused_naming_the_key(client, patients, body, key) -> None:
    url = f"/ui/tables/{patients['id']}/personal"
    response = client.request("PUT", url, json=body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_personal_settings" and repr(key) in error["message"]
    zh = client.request("PUT", url, json=body, headers={"accept-language": "zh-CN"})
    assert "个人表格设置" in zh.json()["error"]["message"]
    assert client.get(url).json()["settings"] is None


def test_a_view_of_another_table_and_users_without_access(app, client, patients) -> None:
    other = client.post(f"{API}/bases/{patients['base_id']}/tables",
                        json={"name": "Other", "fields": []}).json()
    view = create_view(app.state.engine, other["id"], "Theirs")
    response = client.get(f"/ui/tables/{patients['id']}/personal?view={view.id}")
    assert response.status_code == 404
    from tessera.auth.tokens import create_token
    from tessera.auth.users import create_user

    create_user(app.state.engine, "outsider", "outsider-pw-1")
    secret = create_token(app.state.engine, "outsider", name="t")[1]
    with TestClient(app, headers=bearer(secret), raise_server_exceptions=False) as outsider:
        refused = outsider.request("PUT", f"/ui/tables/{patients['id']}/personal",
                                   json={"frozen": 1})
        assert refused.status_code == 403
    # once they hold a role they keep their own settings
    grant(app.state.engine, patients["base_id"], "viewer",
          user_id=_user_id(app, "outsider"))
    with TestClient(app, headers=bearer(secret)) as outsider:
        assert outsider.request("PUT", f"/ui/tables/{patients['id']}/personal",
                                json={"frozen": 1}).status_code == 200
    assert client.get(f"/ui/tables/{patients['id']}/personal").json()["settings"] is None


def _user_id(app: Any, username: str) -> int:
    from tessera.auth.users import find_user

    with app.state.engine.connect() as conn:
        return find_user(conn, username).id
