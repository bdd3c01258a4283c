"""Authentication costs: one Argon2id password hash and verify (the production profile), and
the latency of a Bearer-authenticated API call next to the public /health route, on SQLite.

    .venv/bin/python bench/bench_auth.py [--calls N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import latency, median_time, record  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from tessera.auth.bootstrap import admin_token, bearer  # noqa: E402
from tessera.auth.passwords import hash_password, use_profile, verify_password  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.web import create_app  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    use_profile("default")
    stored = hash_password("a long password")
    results = {
        "argon2id_hash_ms": round(median_time(lambda: hash_password("a long password"), 5) * 1000, 1),
        "argon2id_verify_ms": round(median_time(lambda: verify_password(stored, "x"), 5) * 1000, 1),
    }
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/bench.db")
        upgrade(engine)
        token = admin_token(engine)
        app = create_app(engine=engine, embedded_worker=False)
        with TestClient(app, headers=bearer(token)) as client:
            client.post("/api/v1/bases", json={"name": "Bench"})
            results["bearer_get_bases"] = latency(lambda i: client.get("/api/v1/bases"),
                                                  args.calls)
            results["health_no_auth"] = latency(lambda i: client.get("/health"), args.calls)
        engine.dispose()
    print(json.dumps(results, indent=2))
    record("bench_auth", results)


if __name__ == "__main__":
    main()
