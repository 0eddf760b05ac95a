"""The streamed CSV conversion (data/stream.py) gives exactly what loading the whole file gives:
the same frame, or the same error with the same row numbers; where it cannot, it declines and
the exact path answers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qaworkbench  # noqa: F401  (registers the scorecards the evaluation checks read)
from qaworkbench.data import engine, parse
from qaworkbench.data.cache import cache_dir
from qaworkbench.data.load import load_table
from qaworkbench.data.readers import _utf8_rows_among
from qaworkbench.data.stream import MARK, _utf8_evidence, convert_csv
from qaworkbench.errors import ValidationError

from .conftest import write_csv

TABLES = ("contacts", "agents", "evaluations", "evaluation_items", "complaints", "appeals",
          "chat_messages", "transcripts", "penalty_events")  # fmt: skip


def _exact(path: Path, name: str) -> pd.DataFrame | ValidationError:
    """What loading the whole file gives (as engine._converted does): the frame, or its error."""
    try:
        return load_table(path, name, allow_empty=name != "contacts")[0]
    except ValidationError as e:
        return e


def _streamed(path: Path, name: str, out: Path, chunk: int) -> pd.DataFrame | ValidationError:
    try:
        assert convert_csv(path, name, out, chunk_bytes=chunk)
    except ValidationError as e:
        assert not out.exists()
        return e
    assert pq.ParquetFile(out).schema_arrow.metadata[MARK] == b"streamed from CSV"
    return pd.read_parquet(out)


def _same(path: Path, name: str, out: Path, chunk: int = 4096) -> pd.DataFrame | ValidationError:
    """The streamed result equals the exact path's: frames equal, or errors the same text."""
    got, want = _streamed(path, name, out, chunk), _exact(path, name)
    if isinstance(want, ValidationError):
        assert isinstance(got, ValidationError), f"streamed gave a frame, exact: {want}"
        assert str(got) == str(want)
        assert got.problems == want.problems and got.total == want.total
    else:
        assert not isinstance(got, ValidationError), str(got)
        pd.testing.assert_frame_equal(got, want)
    return got


def _declines(path: Path, name: str, tmp_path: Path, chunk: int = 4096):
    """convert_csv declines (False, nothing written), and the engine's conversion, which then
    loads the file whole, gives exactly the exact path's frame or error."""
    out = tmp_path / "declined.parquet"
    assert convert_csv(path, name, out, chunk_bytes=chunk) is False
    assert not out.exists()
    assert parse.STREAMING.get() is False
    want = _exact(path, name)
    if isinstance(want, ValidationError):
        with pytest.raises(ValidationError) as e:
            engine._converted(path.parent, path, name)
        assert str(e.value) == str(want)
        return want
    got = pd.read_parquet(engine._converted(path.parent, path, name))
    pd.testing.assert_frame_equal(got, want)
    return want


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_the_demo_tables_stream_to_the_exact_frame(small_tables, tmp_path, encoding):
    for name in TABLES:
        df = small_tables[name].head(2500)
        if name == "transcripts" and encoding == "gbk":
            df = df.head(400)
        path = tmp_path / f"{name}.csv"
        df.to_csv(path, index=False, encoding=encoding, errors="strict")
        if encoding == "gbk" and name == "contacts":  # real GBK: Chinese in two bytes a character
            assert not _utf8(path)
        if df.empty:  # a header alone: the exact path reads it (an empty table, or its error)
            _declines(path, name, tmp_path)
            continue
        chunk = 32 << 10 if name in ("chat_messages", "transcripts") else 8 << 10
        got = _same(path, name, tmp_path / f"{name}.parquet", chunk)
        assert len(got) == len(df)


