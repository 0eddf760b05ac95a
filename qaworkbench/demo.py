"""A deterministic demo contact center: a Chinese hotline with QA data.

About 300 agents in 20 teams over 6 months: shifts, intraday and weekday
volume curves with service-level dips at peaks, new hires and leavers,
lasting skill differences, evaluators with their own leniency, calibration
sessions, complaints, appeals and chat conversations. Same seed, same center.

It sits above the stage packages: it writes the data of every stage (contacts,
evaluations on the scorecards, complaints, appeals), so it may use any of them.

Why this module is long: every table the demo writes depends on the others
(evaluations of sampled contacts by working evaluators, appeals of those
evaluations, complaints on those contacts); kept in one module, the demo's
assumptions read top to bottom in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .scoring.scorecard import Scorecard, load_scorecard

SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = list(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建飞鑫波宁琳晨晓雪婷欣怡佳然浩宇轩涵梓子睿博文俊凯嘉瑶颖倩慧蕾璐雯琪"
)
TOPICS = [
    ("话费查询", 0.22),
    ("套餐变更", 0.14),
    ("宽带故障报修", 0.12),
    ("账单异议", 0.09),
    ("业务办理", 0.11),
    ("流量咨询", 0.10),
    ("停复机", 0.05),
    ("投诉建议", 0.04),
    ("携号转网", 0.03),
    ("积分兑换", 0.05),
    ("其他咨询", 0.05),
]
SHIFTS = {"早班": (8, 16), "中班": (11, 19), "晚班": (16, 24), "夜班": (0, 8)}
SHIFT_WEIGHTS = np.array([0.36, 0.34, 0.22, 0.08])
WEEKDAY_FACTOR = np.array([1.18, 1.06, 1.0, 0.98, 1.02, 0.82, 0.76])  # Mon..Sun
# Arrivals per half hour of the day (relative): a morning and an afternoon peak.
_h = np.arange(48) / 2.0
INTRADAY = (
    0.08
    + 1.0 * np.exp(-0.5 * ((_h - 10.0) / 1.3) ** 2)
    + 0.85 * np.exp(-0.5 * ((_h - 15.0) / 1.6) ** 2)
    + 0.35 * np.exp(-0.5 * ((_h - 20.0) / 1.5) ** 2)
)
COMMENTS = {
    "ATT01": ["语气生硬，缺乏耐心", "客户情绪激动时未先安抚"],
    "ATT02": ["客户未说完即结束通话", "多次催促客户“还有别的事吗”"],
    "ATT03": ["客户重复说明问题两次", "未认真倾听，反复询问已提供的信息"],
    "ATT04": ["使用服务禁语“不清楚”", "反问客户“您没看短信吗？”"],
    "NRM01": ["未使用标准开头语"],
    "NRM02": ["未使用标准结束语"],
    "NRM03": ["称呼客户为“你”", "未使用“请、谢谢”"],
    "NRM04": ["办理业务前未核实身份"],
    "NRM05": ["保留前未征得客户同意", "保留时间过长未致歉"],
    "NRM06": ["转接前未告知客户原因"],
    "SKL01": ["未准确理解客户诉求"],
    "SKL02": ["业务解答错误：套餐资费说明有误", "解答与知识库口径不一致"],
    "SKL03": ["未给出解决方案即结束", "未按规定派发工单"],
    "SKL04": ["使用“我只能……”“我没有权利”"],
    "SKL05": ["工单记录不完整", "未记录处理结果"],
    "CRT01": ["与客户发生争吵"],
    "CRT02": ["未核实身份即告知账户信息"],
    "CH01": ["首次响应超过30秒"],
    "CH02": ["平均响应超过40秒"],
    "CH03": ["查询后超过2分钟未回复"],
    "CH04": ["未使用标准问候语"],
    "CH05": ["未使用标准结束语"],
    "CH06": ["称呼客户为“你”"],
    "CH07": ["使用服务禁语“不知道”"],
    "CH08": ["反问客户"],
    "CH09": ["客户重复提问，未主动跟进"],
    "CH10": ["未提供方案即结束会话"],
    "CH11": ["泄露客户信息"],
    "CH12": ["未使用快捷话术，解答口径不统一"],
    "CH13": ["使用“我只能……”“我没有权利”"],
    "CH14": ["未主动询问关键信息"],
    "CH15": ["客户追问时回复敷衍"],
    "CB01": ["业务解答错误：退款时效说明有误", "解答与知识库口径不一致"],
    "CB02": ["未给出解决方案或处理时限"],
    "CB03": ["会话备注不完整", "未记录处理结果"],
    "CB04": ["办理账户业务前未核实身份"],
}
# Base failure log-odds per item: common problems are common.
ITEM_DIFFICULTY = {
    "ATT01": -3.2, "ATT02": -3.6, "ATT03": -3.0, "ATT04": -3.4,
    "NRM01": -3.9, "NRM02": -3.1, "NRM03": -3.3, "NRM04": -3.0, "NRM05": -2.8, "NRM06": -3.2,
    "SKL01": -3.1, "SKL02": -2.5, "SKL03": -2.7, "SKL04": -3.3, "SKL05": -2.4,
    "CRT01": -8.2, "CRT02": -8.0,
    "CH01": -2.6, "CH02": -2.9, "CH03": -2.5, "CH04": -3.8, "CH05": -3.0, "CH06": -3.2,
    "CH07": -3.0, "CH08": -3.5, "CH09": -3.0, "CH10": -2.9, "CH11": -8.5,
    "CH12": -3.1, "CH13": -3.3, "CH14": -3.2, "CH15": -3.4,
    "CB01": -2.5, "CB02": -2.7, "CB03": -2.4, "CB04": -3.0,
}  # fmt: skip


@dataclass(frozen=True)
class DemoSpec:
    """Size and seed of a demo center."""

    agents: int = 300
    teams: int = 20
    chat_teams: int = 3
    start: str = "2026-05-01"
    months: int = 6
    contacts_per_day: float = 50.0  # per voice agent per working day; chat agents 70% of it
    evaluators: int = 8
    seed: int = 20261121
    qa_rate: float = 0.01  # share of an agent's contacts evaluated per month
    full_messages: bool = True  # messages for every chat (False: complaints and a 5% sample)


def build(spec: DemoSpec = DemoSpec()) -> dict[str, pd.DataFrame]:
    """Generate every canonical table of a demo center (pure, deterministic): the roster,
    then ``build_months`` put together."""
    r = roster(spec)
    months = [tables for _, tables in build_months(spec, r)]
    out = {"agents": r.agents, "evaluators": r.evaluators}
    for name in MONTHLY_TABLES:
        out[name] = pd.concat([m[name] for m in months], ignore_index=True)
    return out


# The tables made month by month (the rest, agents and evaluators, once).
MONTHLY_TABLES = (
    "contacts", "evaluations", "evaluation_items", "complaints", "appeals", "chat_messages",
    "transcripts", "penalty_events",
)  # fmt: skip


# Draws the month's sample (month "YYYY-MM", its contacts and complaints) and returns the
# allocated plan: one row per planned evaluation, as ``qaw sample`` writes sample.csv.
Sampler = Callable[[str, dict[str, pd.DataFrame]], pd.DataFrame]


@dataclass(frozen=True)
class Roster:
    """What every month of a demo center shares: agents and their latent traits,
    evaluators and their habits, the scorecards and the center's first and last day."""

    agents: pd.DataFrame
    latent: pd.DataFrame
    evaluators: pd.DataFrame
    habits: dict[str, dict[str, float]]  # leniency and accuracy per evaluator
    cards: dict[str, Scorecard]
    start: pd.Timestamp
    end: pd.Timestamp


