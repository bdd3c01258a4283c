"""The Python interpreter alone: CPU time per record for three formulas against a hand-written
Python function doing the same work on the same records (the floor), in the same process.

    nice -n 19 python bench/bench_interpreter.py --records 200000

Formulas: the 10-node ``IF(AND(...))`` of bench_formula.py (issue 3's target, ≤ 1 µs/record),
the 12-function 客户标签 of the clinic pack (text functions, ROUND, MAX), and a date one
(ISBLANK, TODAY, DAYS, YEAR, DATE, date comparison). Times are ``time.process_time`` (CPU, not
wall: the machine is shared), best of ``--runs``; the load average is recorded with them.
``--closures`` measures the closure compiler alone (no generated source), for comparison.
Results go to bench/out/bench_interpreter.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import record  # noqa: E402

from tessera.formula.checker import check  # noqa: E402
from tessera.formula.excel import numbers as xnumbers  # noqa: E402
from tessera.formula.interpreter import Env, compile_python  # noqa: E402
from tessera.formula.parser import parse  # noqa: E402
from tessera.formula.schema import FieldInfo, TableSchema  # noqa: E402
from tessera.formula.types import DATE, NUMBER, TEXT  # noqa: E402

TODAY = dt.date(2025, 6, 30)
SCHEMA = TableSchema("t", "id", {
    "累计消费": FieldInfo("累计消费", NUMBER, "a"), "天数": FieldInfo("天数", NUMBER, "b"),
    "到院次数": FieldInfo("到院次数", NUMBER, "c"), "姓名": FieldInfo("姓名", TEXT, "d"),
    "最近到院": FieldInfo("最近到院", DATE, "e"),
})


def _tier(v: dict[str, Any], today: dt.date) -> str:
    return "A" if (v["累计消费"] >= 30000 and v["天数"] < 180) else "B"


def _label(v: dict[str, Any], today: dt.date) -> str:
    total, visits, name, last = v["累计消费"], v["到院次数"], v["姓名"], v["最近到院"]
    if visits > 0 and total >= 10000:
        return name[:4].upper() + "-" + xnumbers.general_text(xnumbers.round_half_away(total / max(1.0, visits)))
    if last is None or visits == 0:
        return "NEW"
    return name[-3:].lower() + str(last.year)


def _recency(v: dict[str, Any], today: dt.date) -> str:
    last = v["最近到院"]
    if last is None:
        return "NEW"
    if (today - last).days > 365:
        return "流失"
    return "今年" if last >= dt.date(today.year, 1, 1) else "去年"


# name, formula, hand-written equivalent
FORMULAS: list[tuple[str, str, Callable[[dict[str, Any], dt.date], Any]]] = [
    ("tier (10 nodes)", 'IF(AND({累计消费}>=30000,{天数}<180),"A","B")', _tier),
    ("客户标签 (12 functions)",
     'IF(AND({到院次数}>0,{累计消费}>=10000),UPPER(LEFT({姓名},4))&"-"&ROUND({累计消费}/MAX(1,{到院次数}),0),'
     'IF(OR(ISBLANK({最近到院}),{到院次数}=0),"NEW",LOWER(RIGHT({姓名},3))&YEAR({最近到院})))', _label),
    ("recency (dates)",
     'IF(ISBLANK({最近到院}),"NEW",IF(DAYS(TODAY(),{最近到院})>365,"流失",'
     'IF({最近到院}>=DATE(YEAR(TODAY()),1,1),"今年","去年")))', _recency),
]


def records(n: int, seed: int = 3) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        visits = float(rng.choice((0, 0, 1, 2, 3, 5, 8, 13)))
        last = None if visits == 0 else TODAY - dt.timedelta(days=rng.randrange(0, 900))
        out.append({"累计消费": round(rng.uniform(0, 60000), 2) if visits else 0.0,
                    "天数": float(rng.randrange(0, 720)), "到院次数": visits,
                    "姓名": f"Cust {rng.getrandbits(32):08x}", "最近到院": last})
    return out


def _cpu(fn: Callable[[], Any], runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def measure(n: int, runs: int, closures: bool) -> dict[str, Any]:
    rows = records(n)
    envs = [Env(r, today=TODAY, now=dt.datetime(2025, 6, 30)) for r in rows]
    out: dict[str, Any] = {"records": n, "runs": runs, "load_average": os.getloadavg(),
                           "closures_only": closures}
    for name, text, by_hand in FORMULAS:
        typed = check(parse(text), SCHEMA)
        if closures:
            from tessera.formula.interpreter import compile_closures

            fn = compile_closures(typed)
        else:
            fn = compile_python(typed)

        def run_interp(fn: Callable[[Env], Any] = fn) -> list[Any]:
            return [fn(e) for e in envs]

        def run_hand(by_hand: Callable[..., Any] = by_hand) -> list[Any]:
            return [by_hand(r, TODAY) for r in rows]

        assert run_interp() == run_hand(), name
        ti, th = _cpu(run_interp, runs), _cpu(run_hand, runs)
        out[name] = {"formula": text, "interpreter_ns": ti / n * 1e9, "python_ns": th / n * 1e9,
                     "ratio": ti / th}
        print(f"{name:28} interpreter {ti / n * 1e9:8.0f} ns/record   hand-written {th / n * 1e9:6.0f} ns/record"
              f"   {ti / th:5.1f}×", flush=True)
    out["load_average_after"] = os.getloadavg()
    print(f"load average before {out['load_average']}, after {out['load_average_after']}")
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--records", type=int, default=200_000)
    p.add_argument("--runs", type=int, default=3, help="timed passes per formula (the best counts)")
    p.add_argument("--closures", action="store_true", help="the closure compiler alone (no generated source)")
    p.add_argument("--out", default="bench_interpreter")
    args = p.parse_args(argv)
    results = measure(args.records, args.runs, args.closures)
    print("saved", record(args.out, results))
    return results


if __name__ == "__main__":
    main()
