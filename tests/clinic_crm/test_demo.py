"""``tessera demo --no-serve`` (what ./scripts/run.sh runs before serving) installs the
clinic demo once and reuses it afterwards."""

from __future__ import annotations

import pytest

from tessera import schema_ops as schema
from tessera.cli import main
from tessera.db import create_engine
from tessera.query import count_records
from tests.clinic_crm.conftest import TODAY


def test_demo_is_idempotent(tmp_path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("TESSERA_TODAY", TODAY.isoformat())
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    assert main(["--db", url, "demo", "--no-serve", "--sample", "120"]) == 0
    first = capsys.readouterr().out
    assert "诊所演示" in first and "tessera-demo" in first
    assert main(["--db", url, "demo", "--no-serve", "--sample", "120"]) == 0
    second = capsys.readouterr().out
    assert "reusing" in second and "tessera-demo" not in second
    engine = create_engine(url)
    bases = [b for b in schema.list_bases(engine) if b.name == "诊所演示"]
    assert len(bases) == 1
    customers = next(t for t in schema.list_tables(engine, bases[0].id) if t.name == "客户")
    assert count_records(engine, customers.id) == 120
    engine.dispose()


def test_run_script_starts_the_demo() -> None:
    from pathlib import Path

    script = (Path(__file__).resolve().parents[2] / "scripts" / "run.sh").read_text()
    assert script.rstrip().endswith('exec .venv/bin/tessera demo "$@"')
