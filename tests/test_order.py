"""Names people read come in natural order: 二 < 十 < 十三, 一组 … 十七组, A2 < A10."""

from __future__ import annotations

import pandas as pd

from qaworkbench.data.load import load_center, save_center
from qaworkbench.demo import DemoSpec, build
from qaworkbench.order import natural_key, natural_sorted, sort_natural
from qaworkbench.periods import parse_period
from qaworkbench.scoring.period import score_period


def test_chinese_and_arabic_numerals_compare_as_numbers():
    teams = ["话务十七组", "在线三组", "话务十三组", "话务二组", "在线二组", "话务十组", "话务一组"]
    assert natural_sorted(teams) == [
        "在线二组", "在线三组", "话务一组", "话务二组", "话务十组", "话务十三组", "话务十七组",
    ]  # fmt: skip
    assert natural_sorted(["二", "十三", "十", "一百零五", "二十一"]) == [
        "二", "十", "十三", "二十一", "一百零五",
    ]  # fmt: skip
    assert natural_sorted(["A10", "A2", None, "A1"]) == ["A1", "A2", "A10", None]
    assert natural_key("十十") > natural_key("九")  # not a numeral: compared as text, no error


def test_frames_sort_naturally_and_stably():
    df = pd.DataFrame({"team": ["T十", "T二", "T十", "T二"], "n": [2, 9, 1, 3]})
    assert sort_natural(df, ["team", "n"])["n"].tolist() == [3, 9, 1, 2]


def test_score_tables_list_teams_in_natural_order(tmp_path):
    save_center(build(DemoSpec(agents=40, teams=14, chat_teams=2, months=1, contacts_per_day=8,
                               evaluators=3, qa_rate=0.05)), tmp_path)  # fmt: skip
    st = score_period(load_center(tmp_path), parse_period("2026-05"))
    for table in (st.teams, st.agents):
        teams = list(dict.fromkeys(table["team"]))
        assert len(teams) > 10 and teams == natural_sorted(teams)
    assert st.pareto["team"].iloc[0] == "(center)"


def test_frames_sort_by_each_values_rank_as_natural_key_orders_them():
    teams = ["话务十三组", None, "A10", "话务二组", "A2", "话务二组", None, "话务一百零五组", "A2"]
    df = pd.DataFrame({"team": teams, "n": [5, 1, 2, 3, 4, 0, 6, 7, 8]})
    # stable on ties; missing names last, like natural_key
    expected = sorted(range(len(df)), key=lambda i: natural_key(teams[i]))
    for frame in (df, df.astype({"team": "category"}), df.astype({"team": "object"})):
        assert sort_natural(frame, ["team"]).index.tolist() == expected
    by_two = sort_natural(df, ["team", "n"])
    assert by_two["n"].tolist() == [4, 8, 2, 0, 3, 5, 7, 1, 6]
