"""Every definition of CLINIC_CRM.md, on hand-made customers with the clock fixed at
2026-06-30 (conftest.TODAY), including each threshold boundary. Each test is a table of cases:
(what the case is, how the customer is made, the expected values)."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest

from tests.clinic_crm.conftest import Clinic, days_ago


def check(clinic: Clinic, cases: list[tuple[str, int, dict[str, Any]]]) -> None:
    """Compare each case's customer with its expected fields; report every mismatch at once."""
    wrong = []
    for label, cid, expected in cases:
        got = clinic.get(cid)
        for name, value in expected.items():
            if got[name] != value:
                wrong.append(f"{label}: {name} = {got[name]!r}, expected {value!r}")
    assert not wrong, "\n".join(wrong)


def test_visit_aggregates(clinic: Clinic) -> None:
    none = clinic.customer()
    two = clinic.customer()
    clinic.visit(two, days_ago(400), 100)
    clinic.visit(two, days_ago(10), 250.5)
    free = clinic.customer()
    clinic.visit(free, days_ago(3), 0)
    check(clinic, [
        ("no visits", none, {"首次到院": None, "最近到院": None, "到院次数": 0, "累计消费": 0,
                             "距上次到院天数": None}),
        ("two visits", two, {"首次到院": days_ago(400), "最近到院": days_ago(10), "到院次数": 2,
                             "累计消费": 350.5, "距上次到院天数": 10}),
        ("a visit without payment counts", free, {"到院次数": 1, "累计消费": 0, "距上次到院天数": 3}),
    ])


VALUE_CASES = [(None, "C"), (0, "C"), (9999.99, "C"), (10000, "B"), (29999.99, "B"),
               (30000, "A"), (49999.99, "A"), (50000, "S"), (120000, "S")]


def test_value_class_boundaries(clinic: Clinic) -> None:
    cases = []
    for spend, expected in VALUE_CASES:
        cid = clinic.customer()
        if spend is not None:
            clinic.visit(cid, days_ago(5), spend)
        cases.append((f"spend {spend}", cid, {"价值分级": expected,
                                              "跟进归属": "电话邀约组" if expected == "C" else "专属咨询师"}))
    check(clinic, cases)


def test_value_class_sums_visits(clinic: Clinic) -> None:
    cid = clinic.customer()
    for amount in (20000, 20000, 9999.99):
        clinic.visit(cid, days_ago(30), amount)
    assert clinic.get(cid)["价值分级"] == "A"
    clinic.visit(cid, days_ago(1), 0.01)
    assert clinic.get(cid)["价值分级"] == "S"


def _with_visits(clinic: Clinic, ages: list[int], **values: Any) -> int:
    cid = clinic.customer(**values)
    for age in ages:
        clinic.visit(cid, days_ago(age), 100)
    return cid


def test_lifecycle_boundaries(clinic: Clinic) -> None:
    referrer = _with_visits(clinic, [120])
    clinic.customer(介绍人=[referrer])
    cases = [
        ("no visits", clinic.customer(), "潜客"),
        ("last visit 365 days ago", _with_visits(clinic, [500, 365]), "流失"),
        ("last visit 364 days ago", _with_visits(clinic, [500, 364]), "半流失"),
        ("last visit 180 days ago", _with_visits(clinic, [180]), "半流失"),
        ("last visit 179 days ago", _with_visits(clinic, [179]), "活跃"),
        ("4 visits in 12 months", _with_visits(clinic, [40, 30, 20, 10]), "忠诚"),
        ("3 visits in 12 months, first 40 days ago", _with_visits(clinic, [40, 20, 10]), "新客"),
        ("4th visit on EDATE(today,-12)", _with_visits(clinic, [365, 30, 20, 10]), "忠诚"),
        ("4th visit one day earlier", _with_visits(clinic, [366, 30, 20, 10]), "活跃"),
        ("first visit 90 days ago", _with_visits(clinic, [90]), "新客"),
        ("first visit 91 days ago", _with_visits(clinic, [91]), "活跃"),
        ("referred someone", referrer, "忠诚"),
        ("lapsed beats loyal", _with_visits(clinic, [200, 199, 198, 197]), "半流失"),
    ]
    check(clinic, [(label, cid, {"生命周期": stage}) for label, cid, stage in cases])


