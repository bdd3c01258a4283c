"""The clinic pack's roles applied to users (issue 7): installing the pack makes its roles the
base's access rules; a consultant signed in sees only their own customers in the grid query,
the REST API and an export; the phone team sees only the C list (without the hidden fields);
admins assign users to pack roles with `tessera pack assign` and the REST API."""

from __future__ import annotations

import csv
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from tessera import access
from tessera.auth.bootstrap import admin_token, bearer
from tessera.auth.principal import Principal
from tessera.auth.tokens import create_token
from tessera.cli import main
from tessera.io.exporter import export_records
from tessera.packs.roles import assign_role, role_members
from tessera.query import count_records, query_records
from tessera.web import create_app
from tests.clinic_crm.conftest import Clinic, days_ago


def _as(clinic: Clinic, username: str) -> Principal:
    return Principal(clinic.staff[username], username)


def _names(clinic: Clinic, who: Principal) -> list[str]:
    page = query_records(clinic.engine, clinic.table("customers"), limit=100, principal=who)
    return sorted(r["fields"]["姓名"] for r in page.rows)


@pytest.fixture
def people(clinic: Clinic) -> Clinic:
    """Customers of two consultants, one of nobody, a big spender and a dispute; 张慧 and 李婷
    are consultants, 邀约专员1 is in the phone team."""
    clinic.customer(姓名="张的客户", 负责咨询师="张慧")
    clinic.customer(姓名="张的大客户", 负责咨询师="张慧")
    clinic.visit(clinic.customer(姓名="李的大客户", 负责咨询师="李婷"), days_ago(10), 60000)
    big = next(r["id"] for r in clinic.rows("customers") if r["fields"]["姓名"] == "张的大客户")
    clinic.visit(big, days_ago(5), 35000)
    clinic.customer(姓名="李的纠纷客户", 负责咨询师="李婷", 满意度="纠纷")
    clinic.customer(姓名="没人负责")
    for name in ("张慧", "李婷"):
        assign_role(clinic.engine, clinic.result.base_id, "consultant", name)
    assign_role(clinic.engine, clinic.result.base_id, "电话邀约", "邀约专员1")
    return clinic


def test_install_makes_the_pack_roles_access_rules(clinic: Clinic) -> None:
    customers, tasks = clinic.table("customers"), clinic.table("tasks")
    rules = access.row_rules(clinic.engine, customers)
    assert rules["editor"].formula == "{负责咨询师} = CURRENT_USER()"
    assert rules["commenter"].formula == 'AND({价值分级} = "C", {满意度} <> "纠纷")'
    assert set(rules) == {"editor", "commenter"}
    assert access.row_rules(clinic.engine, tasks)["editor"].formula == "{负责人} = CURRENT_USER()"
    names = {f.id: f.name for f in _fields(clinic, "customers")}
    hidden = access.field_permissions(clinic.engine, customers, "commenter")
    assert sorted(names[f] for f in hidden) == ["备注", "累计消费", "近12月消费"]
    assert set(hidden.values()) == {"hidden"}
    viewer = access.field_permissions(clinic.engine, customers, "viewer")
    assert sorted(names[f] for f in viewer) == ["微信", "手机"]


def _fields(clinic: Clinic, key: str) -> list:
    from tessera import schema_ops as schema

    return list(schema.get_table(clinic.engine, clinic.table(key)).fields)


def test_consultant_sees_only_their_customers_in_the_grid(people: Clinic) -> None:
    assert _names(people, _as(people, "张慧")) == ["张的大客户", "张的客户"]
    assert _names(people, _as(people, "李婷")) == ["李的大客户", "李的纠纷客户"]
    assert count_records(people.engine, people.table("customers"),
                         principal=_as(people, "张慧")) == 2


def test_consultant_sees_only_their_customers_over_the_api(people: Clinic) -> None:
    token = create_token(people.engine, people.staff["张慧"], name="t")[1]
    with TestClient(create_app(engine=people.engine), headers=bearer(token)) as client:
        listed = client.get(f"/api/v1/tables/{people.table('customers')}/records")
        other = next(r["id"] for r in people.rows("customers") if r["fields"]["姓名"] == "李的大客户")
        hidden = client.get(f"/api/v1/tables/{people.table('customers')}/records/{other}")
    assert listed.status_code == 200
    assert sorted(r["fields"]["姓名"] for r in listed.json()["rows"]) == ["张的大客户", "张的客户"]
    assert hidden.status_code == 404


