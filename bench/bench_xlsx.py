"""Excel import/export benchmark (issue 6).

Generates an N-row × 12-column .xlsx like a clinic's customer list, then measures, each step
in its own subprocess so its peak memory (max RSS) is its own:

- read:      python-calamine iterating every row (the floor: "merely reading the file")
- import:    ``tessera.io.import_file`` end to end into an empty SQLite table (reader,
             mapping, parsing by the field types, RecordService bulk writes with history)
- upsert:    ``import_file`` with ``key="邮箱"`` into a table holding half of the file's rows
             (every other one, with three fields changed so every match writes history):
             50,000 rows updated set-based, 50,000 created
- export:    ``tessera.io.export_records`` of the imported rows to .xlsx (tessera's
             streaming writer) and to .csv
- openpyxl_write_only[_no_lxml]: openpyxl write-only writing the same rows, values only
             (what the export would cost with openpyxl before any formatting work)

Usage: python bench/bench_xlsx.py [--rows 100000] [--steps read,import,export_xlsx,...]
                                  [--export-rows 1000000] [--repeat N]
Results go to bench/out/bench_xlsx[_<rows>].json. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, record  # noqa: E402

HEADERS = ["姓名", "手机", "消费", "折扣", "次数", "会员", "生日", "到店", "等级", "标签",
           "邮箱", "备注"]
FIELDS = [("手机", "phone", None), ("消费", "currency", None), ("折扣", "percent", None),
          ("次数", "number", {"precision": 0}), ("会员", "checkbox", None), ("生日", "date", None),
          ("到店", "datetime", {"timezone": "Asia/Shanghai"}),
          ("等级", "single_select", {"choices": [{"label": x} for x in ("VIP", "普通", "潜在")]}),
          ("标签", "multi_select", {"choices": [{"label": x} for x in ("抖音", "美团", "转介绍")]}),
          ("邮箱", "email", None), ("备注", "long_text", None)]
ALL_STEPS = ["read", "import", "upsert", "export_xlsx", "export_csv", "openpyxl_write_only",
             "openpyxl_write_only_no_lxml"]


def make_file(path: Path, rows: int) -> None:
    from openpyxl import Workbook

    rnd = random.Random(6)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("客户")
    ws.append(HEADERS)
    base = dt.date(1970, 1, 1)
    for i in range(rows):
        ws.append([f"客户{i}", f"1{rnd.randrange(3, 9)}{i:09d}", round(rnd.random() * 5000, 2),
                   rnd.choice(["5%", "10%", 0.15]), rnd.randrange(50),
                   rnd.choice(["是", "否"]), base + dt.timedelta(days=rnd.randrange(15000)),
                   dt.datetime(2024, 1, 1, 9) + dt.timedelta(minutes=rnd.randrange(500000)),
                   rnd.choice(["VIP", "普通", "潜在"]), rnd.choice(["抖音", "美团、转介绍", ""]),
                   f"c{i}@example.com", rnd.choice(["", "老客户", "需回访"])])
    wb.save(path)


def _db(work: Path) -> str:
    return f"sqlite:///{work / 'bench.db'}"


def grow(work: Path, rows: int) -> None:
    """Benchmark setup only: copy the imported rows (SQL INSERT … SELECT) until the table
    holds ``rows`` rows, to time a 1,000,000-row export without importing that much."""
    import sqlalchemy as sa

    from tessera.db import create_engine

    engine = create_engine(_db(work))
    with engine.begin() as conn:
        columns = [c["name"] for c in sa.inspect(conn).get_columns("t_1") if c["name"] != "id"]
        names = ", ".join(columns)
        while (count := conn.execute(sa.text("SELECT count(*) FROM t_1")).scalar_one()) < rows:
            conn.execute(sa.text(f"INSERT INTO t_1 ({names}) SELECT {names} FROM t_1 "
                                 f"ORDER BY id LIMIT {rows - count}"))


def _seeded_for_upsert(work: Path) -> tuple[object, int]:
    """Benchmark setup (not timed): import the file, delete every other record and change
    three fields of the rest, so an upsert of the file updates half and creates half."""
    import sqlalchemy as sa

    from tessera import schema_ops as schema
    from tessera.db import create_engine
    from tessera.io import ImportOptions, import_file
    from tessera.migrate import upgrade
    from tessera.schema.catalog import get_table
    from tessera.schema.naming import table_name

    (work / "bench.db").unlink(missing_ok=True)
    engine = create_engine(_db(work))
    upgrade(engine)
    base = schema.create_base(engine, "Bench")
    table = schema.create_table(engine, base.id, "客户", primary_field="姓名",
                                fields=[schema.FieldSpec(*f) for f in FIELDS])
    import_file(engine, table.id, work / "in.xlsx", ImportOptions())
    with engine.begin() as conn:
        info = get_table(conn, table.id)
        spend, note, level = (info.field(n).column for n in ("消费", "备注", "等级"))
        name = table_name(table.id)
        conn.execute(sa.text(f"DELETE FROM {name} WHERE id % 2 = 0"))
        conn.execute(sa.text(f"UPDATE {name} SET {spend} = 0, {note} = 'old', {level} = NULL"))
    return engine, table.id


def step(name: str, work: Path) -> dict[str, object]:
    started = time.perf_counter()
    cpu = time.process_time()
    out: dict[str, object] = {}
    if name == "read":
        from python_calamine import CalamineWorkbook

        sheet = CalamineWorkbook.from_path(str(work / "in.xlsx")).get_sheet_by_index(0)
        out["rows"] = sum(1 for _ in sheet.iter_rows()) - 1
    elif name == "import":
        from tessera import schema_ops as schema
        from tessera.db import create_engine
        from tessera.io import ImportOptions, import_file
        from tessera.migrate import upgrade

        (work / "bench.db").unlink(missing_ok=True)
        engine = create_engine(_db(work))
        upgrade(engine)
        base = schema.create_base(engine, "Bench")
        table = schema.create_table(engine, base.id, "客户", primary_field="姓名",
                                    fields=[schema.FieldSpec(*f) for f in FIELDS])
        started, cpu = time.perf_counter(), time.process_time()
        result = import_file(engine, table.id, work / "in.xlsx",
                             ImportOptions(reader=os.environ.get("BENCH_READER", "auto")))
        out.update(created=result.created, rejected=result.rejected, reader=result.reader,
                   record_service_seconds=round(result.write_seconds, 3))
    elif name == "upsert":
        import sqlalchemy as sa

        from tessera.io import ImportOptions, import_file
        from tessera.schema.naming import table_name

        engine, table_id = _seeded_for_upsert(work)
        started, cpu = time.perf_counter(), time.process_time()
        result = import_file(engine, table_id, work / "in.xlsx",
                             ImportOptions(key="邮箱", reader=os.environ.get("BENCH_READER",
                                                                            "auto")))
        out.update(created=result.created, updated=result.updated, rejected=result.rejected,
                   record_service_seconds=round(result.write_seconds, 3))
        with engine.connect() as conn:
            out["history_rows"] = conn.execute(sa.text(
                "SELECT count(*) FROM record_history WHERE action = 'update'")).scalar_one()
            out["records"] = conn.execute(sa.text(
                f"SELECT count(*) FROM {table_name(table_id)}")).scalar_one()
    elif name.startswith("openpyxl_write_only"):
        from openpyxl import Workbook
        from openpyxl.xml import LXML
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(str(work / "in.xlsx")).get_sheet_by_index(0).to_python()
        started, cpu = time.perf_counter(), time.process_time()
        wb = Workbook(write_only=True)
        ws = wb.create_sheet("客户")
        for row in rows:
            ws.append(row)
        wb.save(work / "openpyxl.xlsx")
        out.update(rows=len(rows) - 1, lxml=LXML)
    elif name.startswith("export"):
        from tessera.db import create_engine, on_sqlite_connect
        from tessera.io import export_records

        if name.endswith("small_cache"):
            # SQLite's page cache (tessera.db sets 256 MB) counts in RSS on big scans; a
            # 2 MB cache shows what the export itself holds
            on_sqlite_connect(lambda dbapi: dbapi.execute("PRAGMA cache_size=-2000"))

        engine = create_engine(_db(work))
        target = work / ("out.csv" if name.startswith("export_csv") else "out.xlsx")
        started, cpu = time.perf_counter(), time.process_time()
        result = export_records(engine, target, table_id=1)
        out.update(rows=result.rows, bytes=target.stat().st_size)
    out["seconds"] = round(time.perf_counter() - started, 3)
    out["cpu_seconds"] = round(time.process_time() - cpu, 3)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--steps", default=",".join(ALL_STEPS))
    parser.add_argument("--work", default=str(Path(__file__).parent / "out" / "xlsx_work"))
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--reuse", action="store_true",
                        help="keep the generated file and database of the previous run")
    parser.add_argument("--repeat", type=int, default=1,
                        help="run the steps N times in turn and keep each step's fastest run "
                             "(all runs are kept in the JSON)")
    parser.add_argument("--export-rows", type=int, default=0,
                        help="after the steps, grow the table to N rows and time the exports")
    args = parser.parse_args()
    work = Path(args.work)
    if args.step:
        print(json.dumps(step(args.step, work)))
        return
    work.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {"rows": args.rows, "columns": len(HEADERS)}
    t0 = time.perf_counter()
    if not (args.reuse and (work / "in.xlsx").exists()):
        make_file(work / "in.xlsx", args.rows)
        results["make_file_seconds"] = round(time.perf_counter() - t0, 2)
    results["file_mb"] = round((work / "in.xlsx").stat().st_size / 2**20, 1)
    for _ in range(args.repeat):   # steps alternate, so load swings hit each of them alike
        for name in args.steps.split(","):
            env = dict(os.environ)
            if name.endswith("no_lxml"):
                env["OPENPYXL_LXML"] = "False"
            done = subprocess.run([sys.executable, __file__, "--work", str(work), "--step", name],
                                  capture_output=True, text=True, env=env, check=True)
            run = json.loads(done.stdout.strip().splitlines()[-1])
            run["loadavg"] = os.getloadavg()[0]
            results.setdefault(f"{name}_runs", []).append(run)  # type: ignore[union-attr]
            best = results.get(name)
            if best is None or run["seconds"] < best["seconds"]:  # type: ignore[index]
                results[name] = run
            print(name, run, flush=True)
    if args.export_rows:
        grow(work, args.export_rows)
        for name in ("export_xlsx", "export_csv", "export_xlsx_small_cache"):
            done = subprocess.run([sys.executable, __file__, "--work", str(work), "--step",
                                   name], capture_output=True, text=True, check=True)
            results[f"{name}_{args.export_rows}"] = json.loads(
                done.stdout.strip().splitlines()[-1])
            print(name, args.export_rows, results[f"{name}_{args.export_rows}"], flush=True)
    if "read" in results and "import" in results:
        results["import_to_read_ratio"] = round(
            results["import"]["seconds"] / results["read"]["seconds"], 2)  # type: ignore[index]
        results["import_to_read_cpu_ratio"] = round(
            results["import"]["cpu_seconds"] / results["read"]["cpu_seconds"], 2)  # type: ignore[index]
    results["machine"] = machine()
    suffix = "" if args.rows == 100_000 and args.steps == ",".join(ALL_STEPS) \
        else f"_{args.rows}_{args.steps.replace(',', '_')}_{args.export_rows or ''}".rstrip("_")
    print(json.dumps(results, ensure_ascii=False, indent=2))
    print("written:", record(f"bench_xlsx{suffix}", results))


if __name__ == "__main__":
    main()
