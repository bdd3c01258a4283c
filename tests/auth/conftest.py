"""Identity fixtures: a migrated database per backend, the web app on it, an anonymous
browser-like client, and helpers to create users and sign in through the real /login form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from starlette.testclient import TestClient

from tessera.auth import users
from tessera.auth.bootstrap import admin_token, bearer
from tessera.db import create_engine
from tessera.migrate import upgrade
from tessera.web import create_app

PASSWORD = "correct horse battery"
HTML = {"accept": "text/html"}


@pytest.fixture
def engine(backend_url: str) -> Iterator[sa.Engine]:
    eng = create_engine(backend_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def app(engine: sa.Engine) -> Any:
    return create_app(engine=engine, embedded_worker=False)


@pytest.fixture
def browser(app: Any) -> Iterator[TestClient]:
    """A client without credentials that keeps cookies and does not follow redirects."""
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        yield client


@pytest.fixture
def admin_api(app: Any, engine: sa.Engine) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False,
                    headers=bearer(admin_token(engine, "root"))) as client:
        yield client


@pytest.fixture
def alice(engine: sa.Engine) -> int:
    return users.create_user(engine, "alice", PASSWORD)


def form_token(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page_html)
    assert match, "the page has no CSRF form field"
    return match.group(1)


def meta_token(page_html: str) -> str:
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', page_html)
    assert match, "the page has no CSRF meta tag"
    return match.group(1)


def sign_in(client: TestClient, username: str, password: str = PASSWORD,
            **extra: str) -> Any:
    page = client.get("/login", headers=HTML)
    assert page.status_code == 200, page.text
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": form_token(page.text), **extra},
                       headers=HTML)