def test_consultant_export_has_only_their_customers(people: Clinic, tmp_path) -> None:
    out = tmp_path / "mine.csv"
    export_records(people.engine, out, table_id=people.table("customers"),
                   principal=_as(people, "李婷"))
    with out.open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert sorted(r["姓名"] for r in rows) == ["李的大客户", "李的纠纷客户"]


def test_phone_team_sees_only_the_c_list(people: Clinic) -> None:
    caller = _as(people, "邀约专员1")
    assert _names(people, caller) == ["张的客户", "没人负责"]
    page = query_records(people.engine, people.table("customers"), limit=10, principal=caller)
    assert "累计消费" not in page.rows[0]["fields"] and "价值分级" in page.rows[0]["fields"]


def test_a_consultant_cannot_hand_a_customer_to_someone_else(people: Clinic) -> None:
    from tessera.access.errors import ForbiddenError
    from tessera.records import RecordService

    mine = next(r["id"] for r in people.rows("customers") if r["fields"]["姓名"] == "张的客户")
    service = RecordService(people.engine, principal=_as(people, "张慧"))
    with pytest.raises(ForbiddenError):
        service.update(people.table("customers"), mine, {"负责咨询师": "李婷"})
    assert people.who(people.get(mine)["负责咨询师"]) == "张慧"


def test_cli_assigns_and_lists_pack_roles(clinic: Clinic, capsys) -> None:
    url = clinic.engine.url.render_as_string(hide_password=False)
    assert main(["--db", url, "pack", "assign", "--base", "诊所", "咨询师", "陈静", "王晓东"]) == 0
    assert "陈静: 咨询师 (editor)" in capsys.readouterr().out
    assert main(["--db", url, "pack", "roles", "--base", "诊所"]) == 0
    out = capsys.readouterr().out
    assert "consultant (咨询师, editor): 王晓东, 陈静" in out or \
        "consultant (咨询师, editor): 陈静, 王晓东" in out
    assert "row rule on customers: {负责咨询师} = CURRENT_USER()" in out
    assert main(["--db", url, "pack", "assign", "--base", "诊所", "店长", "陈静"]) == 2
    err = capsys.readouterr().err
    assert "no role '店长'" in err and "没有角色" in err
    assert main(["--db", url, "pack", "unassign", "--base", "诊所", "陈静"]) == 0
    assert [m.username for m in role_members(clinic.engine, clinic.result.base_id)] == ["王晓东"]


@pytest.fixture
def admin_client(clinic: Clinic) -> Iterator[TestClient]:
    with TestClient(create_app(engine=clinic.engine), raise_server_exceptions=False,
                    headers=bearer(admin_token(clinic.engine))) as client:
        yield client


def test_api_assigns_pack_roles(clinic: Clinic, admin_client: TestClient) -> None:
    base = f"/api/v1/bases/{clinic.result.base_id}/pack/roles"
    made = admin_client.post(f"{base}/caller/members", json={"user": "邀约专员2"})
    assert made.status_code == 201
    assert made.json() == {"role": "caller", "role_name": "电话邀约", "base_role": "commenter",
                           "user_id": clinic.staff["邀约专员2"], "username": "邀约专员2"}
    listed = admin_client.get(base).json()
    assert [r["key"] for r in listed["roles"]] == ["clinic_admin", "consultant", "caller", "auditor"]
    assert [(m["role"], m["username"]) for m in listed["members"]] == [("caller", "邀约专员2")]
    unknown = admin_client.post(f"{base}/caller/members", json={"user": "nobody"})
    assert unknown.status_code == 404
    token = create_token(clinic.engine, clinic.staff["邀约专员2"], name="t")[1]
    refused = admin_client.post(f"{base}/consultant/members", json={"user": "张慧"},
                                headers=bearer(token))
    assert refused.status_code == 403
    assert admin_client.post(f"{base}/revoke", json={"user": "邀约专员2"}).json() == {"removed": True}
