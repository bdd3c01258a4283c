"""bench/bench_formula.py runs end to end on tiny data on both backends (no timing asserts):
every result key is produced, and Tessera's materialized formulas agree with the hand-written
SQL on every record."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "bench_formula.py"


def _module():
    sys.path.insert(0, str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("bench_formula", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_formula"] = module  # dataclasses look their module up while defining
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("with_rank", [False, True], ids=["rollups", "with-percentrank"])
def test_bench_formula_runs(backend, backend_url, tmp_path, with_rank, monkeypatch):
    monkeypatch.setenv("TESSERA_TODAY", "2025-06-30")  # the script's fixed day, undone after
    bench = _module()
    monkeypatch.setattr(sys.modules["common"], "OUT", tmp_path / "out")  # keep bench/out clean
    args = ["--customers", "60", "--visits", "500", "--backend", "sqlite", "--calls", "3",
            "--rank-calls", "1", "--sample", "20", "--interp-records", "200", "--dir", str(tmp_path),
            "--out", f"smoke_formula_{backend}"]
    if backend == "postgresql":
        args += ["--backend", "postgresql", "--pg-url", backend_url]
    if not with_rank:
        args.append("--skip-rank")
    results = bench.main(args)
    assert (tmp_path / "out" / f"smoke_formula_{backend}.json").exists()
    key = backend
    for suffix in ("load.total_s", "load.bulk_create_rows_per_s", "full_recompute.tessera",
                   "full_recompute.sql", "dependents.tessera", "dependents.sql", "rank_pass"):
        assert f"{key}.{suffix}" in results, suffix
    assert set(results[f"{key}.agreement_mismatches"].values()) == {0}
    assert results[f"{key}.rank_pass"]["identical"] is True
    assert results[f"{key}.dependents.tessera"]["hook"]["calls"] == 3
    if with_rank:
        assert f"{key}.dependents_with_rank.tessera" in results
        assert results[f"{key}.agreement_mismatches"]["M分"] == 0
    assert results["interpreter"]["records"] == 200
