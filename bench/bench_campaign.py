"""Campaign throughput (issue 9): a campaign to N recipients queued and sent to a local fake
channel (the signed-webhook channel; the fake answers 200 at once and checks nothing), by one
``tessera worker --once`` process and then by two at once.

Per backend: N customers are loaded with a plain INSERT (not part of the campaign); a campaign
to all of them is launched (timed: the delivery log and one sender run per recipient, one
transaction, ``campaigns.launch``) and cancelled; then, for each worker setting, a campaign
capped at ``--send`` recipients is launched and drained by that many ``tessera worker --once``
processes, giving messages per second. ``--send`` exists because at the engine's current
per-run cost a full 100,000-message drain takes most of an hour on the shared 2-core machine.

Usage: ``.venv/bin/python bench/bench_campaign.py [--recipients N] [--send M]
[--backend sqlite|postgresql|both] [--workers 1,2]``. PostgreSQL uses ``PG_DSN`` or a
throwaway cluster. Results go to ``bench/out/bench_campaign.json`` and a markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_workflow import _fresh_url  # noqa: E402  (same fresh-database recipe)
from bench.common import record  # noqa: E402
from tessera import schema_ops as schema  # noqa: E402
from tessera.db import create_engine  # noqa: E402
from tessera.fields.sqltypes import utcnow  # noqa: E402
from tessera.migrate import upgrade  # noqa: E402
from tessera.schema.catalog import get_table, sa_table  # noqa: E402
from tessera.schema.ops import FieldSpec  # noqa: E402


class _Sink:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()


def _server(sink: _Sink) -> tuple[ThreadingHTTPServer, str]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"   # keep-alive, as providers answer
        disable_nagle_algorithm = True  # answer head and body without a delayed-ACK stall
        wbufsize = 1 << 16              # … and in one write (flushed after the handler)

        def do_POST(self) -> None:  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with sink.lock:
                sink.count += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "11")
            self.end_headers()
            self.wfile.write(b'{"id": "m"}')

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/hook"


def _load(engine: sa.Engine, n: int) -> Any:
    """N customers through a plain INSERT (the benchmark is about sending, not loading)."""
    base = schema.create_base(engine, "Bench")
    table = schema.create_table(engine, base.id, "客户", primary_field="姓名", fields=[
        FieldSpec("手机", "text"), FieldSpec("同意营销", "checkbox"), FieldSpec("退订", "checkbox")])
    table = get_table(engine, table.id)
    t = sa_table(table)
    cols = {f.name: f.column for f in table.fields}
    now = utcnow()
    with engine.begin() as conn:
        for start in range(0, n, 20000):
            conn.execute(sa.insert(t), [{cols["姓名"]: f"客户{i}", cols["手机"]: f"138{i:08d}",
                                         cols["同意营销"]: True, cols["退订"]: i % 50 == 0,
                                         "created_at": now, "updated_at": now}
                                        for i in range(start, min(n, start + 20000))])
    return base, table


def _campaign(engine: sa.Engine, base: Any, table: Any, url: str, name: str,
              limit: int | None = None, concurrency: int | None = None) -> dict[str, Any]:
    import tessera.outreach as out

    tpl = out.create_template(engine, base_id=base.id, table_id=table.id, name=f"t-{name}",
                              bodies={"zh": {"body": "{姓名}您好，春季洁牙特惠"}})
    ch = out.create_channel(engine, base_id=base.id, name=f"hook-{name}", kind="webhook",
                            config={"url": url}, secrets={"secret": "bench"},
                            **({"concurrency": concurrency} if concurrency else {}))
    return out.create_campaign(engine, base_id=base.id, table_id=table.id, name=name,
                               template_id=tpl["id"], channel_id=ch["id"], max_recipients=limit,
                               audience={"address_field": "手机", "consent_field": "同意营销",
                                         "optout_field": "退订"})


def _launch(engine: sa.Engine, campaign_id: int) -> tuple[float, dict[str, int]]:
    from tessera.outreach.campaigns import launch

    t0 = time.perf_counter()
    with engine.begin() as conn:
        counts = launch(conn, campaign_id)
    return time.perf_counter() - t0, counts


def _progress(sink: _Sink, before: int, done: threading.Event, backend: str, w: int) -> None:
    """A line every 30 s (messages so far, rate): a run cut short still shows its pace."""
    t0 = time.perf_counter()
    while not done.wait(30):
        sent, elapsed = sink.count - before, time.perf_counter() - t0
        print(json.dumps({"progress": backend, "workers": w, "sent": sent,
                          "elapsed_s": round(elapsed), "messages_per_s": round(sent / elapsed, 1),
                          "load": os.getloadavg()[0]}), flush=True)


def _drain(url: str, workers: int) -> tuple[float, float]:
    """Wall seconds, and CPU seconds the worker processes spent (user + system: a measure the
    other engineers' load on the shared machine hardly moves)."""
    cmd = [sys.executable, "-m", "tessera", "--db", url, "worker", "--once"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    procs = [subprocess.Popen([*cmd, "--id", f"bench{i}"], env=os.environ.copy(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
             for i in range(workers)]
    for p in procs:
        _, err = p.communicate()
        if p.returncode:
            raise SystemExit(err.decode())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench(backend: str, url: str, n: int, send: int, workers: list[int],
          results: dict[str, Any], concurrency: int = 1) -> None:
    os.environ.setdefault("TESSERA_SECRET_KEY", "bench-secret-key")
    os.environ.setdefault("TESSERA_ALLOWED_HOSTS", "127.0.0.1")   # the fake channel is local
    engine = create_engine(url)
    upgrade(engine)
    t0 = time.perf_counter()
    base, table = _load(engine, n)
    results[f"{backend}.load_s"] = round(time.perf_counter() - t0, 2)
    sink = _Sink()
    server, hook = _server(sink)
    try:
        # queueing: a campaign to every customer (launch timed), then cancelled unsent
        everyone = _campaign(engine, base, table, hook, "all")
        launch_s, counts = _launch(engine, everyone["id"])
        results[f"{backend}.queue_all"] = {"customers": n, **counts, "launch_s": round(launch_s, 2)}
        print(json.dumps({backend: results[f"{backend}.queue_all"]}), flush=True)
        from tessera.outreach import cancel_campaign

        cancel_campaign(engine, everyone["id"])
        # sending: `send` recipients drained by 1, then 2 worker processes
        for w in workers:
            campaign = _campaign(engine, base, table, hook, f"c{w}", limit=send,
                                 concurrency=concurrency)
            launch_s, counts = _launch(engine, campaign["id"])
            before = sink.count
            done = threading.Event()
            threading.Thread(target=_progress, args=(sink, before, done, backend, w),
                             daemon=True).start()
            try:
                drain_s, cpu_s = _drain(url, w)
            finally:
                done.set()
            sent = sink.count - before
            results[f"{backend}.workers{w}"] = {
                "recipients": counts["queued"], "concurrency": concurrency, "launch_s": round(launch_s, 2),
                "drain_s": round(drain_s, 1), "sent": sent,
                "worker_cpu_ms_per_message": round(1000 * cpu_s / max(sent, 1), 2),
                "messages_per_s": round(sent / drain_s, 1)}
            print(json.dumps({backend: results[f"{backend}.workers{w}"]}), flush=True)
    finally:
        server.shutdown()
        engine.dispose()


def bench_enqueue(backend: str, url: str, n: int, results: dict[str, Any]) -> None:
    """``workflow.outbox.enqueue_select`` as a campaign launch used it: in one transaction, a
    delivery row for each of N customers, then one run per fresh delivery row (the ids come
    from rows the planner has no statistics for); then the same again (every key queued)."""
    from tessera.outreach.models import DELIVERIES as d
    from tessera.workflow.models import AUTOMATIONS
    from tessera.workflow.outbox import enqueue_select

    os.environ.setdefault("TESSERA_SECRET_KEY", "bench-secret-key")
    engine = create_engine(url)
    upgrade(engine)
    base, table = _load(engine, n)
    campaign = _campaign(engine, base, table, "http://127.0.0.1:9/hook", "enqueue")
    t = sa_table(table)
    for attempt in ("fresh", "again"):
        t0 = time.perf_counter()
        with engine.begin() as conn:
            if attempt == "fresh":
                conn.execute(sa.insert(d).from_select(
                    ["campaign_id", "record_id", "status", "attempts", "queued_at"],
                    sa.select(sa.literal(campaign["id"]), t.c.id, sa.literal("queued"),
                              sa.literal(0), t.c.created_at)))
            automation = conn.execute(sa.select(AUTOMATIONS).where(
                AUTOMATIONS.c.id == campaign["automation_id"])).one()
            queued = enqueue_select(conn, automation, sa.select(d.c.record_id).where(
                d.c.campaign_id == campaign["id"]), trigger_type="manual",
                dedupe_prefix=f"c{campaign['id']}:r", dedupe_suffix="")
        results[f"{backend}.enqueue_select.{attempt}"] = {
            "records": n, "queued": queued, "seconds": round(time.perf_counter() - t0, 2)}
        print(json.dumps({backend: results[f"{backend}.enqueue_select.{attempt}"]}), flush=True)
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000,
                        help="customers, all queued by one campaign's launch")
    parser.add_argument("--send", type=int, default=None,
                        help="messages actually sent per worker setting (default: all)")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--enqueue-only", action="store_true",
                        help="only time workflow.outbox.enqueue_select for --recipients records")
    parser.add_argument("--concurrency", type=int, default=1,
                        help="the channel's concurrency: messages in flight per worker")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results: dict[str, Any] = {"recipients_requested": args.recipients}
    # a SIGTERM ends the run through the finally blocks (the PostgreSQL cluster is stopped)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    pg_server, cluster = os.environ.get("PG_DSN"), None
    if "postgresql" in backends and not pg_server:
        from tessera.testing.pgcluster import PgCluster

        cluster = PgCluster()
        cluster.start()
        pg_server = cluster.url
    try:
        for backend in backends:
            if args.enqueue_only:
                bench_enqueue(backend, _fresh_url(backend, pg_server, "enqueue"),
                              args.recipients, results)
                continue
            bench(backend, _fresh_url(backend, pg_server, "campaign"), args.recipients,
                  args.send or args.recipients, workers, results, args.concurrency)
    finally:
        if cluster is not None:
            cluster.stop()
    path = record("bench_campaign", results)
    print("\n| backend | workers | recipients | launch s | drain s | messages/s |")
    print("|---|---|---|---|---|---|")
    for key, value in results.items():
        if isinstance(value, dict) and ".workers" in key:
            backend, w = key.split(".workers")
            print(f"| {backend} | {w} | {value['recipients']:,} | {value['launch_s']} | "
                  f"{value['drain_s']} | {value['messages_per_s']} |")
    print(f"\nraw: {path}")


if __name__ == "__main__":
    main()
