"""The clinic sample: a realistic clinic of one specialty (dental / aesthetics / TCM) for the
clinic CRM pack, deterministic by seed, 100 to 1,000,000 customers.

What it makes (``count`` customers; ``today`` is the engine clock):
- the 项目 catalog of the specialty, with 间隔天数 and 后续项目; the 会员等级 tiers;
- customers with Chinese names, mobile numbers, WeChat ids, sources (a fifth by referral,
  linked to an earlier customer), chief-complaint tags (主诉需求, a multi-select: one or two
  of the specialty's tags, catalog.COMPLAINTS), satisfaction (a few 纠纷), and a consultant:
  the consultant users (catalog.CONSULTANTS, created without a password when missing, see
  tessera.samples.staff) take the customers round-robin;
- about 70% of customers visit: visits over the last three years with monthly seasonality,
  each customer returning to the follow-up of the previous service about its interval later;
  special prices, external experts;
- campaigns every month and participation (some bought the campaign product);
- ledgers: redemptions and bonuses of points, stored-value top-ups with bonus and spending;
- invitation tasks of the phone group (catalog.CALLERS, users too) with their outcomes (for
  the conversion dashboard).

Speed (a million customers and five million visits must load in minutes): values are made
per column, in blocks of ``BLOCK`` customers (each block's customers, then their visits), with
the weighted draws precomputed (cumulative weights and ``bisect``, dates as day numbers into
one list of date objects) and written already in stored form, per column, through
:mod:`tessera.samples.bulkload` (executemany on SQLite, binary COPY on PostgreSQL). Formulas
are recomputed once at the end. Options: ``specialty`` (a name or a list: the first is used),
``visits_per_customer`` (average over all customers, default 3.5), ``years`` (default 3),
``chunk`` (rows held in memory before a write, default 200 000; it does not change the data).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from bisect import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import accumulate
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
    """Columns and junction pairs being generated, written once ``chunk`` rows are pending so
    memory stays bounded (a million customers, five million visits). Ids are handed out in
    generation order from each table's first free id; links are written after every pending
    row, so the rows they point at exist."""

    def __init__(self, conn: Connection, tables: Mapping[str, TableInfo],
                 first: Mapping[str, int], chunk: int = 200_000) -> None:
        self.conn, self.tables, self.first, self.chunk = conn, tables, first, chunk
        self.columns: dict[str, list[list[Any]]] = {}
        self.written: dict[str, int] = dict.fromkeys(first, 0)
        self.links: dict[tuple[str, str], tuple[list[int], list[int]]] = {}
        self.pending = 0

    def add(self, table: str, columns: Sequence[list[Any]]) -> None:
        """Rows given per column, in the order of ``COLUMNS[table]``."""
        held = self.columns.get(table)
        if held is None:
            self.columns[table] = [list(c) for c in columns]
        else:
            for mine, more in zip(held, columns, strict=True):
                mine.extend(more)
        self.pending += len(columns[0]) if columns else 0

    def link(self, table: str, link: str, own: Sequence[int], other: Sequence[int]) -> None:
        held = self.links.setdefault((table, link), ([], []))
        held[0].extend(own)
        held[1].extend(other)
        self.pending += len(own)

    def maybe_flush(self) -> None:
        if self.pending >= self.chunk:
            self.flush()

    def flush(self) -> None:
        for name in TABLES:
            columns = self.columns.pop(name, None)
            if columns and columns[0]:
                bl.insert_columns_with_ids(self.conn, self.tables[name], COLUMNS[name], columns,
                                           self.first[name] + self.written[name])
                self.written[name] += len(columns[0])
        for (name, link), (own, other) in self.links.items():
            bl.insert_link_columns(self.conn, self.tables[name], link, own, other)
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
PAYMENTS = (("现金", 70), ("储值", 20), ("积分", 3), ("商保直付", 7))
SATISFACTION = (("满意", 85), ("一般", 13), ("纠纷", 2))
OUTCOMES = (("已到院", 12), ("已预约", 10), ("已联系", 30), ("无效", 18), ("待办", 30))
PLANS = ("活动特价", "专家活动", "新品发布", "免费体验")
PREFIXES = ("138", "139", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188",
            "135", "177", "199")
BLOCK = 20_000  # customers generated (then their visits) per block; fixed, so data never depends on chunk


class _Draw:
    """A weighted choice made by one ``random()`` and a bisect over precomputed cumulative
    weights (``random.choices`` rebuilds them on every call)."""

    def __init__(self, items: Sequence[Any], weights: Sequence[float]) -> None:
        self.items = list(items)
        self.cum = list(accumulate(weights))
        self.total = self.cum[-1]

    @classmethod
    def of(cls, pairs: Sequence[tuple[Any, float]]) -> _Draw:
        return cls([p[0] for p in pairs], [p[1] for p in pairs])

    def column(self, rnd: random.Random, n: int) -> list[Any]:
        items, cum, total, rand = self.items, self.cum, self.total, rnd.random
        return [items[bisect(cum, rand() * total)] for _ in range(n)]

    def one(self, rnd: random.Random) -> Any:
        return self.items[bisect(self.cum, rnd.random() * self.total)]


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
        self.last_day = (today - self.start).days
        # day number d ↔ self.dates[d]; one date object per day, shared by every row
        self.dates = [self.start + dt.timedelta(days=d) for d in range(self.last_day + 1)]
        self.days = _Draw(range(self.last_day + 1),
                          [cat.MONTH_WEIGHTS[d.month - 1] for d in self.dates])
        self.services = cat.SERVICES[opts.specialty]
        self.service_ids = {s.name: self.first["项目"] + i for i, s in enumerate(self.services)}
        self.service_draw = _Draw(range(len(self.services)), [s.weight for s in self.services])
        # surnames: the first ones are the most common (exponential, mean 18)
        self.surnames = _Draw(cat.SURNAMES, [0.95 ** k for k in range(len(cat.SURNAMES))])
        self.visits_made = 0

    def day(self) -> dt.date:
        """A day of the last ``years`` following the monthly seasonality."""
        return self.dates[self.days.one(self.rnd)]

    # -- tables ------------------------------------------------------------------------------
    def catalog(self) -> None:
        ss = self.services
        self.plan.add("项目", ([s.name for s in ss], [s.category for s in ss],
                             [float(s.price) for s in ss],
                             [None if s.interval_days is None else float(s.interval_days) for s in ss],
                             [s.is_new for s in ss]))
        pairs = [(self.service_ids[s.name], self.service_ids[s.follow_up]) for s in ss if s.follow_up]
        self.plan.link("项目", "后续项目", [a for a, _ in pairs], [b for _, b in pairs])
        self.plan.add("会员等级", ([t[0] for t in cat.TIERS], [float(t[1]) for t in cat.TIERS],
                                [float(t[2]) for t in cat.TIERS]))
        topics = cat.CAMPAIGN_TOPICS[self.opts.specialty]
        for i in range(self.opts.years * 12 + 2):
            when = self.start + dt.timedelta(days=30 * i + self.rnd.randrange(28))
            kind = CAMPAIGN_KINDS[i % len(CAMPAIGN_KINDS)]
            self.campaigns.append((f"{when:%Y年%m月}{topics[i % len(topics)]}", kind, when))
        self.plan.add("活动", tuple(list(c) for c in zip(*self.campaigns, strict=True)))

    def customers(self, count: int) -> None:
        """Customers in blocks of BLOCK, each block followed by its customers' visits."""
        for lo in range(0, count, BLOCK):
            n = min(BLOCK, count - lo)
            self.customer_block(lo, n)
            self.visits(lo, n, int(self.opts.visits_per_customer * (lo + n))
                        - int(self.opts.visits_per_customer * lo))
            self.plan.maybe_flush()

    def customer_block(self, lo: int, n: int) -> None:
        r, rand = self.rnd, self.rnd.random
        c0 = self.first["客户"]
        given = cat.GIVEN
        g = len(given)
        names = [s + given[int(rand() * g)] + (given[int(rand() * g)] if rand() < 0.7 else "")
                 for s in self.surnames.column(r, n)]
        prefixes = [PREFIXES[int(rand() * len(PREFIXES))] for _ in range(n)]
        mobiles = [f"{p}{(i * 7919 + int(rand() * 10_000)) % 100_000_000:08d}" if rand() < 0.92 else None
                   for i, p in zip(range(lo, lo + n), prefixes, strict=True)]
        wechat = [f"wx_{c0 + i:07d}" if rand() < 0.45 else None for i in range(lo, lo + n)]
        women = 0.8 if self.opts.specialty == "aesthetics" else 0.55
        gender = ["女" if rand() < women else "男" for _ in range(n)]
        youngest = 6 if self.opts.specialty == "dental" else 18
        year = self.today.year
        births = [dt.date(year - youngest - int(rand() * (76 - youngest)), 1 + int(rand() * 12),
                          1 + int(rand() * 28)) for _ in range(n)]
        sources = _Draw.of(SOURCES).column(r, n)
        own, referrers = [], []
        for i, source in zip(range(lo, lo + n), sources, strict=True):
            if source == "转介绍" and i > 10:
                own.append(c0 + i)
                referrers.append(c0 + int(rand() * i))
        tags = self.complaints(n)
        owners = [self.consultants[i % len(self.consultants)] for i in range(lo, lo + n)]
        satisfaction = _Draw.of(SATISFACTION).column(r, n)
        intent = [rand() < 0.25 for _ in range(n)]
        leads = [rand() < 0.3 for _ in range(n)]
        attitude = [("质疑", "接纳")[rand() < 0.5] if lead else None for lead in leads]
        cognition = [("笼统", "具体")[rand() < 0.5] if lead else None for lead in leads]
        self.plan.add("客户", (names, mobiles, wechat, gender, births, sources, tags, owners,
                             satisfaction, intent, attitude, cognition))
        self.plan.link("客户", "介绍人", own, referrers)   # rows are flushed before links

    def complaints(self, n: int) -> list[list[str] | None]:
        """主诉需求 (a multi-select's stored form: its labels in option order): three customers
        in four have one or two of the specialty's tags, the rest none."""
        tags = cat.COMPLAINTS[self.opts.specialty]
        k = len(tags)
        singles = [[t] for t in tags]
        pairs = {(a, b): [tags[a], tags[b]] for a in range(k) for b in range(a + 1, k)}
        rand = self.rnd.random
        out: list[list[str] | None] = []
        for _ in range(n):
            if rand() >= 0.75:
                out.append(None)
                continue
            a = int(rand() * k)
            if rand() < 0.75:
                out.append(singles[a])
                continue
            b = int(rand() * (k - 1))
            b += b >= a
            out.append(pairs[(a, b) if a < b else (b, a)])
        return out

    def visits(self, lo: int, n: int, wanted: int) -> None:
        """Visit histories of customers ``lo … lo + n - 1``: 70% of them visit; each history
        starts at a seasonal day and returns to the follow-up of the previous service about
        its interval later, with drop-outs."""
        if n == 0 or wanted <= 0:
            return
        r, rand, gauss = self.rnd, self.rnd.random, self.rnd.gauss
        visitors = max(1, int(n * 0.7))
        per_visitor = max(1.0, wanted / visitors)
        services = self.services
        follow = [next((j for j, t in enumerate(services) if t.name == s.follow_up), None)
                  for s in services]
        prices = [float(s.price) for s in services]
        gaps = [s.interval_days or 90 for s in services]
        ids = [self.service_ids[s.name] for s in services]
        draw_service, payments = self.service_draw, _Draw.of(PAYMENTS)
        days, dates, last = self.days, self.dates, self.last_day
        c0, v0 = self.first["客户"], self.first["到院消费"] + self.visits_made
        chosen = r.sample(range(lo, lo + n), visitors)
        when_col: list[dt.date] = []
        amounts: list[float] = []
        special_col: list[bool] = []
        customer_col: list[int] = []
        service_col: list[int] = []
        made = tries = 0
        while made < wanted and tries < 50 * visitors:
            tries += 1
            cid = c0 + chosen[int(rand() * visitors)]
            k = max(1, min(int(r.expovariate(1 / per_visitor)) + 1, 60))
            day = days.one(r)
            s = draw_service.one(r)
            for _ in range(k):
                if day > last or made >= wanted:
                    break
                special = rand() < 0.15
                price = prices[s] * (0.7 if special else 0.85 + 0.3 * rand())
                when_col.append(dates[day])
                amounts.append(float(round(price / 10) * 10))
                special_col.append(special)
                customer_col.append(cid)
                service_col.append(ids[s])
                made += 1
                nxt = follow[s] if rand() < 0.7 else None
                s = draw_service.one(r) if nxt is None else nxt
                gap = gaps[s]
                day += max(1, int(gauss(gap, gap * 0.25)))
        numbers = [f"V{v:08d}" for v in range(v0, v0 + made)]
        pay = payments.column(r, made)
        doctor = ["外聘" if rand() < 0.1 else "本院" for _ in range(made)]
        self.plan.add("到院消费", (numbers, when_col, amounts, pay, doctor, special_col))
        own = range(v0, v0 + made)
        self.plan.link("到院消费", "客户", own, customer_col)
        self.plan.link("到院消费", "项目", own, service_col)
        self.visits_made += made

    def engagement(self, count: int) -> None:
        """Campaign participation, ledgers and invitation tasks."""
        r, rand = self.rnd, self.rnd.random
        c0 = self.first["客户"]
        campaigns = self.campaigns
        a0, p0 = self.first["活动"], self.first["活动参与"]
        n = int(count * 0.25)
        who = [c0 + int(rand() * count) for _ in range(n)]
        which = [int(rand() * len(campaigns)) for _ in range(n)]
        summaries = [f"{c[0]} 参与" for c in campaigns]
        self.plan.add("活动参与", ([summaries[k] for k in which], [campaigns[k][2] for k in which],
                                [("线上", "线下")[rand() < 0.5] for _ in range(n)],
                                [rand() < 0.3 for _ in range(n)]))
        self.plan.link("活动参与", "客户", range(p0, p0 + n), who)
        self.plan.link("活动参与", "活动", range(p0, p0 + n), [a0 + k for k in which])
        self.plan.maybe_flush()

        l0, s0, t0 = self.first["积分流水"], self.first["储值流水"], self.first["回访任务"]
        n = int(count * 0.05)
        who = [c0 + int(rand() * count) for _ in range(n)]
        kinds = (("兑换", -500.0), ("兑换", -1000.0), ("兑换", -2000.0), ("赠送", 200.0), ("调整", 100.0))
        # one in three is a redemption of 500, 1000 or 2000 points, else a bonus or an adjustment
        picked = [kinds[int(rand() * 3)] if rand() < 1 / 3 else kinds[3 + (rand() < 0.5)]
                  for _ in range(n)]
        self.plan.add("积分流水", ([f"积分{p[0]}" for p in picked], [self.day() for _ in range(n)],
                                [p[1] for p in picked], [p[0] for p in picked]))
        self.plan.link("积分流水", "客户", range(l0, l0 + n), who)

        summary, dates, changes, reasons, owners = [], [], [], [], []
        for _ in range(int(count * 0.04)):
            cid = c0 + int(rand() * count)
            when = self.day()
            topup = (5000, 10000, 20000)[int(rand() * 3)]
            steps = (("充值", float(topup)), ("赠送", float(topup // 10)),
                     ("消费", -float(round(topup * (0.1 + 0.8 * rand())))))[:2 + (rand() < 0.5)]
            for reason, change in steps:
                summary.append(f"储值{reason}")
                dates.append(when)
                changes.append(change)
                reasons.append(reason)
                owners.append(cid)
        self.plan.add("储值流水", (summary, dates, changes, reasons))
        self.plan.link("储值流水", "客户", range(s0, s0 + len(owners)), owners)

        n = int(count * 0.1)
        who = [c0 + int(rand() * count) for _ in range(n)]
        dues = [self.today - dt.timedelta(days=int(rand() * 60)) for _ in range(n)]
        outcomes = _Draw.of(OUTCOMES)
        self.plan.add("回访任务", ([f"邀约 客户{cid}" for cid in who], ["邀约"] * n,
                                [self.callers[int(rand() * len(self.callers))] for _ in range(n)],
                                dues,
                                [outcomes.one(r) if due < self.today else "待办" for due in dues],
                                [PLANS[int(rand() * len(PLANS))] for _ in range(n)]))
        self.plan.link("回访任务", "客户", range(t0, t0 + n), who)


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
                       chunk=int((options or {}).get("chunk", 200_000)))
        staff = ensure_users(conn, [*cat.CONSULTANTS, *cat.CALLERS])
        gen = _Clinic(1 if seed is None else seed, opts, clock.today(), plan, staff)
        t0, c0 = time.perf_counter(), time.process_time()
        gen.catalog()
        gen.customers(count)
        gen.engagement(count)
        plan.flush()
        log.info("clinic sample: %d customers, %d visits and the other rows made and written in "
                 "%.1f s (%.1f s CPU)", count, gen.visits_made, time.perf_counter() - t0,
                 time.process_time() - c0)
        t1, c1 = time.perf_counter(), time.process_time()
        bl.finish(conn, [tables[n] for n in ("项目", "到院消费", "活动参与", "回访任务", "积分流水",
                                              "储值流水", "客户")])
        log.info("clinic sample: one recompute of every formula and the baselines in %.1f s "
                 "(%.1f s CPU)", time.perf_counter() - t1, time.process_time() - c1)
