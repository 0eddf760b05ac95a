"""The demo's conversations: messages for every chat and transcripts for part of the calls,
in natural Chinese, with each contact's true faults (``demo.true_faults``) planted in them.

What the auto-QA rules should find is therefore known: a fault is planted in a form the rules
catch, except for a known share written in words no list holds (``EVADE``, so recall against
the truth is not 1), and fault-free contacts carry decoys a naive substring search would
flag (能不能 beside the forbidden 不能). Evaluators see the same truth, with their own errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EVADE = 0.15  # share of planted wording faults written in words the rule lists do not hold
DECOY = 0.2  # share of contacts with a harmless look-alike (能不能, 不是...的话)
TRANSCRIBED = 0.03  # share of calls with a transcript (speech analytics covers a sample)

QUESTIONS = {
    "话费查询": ["我想查一下这个月的话费", "帮我查查上个月扣了多少钱", "我的话费余额还有多少？"],
    "套餐变更": ["我想换一个便宜点的套餐", "现在的套餐流量不够用，能换吗？"],
    "宽带故障报修": ["我家宽带从昨天开始就连不上网", "宽带一直掉线，怎么回事？"],
    "账单异议": ["为什么这个月多扣了二十块钱？", "账单上有一笔增值业务费我没办过"],
    "业务办理": ["我想开通国际漫游", "怎么办理副卡？"],
    "流量咨询": ["流量包怎么叠加？", "我这个月的流量用了多少？"],
    "停复机": ["我要办理停机保号", "我的号码被停机了，怎么恢复？"],
    "投诉建议": ["你们的营业厅排队太久了", "上次反映的问题到现在都没解决"],
    "携号转网": ["携号转网需要什么条件？", "我想转到别的运营商"],
    "积分兑换": ["积分怎么兑换流量？", "我的积分快过期了"],
    "其他咨询": ["你们营业厅几点下班？", "发票怎么开？"],
}
GREETING = ["您好，很高兴为您服务！请问有什么可以帮您？", "您好，很高兴为您服务！"]
BAD_GREETING = ["在的，说吧", "嗯，什么问题", "喂，啥事？"]
CLOSING = ["感谢您的咨询，祝您生活愉快！", "请问还有其他可以帮您的吗？感谢您的咨询，祝您生活愉快！"]
CALL_CLOSING = ["感谢您的来电，祝您生活愉快！再见。"]
BAD_CLOSING = ["好的。", "嗯，那就这样。"]
ASK = [
    "请您提供一下机主姓名和身份证后四位，我帮您核实。",
    "好的，请问是本机号码吗？",
    "麻烦您说一下具体的情况。",
]
LOOKUP = ["我帮您查询一下，请稍等。", "好的，请您稍等，这边为您核实一下。"]
SOLUTION = ["已为您查询到，本月话费为{n}元，其中套餐费58元。", "已为您提交报修工单，师傅会在24小时内联系您。",
            "建议您办理{n}元的畅享套餐，流量更多。", "已经为您办理好了，下个月生效。", "您可以通过营业厅APP自助办理，也可以由我为您登记。"]  # fmt: skip
YOU = ["你的号码是多少？", "你稍等一下", "你自己看一下短信"]
FORBIDDEN = ["这个我不清楚。", "这个我也不知道。", "这个业务我不了解。", "这个不能办。"]
FORBIDDEN_EVADE = ["这个我也搞不明白。", "这事我说不好。"]
RHETORIC = ["您不是已经办过了吗？", "您没看短信吗？", "难道您没收到通知？"]
NEGATIVE = ["我只能帮您登记一下。", "我没有权利给您退费。"]
NEGATIVE_EVADE = ["这个得您自己去营业厅弄。"]
DECOYS = ["我看看能不能帮您申请一下优惠。", "如果不是本人办理的话，需要带身份证。"]
HURRY = ["没别的事我先挂了。", "先这样吧。"]
OK = ["好的", "嗯嗯", "明白了", "谢谢"]
INFO = ["是本机号码", "机主是我本人", "就是这个号码", "好的，稍等"]
PHONE = "我的号码是1{0}{1}"


def conversations(
    contacts: pd.DataFrame, faults: dict[str, np.ndarray], channel: str, seed: int
) -> pd.DataFrame:
    """Utterances of ``contacts`` (one channel) with the faults planted: ``faults`` maps a
    fault kind (greeting, closing, you, forbidden, rhetoric, repeat, hurry, first, average,
    lookup, lookup_na, silence, talk_over) to a bool per contact. Returns chat messages
    (``conversation_id, seq, sender, timestamp, text``) or transcript turns (``contact_id,
    turn, speaker, start_s, end_s, text``)."""
    rng = np.random.default_rng(seed)
    n = len(contacts)
    f = {k: np.asarray(v, bool) for k, v in faults.items()}
    none = np.zeros(n, bool)
    u = rng.random((n, 12))
    topics = contacts["topic"].fillna("其他咨询").to_numpy(object)
    rows: list[tuple] = []
    voice = channel == "voice"
    for i in range(n):
        flags = {k: bool(v[i]) for k, v in f.items()}
        q = QUESTIONS.get(topics[i], QUESTIONS["其他咨询"])
        rows.append(_talk(rng, u[i], q, flags, voice))
    return _frame(contacts, rows, channel, f.get("talk_over", none), rng)


def _talk(rng, r: np.ndarray, q: list[str], fl: dict[str, bool], voice: bool) -> list[tuple]:
    """One conversation with the faults ``fl`` planted: (speaker, text, chat delay, call gap)."""
    pick = rng.integers(0, 1_000_000, 10)
    talk: list[tuple[str, str, float, float]] = []  # speaker, text, chat delay, call gap (s)

    def say(who: str, text: str, wait: float, gap: float = 0.8) -> None:
        talk.append((who, text, wait, gap))

    def fast() -> float:
        return (
            float(3 + 22 * rng.random())
            if not fl.get("average", False)
            else float(60 + 40 * rng.random())
        )

    question = q[pick[0] % len(q)]
    if r[0] < 0.1:
        question += "，" + PHONE.format(3 + pick[1] % 7, f"{pick[2] % 10**9:09d}")
    say("customer", question, 0.0)
    first = (35 + 25 * r[1]) if fl.get("first", False) else (4 + 20 * r[1])
    say("agent", (BAD_GREETING if fl["greeting"] else GREETING)[pick[3] % 2], first)
    say("agent", ASK[pick[4] % len(ASK)], 4.0)
    say("customer", INFO[pick[5] % len(INFO)], 10 + 20 * r[3])
    if fl["you"]:
        say("agent", YOU[pick[6] % len(YOU)], fast())
        say("customer", "嗯", 8.0)
    if fl["repeat"]:
        say("agent", "好的。", fast())
        say("customer", question, 15 + 20 * r[4])
    if fl["forbidden"]:
        evade = r[5] < EVADE
        kinds = FORBIDDEN_EVADE if evade else (RHETORIC if voice and r[7] < 0.3 else FORBIDDEN)
        say("agent", kinds[pick[7] % len(kinds)], fast())
        say("customer", "那怎么办？", 10.0)
    if fl["rhetoric"]:
        evade = r[6] < EVADE
        kinds = NEGATIVE_EVADE if evade else (RHETORIC if r[7] < 0.5 and not voice else NEGATIVE)
        say("agent", kinds[pick[8] % len(kinds)], fast())
        say("customer", "……", 10.0)
    elif r[8] < DECOY:
        say("agent", DECOYS[pick[9] % len(DECOYS)], fast())
        say("customer", "好的", 8.0)
    if not fl.get("lookup_na", False) and (not voice or r[9] < 0.3):
        say("agent", LOOKUP[pick[1] % len(LOOKUP)], fast())
        wait = (130 + 120 * r[10]) if fl.get("lookup", False) else (20 + 80 * r[10])
        gap = 20 + 60 * r[10]  # on a call: a hold the agent announced
    else:
        wait, gap = fast(), 0.8
    if voice and fl.get("silence", False):  # an unannounced silence
        say("agent", "嗯……", wait, gap)
        gap = 35 + 30 * r[11]
    if fl["hurry"]:
        say("agent", HURRY[pick[2] % len(HURRY)] if fl["closing"] else
            (CALL_CLOSING if voice else CLOSING)[0], wait, gap)  # fmt: skip
        say("customer", "我的问题还没解决呢", 5.0)
        say(
            "agent",
            BAD_CLOSING[pick[3] % 2] if fl["closing"] else "好的，那您再咨询。",
            fast(),
        )
    else:
        say("agent", SOLUTION[pick[4] % len(SOLUTION)].format(n=30 + pick[5] % 170), wait, gap)
        say("customer", OK[pick[6] % len(OK)], 10 + 10 * r[11])
        say("agent", BAD_CLOSING[pick[7] % 2] if fl["closing"] else
            (CALL_CLOSING if voice else CLOSING)[pick[8] % (1 if voice else 2)], fast())  # fmt: skip
    return talk


def _frame(contacts, rows, channel, talk_over, rng) -> pd.DataFrame:
    ids = contacts["contact_id"].to_numpy(object)
    lens = np.array([len(t) for t in rows], dtype=np.int64)
    cid = np.repeat(ids, lens)
    seq = np.concatenate([np.arange(1, k + 1) for k in lens]) if len(lens) else np.zeros(0)
    who = np.array([w for t in rows for w, _, _, _ in t], dtype=object)
    text = np.array([x for t in rows for _, x, _, _ in t], dtype=object)
    wait = np.array([d for t in rows for _, _, d, _ in t], dtype=float)
    gap = np.array([g for t in rows for _, _, _, g in t], dtype=float)
    conv = np.repeat(np.arange(len(rows)), lens)
    if channel == "chat":
        start = np.repeat(contacts["start_time"].to_numpy("datetime64[us]"), lens)
        t = pd.Series(wait).groupby(conv).cumsum().to_numpy()
        return pd.DataFrame(
            {
                "conversation_id": cid,
                "seq": seq.astype("float64"),
                "sender": who,
                "timestamp": (start + (t * 1e6).astype("timedelta64[us]"))
                .astype("datetime64[s]")
                .astype("datetime64[us]"),
                "text": text,
            }
        ).astype({"conversation_id": "str", "sender": "str", "text": "str"})
    # Calls: a turn lasts about 0.25 s per character; the next starts after the wait (or,
    # for a talk-over, before the customer has finished).
    dur = 1.0 + 0.25 * np.array([len(x) for x in text])
    start = np.zeros(len(text))
    end = np.zeros(len(text))
    over = np.repeat(talk_over, lens)
    for k in range(len(text)):
        if seq[k] == 1:
            start[k] = 1.0
        else:
            cut = over[k] and who[k] == "agent" and who[k - 1] == "customer"
            start[k] = end[k - 1] - (1.5 + rng.random()) if cut else end[k - 1] + gap[k]
        end[k] = start[k] + dur[k]
    return pd.DataFrame(
        {"contact_id": cid, "turn": seq.astype("float64"), "speaker": who,
         "start_s": np.round(start, 2), "end_s": np.round(end, 2), "text": text}
    ).astype({"contact_id": "str", "speaker": "str", "text": "str"})  # fmt: skip
