import numpy as np
import pandas as pd
import pytest

from qaworkbench import frames
from qaworkbench.data import parse


def S(*vals, dtype=object):
    return pd.Series(list(vals), dtype=dtype)


def test_durations_in_every_written_form():
    p = parse.parse_duration(
        S("95", "01:35", "00:01:35", "1:02:03", "12:02:23 AM", "01:00:00 PM", "", None)
    )
    assert p.values.tolist()[:6] == [95, 95, 95, 3723, 143, 13 * 3600]
    assert p.values.iloc[6:].isna().all()
    assert not p.bad.any()


def test_duration_units_and_excel_day_fraction():
    assert parse.parse_duration(S(2.5, dtype="float64"), unit="min").values.iloc[0] == 150
    assert parse.parse_duration(S("0.5"), unit="day").values.iloc[0] == 43200


def test_unparseable_duration_is_flagged_not_dropped():
    p = parse.parse_duration(S("3 min", "12:75", "abc", "30"))
    assert p.bad.tolist() == [True, True, True, False]


def test_flags_in_chinese_and_english():
    p = parse.parse_flag(S("Y", "n", "是", "否", "TRUE", "0", "", "maybe"))
    assert p.values.iloc[:6].tolist() == [True, False, True, False, True, False]
    assert p.bad.tolist() == [False] * 7 + [True]


def test_category_aliases():
    p = parse.parse_category(
        S("呼入", "Outbound", "呼出", "sideways"),
        ("inbound", "outbound"),
        {"呼入": "inbound", "呼出": "outbound"},
    )
    assert p.values.iloc[:3].tolist() == ["inbound", "outbound", "outbound"]
    assert p.bad.tolist() == [False, False, False, True]


@pytest.mark.parametrize(
    "value",
    ["1.38001385678E+10", "13800138000.0", "1.38e10"],
)
def test_ids_mangled_into_floats_are_refused(value):
    p = parse.parse_id(S(value, "13800138000"))
    assert p.bad.tolist() == [True, False]
    assert "scientific notation" in p.expected


def test_float_typed_id_column_is_refused_and_integer_kept():
    assert parse.parse_id(pd.Series([13800138000.0])).bad.all()
    p = parse.parse_id(pd.Series([13800138000], dtype="int64"))
    assert not p.bad.any() and p.values.iloc[0] == "13800138000"


def test_iso_and_chinese_dates():
    p = parse.parse_datetime(
        S("2026-05-01 08:03:15", "2026/5/2 8:03", "2026年5月3日 09:00:00", "2026-05-04T10:00")
    )
    assert [str(v) for v in p.values] == [
        "2026-05-01 08:03:15",
        "2026-05-02 08:03:00",
        "2026-05-03 09:00:00",
        "2026-05-04 10:00:00",
    ]


def test_day_first_decided_by_the_column():
    p = parse.parse_datetime(S("01.02.2021", "25.02.2021"))
    assert [v.strftime("%Y-%m-%d") for v in p.values] == ["2021-02-01", "2021-02-25"]
    p = parse.parse_datetime(S("02/01/2021", "02/25/2021"))
    assert [v.strftime("%Y-%m-%d") for v in p.values] == ["2021-02-01", "2021-02-25"]


def test_ambiguous_day_month_dates_raise():
    with pytest.raises(parse.AmbiguousFormat, match="day/month or month/day"):
        parse.parse_datetime(S("01.02.2021", "03.04.2021"))
    with pytest.raises(parse.AmbiguousFormat, match="mix"):
        parse.parse_datetime(S("13.02.2021", "02.13.2021"))


def test_explicit_format_and_unparseable_dates():
    p = parse.parse_datetime(S("01.02.2021", "31.02.2021", "soon"), fmt="%d.%m.%Y")
    assert p.values.iloc[0] == pd.Timestamp("2021-02-01")
    assert p.bad.tolist() == [False, True, True]


def test_excel_serial_dates_and_mixed_cells():
    p = parse.parse_datetime(pd.Series([46143.5, 46144.0]))
    assert p.values.tolist() == [pd.Timestamp("2026-05-01 12:00"), pd.Timestamp("2026-05-02")]
    mixed = S(pd.Timestamp("2026-05-01 08:00"), 46144.25, "2026-05-03")
    p = parse.parse_datetime(mixed)
    assert p.values.tolist() == [
        pd.Timestamp("2026-05-01 08:00"),
        pd.Timestamp("2026-05-02 06:00"),
        pd.Timestamp("2026-05-03"),
    ]


def test_time_of_day_from_fraction_and_text():
    p = parse.parse_time_of_day(S("0.38400462962963", "09:13:00", "25:00:00"))
    assert p.values.iloc[:2].tolist() == [33178, 33180]
    assert p.bad.tolist() == [False, False, True]


def test_numbers_with_thousands_separators():
    p = parse.parse_number(S("1,234", "5", "x"))
    assert p.values.iloc[:2].tolist() == [1234, 5]
    assert p.bad.tolist() == [False, False, True]
    assert np.isnan(p.values.iloc[2])


def test_flags_stored_as_numbers_by_sql_databases():
    p = parse.parse_flag(pd.Series([1.0, 0.0, None, 2.0]))
    assert p.values.iloc[:2].tolist() == [True, False] and pd.isna(p.values.iloc[2])
    assert p.bad.tolist() == [False, False, False, True]


def test_isin_either_side_bigger_and_nulls():
    big = pd.Series([f"C{i}" for i in range(1000)], dtype="str")
    small = pd.Series(["C5", "X", None, "C999"], dtype="str")
    assert frames.isin(small, big).tolist() == [True, False, False, True]
    assert frames.isin(big, small).sum() == 2
    assert frames.isin(big, small)[[5, 999]].all()


def test_isin_against_a_categorical_reference():
    """Auto-QA results keep contact ids as categories; the sample's contacts are strings."""
    flagged = pd.Series(["C5", "C7", "C5"], dtype="category").iloc[[0, 2]]  # C7: an unused category
    big = pd.Series([f"C{i}" for i in range(1000)], dtype="str")
    assert frames.isin(big, flagged).sum() == 1 and frames.isin(big, flagged)[5]
    small = pd.Series(["C5", "C7", None], dtype="str")
    assert frames.isin(small, flagged).tolist() == [True, False, False]
    assert frames.isin(small.astype("category"), flagged).tolist() == [True, False, False]


def test_full_width_spaces_are_stripped_from_arrow_strings():
    p = parse.parse_text(pd.Series(["\u3000话费查询\u3000", "套餐变更", "\u3000"], dtype="str"))
    assert p.values.iloc[:2].tolist() == ["话费查询", "套餐变更"] and pd.isna(p.values.iloc[2])


def test_a_day_first_setting_over_month_first_dates_is_refused_not_read_swapped():
    s = pd.Series(["03/04/2026 10:00", "05/13/2026 10:00", "06/07/2026 09:00"])  # month-first
    with pytest.raises(parse.AmbiguousFormat, match="month-first order, but the mapping says day"):
        parse.parse_datetime(s, dayfirst=True)
    ok = parse.parse_datetime(pd.Series(["13/05/2026 10:00", "03/04/2026 10:00"]), dayfirst=True)
    assert ok.values.tolist() == [
        pd.Timestamp("2026-05-13 10:00"),
        pd.Timestamp("2026-04-03 10:00"),
    ]
    month_first = parse.parse_datetime(s, dayfirst=False)
    assert month_first.values.iloc[1] == pd.Timestamp("2026-05-13 10:00")
