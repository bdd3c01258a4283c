"""Browser benchmark: a table of N rows (default 1,000,000) served by uvicorn, measured in
Debian's Chromium through Playwright.

1. navigation → interactive grid (first block rendered, keyboard focus; target ≤ 1 s);
2. "go to row 500,000" → its rows shown (target ≤ 300 ms), first jump and warm jumps;
3. the grid block endpoint's throughput (blocks of 100 rows/s, keyset pages from the
   position index, 1 and 4 concurrent clients: httpx threads in this process, as before, and
   from a separate client process, which does not share the server's GIL);
plus the one-off cost of building the position index.

Usage: .venv/bin/python bench/bench_browser.py [sqlite|postgresql] [ROWS]
(PostgreSQL: TESSERA_BENCH_PG_URL, else a throwaway cluster is started)."""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tessera import schema_ops as schema  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tests.browser.conftest import CHROMIUM, Api, LiveServer, create_admin, login  # noqa: E402

OUT = Path(__file__).parent / "out" / "bench_browser.json"
TIERS = ["VIP", "Regular", "Lapsed"]


def generate(url: str, rows: int) -> tuple[int, float]:
    """A 'Visits' table of ``rows`` records inserted straight into its SQL table."""
    upgrade(url)
    engine = sa.create_engine(url)
    base = schema.create_base(engine, "Bench")
    table = schema.create_table(engine, base.id, "Visits")
    schema.add_field(engine, table.id, "Amount", "number")
    schema.add_field(engine, table.id, "Tier", "single_select",
                     {"choices": [{"label": t} for t in TIERS]})
    info = schema.get_table(engine, table.id)
    t = schema.sa_table(info)
    cols = {f.name: f.column for f in info.fields}
    now = datetime.now(UTC)
    started = time.perf_counter()
    chunk = 50_000
    for start in range(0, rows, chunk):
        payload = [{"created_at": now, "updated_at": now, cols["Name"]: f"v{i:07d}",
                    cols["Amount"]: (i * 7919) % 10007, cols["Tier"]: TIERS[i % 3]}
                   for i in range(start, min(rows, start + chunk))]
        with engine.begin() as conn:
            conn.execute(sa.insert(t), payload)
    seconds = time.perf_counter() - started
    engine.dispose()
    return table.id, seconds