def _utf8(path: Path) -> bool:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _contacts(n: int, **cells) -> pd.DataFrame:
    """``n`` contacts in canonical columns (as text), with ``cells`` replacing columns."""
    t0 = pd.Timestamp("2026-05-01 08:00:00")
    start = t0 + pd.to_timedelta(np.arange(n) * 37, unit="s")
    df = pd.DataFrame(
        {
            "contact_id": [f"C{i:06d}" for i in range(n)],
            "agent_id": [f"A{i % 7}" for i in range(n)],
            "start_time": start.strftime("%Y-%m-%d %H:%M:%S"),
            "end_time": (start + pd.Timedelta(seconds=200)).strftime("%Y-%m-%d %H:%M:%S"),
            "channel": np.where(np.arange(n) % 5 == 0, "chat", "voice"),
            "direction": "inbound",
            "answered": "true",
            "queue_wait_s": (np.arange(n) % 30).astype(str),
            "talk_s": "180",
            "topic": [f"宽带故障报修 {i}" for i in range(n)],
            "satisfaction": np.where(np.arange(n) % 3 == 0, "", "4"),
        }
    )
    for k, v in cells.items():
        df[k] = v
    return df


def test_quoted_cells_with_line_breaks_and_quotes_cross_the_parts(tmp_path):
    """Cells with commas, doubled quotes and line breaks: each part ends at a line end outside
    quotes, whatever the part size (here 4 KB, so many cells span a part's nominal end)."""
    df = _contacts(600)
    df["topic"] = [
        f'投诉, "退费"\n第二行 {i}\r\n"第三行"' if i % 3 else f"t{i}" for i in range(600)
    ]
    path = tmp_path / "contacts.csv"
    df.to_csv(path, index=False)
    assert path.read_bytes().count(b'"') > 1000
    for chunk in (4096, 4099, 10_000):
        got = _same(path, "contacts", tmp_path / f"q{chunk}.parquet", chunk)
        assert got["topic"].str.contains("\n").sum() == 400


@pytest.mark.parametrize("sep", [";", "\t", "|"])
def test_other_delimiters(tmp_path, sep):
    path = tmp_path / "contacts.csv"
    _contacts(900).to_csv(path, index=False, sep=sep, encoding="gb18030")
    got = _same(path, "contacts", tmp_path / "out.parquet")
    assert len(got) == 900 and got["topic"].iloc[5] == "宽带故障报修 5"


def test_gb18030_cells_are_decoded_as_the_whole_file_decodes_them(tmp_path):
    """GB18030 parts are read as bytes and only their non-ASCII columns decoded, each distinct
    value once: the frame is the exact path's, Chinese header, empty cells, a character of
    four bytes, many distinct values and few, a header named in Chinese; a byte that is not GB18030 in a later part
    sends the file whole, to the exact path's answer."""
    n = 3000
    df = _contacts(
        n,
        agent_id=[f"坐席{i % 7}" for i in range(n)],  # few distinct values
        topic=[None if i % 9 == 0 else f"投诉{i}号𠀀" for i in range(n)],  # all distinct
    )
    df["备注"] = "无"  # a column not used, named in Chinese: the header is decoded alone
    path = tmp_path / "contacts.csv"
    data = df.to_csv(index=False).encode("gb18030")
    path.write_bytes(data)
    assert not _utf8(path) and "𠀀".encode("gb18030") in data and len(data) > 8 * 4096
    got = _same(path, "contacts", tmp_path / "out.parquet")
    assert got["topic"].iloc[1] == "投诉1号𠀀" and got["topic"].isna().sum() == 334
    assert got["agent_id"].iloc[8] == "坐席1"
    # a lone lead byte in a cell far from the head
    broken = data.replace("投诉2500号".encode("gb18030"), b"\x81" + b"2500")
    bad = tmp_path / "bad" / "contacts.csv"
    bad.parent.mkdir()
    bad.write_bytes(broken)
    assert broken != data
    _declines(bad, "contacts", tmp_path)


