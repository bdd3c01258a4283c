"""The pack's views on hand-made customers (what each list shows), and the quarterly review
exported to xlsx with the columns of seed 003."""

from __future__ import annotations

from itertools import zip_longest

import openpyxl

from tessera.auth.principal import SYSTEM, Principal
from tessera.io.exporter import export_records
from tessera.packs.roles import assign_role
from tessera.query import query_view
from tests.clinic_crm.conftest import Clinic, days_ago
from tests.clinic_crm.test_pack import pack_data


def _names(clinic: Clinic, view_key: str) -> list[str]:
    page = query_view(clinic.engine, clinic.result.ids.views[view_key], limit=500)
    return [r["fields"]["姓名"] for r in page.rows]


def _customer(clinic: Clinic, name: str, ages: list[int], amount: float = 100, **values: object) -> int:
    cid = clinic.customer(姓名=name, **values)
    for age in ages:
        clinic.visit(cid, days_ago(age), amount)
    return cid


def test_lists(clinic: Clinic) -> None:
    _customer(clinic, "潜客甲", [], 主诉需求="种植")
    _customer(clinic, "纠纷潜客", [], 主诉需求="种植", 满意度="纠纷")
    _customer(clinic, "半流失大客", [200], 60000)
    _customer(clinic, "半流失小客", [250], 100)
    _customer(clinic, "纠纷半流失", [200], 100, 满意度="纠纷")
    _customer(clinic, "流失", [400])
    _customer(clinic, "活跃", [30])
    cases = [
        ("lead_pool", ["半流失大客", "潜客甲", "半流失小客", "流失"]),
        ("churn_warning", ["半流失大客", "半流失小客"]),
        ("rfm_board", ["半流失大客", "半流失小客", "纠纷半流失", "流失", "活跃"]),
    ]
    for key, expected in cases:
        got = _names(clinic, key)
        assert sorted(got) == sorted(expected), key
    assert _names(clinic, "churn_warning") == ["半流失大客", "半流失小客"]   # by total spend


def test_my_followups_today(clinic: Clinic) -> None:
    """Per signed-in user: the view's filter compares 负责人 with the acting user (@me)."""
    cid = clinic.customer()
    for title, due, state, owner in (
            ("逾期", days_ago(3), "待办", "邀约专员1"), ("今天", days_ago(0), "已联系", "邀约专员1"),
            ("明天", days_ago(-1), "待办", "邀约专员1"), ("已完成", days_ago(1), "已到院", "邀约专员1"),
            ("别人的", days_ago(0), "待办", "邀约专员2"), ("没人的", days_ago(0), "待办", None)):
        clinic.add("tasks", 标题=title, 客户=[cid], 类型="邀约", 状态=state, 到期日=due, 负责人=owner)
    view = clinic.result.ids.views["my_followups_today"]

    def titles(username: str | None) -> list[str]:
        who = SYSTEM if username is None else Principal(clinic.staff[username], username)
        if username is not None:     # an admin of the base: no row rule, only the view's filter
            assign_role(clinic.engine, clinic.result.base_id, "clinic_admin", username)
        return [r["fields"]["标题"] for r in query_view(clinic.engine, view, limit=50,
                                                       principal=who).rows]

    assert titles("邀约专员1") == ["逾期", "今天"]
    assert titles("邀约专员2") == ["别人的"]
    assert titles(None) == ["没人的"]       # nobody signed in: the tasks nobody owns


def test_quarterly_review_xlsx(clinic: Clinic, tmp_path) -> None:
    _customer(clinic, "王芳", [100, 20], 1200, 主诉需求="种植", 老带新意向=True)
    out = tmp_path / "review.xlsx"
    view = next(v for v in pack_data()["views"] if v["key"] == "customer_review")
    export_records(clinic.engine, out, view_id=clinic.result.ids.views["customer_review"],
                   visible_fields=view["fields"])
    sheet = openpyxl.load_workbook(out, read_only=True).active
    header, row = list(sheet.iter_rows(min_row=1, max_row=2, values_only=True))
    assert sorted(header) == sorted(view["fields"])
    got = dict(zip_longest(header, row))
    assert (got["姓名"], got["到院次数"], got["累计消费"], got["价值分级"], got["主诉需求"]) == \
        ("王芳", 2, 2400, "C", "种植")