def roster(spec: DemoSpec) -> Roster:
    """The agents, evaluators and scorecards of ``spec``'s center."""
    rng = np.random.default_rng(spec.seed)
    start = pd.Timestamp(spec.start)
    end = start + pd.DateOffset(months=spec.months)
    agents, latent = _agents(rng, spec, start, end)
    evaluators = _evaluators(rng, spec, agents)
    cards = {"voice": load_scorecard("hotline_voice"), "chat": load_scorecard("online_chat")}
    return Roster(agents, latent, evaluators, _habits(rng, evaluators), cards, start, end)


def build_months(
    spec: DemoSpec, r: Roster, sampler: Sampler | None = None
) -> Iterator[tuple[str, dict[str, pd.DataFrame]]]:
    """The month-keyed tables (``MONTHLY_TABLES``) one month at a time, as ("YYYY-MM",
    tables): each month has its own random stream, and ids run on across months, so memory
    stays that of one month however many are built.

    With ``sampler`` (``demo_sample.folder_sampler``) the QA team evaluates its own plan: each
    month's sample is drawn by the real sampler from the month's contacts before any of the
    month's evaluations exist, and the evaluations are those of the sample, done by the
    evaluators it was allocated to, mostly on time, some late, a few missed, and the last
    days' still open at the center's end. Without it, a random share is evaluated."""
    first = {"contacts": 0, "evaluations": 0, "complaints": 0, "events": 0}
    open_status: dict[str, dict[str, pd.Timestamp]] = {"frozen": {}, "demoted": {}}
    for i in range(spec.months):
        rng = np.random.default_rng([spec.seed, i + 1])
        lo = r.start + pd.DateOffset(months=i)
        hi = r.start + pd.DateOffset(months=i + 1)
        contacts = _contacts(rng, spec, r.agents, r.latent, lo, hi, first["contacts"])
        chat_first = {"chat": r.cards["chat"], "voice": r.cards["voice"]}
        messages, transcripts = _messages(spec, contacts, r.latent, chat_first, r.start, i)
        if sampler is None:  # the random share (the order of draws keeps old centers the same)
            evaluations, items = _evaluations(rng, spec, contacts, r, lo, hi, first["evaluations"])
            complaints = _complaints(rng, contacts, r.end, first["complaints"])
        else:  # the month's contacts and complaints first, then its sample, then evaluations
            complaints = _complaints(rng, contacts, r.end, first["complaints"])
            planned = sampler(f"{lo:%Y-%m}", {"contacts": contacts, "complaints": complaints})
            evaluations, items = _evaluations(
                rng, spec, contacts, r, lo, hi, first["evaluations"], planned
            )
        tables = {
            "contacts": contacts,
            "evaluations": evaluations,
            "evaluation_items": items,
            "complaints": complaints,
            "appeals": _appeals(rng, evaluations, items, r.end, r.evaluators),
            "chat_messages": messages,
            "transcripts": transcripts,
            "penalty_events": _penalty_events(rng, contacts, first["events"]),
        }
        ends = _status_events(
            rng, tables, r.cards, open_status, lo, first["events"] + len(tables["penalty_events"])
        )
        tables["penalty_events"] = pd.concat([tables["penalty_events"], ends], ignore_index=True)
        first["contacts"] += len(contacts)
        first["evaluations"] += len(evaluations)
        first["complaints"] += len(tables["complaints"])
        first["events"] += len(tables["penalty_events"])
        yield f"{lo:%Y-%m}", tables