def test_twelve_month_window(clinic: Clinic) -> None:
    cid = clinic.customer()
    for date, amount in (("2025-06-29", 1), ("2025-06-30", 10), ("2026-06-30", 100),
                         ("2026-07-01", 1000)):
        clinic.visit(cid, date, amount)
    old = _with_visits(clinic, [400])
    check(clinic, [
        ("EDATE(today,-12) ≤ 日期 ≤ today", cid, {"近12月到院次数": 2, "近12月消费": 110}),
        ("visits but none in 12 months", old, {"近12月到院次数": 0, "近12月消费": 0}),
        ("no visits at all", clinic.customer(), {"近12月到院次数": None, "近12月消费": None}),
    ])


def test_lead_class(clinic: Clinic) -> None:
    def lead(**values: Any) -> int:
        values.setdefault("主诉需求", "种植")
        return clinic.customer(**values)

    referrer = clinic.customer()
    campaign = clinic.add("campaigns", 名称="种植专家日", 类型="专家活动", 日期=days_ago(5))
    bought, recent, edge, late = lead(), lead(), lead(), lead()
    clinic.add("participation", 客户=[bought], 活动=[campaign], 日期=days_ago(300), 是否购买活动商品=True)
    clinic.add("participation", 客户=[recent], 活动=[campaign], 日期=days_ago(5))
    clinic.add("participation", 客户=[edge], 活动=[campaign], 日期="2026-04-30")
    clinic.add("participation", 客户=[late], 活动=[campaign], 日期="2026-04-29")
    cases = [
        ("no mobile, no WeChat", lead(手机=None), None),
        ("WeChat only, no complaint", clinic.customer(手机=None, 微信="wx1"), "M-E"),
        ("contact, no complaint", clinic.customer(), "M-E"),
        ("complaint and referrer", lead(介绍人=[referrer]), "M-A"),
        ("complaint and source 转介绍", lead(来源渠道="转介绍"), "M-A"),
        ("bought a campaign product", bought, "M-B"),
        ("campaign 5 days ago", recent, "M-C"),
        ("campaign on EDATE(today,-2)", edge, "M-C"),
        ("campaign one day before", late, "M-D"),
        ("complaint only", lead(), "M-D"),
        ("lapsed 180 days", _with_visits(clinic, [180]), "M-D"),
        ("visited 179 days ago", _with_visits(clinic, [179]), None),
        ("lapsed beats referral", _with_visits(clinic, [200], 主诉需求="种植", 来源渠道="转介绍"), "M-D"),
        ("lapsed without contact", _with_visits(clinic, [300], 手机=None), None),
    ]
    check(clinic, [(label, cid, {"潜客分级": klass}) for label, cid, klass in cases])


def _percentrank_score(values: list[float], value: float, *, lower_is_better: bool) -> int:
    """PERCENTRANK.INC (3 significant decimals, truncated) → quintile score, exactly."""
    less = sum(1 for v in values if v < value)
    p = Fraction(int(Fraction(less, len(values) - 1) * 1000), 1000)
    bucket = min(4, int(5 * p))
    return 5 - bucket if lower_is_better else 1 + bucket


SEGMENTS = {(True, True, True): "重要价值客户", (True, False, True): "重要发展客户",
            (False, True, True): "重要保持客户", (False, False, True): "重要挽留客户",
            (True, True, False): "一般价值客户", (True, False, False): "一般发展客户",
            (False, True, False): "一般保持客户", (False, False, False): "一般挽留客户"}


