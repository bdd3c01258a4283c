"""Shared helpers for the benchmarks: timing, latency percentiles, result records.

Every benchmark prints a table and appends its JSON results to bench/out/<name>.json so
bench/RESULTS.md can be refreshed from real runs. Benchmarks never assert timings.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OUT = Path(__file__).parent / "out"


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d")}


def median_time(fn: Callable[[], Any], runs: int = 3) -> float:
    """Median wall time of ``runs`` calls, in seconds."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def latency(fn: Callable[[int], Any], calls: int = 1000) -> dict[str, float]:
    """p50/p95/p99 latency of ``fn(i)`` over ``calls`` calls, in milliseconds."""
    samples = []
    for i in range(calls):
        t0 = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))]  # noqa: E731
    return {"p50_ms": pick(0.50), "p95_ms": pick(0.95), "p99_ms": pick(0.99)}


@contextmanager
def timed(label: str, results: dict[str, Any]):
    t0 = time.perf_counter()
    yield
    results[label] = time.perf_counter() - t0


def record(name: str, results: dict[str, Any]) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"{name}.json"
    payload = {"machine": machine(), "results": results}
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))
    return path


@contextmanager
def bench_database(backend: str):
    """A database URL for a benchmark: a temporary SQLite file, or PostgreSQL at
    TESSERA_BENCH_PG_URL, else a throwaway cluster (stopped afterwards)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            yield f"sqlite:///{tmp}/bench.db"
            return
        url = os.environ.get("TESSERA_BENCH_PG_URL", "")
        if url:
            yield url
            return
        from tessera.testing.pgcluster import PgCluster

        with PgCluster() as cluster:
            yield cluster.url
