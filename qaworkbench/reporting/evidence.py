"""Evidence in the reader's language: why an agent is frozen, demoted or at full marks, and
which contacts show it (customer numbers masked)."""

from __future__ import annotations

import pandas as pd

from ..privacy import mask_id, mask_text
from ..scoring.penalties import PenaltyCode
from ..stats import MIN_N
from . import i18n


def item_names(items: pd.DataFrame, lang: str) -> pd.Series:
    """Item names in ``lang`` by item id (from ``scoring.item_table``)."""
    return items.drop_duplicates("item_id").set_index("item_id")[
        "item" if lang == "zh" else "item_en"
    ]


def case_texts(cases: pd.DataFrame, code: PenaltyCode, names: pd.Series, lang: str) -> list[str]:
    """Each penalty case of ``cases``: the rule's name, its points and where it was found."""
    rules = {r.id: (r.name if lang == "zh" else r.name_en) for r in code.rules}
    out = []
    for case in cases.to_dict("records"):
        words = str(case["evidence"]).split()
        ref = words[1] if len(words) > 1 else str(case["case_id"])
        if case["source"] == "evaluation" and "item" in words:  # "evaluation E1 item ATT01,SKL02"
            items = words[words.index("item") + 1].split(",")
            shown = [str(names[i]) if i in names.index else i for i in items]
            ref += " " + "、".join(shown) if lang == "zh" else ": " + "; ".join(shown)
        source = i18n.say(f"source_{case['source']}", lang, ref=ref)
        out.append(i18n.say(
            "evidence_case", lang, rule=rules.get(case["rule_id"], case["rule_id"]),
            points=f"{case['points']:g}", source=source,
        ))  # fmt: skip
    return out


def status_evidence(
    status: pd.DataFrame, cases: pd.DataFrame, code: PenaltyCode, names: pd.Series, lang: str
) -> pd.Series:
    """For each row of ``penalties.agent_status`` (one month): the evidence in ``lang``. A
    freeze or a demotion says since when and rests on the cases from then (an earlier month's
    too); full marks say what they rest on; thin evidence is flagged."""
    month = pd.Period(status["month"].iloc[0], "M") if len(status) else None
    at = pd.to_datetime(cases["at"]) if len(cases) else pd.Series(dtype="datetime64[ns]")
    sep = "；" if lang == "zh" else "; "
    every: dict[str, str] = {}
    text = pd.Series(dtype=object)
    if len(cases):
        text = pd.Series(case_texts(cases, code, names, lang), index=cases.index)
        now = (at.dt.to_period("M") == month).to_numpy()
        every = text[now].groupby(cases["agent_id"][now]).agg(sep.join).to_dict()
    out = []
    for r in status.itertuples():
        since = getattr(r, "since", pd.NaT)
        if r.status in ("frozen", "demoted") and pd.notna(since):
            mine = (cases["agent_id"] == r.agent_id).to_numpy() & (at >= since).to_numpy()
            if r.status == "frozen":
                mine &= cases["bottom_line"].astype(bool).to_numpy()
            else:  # the month the demotion began
                mine &= (at.dt.to_period("M") == pd.Period(since, "M")).to_numpy()
            which = sep.join(text[mine])
            day, began = f"{since:%Y-%m-%d}", f"{since:%Y-%m}"
            if r.status == "frozen":
                out.append(i18n.say("bottom_line_evidence", lang, since=day, cases=which))
            else:
                pts = cases.loc[mine & cases["rule_id"].isin(_counting(code)).to_numpy(), "points"]
                out.append(
                    i18n.say("demotion_evidence", lang, since=day, month=began,
                             points=f"{pts.sum():g}", limit=f"{code.monthly_demotion_points:g}",
                             cases=which)
                )  # fmt: skip
        elif r.status == "full_marks":
            t = i18n.say("full_marks_evidence", lang, n=r.evaluations)
            out.append(
                t + (i18n.say("thin", lang, n=r.evaluations) if r.evaluations < MIN_N else "")
            )
        else:
            out.append(every.get(r.agent_id, ""))
    return pd.Series(out, index=status.index, dtype=object)


def _counting(code: PenaltyCode) -> set[str]:
    return {r.id for r in code.rules if r.counts_toward_demotion}


def latest_evidence(failed: pd.DataFrame, lang: str) -> pd.Series:
    """Per agent, the latest failed item with a comment (else the latest):
    "contact (customer 138****5678): comment", by agent_id."""
    f = failed.assign(_c=failed["comment"].fillna("").astype(str).str.strip() != "")
    f = f.sort_values(["_c", "evaluated_at"], ascending=False, kind="stable")
    f = f.drop_duplicates("agent_id")
    text = [
        i18n.say(
            "evidence_ref",
            lang,
            contact=c,
            customer=mask_id(k),
            comment=mask_text(str(m)) if isinstance(m, str) else "",
        )
        for c, k, m in zip(f["contact_id"], f["customer_id"], f["comment"], strict=True)
    ]
    return pd.Series(text, index=f["agent_id"].to_numpy(), dtype=object)


def counted(items: pd.Series, names: pd.Series, lang: str, top: int = 3) -> str:
    """The most frequent items as "name ×count", most frequent first."""
    sep = "、" if lang == "zh" else "; "
    vc = items.value_counts(sort=True).head(top)
    return sep.join(i18n.say("count_times", lang, item=names.get(k, k), n=v) for k, v in vc.items())


def counted_by(
    failed: pd.DataFrame, key: str, names: pd.Series, lang: str, top: int = 3
) -> pd.Series:
    """``counted`` for every value of ``key`` at once (one pass, not one filter per agent)."""
    sep = "、" if lang == "zh" else "; "
    c = failed.groupby([key, "item_id"]).size().rename("n").reset_index()
    c = c.sort_values([key, "n"], ascending=[True, False], kind="stable").groupby(key).head(top)
    nm, said = names.to_dict(), {}  # a dict: Series.get per row cost 0.4 s on 2,000 agents
    for pair in zip(c["item_id"], c["n"], strict=True):
        if pair not in said:
            said[pair] = i18n.say("count_times", lang, item=nm.get(pair[0], pair[0]), n=pair[1])
    text = [said[p] for p in zip(c["item_id"], c["n"], strict=True)]
    return pd.Series(text, index=c.index).groupby(c[key]).agg(sep.join)