def test_rfm_quintiles_and_segments(clinic: Clinic) -> None:
    made: list[tuple[int, float, float, float]] = []   # id, R days, F, M
    for i in range(11):
        cid = clinic.customer()
        last = 1 + 10 * i
        amount = 1000 * ((7 * i) % 11 + 1)
        for k in range(i % 6 + 1):
            clinic.visit(cid, days_ago(last + 2 * k), amount)
        made.append((cid, last, i % 6 + 1, amount * (i % 6 + 1)))
    old = _with_visits(clinic, [500])
    made.append((old, 500, 0, 0))
    never = clinic.customer()
    rs, fs, ms = ([m[j] for m in made] for j in (1, 2, 3))
    cases = []
    for cid, r, f, m in made:
        scores = (_percentrank_score(rs, r, lower_is_better=True),
                  _percentrank_score(fs, f, lower_is_better=False),
                  _percentrank_score(ms, m, lower_is_better=False))
        segment = SEGMENTS[(scores[0] >= 3, scores[1] >= 3, scores[2] >= 3)]
        cases.append((f"R={r} F={f} M={m}", cid, {"R分": scores[0], "F分": scores[1],
                                                  "M分": scores[2], "RFM分群": segment}))
    cases.append(("no visits", never, {"R分": None, "F分": None, "M分": None, "RFM分群": None}))
    check(clinic, cases)
    # the quintile edges are hit: every score 1..5 occurs in each column
    assert {c[2]["R分"] for c in cases[:-1]} == {1, 2, 3, 4, 5}
    assert {c[2]["M分"] for c in cases[:-1]} == {1, 2, 3, 4, 5}


@pytest.mark.parametrize("r,f,m", [(a, b, c) for a in (2, 3) for b in (2, 3) for c in (2, 3)])
def test_rfm_segment_formula(r: int, f: int, m: int) -> None:
    """The segment formula of the pack, evaluated by the interpreter at the ≥ 3 edges."""
    from tessera.formula import evaluate
    from tests.clinic_crm.test_pack import pack_formula
    got = evaluate(pack_formula("customers", "RFM分群"),
                   {"到院次数": 1, "R分": r, "F分": f, "M分": m})
    assert got == SEGMENTS[(r >= 3, f >= 3, m >= 3)]


TIER_CASES = [(4999.99, 4999, "普通"), (5000, 5000, "白银"), (19999.5, 19999, "白银"),
              (20000, 20000, "黄金"), (49999.99, 49999, "黄金"), (50000, 50000, "白金"),
              (99999.99, 99999, "白金"), (100000, 100000, "钻石")]


def test_points_and_tiers(clinic: Clinic) -> None:
    cases = []
    for amount, points, tier in TIER_CASES:
        cid = clinic.customer()
        clinic.visit(cid, days_ago(3), amount)
        cases.append((f"spend {amount}", cid, {"累计积分": points, "积分": points, "会员等级": tier}))
    per_visit = clinic.customer()
    clinic.visit(per_visit, days_ago(2), 0.6, 支付方式="储值")
    clinic.visit(per_visit, days_ago(1), 0.6, 支付方式="积分")
    cases.append(("INT per visit, any payment", per_visit, {"积分": 0, "会员等级": "普通"}))
    redeemed = clinic.customer()
    clinic.visit(redeemed, days_ago(3), 5000)
    clinic.add("points_ledger", 摘要="兑换", 客户=[redeemed], 日期=days_ago(1), 变动=-800, 原因="兑换")
    clinic.add("points_ledger", 摘要="赠送", 客户=[redeemed], 日期=days_ago(1), 变动=300, 原因="赠送")
    cases.append(("tier from earned points, not the balance", redeemed,
                  {"累计积分": 5000, "积分": 4500, "会员等级": "白银"}))
    cases.append(("nothing", clinic.customer(), {"积分": 0, "会员等级": "普通"}))
    check(clinic, cases)


def test_stored_value(clinic: Clinic) -> None:
    cid = clinic.customer()
    for change, reason in ((20000, "充值"), (2000, "赠送"), (-3000, "消费"), (-500, "退款")):
        clinic.add("stored_value_ledger", 摘要=reason, 客户=[cid], 日期=days_ago(5), 变动=change, 原因=reason)
    check(clinic, [("top-up with bonus, spending, refund", cid, {"储值余额": 18500}),
                   ("no ledger", clinic.customer(), {"储值余额": 0})])


