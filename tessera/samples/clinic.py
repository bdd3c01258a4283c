"""The clinic sample: a realistic clinic of one specialty (dental / aesthetics / TCM) for the
clinic CRM pack, deterministic by seed, 100 to 1,000,000 customers.

What it makes (``count`` customers; ``today`` is the engine clock):
- the 项目 catalog of the specialty, with 间隔天数 and 后续项目; the 会员等级 tiers;
- customers with Chinese names, mobile numbers, WeChat ids, sources (a fifth by referral,
  linked to an earlier customer), complaints, satisfaction (a few 纠纷), and a consultant:
  the consultant users (catalog.CONSULTANTS, created without a password when missing, see
  tessera.samples.staff) take the customers round-robin;
- about 70% of customers visit: visits over the last three years with monthly seasonality,
  each customer returning to the follow-up of the previous service about its interval later;
  special prices, external experts;
- campaigns every month and participation (some bought the campaign product);
- ledgers: redemptions and bonuses of points, stored-value top-ups with bonus and spending;
- invitation tasks of the phone group (catalog.CALLERS, users too) with their outcomes (for
  the conversion dashboard).

Rows are written with :mod:`tessera.samples.bulkload` and formulas are recomputed once at the
end. Options: ``specialty`` (a name or a list: the first is used), ``visits_per_customer``
(average over all customers, default 3.5), ``years`` (default 3), ``chunk`` (rows held in
memory before a write, default 50 000; it does not change the data).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from tessera import clock
from tessera import schema_ops as schema
from tessera.errors import SchemaError
from tessera.samples import base_id_of, register
from tessera.samples import bulkload as bl
from tessera.samples import catalog as cat
from tessera.samples.staff import ensure_users
from tessera.schema.catalog import Bind, TableInfo, transaction

__all__ = ["generate", "ClinicOptions"]

log = logging.getLogger(__name__)

TABLES = ("项目", "会员等级", "活动", "客户", "到院消费", "活动参与", "回访任务", "积分流水", "储值流水")


@dataclass(frozen=True)
class ClinicOptions:
    specialty: str = "dental"
    visits_per_customer: float = 3.5
    years: int = 3

    @classmethod
    def parse(cls, options: Mapping[str, Any]) -> ClinicOptions:
        spec = options.get("specialty") or "dental"
        if isinstance(spec, (list, tuple)):
            spec = spec[0] if spec else "dental"
        if spec not in cat.SPECIALTIES:
            raise SchemaError(
                f"Unknown specialty {spec!r}; use one of {', '.join(cat.SPECIALTIES)}.",
                f"未知专科 {spec!r}，可选：dental（口腔）、aesthetics（医美）、tcm（中医）。",
                code="sample_specialty")
        return cls(str(spec), float(options.get("visits_per_customer", 3.5)),
                   int(options.get("years", 3)))


class _Writer:
    """Rows and junction pairs being generated, written in chunks so memory stays bounded
    (a million customers, five million visits). Ids are handed out in generation order from
    each table's first free id; links are written after every pending row, so the rows they
    point at exist."""

    def __init__(self, conn: Connection, tables: Mapping[str, TableInfo],
                 first: Mapping[str, int], chunk: int = 50_000) -> None:
        self.conn, self.tables, self.first, self.chunk = conn, tables, first, chunk
        self.rows: dict[str, list[tuple[Any, ...]]] = {}
        self.written: dict[str, int] = dict.fromkeys(first, 0)
        self.links: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.pending = 0

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows.setdefault(table, []).append(row)
        self._count()

    def link(self, table: str, link: str, pair: tuple[int, int]) -> None:
        self.links.setdefault((table, link), []).append(pair)
        self._count()

    def _count(self) -> None:
        self.pending += 1
        if self.pending >= self.chunk:
            self.flush()

    def flush(self) -> None:
        for name in TABLES:
            rows = self.rows.pop(name, [])
            if rows:
                bl.insert_rows(self.conn, self.tables[name], COLUMNS[name], rows,
                               self.first[name] + self.written[name])
                self.written[name] += len(rows)
        for (name, link), pairs in self.links.items():
            bl.insert_links(self.conn, self.tables[name], link, pairs)
        self.links = {}
        self.pending = 0


COLUMNS: dict[str, tuple[str, ...]] = {
    "项目": ("名称", "类别", "价格", "间隔天数", "是否新品"),
    "会员等级": ("名称", "积分门槛", "折扣"),
    "活动": ("名称", "类型", "日期"),
    "客户": ("姓名", "手机", "微信", "性别", "出生日期", "来源渠道", "主诉需求", "负责咨询师",
           "满意度", "老带新意向", "客户态度", "需求认知"),
    "到院消费": ("单号", "日期", "金额", "支付方式", "医生/专家", "是否特价"),
    "活动参与": ("摘要", "日期", "参与方式", "是否购买活动商品"),
    "回访任务": ("标题", "类型", "负责人", "到期日", "状态", "邀约方案"),
    "积分流水": ("摘要", "日期", "变动", "原因"),
    "储值流水": ("摘要", "日期", "变动", "原因"),
}

CAMPAIGN_KINDS = ("专家活动", "新品发布", "活动特价", "免费体验")
SOURCES = (("网络活动", 30), ("线下活动", 15), ("转介绍", 20), ("自然到院", 30), ("其他", 5))


def _tables(conn: Connection, base_id: int) -> dict[str, TableInfo]:
    found = {t.name: t for t in schema.list_tables(conn, base_id)}
    missing = [n for n in TABLES if n not in found]
    if missing:
        raise SchemaError(f"The base lacks the clinic tables {missing}; install apps/clinic_crm first.",
                          f"该数据库缺少诊所表 {missing}，请先安装 apps/clinic_crm。",
                          code="sample_tables")
    return found


class _Clinic:
    """One generation run: a seeded random source and the ids handed out so far."""

    def __init__(self, seed: int, opts: ClinicOptions, today: dt.date, plan: _Writer,
                 staff: dict[str, int]):
        self.rnd = random.Random(seed)
        self.consultants = [staff[n] for n in cat.CONSULTANTS]
        self.callers = [staff[n] for n in cat.CALLERS]
        self.opts = opts
        self.today = today
        self.first = plan.first
        self.plan = plan
        self.campaigns: list[tuple[str, str, dt.date]] = []
        self.start = today - dt.timedelta(days=365 * opts.years)
        self.day_weights = [cat.MONTH_WEIGHTS[(self.start + dt.timedelta(days=d)).month - 1]
                            for d in range((today - self.start).days + 1)]
        self.services = cat.SERVICES[opts.specialty]
        self.service_ids = {s.name: self.first["项目"] + i for i, s in enumerate(self.services)}

    # -- helpers -----------------------------------------------------------------------------
    def name(self) -> str:
        r = self.rnd
        surname = cat.SURNAMES[min(int(r.expovariate(1 / 18)), len(cat.SURNAMES) - 1)]
        given = r.choice(cat.GIVEN) + (r.choice(cat.GIVEN) if r.random() < 0.7 else "")
        return surname + given

    def mobile(self, index: int) -> str:
        prefix = self.rnd.choice(("138", "139", "136", "137", "150", "151", "152", "158", "159",
                                  "186", "187", "188", "135", "177", "199"))
        return f"{prefix}{(index * 7919 + self.rnd.randrange(10_000)) % 100_000_000:08d}"

    def weighted(self, pairs: tuple[tuple[str, int], ...]) -> str:
        return self.rnd.choices([p[0] for p in pairs], [p[1] for p in pairs])[0]

    def day(self, low: dt.date, high: dt.date) -> dt.date:
        """A day in [low, high] following the monthly seasonality."""
        a, b = (low - self.start).days, (high - self.start).days
        if b <= a:
            return low
        offset = self.rnd.choices(range(a, b + 1), self.day_weights[a:b + 1])[0]
        return self.start + dt.timedelta(days=offset)

    # -- tables ------------------------------------------------------------------------------
    def catalog(self) -> None:
        for s in self.services:
            self.plan.add("项目", (s.name, s.category, s.price, s.interval_days, s.is_new))
        for s in self.services:
            if s.follow_up:
                self.plan.link("项目", "后续项目", (self.service_ids[s.name], self.service_ids[s.follow_up]))
        for name, threshold, discount in cat.TIERS:
            self.plan.add("会员等级", (name, threshold, discount))
        topics = cat.CAMPAIGN_TOPICS[self.opts.specialty]
        months = self.opts.years * 12 + 2
        for i in range(months):
            when = self.start + dt.timedelta(days=30 * i + self.rnd.randrange(28))
            kind = CAMPAIGN_KINDS[i % len(CAMPAIGN_KINDS)]
            self.campaigns.append((f"{when:%Y年%m月}{topics[i % len(topics)]}", kind, when))
            self.plan.add("活动", self.campaigns[-1])

    def customers(self, count: int) -> None:
        r = self.rnd
        complaints = cat.COMPLAINTS[self.opts.specialty]
        c0 = self.first["客户"]
        for i in range(count):
            cid = c0 + i
            has_mobile = r.random() < 0.92
            source = self.weighted(SOURCES)
            referrer = c0 + r.randrange(i) if source == "转介绍" and i > 10 else None
            tags = "、".join(sorted(r.sample(complaints, r.choice((1, 1, 1, 2)))
                                   )) if r.random() < 0.75 else None
            lead = r.random() < 0.3
            self.plan.add("客户", (
                self.name(), self.mobile(i) if has_mobile else None,
                f"wx_{cid:07d}" if r.random() < 0.45 else None,
                "女" if r.random() < (0.8 if self.opts.specialty == "aesthetics" else 0.55) else "男",
                dt.date(self.today.year - r.randint(6 if self.opts.specialty == "dental" else 18, 75),
                        r.randint(1, 12), r.randint(1, 28)),
                source, tags, self.consultants[i % len(self.consultants)],
                self.weighted((("满意", 85), ("一般", 13), ("纠纷", 2))), r.random() < 0.25,
                r.choice(("质疑", "接纳")) if lead else None, r.choice(("笼统", "具体")) if lead else None))
            if referrer is not None:        # after the row: a flush writes rows before links
                self.plan.link("客户", "介绍人", (cid, referrer))
        self.visits(count)

    def visits(self, count: int) -> None:
        """Visit histories: each visitor starts at a seasonal day and returns to the follow-up
        of the previous service about its interval later, with drop-outs."""
        r = self.rnd
        if count == 0:
            return
        visitors = max(1, int(count * 0.7))
        per_visitor = max(1.0, self.opts.visits_per_customer * count / visitors)
        total_wanted = int(self.opts.visits_per_customer * count)
        weights = [s.weight for s in self.services]
        by_name = {s.name: s for s in self.services}
        c0, v0 = self.first["客户"], self.first["到院消费"]
        vid = v0
        made = 0
        chosen = r.sample(range(count), visitors)
        tries = 0
        while made < total_wanted and tries < 50 * visitors:
            tries += 1
            cid = c0 + chosen[r.randrange(visitors)]
            k = max(1, min(int(r.expovariate(1 / per_visitor)) + 1, 60))
            when = self.day(self.start, self.today)
            service = r.choices(self.services, weights)[0]
            for _ in range(k):
                if when > self.today or made >= total_wanted:
                    break
                special = r.random() < 0.15
                price = service.price * (0.7 if special else r.uniform(0.85, 1.15))
                amount = round(price / 10) * 10 if price else 0
                self.plan.add("到院消费", (
                    f"V{vid:08d}", when, amount,
                    self.weighted((("现金", 70), ("储值", 20), ("积分", 3), ("商保直付", 7))),
                    "外聘" if r.random() < 0.1 else "本院", special))
                self.plan.link("到院消费", "客户", (vid, cid))
                self.plan.link("到院消费", "项目", (vid, self.service_ids[service.name]))
                vid += 1
                made += 1
                nxt = by_name.get(service.follow_up or "") if r.random() < 0.7 else None
                service = nxt or r.choices(self.services, weights)[0]
                gap = service.interval_days or 90
                when = when + dt.timedelta(days=max(1, int(r.gauss(gap, gap * 0.25))))

    def engagement(self, count: int) -> None:
        """Campaign participation, ledgers and invitation tasks."""
        r = self.rnd
        c0 = self.first["客户"]
        campaigns = self.campaigns
        a0, p0 = self.first["活动"], self.first["活动参与"]
        for i in range(int(count * 0.25)):
            cid = c0 + r.randrange(count)
            k = r.randrange(len(campaigns))
            when = campaigns[k][2]
            self.plan.add("活动参与", (f"{campaigns[k][0]} 参与", when, r.choice(("线上", "线下")),
                                    r.random() < 0.3))
            self.plan.link("活动参与", "客户", (p0 + i, cid))
            self.plan.link("活动参与", "活动", (p0 + i, a0 + k))
        l0, s0, t0 = self.first["积分流水"], self.first["储值流水"], self.first["回访任务"]
        for i in range(int(count * 0.05)):
            cid = c0 + r.randrange(count)
            reason, change = r.choice((("兑换", -r.choice((500, 1000, 2000))), ("赠送", 200), ("调整", 100)))
            self.plan.add("积分流水", (f"积分{reason}", self.day(self.start, self.today), change, reason))
            self.plan.link("积分流水", "客户", (l0 + i, cid))
        sid = s0
        for _ in range(int(count * 0.04)):
            cid = c0 + r.randrange(count)
            when = self.day(self.start, self.today)
            topup = r.choice((5000, 10000, 20000))
            for reason, change in (("充值", topup), ("赠送", topup // 10),
                                   ("消费", -round(topup * r.uniform(0.1, 0.9))))[:r.choice((2, 3))]:
                self.plan.add("储值流水", (f"储值{reason}", when, change, reason))
                self.plan.link("储值流水", "客户", (sid, cid))
                sid += 1
        outcomes = (("已到院", 12), ("已预约", 10), ("已联系", 30), ("无效", 18), ("待办", 30))
        plans = ("活动特价", "专家活动", "新品发布", "免费体验")
        for i in range(int(count * 0.1)):
            cid = c0 + r.randrange(count)
            due = self.today - dt.timedelta(days=r.randrange(60))
            self.plan.add("回访任务", (f"邀约 客户{cid}", "邀约", r.choice(self.callers), due,
                                    self.weighted(outcomes) if due < self.today else "待办",
                                    r.choice(plans)))
            self.plan.link("回访任务", "客户", (t0 + i, cid))


@register("clinic")
def generate(bind: Bind, install_result: Any, count: int, seed: int | None,
             options: Mapping[str, Any] | None = None) -> None:
    """Fill the clinic base with ``count`` customers and their history (see module doc), in
    one transaction: with a Connection (the pack installer's), a failure rolls back all."""
    if count < 0:
        raise SchemaError("The sample size must be 0 or more.", "样例数量必须大于等于 0。",
                          code="sample_size")
    opts = ClinicOptions.parse(options or {})
    with transaction(bind) as conn:
        tables = _tables(conn, base_id_of(install_result))
        plan = _Writer(conn, tables, {name: bl.next_id(conn, tables[name]) for name in TABLES},
                       chunk=int((options or {}).get("chunk", 50_000)))
        staff = ensure_users(conn, [*cat.CONSULTANTS, *cat.CALLERS])
        gen = _Clinic(1 if seed is None else seed, opts, clock.today(), plan, staff)
        t0 = time.perf_counter()
        gen.catalog()
        gen.customers(count)
        log.info("clinic sample: %d customers and their visits written in %.1f s", count,
                 time.perf_counter() - t0)
        gen.engagement(count)
        plan.flush()
        log.info("clinic sample: all rows written in %.1f s; recomputing", time.perf_counter() - t0)
        bl.finish(conn, [tables[n] for n in ("项目", "到院消费", "活动参与", "回访任务", "积分流水",
                                              "储值流水", "客户")])
        log.info("clinic sample: rows, recompute and baselines done in %.1f s",
                 time.perf_counter() - t0)
