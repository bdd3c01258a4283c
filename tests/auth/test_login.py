"""Browser sign-in: first-run setup, /login and /logout, the session cookie, the pre-login
and session CSRF checks, rate limiting of failed sign-ins."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from tessera.auth import throttle, users
from tessera.auth.pages import safe_next
from tessera.auth.sessions import SESSION_COOKIE
from tessera.web import create_app

from .conftest import HTML, PASSWORD, form_token, meta_token, sign_in


@pytest.mark.parametrize("path", ["/", "/bases/1", "/login", "/admin/audit"])
def test_without_users_every_page_goes_to_setup(browser, path) -> None:
    response = browser.get(path, headers=HTML)
    assert response.status_code == 303 and response.headers["location"] == "/setup"


def test_first_run_setup_creates_the_admin_and_signs_in(browser, engine) -> None:
    page = browser.get("/setup", headers=HTML)
    assert page.status_code == 200 and 'name="password"' in page.text
    done = browser.post("/setup", data={"username": "root", "password": PASSWORD,
                                        "csrf_token": form_token(page.text)})
    assert done.status_code == 303 and done.headers["location"] == "/"
    assert users.get_user(engine, "root").is_admin
    home = browser.get("/", headers=HTML)
    assert home.status_code == 200 and "root" in home.text
    # once a user exists, /setup is closed
    again = browser.get("/setup", headers=HTML)
    assert again.status_code == 303 and again.headers["location"] == "/login"


def test_setup_refuses_a_short_password_in_the_users_language(browser, engine) -> None:
    page = browser.get("/setup", headers=HTML)
    bad = browser.post("/setup", data={"username": "root", "password": "short",
                                       "csrf_token": form_token(page.text)},
                       headers={**HTML, "accept-language": "zh-CN"})
    assert bad.status_code == 400 and "密码太短" in bad.text
    assert not users.has_users(engine)


@pytest.mark.parametrize("path, location", [
    ("/", "/login?next=%2F"),
    ("/tables/7?cursor=x", "/login?next=%2Ftables%2F7%3Fcursor%3Dx"),
])
def test_pages_redirect_to_login(browser, alice, path, location) -> None:
    response = browser.get(path, headers=HTML)
    assert response.status_code == 303 and response.headers["location"] == location


@pytest.mark.parametrize("method, path", [
    ("GET", "/api/v1/bases"), ("POST", "/api/v1/bases"), ("GET", "/"),
    ("GET", "/api/v1/me"), ("DELETE", "/api/v1/tables/1"),
])
def test_api_and_non_html_requests_get_401(browser, alice, method, path) -> None:
    response = browser.request(method, path, json={"name": "x"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/login", "/setup", "/health", "/api/v1/openapi.json",
                                  "/static/css/tessera.css"])
def test_public_paths(browser, alice, path) -> None:
    assert browser.get(path, headers=HTML).status_code in (200, 303)


def test_login_sets_a_hardened_session_cookie_and_follows_next(browser, alice) -> None:
    response = sign_in(browser, "alice", next="/bases/3")
    assert response.status_code == 303 and response.headers["location"] == "/bases/3"
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith(SESSION_COOKIE + "="))
    lowered = cookie.lower()
    assert "httponly" in lowered and "samesite=lax" in lowered and "path=/" in lowered
    me = browser.get("/api/v1/me").json()
    assert me["username"] == "alice" and me["is_admin"] is False


@pytest.mark.parametrize("target, expected", [
    ("/tables/1", "/tables/1"), ("//evil.example/x", "/"), ("https://evil.example", "/"),
    ("/\\evil.example", "/"), ("", "/"), (None, "/"), ("javascript:alert(1)", "/"),
])
def test_next_is_only_a_local_path(target, expected) -> None:
    assert safe_next(target) == expected


@pytest.mark.parametrize("language, text", [
    ("en", "Wrong username or password"), ("zh-CN", "用户名或密码错误"),
])
def test_wrong_password_is_refused_in_the_users_language(browser, alice, language,
                                                         text) -> None:
    page = browser.get("/login", headers=HTML)
    response = browser.post("/login", data={"username": "alice", "password": "nope",
                                            "csrf_token": form_token(page.text)},
                            headers={**HTML, "accept-language": language})
    assert response.status_code == 401 and text in response.text
    assert SESSION_COOKIE not in response.cookies
    assert browser.get("/api/v1/me").status_code == 401


def test_login_form_without_its_csrf_token_is_refused(browser, alice) -> None:
    browser.get("/login", headers=HTML)
    for token in ("", "forged-token-forged-token"):
        response = browser.post("/login", data={"username": "alice", "password": PASSWORD,
                                                "csrf_token": token}, headers=HTML)
        assert response.status_code == 403 and "csrf" in response.text.lower()


def test_logout_is_a_post_and_ends_the_session_server_side(browser, alice) -> None:
    sign_in(browser, "alice")
    stolen = browser.cookies.get(SESSION_COOKIE)
    home = browser.get("/", headers=HTML)
    assert browser.get("/logout").status_code == 405
    out = browser.post("/logout", data={"csrf_token": meta_token(home.text)})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert browser.get("/api/v1/me").status_code == 401
    # replaying the old cookie does not bring the session back
    with TestClient(browser.app, raise_server_exceptions=False) as other:
        other.cookies.set(SESSION_COOKIE, stolen)
        assert other.get("/api/v1/me").status_code == 401


def test_deactivation_and_password_change_end_sessions(browser, engine, alice) -> None:
    sign_in(browser, "alice")
    assert browser.get("/api/v1/me").status_code == 200
    users.set_password(engine, "alice", "another long secret")
    assert browser.get("/api/v1/me").status_code == 401
    sign_in(browser, "alice", "another long secret")
    users.deactivate(engine, "alice")
    assert browser.get("/api/v1/me").status_code == 401


def test_tampered_session_cookie_is_ignored(browser, alice) -> None:
    sign_in(browser, "alice")
    value = browser.cookies.get(SESSION_COOKIE)
    browser.cookies.set(SESSION_COOKIE, value[:-2] + ("AA" if value[-2:] != "AA" else "BB"))
    assert browser.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("headers, form, status", [
    ({}, None, 403),                                   # no token at all
    ({"x-csrf-token": "wrong"}, None, 403),             # a wrong header
    ({"x-csrf-token": "<meta>"}, None, 201),            # htmx: header from the meta tag
    ({}, {"csrf_token": "<meta>", "name": "Form"}, 0),  # a form field (urlencoded)
])
def test_session_writes_need_the_csrf_token(browser, alice, headers, form, status) -> None:
    sign_in(browser, "alice")
    token = meta_token(browser.get("/", headers=HTML).text)
    headers = {k: (token if v == "<meta>" else v) for k, v in headers.items()}
    if form is None:
        response = browser.post("/api/v1/bases", json={"name": "Clinic"}, headers=headers)
        assert response.status_code == status, response.text
        return
    data = {k: (token if v == "<meta>" else v) for k, v in form.items()}
    response = browser.post("/logout", data=data)
    assert response.status_code == 303  # passed the check; the handler ran
    assert browser.get("/api/v1/me").status_code == 401


def test_bearer_calls_need_no_csrf_token(admin_api) -> None:
    assert admin_api.post("/api/v1/bases", json={"name": "Clinic"}).status_code == 201


def test_failed_logins_are_rate_limited_per_user_and_address(browser, engine, alice,
                                                             monkeypatch) -> None:
    for _ in range(throttle.MAX_FAILURES):
        assert sign_in(browser, "alice", "wrong guess").status_code == 401
    blocked = sign_in(browser, "alice")  # even the right password waits now
    assert blocked.status_code == 429 and "wait" in blocked.text
    # the count lives in the database: a second app (another process) sees it too
    with TestClient(create_app(engine=engine, embedded_worker=False),
                    raise_server_exceptions=False, follow_redirects=False) as other:
        assert sign_in(other, "alice").status_code == 429
    # another username from the same address is not blocked
    users.create_user(engine, "bob", PASSWORD)
    assert sign_in(browser, "bob").status_code == 303
    # once the window has passed, alice may sign in again
    assert throttle.retry_after(engine, "alice", "testclient") > 0
    later = throttle.utcnow() + throttle.WINDOW
    monkeypatch.setattr(throttle, "utcnow", lambda: later)
    assert sign_in(browser, "alice").status_code == 303


def test_hsts_only_over_https(app, admin_api) -> None:
    assert "strict-transport-security" not in admin_api.get("/api/v1/me").headers
    with TestClient(app, base_url="https://testserver",
                    headers=dict(admin_api.headers)) as secure:
        response = secure.get("/api/v1/me")
    assert response.status_code == 200
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_pages_carry_the_csrf_meta_tag_and_script(browser, alice) -> None:
    sign_in(browser, "alice")
    page = browser.get("/", headers=HTML).text
    assert meta_token(page) and "/static/js/csrf.js" in page
    assert "<script>" not in page
    script = browser.get("/static/js/csrf.js")
    assert script.status_code == 200 and "X-CSRF-Token" in script.text


@pytest.mark.parametrize("username", ['"><script>alert(1)</script>', "' OR 1=1 --",
                                      "admin'); DROP TABLE auth_users; --"])
def test_hostile_usernames_are_inert(browser, engine, alice, username) -> None:
    response = sign_in(browser, username, "whatever it is")
    assert response.status_code == 401
    assert "<script>alert(1)" not in response.text
    assert [u.username for u in users.list_users(engine)] == ["alice"]
