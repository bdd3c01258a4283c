"""The auth middleware remembers live sessions for a few seconds (tessera.auth.sessions), and
logout, password changes, deactivation and admin changes still take effect at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tessera.auth import sessions, tokens, users
from tessera.auth.models import SESSIONS, TOKENS
from tests.auth.conftest import HTML, PASSWORD, meta_token, sign_in


@pytest.fixture
def browser(app: Any) -> Iterator[TestClient]:
    sessions.forget_sessions()
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


@pytest.fixture
def engine(app: Any) -> sa.Engine:
    return app.state.engine


@pytest.fixture
def alice(engine: sa.Engine) -> int:
    return users.create_user(engine, "alice", PASSWORD)


def _lookups(engine: sa.Engine, run: Any, table: sa.Table = SESSIONS) -> int:
    """How many SELECTs on ``table`` (sessions or tokens) ``run`` made."""
    seen: list[str] = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if table.name in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    sa.event.listen(engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", capture)
    return len(seen)


def test_repeated_requests_reuse_the_session(browser, engine, alice) -> None:
    sign_in(browser, "alice")
    assert _lookups(engine, lambda: browser.get("/api/v1/me")) == 1
    assert _lookups(engine, lambda: [browser.get("/api/v1/me") for _ in range(5)]) == 0


def test_logout_ends_a_cached_session_at_once(browser, alice) -> None:
    sign_in(browser, "alice")
    home = browser.get("/", headers=HTML)
    assert browser.get("/api/v1/me").status_code == 200  # now cached
    stolen = browser.cookies.get(sessions.SESSION_COOKIE)
    assert browser.post("/logout", data={"csrf_token": meta_token(home.text)}).status_code == 303
    browser.cookies.set(sessions.SESSION_COOKIE, stolen)
    assert browser.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize("change", ["password", "deactivate"])
def test_user_changes_end_cached_sessions_at_once(browser, engine, alice, change) -> None:
    sign_in(browser, "alice")
    assert browser.get("/api/v1/me").status_code == 200
    if change == "password":
        users.set_password(engine, "alice", "another long secret")
    else:
        users.deactivate(engine, "alice")
    assert browser.get("/api/v1/me").status_code == 401


def test_admin_flag_changes_are_seen_at_once(browser, engine, alice) -> None:
    sign_in(browser, "alice")
    assert browser.get("/api/v1/me").json()["is_admin"] is False
    users.set_admin(engine, "alice", True)
    assert browser.get("/api/v1/me").json()["is_admin"] is True


def test_a_session_ended_elsewhere_expires_from_the_cache(browser, engine, alice,
                                                          monkeypatch) -> None:
    """Another process deleting the row is honoured once the cache entry is older than
    SESSION_CACHE_SECONDS."""
    sign_in(browser, "alice")
    assert browser.get("/api/v1/me").status_code == 200
    with engine.begin() as conn:  # behind the cache's back, as another process would
        conn.execute(SESSIONS.delete())
    assert browser.get("/api/v1/me").status_code == 200  # still cached: at most a few seconds
    clock = sessions.time.monotonic() + sessions.SESSION_CACHE_SECONDS + 0.1
    monkeypatch.setattr(sessions.time, "monotonic", lambda: clock)
    assert browser.get("/api/v1/me").status_code == 401



@pytest.mark.parametrize("end", ["revoke", "deactivate"])
def test_api_tokens_are_cached_and_revoked_at_once(app, engine, alice, end) -> None:
    sessions.forget_sessions()
    token_id, secret = tokens.create_token(engine, "alice")
    with TestClient(app, raise_server_exceptions=False,
                    headers={"authorization": f"Bearer {secret}"}) as api:
        assert _lookups(engine, lambda: api.get("/api/v1/me"), TOKENS) == 1
        assert _lookups(engine, lambda: [api.get("/api/v1/me") for _ in range(3)], TOKENS) == 0
        if end == "revoke":
            tokens.revoke_token(engine, token_id)
        else:
            users.deactivate(engine, "alice")
        assert api.get("/api/v1/me").status_code == 401
