"""The member self-service page: the right token shows exactly the configured fields of its
own customer; a wrong, revoked, replaced or orphaned token shows nothing; tokens are stored
hashed; output is escaped; requests are rate-limited; no login is needed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tessera.outreach import member, member_web
from tessera.outreach.errors import ConfigError
from tessera.outreach.models import MEMBER_LINKS
from tessera.web import create_app

PAGE = {"title": "会员中心", "title_en": "Member centre", "contact": "预约电话 400-800-1234",
        "fields": [{"field": "积分", "label": "积分", "label_en": "Points"},
                   {"field": "会员等级", "label": "等级", "label_en": "Tier"},
                   {"field": "储值余额", "label": "储值余额"},
                   {"field": "下次召回日期", "label": "下次复诊"}]}


@pytest.fixture
def web(clinic) -> Iterator[TestClient]:
    member.configure_page(clinic.engine, base_id=clinic.base_id, table_id=clinic.customers.id,
                          config=PAGE)
    app = create_app(engine=clinic.engine, embedded_worker=False)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield client


def _people(clinic) -> tuple[int, int]:
    a = clinic.add_customer("王芳", 手机="13800000001", 积分=12800, 会员等级="黄金",
                            储值余额=3000, 下次召回日期="2025-04-03", 备注="私密：过敏史")
    b = clinic.add_customer("李雷", 手机="13900000002", 积分=77, 会员等级="白银",
                            储值余额=15, 备注="另一位的备注")
    return a, b


def test_right_token_shows_only_configured_fields(clinic, web) -> None:
    a, _ = _people(clinic)
    link = member.issue_link(clinic.engine, clinic.customers.id, a)
    page = web.get(f"/m/{link['token']}")
    assert page.status_code == 200
    for shown in ("会员中心", "12800", "黄金", "3000", "2025-04-03", "预约电话 400-800-1234"):
        assert shown in page.text
    for hidden in ("王芳", "13800000001", "私密", "李雷", "白银", "13900000002", "另一位"):
        assert hidden not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    english = web.get(f"/m/{link['token']}?lang=en")
    assert "Member centre" in english.text and "Points" in english.text


# how the token is spoiled → the page answers 404 and shows nobody's data
SPOILED = ["wrong", "revoked", "replaced", "deleted customer", "empty-ish", "other's token"]


@pytest.mark.parametrize("case", SPOILED)
def test_spoiled_token_sees_nothing(clinic, web, case) -> None:
    a, b = _people(clinic)
    link = member.issue_link(clinic.engine, clinic.customers.id, a)
    token = link["token"]
    if case == "wrong":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    elif case == "revoked":
        assert member.revoke_links(clinic.engine, clinic.customers.id, a) == 1
    elif case == "replaced":
        member.issue_link(clinic.engine, clinic.customers.id, a)
    elif case == "deleted customer":
        clinic.records.delete(clinic.customers.id, a, actor="x")
    elif case == "empty-ish":
        token = "%20"
    if case == "other's token":
        other = member.issue_link(clinic.engine, clinic.customers.id, b)["token"]
        page = web.get(f"/m/{other}")
        assert page.status_code == 200 and "12800" not in page.text and "77" in page.text
        return
    page = web.get(f"/m/{token}")
    assert page.status_code == 404
    assert "链接无效" in page.text
    for data in ("12800", "黄金", "3000", "77", "白银"):
        assert data not in page.text
    assert web.get(f"/m/{token}/qr.svg").status_code == 404


def test_token_is_stored_hashed_and_qr_points_to_the_link(clinic, web) -> None:
    a, _ = _people(clinic)
    link = member.issue_link(clinic.engine, clinic.customers.id, a,
                             base_url="https://clinic.example")
    assert link["url"] == f"https://clinic.example/m/{link['token']}"
    assert len(link["token"]) >= 40 and link["qr_svg"].startswith("<svg")
    with clinic.engine.connect() as conn:
        stored = conn.execute(sa.select(MEMBER_LINKS.c.token_hash)).scalars().all()
    assert link["token"] not in stored and stored == [member.token_hash(link["token"])]
    qr = web.get(f"/m/{link['token']}/qr.svg")
    assert qr.status_code == 200 and qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text.startswith("<svg")


def test_values_are_escaped(clinic, web) -> None:
    rid = clinic.add_customer("x", 会员等级="<script>alert(1)</script>")
    token = member.issue_link(clinic.engine, clinic.customers.id, rid)["token"]
    page = web.get(f"/m/{token}")
    assert "<script>" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert web.get("/m-static/member.css").headers["content-type"].startswith("text/css")


def test_rate_limited(clinic, web, monkeypatch) -> None:
    monkeypatch.setattr(member_web, "limiter", member_web.RateLimiter(3))
    answers = [web.get("/m/not-a-token").status_code for _ in range(5)]
    assert answers == [404, 404, 404, 429, 429]


def test_rate_limiter_window() -> None:
    limiter = member_web.RateLimiter(2, window=10)
    assert [limiter.allow("ip", now=t) for t in (0, 1, 2, 10.5, 11, 12)] == \
        [True, True, False, True, True, False]
    assert limiter.allow("other", now=2)


BAD = [("no fields", {"fields": []}), ("unknown field", {"fields": [{"field": "身份证号"}]}),
       ("unknown setting", {"fields": [{"field": "积分"}], "show_everything": True})]


@pytest.mark.parametrize("config", [b[1] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_page_config(clinic, config) -> None:
    with pytest.raises(ConfigError):
        member.configure_page(clinic.engine, base_id=clinic.base_id,
                              table_id=clinic.customers.id, config=config)
