"""The demo's QA team evaluates its own sample (issue 30, point 6): each month's sample is drawn
by the real sampler before that month's evaluations exist, the evaluations are of that sample by
the evaluators it was allocated to, and plan completion reads like a working team's."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from qaworkbench.cli import main
from qaworkbench.data.load import load_center
from qaworkbench.sampling import sample_month
from qaworkbench.sampling.allocation import completion
from qaworkbench.sampling.plan import load_plan

MONTHS = ("2026-05", "2026-06")


@pytest.fixture(scope="module")
def center(tmp_path_factory):
    root = tmp_path_factory.mktemp("own_sample")
    r = CliRunner().invoke(main, [
        "demo", "--out", str(root / "data"), "--samples", str(root / "samples"), "--agents", "24",
        "--teams", "4", "--chat-teams", "1", "--months", "2", "--evaluators", "3",
        "--contacts-per-day", "12",
    ], catch_exceptions=False)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"kept in {root / 'samples'}" in r.output
    return root


def _sample(root, month) -> pd.DataFrame:
    return pd.read_csv(root / "samples" / month / "sample.csv", dtype=str, encoding="utf-8-sig",
                       keep_default_na=False)  # fmt: skip


def test_every_evaluation_is_of_the_months_sample_by_its_evaluator(center):
    ev = load_center(center / "data", tables=("evaluations",)).evaluations
    ev = ev[ev["mode"] != "calibration"]
    assert len(ev) > 100
    contacts = load_center(center / "data", tables=("contacts",)).contacts.set_index("contact_id")
    ev = ev.assign(month=contacts.loc[ev["contact_id"], "start_time"].dt.strftime("%Y-%m").values)
    for m in MONTHS:
        planned = _sample(center, m)
        rows = planned[planned["contact_id"] != ""].set_index("contact_id")
        done = ev[(ev["month"] == m) & ev["contact_id"].isin(rows.index)]
        # every evaluation of a planned contact is by the evaluator it was allocated to
        assert (done["evaluator_id"].to_numpy() == rows.loc[done["contact_id"], "evaluator_id"]
                .to_numpy()).all()  # fmt: skip
        # the rest are the live-listening slots: the agent's call that day, listened to live
        live = ev[(ev["month"] == m) & ~ev["contact_id"].isin(rows.index)]
        slots = planned[planned["contact_id"] == ""]
        assert set(live["mode"]) == {"real_time"}
        day = contacts.loc[live["contact_id"], "start_time"].dt.strftime("%Y-%m-%d").to_numpy()
        assert set(zip(live["agent_id"], day, strict=True)) <= set(
            zip(slots["agent_id"], slots["date"], strict=True)
        )
        assert len(live) <= len(slots) and len(done) <= len(rows)


def test_the_sample_was_drawn_before_the_months_evaluations(center, tmp_path):
    """Drawing the last month again on the center as it stood before that month's evaluations
    (the month's evaluations, their items and appeals removed) gives the kept sample."""
    d = tmp_path / "before"
    shutil.copytree(center / "data", d)
    for table in ("evaluations", "evaluation_items", "appeals", "chat_messages", "transcripts",
                  "penalty_events"):  # fmt: skip
        (d / table / f"{MONTHS[-1]}.parquet").unlink()
    s = sample_month(d, MONTHS[-1], load_plan("hotline"), int(MONTHS[-1].replace("-", "")))
    kept = _sample(center, MONTHS[-1])
    assert set(s.contacts["contact_id"]) == set(kept.loc[kept["contact_id"] != "", "contact_id"])
    # drawn after the fact, the sampler skips what was evaluated: why the demo samples first
    after = sample_month(center / "data", MONTHS[-1], load_plan("hotline"), 202606)
    assert set(after.contacts["contact_id"]) != set(s.contacts["contact_id"])


def test_plan_completion_reads_like_a_working_team(center):
    ev = load_center(center / "data", tables=("evaluations",)).evaluations
    for m in MONTHS:
        by_eval, _ = completion(_sample(center, m), ev)
        t = by_eval[["planned", "done", "late", "overdue", "not_due"]].sum()
        assert 0.8 <= t["done"] / t["planned"] < 0.98, t.to_dict()  # most done, not all
        assert 0 < t["late"] < 0.2 * t["planned"]
        assert t["overdue"] > 0  # a few missed
        assert t["done"] + t["overdue"] + t["not_due"] == t["planned"]
    # the last month's last days are still open when the data ends; the first month's are not
    first, _ = completion(_sample(center, MONTHS[0]), ev)
    last, _ = completion(_sample(center, MONTHS[-1]), ev)
    assert first["not_due"].sum() == 0 and last["not_due"].sum() > 0


def test_page_one_gives_completion_or_says_what_to_run(center, tmp_path):
    from qaworkbench.reporting import contents, display

    def line(samples, lang):
        ctx = contents.build("weekly", center / "data", "2026-W24", language=lang,
                             samples_dir=samples)  # fmt: skip
        return display.headline(ctx.tables["headline"], "2026-W24", "W23", lang).data

    got = line(center / "samples", "zh")
    assert re.search(r"计划完成 \d+/\d+（\d+%），逾期未做 \d+，未到期 \d+", got), got
    assert "Plan completion" in line(center / "samples", "en")
    said = {"zh": "尚无抽样计划：请先运行 qaw sample --month 2026-06",
            "en": "No sample for this period yet: run qaw sample --month 2026-06"}  # fmt: skip
    for lang in ("zh", "en"):
        assert said[lang] in line(tmp_path, lang)
