"""``tessera pack validate|install|upgrade|export`` on the command line (SQLite and
PostgreSQL through --db): exit codes, positioned messages, dry runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tessera.cli import main
from tessera.packs.export import export_base
from tessera.packs.store import load_installed

from .conftest import GYM, SHOP_V1, SHOP_V2


def test_validate_ok(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "validate", str(GYM)]) == 0
    assert capsys.readouterr().out.startswith("ok: gym_membership 1.0.0: 4 tables")


def test_validate_prints_positioned_problems_and_exits_1(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    text = (SHOP_V1 / "pack.yaml").read_text(encoding="utf-8")
    (tmp_path / "pack.yaml").write_text(text.replace("{累计消费} >= 50000", "{累计} >= 50000"),
                                        encoding="utf-8")
    assert main(["pack", "validate", str(tmp_path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "pack.yaml:16:32: $.tables[0].fields[1].options.formula: formula error at column 4 of "
        "the formula: Unknown field {累计} — did you mean {累计消费}?",
        "pack.yaml:16:32: $.tables[0].fields[1].options.formula: 公式第 4 列有误：未知字段 {累计}"
        "，是否想输入 {累计消费}？",
        "1 problem(s) / 1 个问题"]


def test_validate_json_and_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["pack", "validate", str(SHOP_V2), "--json"]) == 0
    assert '"valid": true' in capsys.readouterr().out
    assert main(["pack", "validate", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err
    assert "No pack.yaml in" in err and "中没有 pack.yaml" in err


def test_install_upgrade_export_from_the_command_line(backend_url: str, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TESSERA_TODAY", "2025-03-01")
    db = ["--db", backend_url]
    assert main([*db, "pack", "install", str(SHOP_V1), "--base", "小店"]) == 0
    assert "installed shop 1.0.0 into base '小店'" in capsys.readouterr().out
    assert main([*db, "pack", "install", str(SHOP_V1), "--base", "小店"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main([*db, "pack", "install", str(GYM), "--base", "健身房", "--sample"]) == 0
    assert "This pack declares no sample data." in capsys.readouterr().out

    assert main([*db, "pack", "upgrade", str(SHOP_V2), "--base", "小店", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("plan: shop 1.0.0 → 2.0.0") and "table tasks: add" in out
    assert main([*db, "pack", "upgrade", str(SHOP_V2), "--base", "小店"]) == 0
    assert capsys.readouterr().out.startswith("upgraded: shop 1.0.0 → 2.0.0")

    assert main([*db, "pack", "export", "--base", "小店", str(tmp_path / "out")]) == 0
    exported = (tmp_path / "out" / "pack.yaml").read_text(encoding="utf-8")
    assert "version: 2.0.0" in exported and "name: 回访任务" in exported
    assert main([*db, "pack", "upgrade", str(SHOP_V2), "--base", "没有"]) == 2

    from tessera.db import create_engine

    engine = create_engine(backend_url)
    try:
        with engine.connect() as conn:
            assert load_installed(conn, 1).version == "2.0.0"
        assert export_base(engine, 1)["version"] == "2.0.0"
    finally:
        engine.dispose()
