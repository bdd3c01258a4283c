"""bench/bench_storage.py keeps running: 2,000 rows on each backend, every result present.

No timing is asserted; the check is that each operation ran on both sides (Tessera and raw
SQL) and produced the numbers bench/RESULTS.md is built from."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import bench_storage  # noqa: E402

ROWS = 2000
LATENCY_KEYS = {"p50_ms", "p95_ms", "p99_ms"}
PAIRED = [k for k in bench_storage.RESULT_KEYS
          if k not in ("bulk_insert",) and not k.startswith("http_")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """One run of the script per backend (each starts its own database)."""
    results = {}
    for backend in ("sqlite", "postgresql"):
        out = tmp_path_factory.mktemp("bench") / f"{backend}.json"
        proc = subprocess.run(
            [sys.executable, str(ROOT / "bench" / "bench_storage.py"), "--rows", str(ROWS),
             "--backend", backend, "--out", str(out), "--calls", "3", "--wrk-seconds", "0"],
            cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        results[backend] = {"json": json.loads(out.read_text()), "stdout": proc.stdout}
    return results


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_result_key_is_recorded(runs: dict[str, dict], backend: str) -> None:
    res = runs[backend]["json"]["results"][backend]
    missing = [k for k in bench_storage.RESULT_KEYS if k not in res]
    assert not missing, f"missing results: {missing}"
    assert res["rows"] == ROWS


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
@pytest.mark.parametrize("key", PAIRED)
def test_paired_operations_have_both_sides(runs: dict[str, dict], backend: str, key: str) -> None:
    r = runs[backend]["json"]["results"][backend][key]
    assert set(r["tessera"]) == LATENCY_KEYS and set(r["raw"]) == LATENCY_KEYS
    assert r["tessera"]["p50_ms"] > 0 and r["raw"]["p50_ms"] > 0 and r["ratio_p50"] > 0


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_bulk_insert_and_history(runs: dict[str, dict], backend: str) -> None:
    res = runs[backend]["json"]["results"][backend]
    b = res["bulk_insert"]
    assert b["tessera_rows_s"] > 0 and b["raw_rows_s"] > 0
    assert b["raw_method"] == ("COPY write_row" if backend == "postgresql" else "executemany, 1 tx")
    # bulk_create wrote one history entry per batch (not per record), the updates one per call
    assert 1 + 3 <= res["history_rows"] < ROWS


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_http_pages_and_markdown_table(runs: dict[str, dict], backend: str) -> None:
    res = runs[backend]["json"]["results"][backend]
    for key in ("http_keyset_first_page", "http_keyset_deep_page"):
        assert set(res[key]) == LATENCY_KEYS
    assert f"### {backend} — {ROWS:,} rows" in runs[backend]["stdout"]
    assert "| keyset page at row N/2, asc |" in runs[backend]["stdout"]