def _status_events(
    rng, tables: dict[str, pd.DataFrame], cards, open_status: dict, lo: pd.Timestamp, first: int
) -> pd.DataFrame:
    """The status register's rows of a month: freezes of earlier months lifted (6 in 10, in the
    month's first 10 days, at least 30 days after the case) and demotions of earlier months
    ended by re-qualification (7 in 10). ``open_status`` carries, from month to month, each
    frozen agent's last bottom-line case and each demoted agent's demotion (the cases of this
    month are added after the lifts)."""
    rows = []
    for status, kind, p, note in (("frozen", "freeze_lifted", 0.6, "质检主管批准解冻"),
                                  ("demoted", "requalified", 0.7, "重新报名考核合格")):  # fmt: skip
        for agent, since in sorted(open_status[status].items()):
            when = lo + pd.Timedelta(seconds=float(rng.uniform(0, 10 * 86400)))
            if when - since >= pd.Timedelta(days=30) and rng.random() < p:
                rows.append((agent, when.floor("s"), kind, note))
                del open_status[status][agent]
    c, ev, it = tables["complaints"], tables["evaluations"], tables["evaluation_items"]
    upheld = c["upheld"].fillna(False).to_numpy(bool)
    critical = {i.id for card in cards.values() for i in card.critical_items}
    failed = it[(it["result"] == "fail").to_numpy() & it["item_id"].isin(critical).to_numpy()]
    crit = ev[ev["evaluation_id"].isin(failed["evaluation_id"]) & (ev["mode"] != "calibration")]
    pe = tables["penalty_events"]
    bottom = pd.concat([
        c.loc[upheld & (c["category"] == "attitude").to_numpy(), ["agent_id", "received_at"]]
        .set_axis(["agent_id", "at"], axis=1),
        crit[["agent_id", "evaluated_at"]].set_axis(["agent_id", "at"], axis=1),
        pe.loc[pe["kind"] == "bottom_line_finding", ["agent_id", "occurred_at"]]
        .set_axis(["agent_id", "at"], axis=1),
    ])  # fmt: skip
    for agent, at in bottom.groupby("agent_id")["at"].max().items():
        open_status["frozen"][agent] = at
    points = pd.concat([
        c.loc[upheld & (c["category"] == "business").to_numpy(), ["agent_id", "received_at"]]
        .set_axis(["agent_id", "at"], axis=1).assign(points=10.0),
        pe.loc[pe["kind"] == "financial_loss", ["agent_id", "occurred_at"]]
        .set_axis(["agent_id", "at"], axis=1).assign(points=15.0),
    ])  # fmt: skip
    total = points.groupby("agent_id").agg(points=("points", "sum"), at=("at", "max"))
    for agent, row in total[total["points"] >= 20].iterrows():
        if agent not in set(bottom["agent_id"]):
            open_status["demoted"][agent] = row["at"]
    return pd.DataFrame(
        {
            "event_id": pd.array([f"KF{first + k + 1:05d}" for k in range(len(rows))], dtype="str"),
            "agent_id": pd.array([r[0] for r in rows], dtype="str"),
            "contact_id": pd.array([None] * len(rows), dtype="str"),
            "occurred_at": pd.Series([r[1] for r in rows], dtype="datetime64[us]"),
            "kind": pd.array([r[2] for r in rows], dtype="str"),
            "amount": np.full(len(rows), np.nan),
            "note": pd.array([r[3] for r in rows], dtype="str"),
        }
    )


def _names(rng: np.random.Generator, n: int) -> list[str]:
    sur = rng.choice(SURNAMES, n)
    g1 = rng.choice(GIVEN, n)
    g2 = rng.choice(GIVEN, n)
    two = rng.random(n) < 0.7
    return [s + a + (b if t else "") for s, a, b, t in zip(sur, g1, g2, two, strict=True)]


def _cn_number(i: int) -> str:
    """1..99 in Chinese numerals (一, 十一, 二十三)."""
    if i >= 100:
        return str(i)
    digits = "一二三四五六七八九"
    tens, ones = divmod(i, 10)
    t = "" if tens == 0 else ("十" if tens == 1 else digits[tens - 1] + "十")
    return t + (digits[ones - 1] if ones else "")


def _team_names(spec: DemoSpec) -> list[str]:
    voice = spec.teams - spec.chat_teams
    return [f"话务{_cn_number(i + 1)}组" for i in range(voice)] + [
        f"在线{_cn_number(i + 1)}组" for i in range(spec.chat_teams)
    ]