def test_recall_date_suggestion_and_next_month(clinic: Clinic) -> None:
    nose = clinic.service("隆鼻", 120)
    eyes = clinic.service("双眼皮", 120, 后续项目=[nose])
    clean = clinic.service("洗牙", 180)
    clinic.update("services", clean, 后续项目=[clean])
    consult = clinic.service("咨询")
    a = clinic.customer()
    clinic.visit(a, "2026-01-02", 300, 项目=[clean])     # recall 2026-07-01
    clinic.visit(a, "2026-03-01", 0, 项目=[consult])     # no interval
    b = clinic.customer()
    clinic.visit(b, "2025-12-01", 300, 项目=[clean])     # 2026-05-30
    clinic.visit(b, "2026-04-01", 8800, 项目=[eyes])     # 2026-07-30 (the latest)
    c = clinic.customer()
    clinic.visit(c, "2026-04-03", 8800, 项目=[eyes])     # 2026-08-01
    d = clinic.customer()
    clinic.visit(d, "2026-05-01", 0, 项目=[consult])
    e = clinic.customer()
    clinic.visit(e, "2026-03-02", 8800, 项目=[eyes])     # 2026-06-30: this month
    check(clinic, [
        ("洗牙 + 180 days", a, {"下次召回日期": "2026-07-01", "下月预计到院": True, "关联项目建议": None}),
        ("the latest recall of all visits", b, {"下次召回日期": "2026-07-30", "下月预计到院": True,
                                               "关联项目建议": "隆鼻"}),
        ("recall on the 1st of the month after next", c, {"下次召回日期": "2026-08-01",
                                                          "下月预计到院": False}),
        ("no service with an interval", d, {"下次召回日期": None, "下月预计到院": False}),
        ("recall today is not next month", e, {"下次召回日期": "2026-06-30", "下月预计到院": False}),
        ("no visits", clinic.customer(), {"下次召回日期": None, "关联项目建议": None}),
    ])
    clinic.visit(a, "2026-06-01", 300, 项目=[clean])
    assert clinic.get(a)["关联项目建议"] == "洗牙"


def test_invitation_plan(clinic: Clinic) -> None:
    new = clinic.service("冷光美白", None, 是否新品=True)
    old = clinic.service("补牙")

    def visits(rows: list[dict[str, Any]]) -> int:
        cid = clinic.customer()
        for row in rows:
            clinic.visit(cid, days_ago(10), 100, **row)
        return cid

    special, plain = {"是否特价": True, "项目": [old]}, {"项目": [old]}
    cases = [
        ("no visits", clinic.customer(), "免费体验"),
        ("2 of 3 special", visits([special, special, plain]), "活动特价"),
        ("half special is not mostly", visits([special, plain]), "免费体验"),
        ("2 of 3 external experts", visits([{"医生/专家": "外聘"}] * 2 + [plain]), "专家活动"),
        ("bought a new product", visits([{"项目": [new]}, plain, plain]), "新品发布"),
        ("special beats expert", visits([{"是否特价": True, "医生/专家": "外聘"}] * 2), "活动特价"),
        ("otherwise", visits([plain, plain]), "免费体验"),
    ]
    check(clinic, [(label, cid, {"邀约方案": plan}) for label, cid, plan in cases])


def test_sales_funnel_and_lists(clinic: Clinic) -> None:
    cases = [
        ("质疑 + 笼统", clinic.customer(客户态度="质疑", 需求认知="笼统"), {"销售阶段": "潜在"}),
        ("接纳 + 笼统", clinic.customer(客户态度="接纳", 需求认知="笼统"), {"销售阶段": "观望"}),
        ("质疑 + 具体", clinic.customer(客户态度="质疑", 需求认知="具体"), {"销售阶段": "意向"}),
        ("接纳 + 具体", clinic.customer(客户态度="接纳", 需求认知="具体"), {"销售阶段": "商机"}),
        ("unknown attitude", clinic.customer(需求认知="具体"), {"销售阶段": None}),
        ("纠纷 leaves the lists", clinic.customer(满意度="纠纷"), {"可邀约": False}),
        ("一般 stays", clinic.customer(满意度="一般"), {"可邀约": True}),
        ("no contact", clinic.customer(手机=None), {"可邀约": False}),
    ]
    check(clinic, cases)
