"""Any data folder the loaders accept works in every command: the same center as Parquet, CSV
(in GB18030), Excel and a SQLite database draws the same sample for the same seed, and a
converted file's Parquet copy is made again when the file changes."""

from __future__ import annotations

import os
import time

import pandas as pd
import pytest

from qaworkbench.data import engine
from qaworkbench.data.load import save_center
from qaworkbench.demo import DemoSpec, build
from qaworkbench.sampling import load_plan, sample_month
from qaworkbench.scoring.period import score_period

TINY = DemoSpec(agents=10, teams=2, chat_teams=1, months=2, contacts_per_day=8, evaluators=3,
                qa_rate=0.05)  # fmt: skip
HOTLINE = load_plan("hotline")


@pytest.fixture(scope="module")
def centers(tmp_path_factory):
    tables = build(TINY)
    root = tmp_path_factory.mktemp("formats")
    save_center(tables, root / "parquet")
    for fmt in ("csv", "excel"):
        d = root / fmt
        d.mkdir()
        for name, df in tables.items():
            if fmt == "csv":
                df.to_csv(d / f"{name}.csv", index=False, encoding="gb18030")
            else:
                df.to_excel(d / f"{name}.xlsx", index=False)
    url = f"sqlite:///{root / 'center.db'}"
    save_center(tables, url)
    return {"parquet": root / "parquet", "csv": root / "csv", "excel": root / "excel", "sql": url}


def test_the_same_sample_from_every_format(centers):
    samples = {fmt: sample_month(src, "2026-06", HOTLINE, seed=3) for fmt, src in centers.items()}
    ref = samples["parquet"]
    assert len(ref.contacts) > 20
    for fmt, s in samples.items():
        pd.testing.assert_frame_equal(s.contacts, ref.contacts, obj=f"{fmt} sample")
        pd.testing.assert_frame_equal(s.summary, ref.summary, obj=f"{fmt} summary")
    assert any("Parquet copy" in n for n in samples["csv"].notes)
    assert not any("Parquet copy" in n for n in ref.notes)


def test_scores_agree_across_formats(centers):
    from qaworkbench.data.load import load_center
    from qaworkbench.periods import parse_period

    p = parse_period("2026-06")
    ref = score_period(load_center(centers["parquet"]), p).agents
    for fmt in ("csv", "sql"):
        got = score_period(load_center(centers[fmt]), p).agents
        pd.testing.assert_frame_equal(got, ref, obj=fmt)


def test_a_converted_file_is_converted_again_when_it_changes(centers, tmp_path):
    import shutil

    d = tmp_path / "csv"
    shutil.copytree(centers["csv"], d)
    con = engine.connect(d, tables=("contacts",))
    n = con.execute("SELECT count(*) FROM contacts").fetchone()[0]
    cached = list((d / ".qaw-cache").glob("table-contacts-*.parquet"))
    assert len(cached) == 1
    c = pd.read_csv(d / "contacts.csv", dtype=str, encoding="gb18030")
    c.iloc[:-5].to_csv(d / "contacts.csv", index=False, encoding="gb18030")
    os.utime(d / "contacts.csv", (time.time() + 5, time.time() + 5))
    con = engine.connect(d, tables=("contacts",))
    assert con.execute("SELECT count(*) FROM contacts").fetchone()[0] == n - 5
    assert len(list((d / ".qaw-cache").glob("table-contacts-*.parquet"))) == 1  # the old one went