def test_crlf_line_ends_and_blank_lines_without_problems(tmp_path):
    """Blank lines are skipped as the exact path skips them (no problem needs a row number)."""
    path = tmp_path / "contacts.csv"
    text = _contacts(700).to_csv(index=False, lineterminator="\r\n")
    lines = text.split("\r\n")
    lines[300:300] = ["", "   "]
    path.write_text("\r\n".join(lines), encoding="utf-8")
    got = _same(path, "contacts", tmp_path / "out.parquet")
    assert len(got) == 700


def _bad_contacts(n: int = 1500) -> pd.DataFrame:
    df = _contacts(n)
    df.loc[[10, 700, 1400], "talk_s"] = ["abc", "3分", "-"]
    df.loc[[20, 900], "start_time"] = ["2026-05-01 25:00:00", "昨天"]
    df.loc[[1100], "channel"] = [""]  # a required cell left empty
    df.loc[[1200], "queue_wait_s"] = ["-5"]
    df.loc[1300, "contact_id"] = df.loc[40, "contact_id"]  # a key seen many parts earlier
    df.loc[1450, "contact_id"] = df.loc[1449, "contact_id"]  # and one in the same part
    return df


def test_a_bad_file_gives_the_exact_error_and_row_numbers(tmp_path):
    path = tmp_path / "contacts.csv"
    _bad_contacts().to_csv(path, index=False)
    e = _same(path, "contacts", tmp_path / "out.parquet")
    assert isinstance(e, ValidationError)
    rows = {p.row for p in e.problems}
    assert {12, 702, 1402, 22, 902, 1102, 1202, 1302, 1452} <= rows
    assert "appeared in an earlier row" in str(e)


def test_more_problems_than_are_listed(tmp_path):
    """Over 1,000 problems across parts: the same first 1,000 and the same total."""
    df = _contacts(3000)
    df.loc[::2, "talk_s"] = "x"
    df.loc[::3, "satisfaction"] = "很好"
    path = tmp_path / "contacts.csv"
    df.to_csv(path, index=False)
    e = _same(path, "contacts", tmp_path / "out.parquet")
    assert isinstance(e, ValidationError) and e.total == 1500 + 1000 and len(e.problems) == 1000


def test_the_whole_file_answers_where_a_part_cannot(tmp_path):
    """Each case the parts cannot decide gives exactly the exact path's frame or error."""
    d = tmp_path / "cases"
    d.mkdir()

    def case(name: str, df: pd.DataFrame | None = None, data: bytes | None = None, **kw):
        path = d / name / "contacts.csv"
        path.parent.mkdir()
        if data is None:
            df.to_csv(path, index=False, **kw)
        else:
            path.write_bytes(data)
        return _declines(path, "contacts", tmp_path)

    # blank lines beside a problem: rows are numbered by lines then
    text = _bad_contacts().to_csv(index=False).split("\n")
    text[500:500] = ["", ""]
    e = case("blank", data="\n".join(text).encode())
    assert isinstance(e, ValidationError) and 1404 in {p.row for p in e.problems}
    # day-first dates: the whole column decides the order
    days = _contacts(800)  # 37 minutes apart: a day above 12 only from row ~470 on
    start = pd.Timestamp("2026-05-01") + pd.to_timedelta(np.arange(800) * 37, unit="min")
    days["start_time"] = start.strftime("%d/%m/%Y %H:%M:%S")
    days["end_time"] = ""
    assert isinstance(case("dayfirst", days), pd.DataFrame)
    # times with a UTC offset: the column's usual one is its mode
    offset = _contacts(800)
    offset["end_time"] = offset["end_time"].str.replace(" ", "T") + "+08:00"
    assert isinstance(case("offset", offset), pd.DataFrame)
    offset.loc[600, "end_time"] = offset.loc[600, "end_time"].replace("+08:00", "Z")
    e = case("offsets", offset)
    assert isinstance(e, ValidationError) and [p.row for p in e.problems] == [602]
    # a GBK file with one UTF-8 line far from the head: mixed encodings
    gbk = _contacts(800).to_csv(index=False).encode("gbk").split(b"\n")
    gbk[700] = _contacts(800).to_csv(index=False).encode("utf-8").split(b"\n")[700]
    e = case("mixed", data=b"\n".join(gbk))
    assert isinstance(e, ValidationError) and "one encoding" in str(e)
    # UTF-16 (what Excel's "Unicode text" writes)
    assert isinstance(case("utf16", _contacts(300), encoding="utf-16", sep="\t"), pd.DataFrame)
    # a row with a field too many, far from the head: the parser names it
    rows = _contacts(800).to_csv(index=False).split("\n")
    rows[650] += ",extra"
    e = case("fields", data="\n".join(rows).encode())
    assert isinstance(e, ValidationError) and e.problems[0].row == 651
    # the file cut short in its last row
    assert isinstance(case("cut", data=_contacts(800).to_csv(index=False).encode()[:-30]),
                      ValidationError)  # fmt: skip
    # UTF-8 that breaks far from the head
    bad = _contacts(800).to_csv(index=False).encode().replace(b"\xe6\x8a\xa5\xe4\xbf\xae 777",
                                                                b"\xe6\x8a\xa5\xe4 777")  # fmt: skip
    assert isinstance(case("utf8", data=bad), ValidationError)


