"""`tessera serve` as a real process: migrates a fresh database, prints its URL, serves pages
and the API on 127.0.0.1, and stops cleanly."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx

from tessera.auth.bootstrap import admin_token, bearer
from tessera.db import create_engine


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(base: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"serve exited early: {process.stdout.read()}")
        try:
            httpx.get(base + "/api/v1/bases", timeout=1.0)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError("serve did not answer within 30 s")


def test_serve_runs_migrations_and_answers(backend, backend_url, tmp_path) -> None:
    """On SQLite with no URL configured: the default ./tessera.db in the working directory."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "TESSERA_DATABASE_URL"}
    if backend == "postgresql":
        env["TESSERA_DATABASE_URL"] = backend_url
    process = subprocess.Popen(
        [sys.executable, "-m", "tessera", "serve", "--host", "127.0.0.1", "--port", str(port),
         "--log-level", "warning"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process)
        engine = create_engine(backend_url if backend == "postgresql"
                               else f"sqlite:///{tmp_path / 'tessera.db'}")
        auth = bearer(admin_token(engine))
        engine.dispose()
        created = httpx.post(base + "/api/v1/bases", json={"name": "Live"}, headers=auth)
        assert created.status_code == 201
        page = httpx.get(base + "/", headers={"accept": "text/html", **auth})
        assert page.status_code == 200 and ">Live</a>" in page.text
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        spec = httpx.get(base + "/api/v1/openapi.json").json()
        assert spec["openapi"] == "3.1.0"
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert f"at http://127.0.0.1:{port}/" in output
    assert process.returncode in (0, -15)
    assert (tmp_path / "tessera.db").exists() == (backend == "sqlite")
