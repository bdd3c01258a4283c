"""``tessera import`` / ``tessera export`` through the real argument parser, on both backends:
names resolved width- and case-insensitively, exit codes, the printed summary."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from iofiles import read_xlsx, write_csv, write_xlsx

from tessera import schema_ops as schema
from tessera.cli import main
from tessera.query import query_records


@pytest.fixture
def db(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_import_then_export(engine, db: str, base_id: int, make_table, tmp_path: Path,
                            capsys) -> None:
    base = schema.get_base(engine, base_id)
    table = make_table("Customers", [("手机", "phone", None), ("次数", "number", None)])
    path = write_csv(tmp_path / "in.csv", [["姓名", "手机", "次数", "备注"],
                                           ["张三", "13800138000", "2", "x"],
                                           ["李四", "13900139000", "many", "y"]],
                     encoding="gb18030")
    code = main(["--db", db, "import", base.name.upper(), "ｃｕｓｔｏｍｅｒｓ", str(path),
                 "--key", "手机"])
    out = capsys.readouterr().out
    assert code == 1
    assert "created / 新建 1" in out and "rejected / 拒绝 1" in out and "'备注'" in out
    assert read_xlsx(tmp_path / "in.rejects.xlsx")[1][1] == "李四"
    assert [r["fields"]["姓名"] for r in query_records(engine, table.id).rows] == ["张三"]

    out_path = tmp_path / "out.xlsx"
    assert main(["--db", db, "export", str(base.id), "Customers", str(out_path),
                 "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["rows"] == 1
    assert read_xlsx(out_path) == [["姓名", "手机", "次数"], ["张三", "13800138000", 2]]


def test_export_a_view_by_name(engine, db: str, base_id: int, make_table, tmp_path: Path,
                               capsys) -> None:
    base = schema.get_base(engine, base_id)
    table = make_table("Customers", [("次数", "number", None)])
    path = write_xlsx(tmp_path / "in.xlsx", [["姓名", "次数"], ["甲", 1], ["乙", 5]])
    assert main(["--db", db, "import", base.name, "Customers", str(path), "--all-or-nothing"]) == 0
    schema.create_view(engine, table.id, "常客", filters={"field": "次数", "op": ">=",
                                                          "value": 2})
    out_path = tmp_path / "v.csv"
    assert main(["--db", db, "export", base.name, "常客", str(out_path)]) == 0
    assert out_path.read_text(encoding="utf-8-sig").splitlines() == ["姓名,次数", "乙,5"]


@pytest.mark.parametrize("args, message", [
    (["import", "{base}", "Nope", "{file}"], "table"),
    (["import", "{base}", "Customers", "{file}", "--link", "broken"], "FIELD=TARGETFIELD"),
    (["export", "{base}", "Nope", "out.xlsx"], "view"),
    (["export", "{base}", "Customers", "out.pdf"], ".xlsx or .csv"),
])
def test_errors_exit_2_with_a_message(engine, db: str, base_id: int, make_table,
                                      tmp_path: Path, capsys, args: list[str],
                                      message: str) -> None:
    make_table("Customers", [])
    file = write_xlsx(tmp_path / "in.xlsx", [["姓名"], ["甲"]])
    base = schema.get_base(engine, base_id).name
    argv = [a.format(base=base, file=file) for a in args]
    argv = [str(tmp_path / a) if a.startswith("out.") else a for a in argv]
    assert main(["--db", db, *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and "错误：" in err