def test_chat_messages_out_of_order_across_parts_are_left_to_the_exact_path(small_tables, tmp_path):
    """A conversation's messages in different parts: their order is checked over the file."""
    m = small_tables["chat_messages"].head(3000).copy()
    conv = m["conversation_id"].iloc[0]
    first = m.index[m["conversation_id"] == conv]
    m = pd.concat([m.drop(first[-1]), m.loc[[first[-1]]]], ignore_index=True)  # last at the end
    m.loc[len(m) - 1, "timestamp"] = m["timestamp"].min() - pd.Timedelta(hours=1)
    path = tmp_path / "chat_messages.csv"
    m.to_csv(path, index=False)
    e = _declines(path, "chat_messages", tmp_path, chunk=32 << 10)
    assert isinstance(e, ValidationError) and e.problems[0].row == len(m) + 1


def test_engine_reads_a_csv_folder_through_the_streamed_copy(small_dir, small_tables, tmp_path):
    d = tmp_path / "csv_center"
    d.mkdir()
    for name in ("contacts", "agents"):
        small_tables[name].to_csv(d / f"{name}.csv", index=False)
    notes: list[str] = []
    con = engine.connect(d, notes)
    cached = list(cache_dir(d).glob("table-*.parquet"))
    assert len(cached) == 2 and len(notes) == 2
    for f in cached:  # written part by part, not loaded whole
        assert pq.ParquetFile(f).schema_arrow.metadata[MARK] == b"streamed from CSV"
    assert not list(cache_dir(d).glob("*.tmp"))
    ref = engine.connect(small_dir, tables=("contacts", "agents"))
    start, end = datetime(2026, 5, 1), datetime(2026, 7, 1)
    for q in (
        lambda c: engine.handled_per_agent(c, start, end),
        lambda c: engine.monthly_overview(c),
        lambda c: engine.service_level_by_interval(c, start, end),
        lambda c: engine.repeat_contacts(c, start, end, 24),
    ):
        pd.testing.assert_frame_equal(q(con), q(ref))
    again = engine.connect(d)  # the second time: the cached copy as it is
    assert sorted(cache_dir(d).glob("table-*.parquet")) == sorted(cached)
    assert again.execute("SELECT count(*) FROM contacts").fetchone()[0] == len(
        small_tables["contacts"]
    )


def test_engine_raises_the_exact_error_for_a_bad_csv(tmp_path):
    d = tmp_path / "bad_center"
    d.mkdir()
    path = d / "contacts.csv"
    _bad_contacts().to_csv(path, index=False)
    want = _exact(path, "contacts")
    with pytest.raises(ValidationError) as e:
        engine.connect(d)
    assert str(e.value) == str(want)
    assert not list(cache_dir(d).glob("*"))  # nothing half-written left behind