def measure_browser(server: LiveServer, table_id: int, rows: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    result: dict[str, object] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        login(page, server.url)
        loads = []
        for _ in range(5):
            page.goto(f"{server.url}/tables/{table_id}")
            page.wait_for_selector("body[data-grid-ready=true]")
            loads.append(float(page.evaluate("() => Number(document.body.dataset.readyMs)")))
        result["navigation_to_interactive_ms"] = {"median": statistics.median(loads),
                                                  "all": loads}
        # fresh server-side index: the first jump may build it unless the idle warm-up ran
        page.goto(f"{server.url}/tables/{table_id}")
        page.wait_for_selector("body[data-grid-ready=true]")
        jump = """async (pos) => {
            const grid = window.tesseraGrid;
            const t0 = performance.now();
            await grid.jumpTo(pos);
            const sel = `.vg-body [aria-rowindex="${pos + 2}"] [aria-colindex="2"]`;
            while (!(document.querySelector(sel) || {}).textContent) {
                await new Promise((r) => requestAnimationFrame(r));
            }
            return performance.now() - t0;
        }"""
        result["first_jump_500k_ms"] = page.evaluate(jump, rows // 2 - 1)
        warm = [page.evaluate(jump, random.randrange(rows)) for _ in range(10)]
        result["warm_jump_ms"] = {"median": statistics.median(warm), "max": max(warm)}
        result["jump_500k_again_ms"] = page.evaluate(jump, rows // 2 + 1234)
        browser.close()
    return result


def measure_throughput(server: LiveServer, table_id: int, rows: int) -> dict[str, object]:
    api = Api(server)
    blocks = rows // 100
    started = time.perf_counter()
    api("GET", f"/ui/tables/{table_id}/grid/block?b={blocks - 1}")
    out: dict[str, object] = {"index_warm_request_ms": (time.perf_counter() - started) * 1000}

    def one(_: int) -> None:
        response = api.client.get(f"/ui/tables/{table_id}/grid/block?b="
                                  f"{random.randrange(1, blocks)}")
        assert response.status_code == 200

    for workers in (1, 4):
        n = 400
        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(one, range(n)))
        out[f"blocks_per_s_{workers}_clients"] = round(n / (time.perf_counter() - started), 1)
    # The same requests from another process: in-process client threads share the server's
    # GIL, so the figures above understate what the server does per second.
    cookie = "; ".join(f"{k}={v}" for k, v in api.client.cookies.items())
    for workers in (1, 4):
        done = subprocess.run([sys.executable, "-c", _CLIENT, server.url, str(table_id),
                               str(blocks), cookie, str(workers), "600"],
                              capture_output=True, text=True, timeout=600, check=True)
        measured = json.loads(done.stdout)
        out[f"blocks_per_s_{workers}_clients_out_of_process"] = measured["blocks_per_s"]
        out[f"block_p50_ms_{workers}_clients_out_of_process"] = measured["p50_ms"]
    out["loadavg"] = Path("/proc/loadavg").read_text().split()[:3]
    api.client.close()
    return out


_CLIENT = """
import json, random, statistics, sys, time
from concurrent.futures import ThreadPoolExecutor
import httpx
url, table, blocks, cookie, workers, n = sys.argv[1:7]
workers, n = int(workers), int(n)
clients = [httpx.Client(base_url=url, headers={"cookie": cookie}, timeout=60)
           for _ in range(workers)]
times = []
def one(i):
    started = time.perf_counter()
    r = clients[i % workers].get(f"/ui/tables/{table}/grid/block?b={random.randrange(1, int(blocks))}")
    assert r.status_code == 200 and len(r.json()["rows"]) == 100, r.text[:200]
    times.append(time.perf_counter() - started)
one(0)
times.clear()
started = time.perf_counter()
with ThreadPoolExecutor(workers) as pool:
    list(pool.map(one, range(n)))
print(json.dumps({"blocks_per_s": round(n / (time.perf_counter() - started), 1),
                  "p50_ms": round(statistics.median(times) * 1000, 2)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 epilog="PostgreSQL: TESSERA_BENCH_PG_URL, else a throwaway "
                                        "cluster is started")
    ap.add_argument("backend", nargs="?", default="sqlite", choices=("sqlite", "postgresql"))
    ap.add_argument("rows", nargs="?", type=int, default=1_000_000)
    args = ap.parse_args()
    backend, rows = args.backend, args.rows
    cluster = None
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            url = f"sqlite:///{tmp}/bench.db"
        else:
            url = os.environ.get("TESSERA_BENCH_PG_URL", "")
            if not url:
                from tessera.testing.pgcluster import PgCluster

                cluster = PgCluster()
                url = cluster.__enter__().url
        try:
            table_id, gen_s = generate(url, rows)
            print(f"generated {rows} rows in {gen_s:.1f} s", flush=True)
            server = LiveServer(url).start()
            create_admin(server)
            try:
                from tessera.web import seek

                built = time.perf_counter()
                index = seek.position_index(server.engine, table_id)
                result = {"backend": backend, "rows": rows, "generate_s": round(gen_s, 1),
                          "index_build_ms": round((time.perf_counter() - built) * 1000, 1),
                          "index_anchors": index.blocks}
                result.update(measure_browser(server, table_id, rows))
                result.update(measure_throughput(server, table_id, rows))
            finally:
                server.stop()
        finally:
            if cluster is not None:
                cluster.__exit__(None, None, None)
    print(json.dumps(result, indent=2))
    OUT.parent.mkdir(exist_ok=True)
    previous = json.loads(OUT.read_text()) if OUT.exists() else {}
    previous[f"{backend}-{rows}"] = result
    OUT.write_text(json.dumps(previous, indent=2))


if __name__ == "__main__":
    main()
