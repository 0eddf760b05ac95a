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


def case_text(case: pd.Series, code: PenaltyCode, names: pd.Series, lang: str) -> str:
    """One penalty case: the rule's name, its points and where it was found."""
    rules = {r.id: (r.name if lang == "zh" else r.name_en) for r in code.rules}
    words = str(case["evidence"]).split()
    ref = words[1] if len(words) > 1 else str(case["case_id"])
    if case["source"] == "evaluation" and "item" in words:  # "evaluation E1 item ATT01,SKL02"
        items = words[words.index("item") + 1].split(",")
        ref += " " + "、".join(str(names.get(i, i)) for i in items)
    source = i18n.say(f"source_{case['source']}", lang, ref=ref)
    return i18n.say(
        "evidence_case", lang, rule=rules.get(case["rule_id"], case["rule_id"]),
        points=f"{case['points']:g}", source=source,
    )  # fmt: skip


def status_evidence(
    status: pd.DataFrame, cases: pd.DataFrame, code: PenaltyCode, names: pd.Series, lang: str
) -> pd.Series:
    """For each row of ``penalties.agent_status`` (one month): the evidence in ``lang``. Full
    marks and demotion say what they rest on (evaluations, cases); thin evidence is flagged."""
    month = pd.Period(status["month"].iloc[0], "M") if len(status) else None
    c = cases[pd.to_datetime(cases["at"]).dt.to_period("M") == month] if len(cases) else cases
    sep = "；" if lang == "zh" else "; "
    texts = {}
    for agent, g in c.groupby("agent_id") if len(c) else []:
        texts[agent] = (
            sep.join(case_text(r, code, names, lang) for _, r in g.iterrows()),
            sep.join(
                case_text(r, code, names, lang)
                for _, r in g[g["bottom_line"].astype(bool)].iterrows()
            ),
        )
    out = []
    for r in status.itertuples():
        every, bottom = texts.get(r.agent_id, ("", ""))
        if r.status == "frozen":
            out.append(i18n.say("bottom_line_evidence", lang, cases=bottom))
        elif r.status == "demoted":
            out.append(
                i18n.say("demotion_evidence", lang, points=f"{r.penalty_points:g}",
                         limit=f"{code.monthly_demotion_points:g}", cases=every)
            )  # fmt: skip
        elif r.status == "full_marks":
            text = i18n.say("full_marks_evidence", lang, n=r.evaluations)
            out.append(
                text + (i18n.say("thin", lang, n=r.evaluations) if r.evaluations < MIN_N else "")
            )
        else:
            out.append(every)
    return pd.Series(out, index=status.index, dtype=object)


def contact_evidence(failed: pd.DataFrame, lang: str) -> str:
    """The latest failed item with a comment: "contact (customer 138****5678): comment"."""
    f = failed.sort_values("evaluated_at", ascending=False, kind="stable")
    withc = f[f["comment"].fillna("").str.strip() != ""]
    r = (withc if len(withc) else f).iloc[0]
    comment = mask_text(str(r["comment"])) if pd.notna(r["comment"]) else ""
    return i18n.say(
        "evidence_ref", lang, contact=r["contact_id"], customer=mask_id(r["customer_id"]), comment=comment
    )  # fmt: skip


def counted(items: pd.Series, names: pd.Series, lang: str, top: int = 3) -> str:
    """The most frequent items as "name ×count", most frequent first."""
    sep = "、" if lang == "zh" else "; "
    vc = items.value_counts(sort=True).head(top)
    return sep.join(i18n.say("count_times", lang, item=names.get(k, k), n=v) for k, v in vc.items())