def test_write_csv_helper_files_stream_too(tmp_path):
    """The suite's own CSV helper (CRLF, GBK) through the streamed path."""
    rows = [list(_contacts(1).columns), *_contacts(400).to_numpy().tolist()]
    path = write_csv(tmp_path / "contacts.csv", rows, encoding="gbk", sep=";")
    got = _same(path, "contacts", tmp_path / "out.parquet")
    assert len(got) == 400


def test_a_quote_inside_an_unquoted_cell_never_gives_a_wrong_frame(tmp_path):
    """``55" TV`` unquoted: the parser reads the quote as text, so counting quotes cannot tell
    where lines end. A cut inside a quoted cell leaves a quote open (a parser error) and the
    whole file answers; either way the frame is the exact path's."""
    df = _contacts(900)
    lines = df.to_csv(index=False).split("\n")
    for i in (30, 400, 401, 880):
        lines[i] = lines[i].replace("宽带故障报修", '电视55"报修')
    lines[402] = lines[402].replace("宽带故障报修", '"多行\n报修"')
    path = tmp_path / "cases" / "contacts.csv"
    path.parent.mkdir()
    path.write_text("\n".join(lines), encoding="utf-8")
    want = _exact(path, "contacts")
    assert isinstance(want, pd.DataFrame) and want["topic"].str.contains('"').sum() == 4
    for chunk in (4096, 6000, 1 << 20):
        out = tmp_path / f"q{chunk}.parquet"
        if convert_csv(path, "contacts", out, chunk_bytes=chunk):
            pd.testing.assert_frame_equal(pd.read_parquet(out), want)
    got = pd.read_parquet(engine._converted(path.parent, path, "contacts"))
    pd.testing.assert_frame_equal(got, want)


_LINES = st.one_of(
    st.text(alphabet="ab,1 宽带故障报修谢лё€😀", max_size=12).map(lambda t: t.encode("utf-8")),
    st.text(alphabet="ab,1 宽带故障报修谢谢", max_size=12).map(lambda t: t.encode("gbk")),
    st.binary(max_size=8).map(lambda b: b.replace(b"\n", b"")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_LINES, min_size=1, max_size=30))
def test_mixed_encoding_lines_are_told_as_the_exact_path_tells_them(lines):
    """Part by part, a line that reads as UTF-8 is found as ``_utf8_rows_among`` finds it (in a
    file whose head has a line that is not UTF-8)."""
    data = "报修".encode("gbk") + b"\n" + b"\n".join(lines)
    for cut in (0, data.rfind(b"\n", 0, len(data) // 2) + 1):  # parts end at a line end
        a, b = data[:cut], data[cut:]
        assert (_utf8_evidence(a) or _utf8_evidence(b)) == (_utf8_rows_among(data) is not None)


def test_a_missing_column_is_said_without_loading_the_file_whole(tmp_path):
    """A required column the header lacks: the same error (with its hint), once the rest of the
    file has been read through the parser (a parser error there would come first)."""
    df = _contacts(1500).drop(columns=["channel"]).rename(columns={"direction": "Direction "})
    path = tmp_path / "contacts.csv"
    df.to_csv(path, index=False)
    e = _same(path, "contacts", tmp_path / "out.parquet")
    assert isinstance(e, ValidationError) and "channel" in str(e) and "hint" in str(e)
    lines = df.to_csv(index=False).split("\n")
    lines[1200] += ",extra"  # far from the head: the exact path says this first
    path.parent.joinpath("p").mkdir()
    bad = path.parent / "p" / "contacts.csv"
    bad.write_text("\n".join(lines), encoding="utf-8")
    e = _declines(bad, "contacts", tmp_path)
    assert isinstance(e, ValidationError) and e.problems[0].row == 1201
