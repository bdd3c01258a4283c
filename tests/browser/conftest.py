"""Browser fixtures: the app served by uvicorn on 127.0.0.1 (a free port, a thread per
server, stopped at the end) on a fresh migrated database per backend, Debian's Chromium driven
by Playwright, an admin signed in through /login, and screenshots saved to
tests/browser/artifacts/ (or $TESSERA_ARTIFACTS)."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from tessera.migrate import upgrade
from tessera.web import create_app

CHROMIUM = "/usr/bin/chromium"
ADMIN = ("admin", "clinic-admin-pw-1")
ARTIFACTS = Path(os.environ.get("TESSERA_ARTIFACTS") or Path(__file__).parent / "artifacts")

if not Path(CHROMIUM).exists():  # the suite needs the browser; say how to get it
    pytest.exit("tests/browser needs Chromium at /usr/bin/chromium: apt-get install chromium",
                returncode=4)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn in a daemon thread; ``url`` is its base URL, ``engine`` the app's engine."""

    def __init__(self, db_url: str) -> None:
        upgrade(db_url)
        self.app = create_app(db_url)
        self.engine = self.app.state.engine
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning",
                                lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start within 20 s")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        self.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One app on SQLite for the whole session (tests create their own bases)."""
    server = LiveServer(f"sqlite:///{tmp_path_factory.mktemp('browser') / 'ui.db'}").start()
    create_admin(server)
    yield server
    server.stop()


@pytest.fixture
def backend_server(backend_url: str) -> Iterator[LiveServer]:
    """An app on the current backend (SQLite and PostgreSQL) for data-heavy tests."""
    server = LiveServer(backend_url).start()
    create_admin(server)
    yield server
    server.stop()


def create_admin(server: LiveServer) -> None:
    try:
        from tessera.auth.users import create_user
    except ImportError:  # no login yet: pages are open
        return
    create_user(server.engine, ADMIN[0], ADMIN[1], is_admin=True)


def login(page: Any, base_url: str) -> None:
    """Sign in through the /login form when the app has login; otherwise nothing to do."""
    page.goto(base_url + "/login")
    if page.locator("input[name=username]").count() == 0:
        return
    page.fill("input[name=username]", ADMIN[0])
    page.fill("input[name=password]", ADMIN[1])
    page.click("form.auth-form button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(locale="en-US", viewport={"width": 1280, "height": 800})
    ctx.set_default_timeout(10000)
    yield ctx
    ctx.close()


def new_page(context: Any, server: LiveServer) -> Any:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    login(page, server.url)
    return page


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


class Api:
    """The REST API through a bearer-less session: a signed-in httpx client with CSRF."""

    def __init__(self, server: LiveServer) -> None:
        self.client = httpx.Client(base_url=server.url, timeout=30)
        self.headers: dict[str, str] = {}
        response = self.client.get("/login")
        if response.status_code == 200 and "username" in response.text:
            csrf = self.client.cookies.get("tessera_csrf") or ""
            self.client.post("/login", data={"username": ADMIN[0], "password": ADMIN[1],
                                             "csrf_token": csrf, "next": "/"})
            page = self.client.get("/")
            marker = 'name="csrf-token" content="'
            if marker in page.text:
                self.headers["X-CSRF-Token"] = page.text.split(marker)[1].split('"')[0]

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        response = self.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code < 400, response.text
        return response.json() if response.content else None


@pytest.fixture
def api_for() -> Iterator[Any]:
    made: list[Api] = []

    def make(server: LiveServer) -> Api:
        made.append(Api(server))
        return made[-1]

    yield make
    for a in made:
        a.client.close()


def wait_until(page: Any, js_function: str, timeout_s: float = 10.0, arg: Any = None) -> Any:
    """Poll ``js_function`` (an arrow function) until it returns something truthy.

    Playwright's wait_for_function evaluates strings with eval, which the app's CSP forbids;
    page.evaluate of a function does not."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = page.evaluate(js_function, arg)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {js_function}")
        page.wait_for_timeout(50)
