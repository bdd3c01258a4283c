"""The web process runs automations in its own worker thread unless told not to."""

from __future__ import annotations

import threading

import pytest
from starlette.testclient import TestClient

from tessera.web.app import create_app


def _worker_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "tessera-workflow" and t.is_alive()]


@pytest.mark.parametrize("explicit, env, expected", [
    (True, "0", True),
    (False, "1", False),
    (None, "1", True),
    (None, "0", False),
    (None, "false", False),
])
def test_embedded_worker_follows_the_switch(backend_url, monkeypatch, explicit, env, expected):
    monkeypatch.setenv("TESSERA_EMBEDDED_WORKER", env)
    from tessera.migrate import upgrade

    upgrade(backend_url)
    before = len(_worker_threads())
    with TestClient(create_app(backend_url, embedded_worker=explicit)):
        assert (len(_worker_threads()) - before == 1) is expected
    assert len(_worker_threads()) == before     # stopped with the app