def _agents(rng, spec: DemoSpec, start, end) -> tuple[pd.DataFrame, pd.DataFrame]:
    n = spec.agents
    teams = _team_names(spec)
    leads = _names(rng, len(teams))
    team_idx = np.arange(n) % len(teams)
    days = (end - start).days
    new = rng.random(n) < 0.12
    tenure_days = rng.integers(60, 6 * 365, n)
    hire = np.where(
        new,
        (start + pd.to_timedelta(rng.integers(5, days - 20, n), unit="D")).to_numpy(),
        (start - pd.to_timedelta(tenure_days, unit="D")).to_numpy(),
    )
    leaves = (rng.random(n) < 0.09) & ~new
    leave = np.where(
        leaves,
        (start + pd.to_timedelta(rng.integers(20, days - 5, n), unit="D")).to_numpy(),
        np.datetime64("NaT"),
    )
    ids = [f"A{i + 1:04d}" for i in range(n)]
    site = np.where(team_idx < len(teams) // 2, "广州", "成都")
    agents = pd.DataFrame(
        {
            "agent_id": pd.array(ids, dtype="str"),
            "name": pd.array(_names(rng, n), dtype="str"),
            "team": pd.array([teams[i] for i in team_idx], dtype="str"),
            "team_lead": pd.array([leads[i] for i in team_idx], dtype="str"),
            "site": pd.array(site, dtype="str"),
            "hire_date": pd.to_datetime(hire).astype("datetime64[us]").normalize(),
            "leave_date": pd.to_datetime(leave).astype("datetime64[us]").normalize(),
        }
    )
    # Lasting differences: quality skill (higher = fewer faults), speed, short-call habit.
    latent = pd.DataFrame(
        {
            "agent_id": ids,
            "skill": rng.normal(0, 0.75, n) - 0.6 * new,
            "speed": rng.lognormal(0, 0.18, n),
            "short_habit": rng.beta(1.2, 40, n),
            "chat": team_idx >= len(teams) - spec.chat_teams,
            "new": new,
        }
    )
    latent.loc[rng.choice(n, max(2, n // 60), replace=False), "skill"] = 3.5  # a few stars
    return agents, latent


def _evaluators(rng, spec: DemoSpec, agents: pd.DataFrame) -> pd.DataFrame:
    qa = pd.DataFrame(
        {
            "evaluator_id": [f"Q{i:02d}" for i in range(spec.evaluators + 1)],
            "name": _names(rng, spec.evaluators + 1),
            "role": ["qa_lead"] + ["qa"] * spec.evaluators,
            "team": [None] * (spec.evaluators + 1),
        }
    )
    leads = agents.drop_duplicates("team")[["team", "team_lead"]].reset_index(drop=True)
    tl = pd.DataFrame(
        {
            "evaluator_id": [f"T{i + 1:02d}" for i in range(len(leads))],
            "name": leads["team_lead"],
            "role": "team_lead",
            "team": leads["team"],
        }
    )
    out = pd.concat([qa, tl], ignore_index=True)
    return out.astype({"evaluator_id": "str", "name": "str", "role": "str", "team": "str"})


def _contacts(rng, spec: DemoSpec, agents, latent, start, end, first: int = 0) -> pd.DataFrame:
    days = pd.date_range(start, end - pd.Timedelta(days=1), freq="D")
    n_ag, n_day = len(agents), len(days)
    hire = agents["hire_date"].to_numpy()
    leave = agents["leave_date"].to_numpy()
    dvals = days.to_numpy()
    active = (dvals[None, :] >= hire[:, None]) & (
        np.isnat(leave)[:, None] | (dvals[None, :] <= leave[:, None])
    )
    # Two days off a week, rotating by agent; a shift per agent-week.
    dow = days.day_of_week.to_numpy()
    off1 = np.arange(n_ag) % 7
    works = active & (dow[None, :] != off1[:, None]) & (dow[None, :] != ((off1 + 1) % 7)[:, None])
    week = ((dvals - dvals[0]) // np.timedelta64(7, "D")).astype(int)
    shift_of_week = rng.choice(4, size=(n_ag, week.max() + 1), p=SHIFT_WEIGHTS)
    shift = shift_of_week[:, week]
    ai, di = np.nonzero(works)
    sh = shift[ai, di]
    chat = latent["chat"].to_numpy()[ai]
    lam = spec.contacts_per_day * WEEKDAY_FACTOR[dow[di]] * np.where(chat, 0.7, 1.0)
    lam *= np.where(sh == 3, 0.35, 1.0)  # few contacts at night
    counts = rng.poisson(lam)
    ai, di, sh, chat = (np.repeat(x, counts) for x in (ai, di, sh, chat))
    n = len(ai)
    # Start times: a half hour drawn by the intraday curve within the shift.
    bounds = np.array(list(SHIFTS.values()))
    lo, hi = bounds[sh, 0] * 2, bounds[sh, 1] * 2
    slot = np.empty(n, dtype=int)
    for s in range(4):
        m = sh == s
        w = INTRADAY[lo[m][0] : hi[m][0]] if m.any() else None
        if w is not None:
            slot[m] = lo[m][0] + rng.choice(len(w), m.sum(), p=w / w.sum())
    start_ts = dvals[di] + (slot * 1800 + rng.integers(0, 1800, n)).astype("timedelta64[s]")
    # Load per interval -> waits: service level dips at the peaks.
    key = di * 48 + slot
    offered = np.bincount(key, minlength=n_day * 48)
    staff = np.zeros(n_day * 48)
    for s, (h0, h1) in enumerate(SHIFTS.values()):
        on = (works & (shift == s)).sum(axis=0)
        for half in range(h0 * 2, h1 * 2):
            staff[np.arange(n_day) * 48 + half] += on
    load = offered / np.maximum(staff, 1)
    ref = np.median(load[offered > 0])
    mean_wait = 6.0 * np.exp(1.25 * (load[key] / ref - 1.0))
    wait = rng.exponential(np.clip(mean_wait, 2, 240)).round()
    abandon = rng.random(n) < np.clip((wait - 25) / 300, 0, 0.5)
    speed = latent["speed"].to_numpy()[ai]
    short = rng.random(n) < latent["short_habit"].to_numpy()[ai] + 0.01
    talk = (
        np.where(chat, rng.lognormal(np.log(420), 0.5, n), rng.lognormal(np.log(185), 0.6, n))
        * speed
    )
    talk = np.where(short, rng.integers(4, 20, n), talk).round()
    hold = np.where(rng.random(n) < 0.25, rng.exponential(40, n), 0).round()
    wrap = (15 + rng.exponential(20, n)).round()
    direction = np.where(~chat & (rng.random(n) < 0.08), "outbound", "inbound")
    wait = np.where(direction == "outbound", 0, wait)
    abandon &= direction == "inbound"
    order = np.argsort(start_ts, kind="stable")
    ai, chat, start_ts, wait, talk, hold, wrap, abandon, direction = (
        x[order] for x in (ai, chat, start_ts, wait, talk, hold, wrap, abandon, direction)
    )
    skill = latent["skill"].to_numpy()[ai]
    talk_f = np.where(abandon, np.nan, talk)
    hold_f = np.where(abandon, np.nan, hold)
    wrap_f = np.where(abandon, np.nan, wrap)
    end_ts = start_ts + (wait + np.nan_to_num(talk_f) + np.nan_to_num(hold_f)).astype(
        "timedelta64[s]"
    )
    # Customers: a pool where a few call often (repeat callers).
    pool = max(int(2 * len(agents) * spec.contacts_per_day * 22), 10_000)  # the same every month
    frequent = rng.random(n) < 0.12  # 12% of contacts come from a small set of frequent callers
    cust = np.where(
        frequent, (2000 * rng.random(n) ** 1.5).astype(np.int64), rng.integers(2000, pool, n)
    ).astype(np.int64)
    prefixes = np.array([130, 131, 132, 135, 136, 137, 138, 139, 150, 151, 158, 159, 186, 188, 189])
    perm = np.random.default_rng(spec.seed + 1).permutation(pool)
    cust_num = prefixes[perm[cust] % len(prefixes)] * 10**8 + (perm[cust] * 7919) % 10**8
    topic_names = [t for t, _ in TOPICS]
    topic_p = np.array([p for _, p in TOPICS])
    topic = rng.choice(len(topic_names), n, p=topic_p / topic_p.sum())
    complaint = (rng.random(n) < 0.00025 * np.exp(-0.9 * skill) * (1 + wait / 60)) & ~abandon
    ids = np.char.add("C", np.char.zfill(np.arange(first + 1, first + n + 1).astype(str), 8))
    agent_ids = agents["agent_id"].to_numpy()[ai]
    date_path = pd.DatetimeIndex(start_ts).strftime("%Y/%m/%d").to_numpy().astype(str)
    rec = np.where(
        chat,
        np.char.add("chat/", ids),
        np.char.add(np.char.add(np.char.add("rec/", date_path), "/"), np.char.add(ids, ".wav")),
    )
    sat = np.where(
        abandon | (rng.random(n) < 0.6),
        np.nan,
        np.clip(np.round(4 + 0.5 * skill + rng.normal(0, 0.8, n)), 1, 5),
    )
    return pd.DataFrame(
        {
            "contact_id": pd.array(ids, dtype="str"),
            "agent_id": pd.array(np.where(abandon, None, agent_ids), dtype="str"),
            "start_time": pd.to_datetime(start_ts).astype("datetime64[us]"),
            "end_time": pd.to_datetime(end_ts).astype("datetime64[us]"),
            "channel": pd.array(np.where(chat, "chat", "voice"), dtype="str"),
            "direction": pd.array(direction, dtype="str"),
            "answered": pd.array(~abandon, dtype="boolean"),
            "queue_wait_s": wait.astype("float64"),
            "talk_s": talk_f,
            "hold_s": hold_f,
            "wrap_s": wrap_f,
            "customer_id": pd.array(cust_num.astype(str), dtype="str"),
            "topic": pd.array(np.array(topic_names)[topic], dtype="str"),
            "complaint": pd.array(complaint, dtype="boolean"),
            "resolved": pd.array(
                np.where(abandon, None, rng.random(n) < 0.8 + 0.05 * np.clip(skill, -2, 2)),
                dtype="boolean",
            ),
            "satisfaction": sat,
            "recording_ref": pd.array(rec, dtype="str"),
        }
    )


def _evaluations(
    rng, spec: DemoSpec, contacts, r: Roster, start, end, first: int = 0, planned=None
):
    """The month's evaluations and their items: of the month's own sample when ``planned``
    (the real sampler's allocated sample, ``demo_sample``), else of a random share
    (``qa_rate``), the complained-about contacts and one side-by-side listen per agent; then
    the month's calibration session."""
    answered = contacts[contacts["answered"].fillna(False).to_numpy(bool)]
    month = answered["start_time"].dt.to_period("M")
    if planned is None:
        ev = _random_picks(rng, spec, answered, month, r)
    else:
        from .demo_sample import evaluations_of_sample

        ev = evaluations_of_sample(rng, planned, answered, end)
    return _calibrated(rng, ev, answered, month, r, start, end, first)


def _random_picks(rng, spec: DemoSpec, answered, month, r: Roster) -> pd.DataFrame:
    latent, evaluators = r.latent, r.evaluators
    base = rng.random(len(answered)) < spec.qa_rate
    complained = answered["complaint"].fillna(False).to_numpy(bool)
    complained &= rng.random(len(answered)) < 0.6
    # Team leads listen side by side about once per agent per month.
    per_am = answered.groupby([answered["agent_id"], month]).cumcount().to_numpy()
    side = (per_am == 7) & (answered["channel"] == "voice").to_numpy()
    pick = base | complained | side
    ev = answered.loc[pick, ["contact_id", "agent_id", "channel", "start_time", "end_time"]].copy()
    ev["side"] = side[pick]
    # why each was sampled: the random quota first, a complaint (targeted) only when not random
    ev["sample_reason"] = np.select(
        [side[pick], base[pick]], ["side_by_side", "base_post_call"], "complaint"
    )
    qa_ids = evaluators.loc[evaluators["role"] == "qa", "evaluator_id"].to_numpy()
    team_lead_of = dict(
        zip(
            evaluators["team"].dropna(),
            evaluators["evaluator_id"][evaluators["team"].notna()],
            strict=False,
        )
    )
    n = len(ev)
    ev["evaluator_id"] = rng.choice(qa_ids, n)
    from_roster = _roster_team(latent, spec)
    ev.loc[ev["side"], "evaluator_id"] = [
        team_lead_of.get(from_roster[a], qa_ids[0]) for a in ev.loc[ev["side"], "agent_id"]
    ]
    mode = np.where(rng.random(n) < 0.3, "real_time", "post_call")
    mode = np.where(ev["side"], "side_by_side", mode)
    mode = np.where(ev["channel"] == "chat", "post_call", mode)
    ev["mode"] = mode
    ev.loc[(ev["sample_reason"] == "base_post_call").to_numpy() & (mode == "real_time"),
           "sample_reason"] = "base_real_time"  # fmt: skip
    delay = np.where(mode == "post_call", rng.exponential(0.8, n) + 0.05, rng.uniform(0, 0.02, n))
    ev["evaluated_at"] = (ev["end_time"] + pd.to_timedelta(delay * 86400, unit="s")).dt.floor("s")
    return ev.drop(columns="side")


def _calibrated(rng, ev, answered, month, r: Roster, start, end, first: int):
    """``ev`` with the month's calibration session added, ids, scorecards and items."""
    evaluators, cards = r.evaluators, r.cards
    ev = ev.assign(calibration_session=None)
    # Calibration: each month a handful of voice contacts scored by every QA evaluator and the lead.
    cal_rows = []
    for p in pd.period_range(start, end - pd.Timedelta(days=1), freq="M"):
        when = p.end_time.floor("D") - pd.Timedelta(days=2) + pd.Timedelta(hours=14)
        pool = answered[
            (month == p).to_numpy()
            & (answered["channel"] == "voice").to_numpy()
            & (answered["end_time"] < when - pd.Timedelta(days=1)).to_numpy()
        ]
        chosen = pool.iloc[rng.choice(len(pool), min(5, len(pool)), replace=False)]
        for who in evaluators.loc[evaluators["role"].isin(["qa", "qa_lead"]), "evaluator_id"]:
            c = chosen[["contact_id", "agent_id", "channel", "start_time", "end_time"]].copy()
            c["evaluator_id"] = who
            c["mode"] = "calibration"
            c["evaluated_at"] = when
            c["calibration_session"] = f"CAL-{p}"
            c["sample_reason"] = None
            cal_rows.append(c)
    ev = pd.concat([ev, *cal_rows], ignore_index=True).sort_values("evaluated_at", kind="stable")
    ev = ev.reset_index(drop=True)
    ev["evaluation_id"] = [f"E{first + i + 1:07d}" for i in range(len(ev))]
    ev["scorecard_id"] = np.where(ev["channel"] == "chat", "online_chat", "hotline_voice")
    ev["scorecard_version"] = np.where(
        ev["channel"] == "chat", cards["chat"].version, cards["voice"].version
    )
    items = _items(rng, ev, r.latent, r.habits, cards, r.start)
    cols = ["evaluation_id", "contact_id", "agent_id", "evaluator_id", "evaluated_at", "mode",
            "scorecard_id", "scorecard_version", "calibration_session", "sample_reason"]  # fmt: skip
    out = ev[cols].astype(
        {c: "str" for c in cols if c != "evaluated_at"} | {"evaluated_at": "datetime64[us]"}
    )
    return out, items


def _roster_team(latent: pd.DataFrame, spec: DemoSpec) -> dict[str, str]:
    teams = _team_names(spec)
    return {a: teams[i % len(teams)] for i, a in enumerate(latent["agent_id"])}


def _habits(rng, evaluators: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Each evaluator's lasting leniency and accuracy (the share of items mis-marked)."""
    ids = evaluators["evaluator_id"]
    leniency = dict(zip(ids, rng.normal(0, 0.35, len(ids)), strict=True))
    leniency["Q00"] = 0.0  # the QA lead is the reference
    accuracy = dict(zip(ids, rng.uniform(0.005, 0.03, len(ids)), strict=True))
    accuracy["Q00"] = 0.0
    return {"leniency": leniency, "accuracy": accuracy}


def _items(rng, ev, latent, habits, cards: dict[str, Scorecard], start) -> pd.DataFrame:
    lat = latent.set_index("agent_id")
    leniency, accuracy = habits["leniency"], habits["accuracy"]
    frames = []
    for channel, card in cards.items():
        sub = ev[ev["channel"] == channel]
        if sub.empty:
            continue
        meta = card.items()
        n_ev, n_it = len(sub), len(meta)
        true_fail, na = true_faults(lat, sub, meta, start)
        len_ = np.array([leniency[e] for e in sub["evaluator_id"]])
        acc = np.array([accuracy[e] for e in sub["evaluator_id"]])
        flip = rng.random((n_ev, n_it)) < acc[:, None]
        harsh = rng.random((n_ev, n_it)) < np.clip(-len_, 0, None)[:, None] * 0.08
        soft = rng.random((n_ev, n_it)) < np.clip(len_, 0, None)[:, None] * 0.6
        crit = meta["critical"].to_numpy()[None, :]
        fail = (true_fail ^ (flip & ~crit)) | (harsh & ~crit)  # nobody mis-marks a bottom line
        fail &= ~(soft & true_fail & ~crit)
        fail &= ~na
        result = np.where(na, "na", np.where(fail, "fail", "pass"))
        pts = np.where(fail, meta["points"].to_numpy()[None, :], 0.0)
        item_ids = np.tile(meta["item_id"].to_numpy(), n_ev)
        flat_fail = fail.ravel()
        comment = np.full(n_ev * n_it, None, dtype=object)
        fi = np.flatnonzero(flat_fail)
        choice = rng.random(len(fi))
        comment[fi] = [
            COMMENTS[item_ids[k]][int(c * len(COMMENTS[item_ids[k]]))]
            for k, c in zip(fi, choice, strict=True)
        ]
        frames.append(
            pd.DataFrame(
                {
                    "evaluation_id": np.repeat(sub["evaluation_id"].to_numpy(), n_it),
                    "item_id": item_ids,
                    "result": result.ravel(),
                    "points_deducted": pts.ravel().astype("float64"),
                    "comment": comment,
                }
            )
        )
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["evaluation_id", "item_id"], kind="stable", ignore_index=True)
    return out.astype({"evaluation_id": "str", "item_id": "str", "result": "str", "comment": "str"})


def true_faults(
    lat: pd.DataFrame, contacts: pd.DataFrame, meta: pd.DataFrame, start
) -> tuple[np.ndarray, np.ndarray]:
    """The faults each contact truly has, per scorecard item (contacts x items), and which
    items do not apply: fixed by the contact and its agent's skill, so evaluators and the
    demo's conversations see the same truth. ``lat``: latent agent traits by agent_id."""
    n_it = len(meta)
    skill = lat.loc[contacts["agent_id"], "skill"].to_numpy()
    # New hires improve over their first months; everyone improves a little after coaching.
    months_in = ((contacts["start_time"] - pd.Timestamp(start)).dt.days / 30.0).to_numpy()
    is_new = lat.loc[contacts["agent_id"], "new"].to_numpy()
    skill = skill + 0.05 * months_in + np.where(is_new, 0.15 * months_in, 0)
    diff = np.array([ITEM_DIFFICULTY[i] for i in meta["item_id"]])
    seeds = contacts["contact_id"].str.slice(1).astype(int).to_numpy()
    u = _contact_uniform(seeds, n_it)
    p_true = 1 / (1 + np.exp(-(diff[None, :] - 1.1 * skill[:, None])))
    na = meta["na_allowed"].to_numpy()[None, :] & (_contact_uniform(seeds + 7, n_it) < 0.35)
    return (u < p_true) & ~na, na


def _contact_uniform(seeds: np.ndarray, k: int) -> np.ndarray:
    """Uniforms fixed by the contact (the same for every evaluator of it)."""
    x = (
        seeds.astype(np.uint64)[:, None] * np.uint64(2654435761)
        + np.arange(k, dtype=np.uint64)[None, :] * np.uint64(40503)
    ) % np.uint64(2**32)
    x = (x ^ (x >> np.uint64(13))) * np.uint64(1274126177) % np.uint64(2**32)
    return x.astype(np.float64) / 2**32


def _complaints(rng, contacts, end, first: int = 0) -> pd.DataFrame:
    c = contacts[contacts["complaint"].fillna(False).to_numpy(bool)]
    n = len(c)
    received = (c["end_time"] + pd.to_timedelta(rng.uniform(0.5, 48, n), unit="h")).dt.floor("s")
    recent = received > (end - pd.Timedelta(days=14))
    upheld = np.where(rng.random(n) < 0.62, True, False).astype(object)
    upheld[recent.to_numpy() & (rng.random(n) < 0.5)] = None
    return pd.DataFrame(
        {
            "complaint_id": pd.array([f"TS{first + i + 1:06d}" for i in range(n)], dtype="str"),
            "contact_id": c["contact_id"].to_numpy(),
            "agent_id": c["agent_id"].to_numpy(),
            "received_at": received.to_numpy(),
            "category": pd.array(
                np.where(rng.random(n) < 0.4, "attitude", "business"), dtype="str"
            ),
            "upheld": pd.array(upheld, dtype="boolean"),
        }
    ).astype({"contact_id": "str", "agent_id": "str", "received_at": "datetime64[us]"})


def _appeals(rng, evaluations, items, end, evaluators) -> pd.DataFrame:
    """5% of evaluations with a fail get an appeal of their first failed item. Decided ones
    were double-reviewed by two QA evaluators other than the one who scored, and signed off
    by the QA lead within 1-4 days; a tenth of those decisions wait for the sign-off still,
    and those filed in the center's last 5 days are undecided."""
    failed = items[(items["result"] == "fail").to_numpy()]
    ev = evaluations.set_index("evaluation_id")
    not_cal = ev.loc[failed["evaluation_id"], "mode"].to_numpy() != "calibration"
    failed = failed[not_cal]
    first = failed.drop_duplicates("evaluation_id")
    pick = first[rng.random(len(first)) < 0.05]
    n = len(pick)
    filed = (
        ev.loc[pick["evaluation_id"], "evaluated_at"].to_numpy()
        + pd.to_timedelta(rng.uniform(2, 72, n), unit="h").to_numpy()
    )
    filed = pd.to_datetime(filed).floor("s")
    decision = np.where(rng.random(n) < 0.3, "upheld", "rejected")
    decision = np.where(filed > end - pd.Timedelta(days=5), "pending", decision)
    qa = evaluators.loc[evaluators["role"] == "qa", "evaluator_id"].to_numpy()
    lead = evaluators.loc[evaluators["role"] == "qa_lead", "evaluator_id"]
    scorer = ev.loc[pick["evaluation_id"], "evaluator_id"].to_numpy()
    # two reviewers: QA evaluators drawn without the one who scored, never the same twice
    draws = rng.random((n, len(qa))) + (qa[None, :] == scorer[:, None])
    order = np.argsort(draws, axis=1)
    if len(qa) < 2:  # no double review possible: every decision waits
        decision = np.full(n, "pending")
        qa, order = np.array([None, None], dtype=object), np.zeros((n, 2), dtype=int)
    decided = decision != "pending"
    unsigned = decided & (rng.random(n) < 0.1)
    signed = decided & ~unsigned
    decided_at = filed + pd.to_timedelta(rng.uniform(24, 96, n), unit="h")
    none = np.array([None] * n, dtype=object)
    return pd.DataFrame(
        {
            "evaluation_id": pick["evaluation_id"].to_numpy(),
            "item_id": pick["item_id"].to_numpy(),
            "filed_at": filed.astype("datetime64[us]"),
            "decision": decision,
            "level": "appeal",
            "first_reviewer": np.where(decided, qa[order[:, 0]], none),
            "second_reviewer": np.where(decided, qa[order[:, 1]], none),
            "signed_off_by": np.where(signed, lead.iloc[0] if len(lead) else None, none),
            "decided_at": pd.Series(decided_at.floor("s")).where(signed).astype("datetime64[us]"),
        }
    ).astype({"evaluation_id": "str", "item_id": "str", "decision": "str", "level": "str"})


def _messages(
    spec: DemoSpec, contacts, latent, cards, start, month: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Messages for every answered chat (without ``full_messages``: the complained-about
    chats and a fixed 5% of the others) and transcripts for a share of the calls
    (``TRANSCRIBED``), with each contact's true faults planted."""
    from .demo_conversations import TRANSCRIBED, conversations

    lat = latent.set_index("agent_id")
    answered = contacts[contacts["answered"].fillna(False).to_numpy(bool)]
    seeds = answered["contact_id"].str.slice(1).astype(int).to_numpy()
    out = []
    for channel, card in cards.items():
        sub = answered[(answered["channel"] == channel).to_numpy()]
        if channel == "voice":
            sub = sub[
                _contact_uniform(seeds[(answered["channel"] == channel).to_numpy()] + 11, 1)[:, 0]
                < TRANSCRIBED
            ]
        elif not spec.full_messages:
            sub = sub[sub["complaint"].fillna(False).to_numpy(bool)
                      | (_contact_uniform(sub["contact_id"].str.slice(1).astype(int).to_numpy() + 11, 1)[:, 0] < 0.05)]  # fmt: skip
        meta = card.items()
        truth, na = true_faults(lat, sub, meta, start)
        col = {i: k for k, i in enumerate(meta["item_id"])}
        f = {kind: truth[:, col[item]] for kind, item in FAULT_ITEMS[channel].items()}
        if channel == "chat":
            f["lookup_na"] = na[:, col["CH03"]]
        else:  # one listening fault: the customer repeats, or the agent talks over them
            half = (
                _contact_uniform(sub["contact_id"].str.slice(1).astype(int).to_numpy() + 13, 1)[
                    :, 0
                ]
                < 0.5
            )
            f["talk_over"] = f["repeat"] & half
            f["repeat"] = f["repeat"] & ~half
        out.append(
            conversations(sub, f, channel, spec.seed + 10 * month + (1 if channel == "chat" else 2))
        )
    return out[0], out[1]


# The fault kinds the demo plants in conversations, per channel: kind -> scorecard item.
FAULT_ITEMS = {
    "chat": {"first": "CH01", "average": "CH02", "lookup": "CH03", "greeting": "CH04",
             "closing": "CH05", "you": "CH06", "forbidden": "CH07", "rhetoric": "CH08",
             "repeat": "CH09", "hurry": "CH10"},
    "voice": {"greeting": "NRM01", "closing": "NRM02", "you": "NRM03", "forbidden": "ATT04",
              "rhetoric": "SKL04", "repeat": "ATT03", "hurry": "SKL03", "silence": "NRM05"},
}  # fmt: skip


def _penalty_events(rng, contacts, first: int = 0) -> pd.DataFrame:
    """The penalty register: wrong answers that cost the customer money (资损, about 1 in
    20,000 answered contacts) and bottom-line findings made in live monitoring (1 in 150,000)."""
    answered = contacts[contacts["answered"].fillna(False).to_numpy(bool)]
    loss = rng.random(len(answered)) < 1 / 20_000
    found = ~loss & (rng.random(len(answered)) < 1 / 150_000)
    c = answered[loss | found]
    kind = np.where(loss[loss | found], "financial_loss", "bottom_line_finding")
    amount = np.where(kind == "financial_loss", rng.integers(3, 200, len(c)) * 10.0, np.nan)
    note = np.where(
        kind == "financial_loss",
        ["错误告知资费，客户多付 " + f"{a:.0f} 元" for a in amount],
        "实时监听发现辱骂客户",
    )
    return pd.DataFrame(
        {
            "event_id": pd.array([f"KF{first + i + 1:05d}" for i in range(len(c))], dtype="str"),
            "agent_id": c["agent_id"].to_numpy(),
            "contact_id": c["contact_id"].to_numpy(),
            "occurred_at": (c["end_time"] + pd.Timedelta(hours=2)).to_numpy(),
            "kind": pd.array(kind, dtype="str"),
            "amount": amount,
            "note": pd.array(note, dtype="str"),
        }
    ).astype({"agent_id": "str", "contact_id": "str", "occurred_at": "datetime64[us]"})
