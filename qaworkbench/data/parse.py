"""Turn raw export cells into canonical values.

Each parser takes a Series as read (strings from CSV, mixed objects from
Excel, typed columns from Parquet/SQL) and returns ``Parsed``: the canonical
values and a mask of non-empty cells it could not parse. Pure: no I/O.
"""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..frames import arrow
from . import bytescan

EXCEL_EPOCH = pd.Timestamp("1899-12-30")

TRUE_WORDS = ("y", "yes", "true", "t", "1", "是", "有", "对", "√", "已解决", "成立")
FALSE_WORDS = ("n", "no", "false", "f", "0", "否", "无", "不", "×", "未解决", "不成立")


@dataclass
class Parsed:
    """Parsed values, the mask of cells that failed, and what was expected there."""

    values: pd.Series
    bad: np.ndarray
    expected: str


class AmbiguousFormat(ValueError):
    """A whole column cannot be read without a choice the user must make."""

    def __init__(self, message: str, position: int, value: object):
        super().__init__(message)
        self.position = position
        self.value = value


class NeedsWholeColumn(Exception):
    """A part of a column cannot be read alone: the whole column decides (day/month order, the
    usual UTC offset). Raised only while ``STREAMING`` is set."""


# True while a file is converted part by part (``stream``): a decision that needs the whole
# column raises NeedsWholeColumn instead of deciding on the part
STREAMING: contextvars.ContextVar[bool] = contextvars.ContextVar("qaw_streaming", default=False)


# the ASCII characters Arrow's utf8_trim_whitespace strips (with the four separators 0x1C-0x1F)
ASCII_SPACE = " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f"


def _is_arrow_str(s: pd.Series) -> bool:
    return isinstance(s.dtype, pd.StringDtype) and s.dtype.storage == "pyarrow"


def _clean_text(s: pd.Series) -> bool:
    """True when an arrow string column has no blank cells and nothing to strip (fast path)."""
    if not _is_arrow_str(s):
        return False
    return _clean_arrow(arrow(s))


def _clean_arrow(arr: pa.Array | pa.ChunkedArray, at: np.ndarray | None = None) -> bool:
    """True when no value of a string array is blank or has white space to strip (Arrow's
    trim decides, on the values whose first or last byte could be white space: ``at``, or
    found here)."""
    if at is not None or bytescan.readable(arr):
        at = bytescan.untrimmed_candidates(arr) if at is None else at
        if not len(at):
            return True
        arr = arr.take(pa.array(at))
    length = pc.binary_length(arr)
    if pc.all(pc.string_is_ascii(arr)).as_py() is not False:  # ASCII's trim is 2-3x faster
        trimmed = pc.binary_length(pc.ascii_trim(arr, ASCII_SPACE))
    else:
        trimmed = pc.binary_length(pc.utf8_trim_whitespace(arr))  # incl. full-width U+3000
    return (
        not pc.any(pc.not_equal(trimmed, length)).as_py()
        and not pc.any(pc.equal(length, 0)).as_py()
    )


def _as_text(s: pd.Series) -> pd.Series:
    """Strings, stripped, with empty or white-space cells as NA."""
    if _clean_text(s):
        return s
    out = s if isinstance(s.dtype, pd.StringDtype) else s.astype("str")
    out = out.str.strip()
    return out.mask(out.eq("").fillna(False).to_numpy(dtype=bool))


def _map_distinct(s: pd.Series, lut: dict) -> pd.Series:
    """``s.map(lut)`` computed once per distinct value (fast for low-cardinality columns)."""
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    mapped = np.array([lut.get(u) for u in uniques] + [None], dtype=object)
    return pd.Series(mapped[codes], index=s.index)


def _regex_mask(s: pd.Series, pattern: str) -> np.ndarray:
    """Fast regex test over a string Series through pyarrow; NA counts as no match."""
    arr = arrow(s if _is_arrow_str(s) else s.astype("str"))
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False).to_numpy(
        zero_copy_only=False
    )


def parse_text(s: pd.Series) -> Parsed:
    """Free text: stripped, empty cells become NA."""
    out = _as_text(s)
    return Parsed(out, np.zeros(len(s), dtype=bool), "text")


_MANGLED = r"^[+-]?\d+(\.\d+)?[eE][+-]?\d+$|^\d+\.\d*$"


def parse_id(s: pd.Series) -> Parsed:
    """Identifiers kept as text; numbers mangled into floats or 1.38E+10 are refused."""
    expected = "an identifier stored as text (this looks like a number a spreadsheet turned into a float or scientific notation, so digits may be lost)"
    if pd.api.types.is_float_dtype(s.dtype):
        bad = s.notna().to_numpy()
        out = s.astype("str").mask(s.isna())
        return Parsed(out, bad, expected)
    if pd.api.types.is_integer_dtype(s.dtype):
        return Parsed(s.astype("str").mask(s.isna()), np.zeros(len(s), dtype=bool), expected)
    if s.dtype == object:
        is_float = s.map(lambda v: isinstance(v, float) and not np.isnan(v)).to_numpy(dtype=bool)
        s = s.map(lambda v: str(int(v)) if isinstance(v, (int, np.integer)) else v)
    else:
        is_float = np.zeros(len(s), dtype=bool)
    out = _as_text(s)
    bad = is_float | _mangled(out)
    return Parsed(out, bad, expected)


_LEADS = pa.array(list("0123456789+-"))


def _mangled(s: pd.Series) -> np.ndarray:
    """Ids a spreadsheet turned into numbers (``_MANGLED``), as a mask."""
    return mangled_ids(arrow(s if _is_arrow_str(s) else s.astype("str")))


def mangled_ids(arr: pa.Array | pa.ChunkedArray, at: np.ndarray | None = None) -> np.ndarray:
    """``_MANGLED`` matched only where it can match: a value that starts with a digit or a sign
    (``at``, or found here) and is not all digits (an id column of millions is mostly one or
    the other)."""
    flat = arr  # (Arrow's kernels and take work on chunked arrays too)
    if at is None and bytescan.readable(flat):  # found from each value's first byte
        at = bytescan.number_like_candidates(flat)
    elif at is None:
        flat = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        first = pc.is_in(pc.utf8_slice_codeunits(flat, 0, 1), value_set=_LEADS)
        at = np.flatnonzero(pc.fill_null(first, False).to_numpy(zero_copy_only=False))
    out = np.zeros(len(flat), dtype=bool)
    if not len(at):
        return out
    if len(at) * 2 > len(flat):  # mostly numbers (phone numbers as ids): one pass over all
        digits = pc.fill_null(pc.ascii_is_decimal(flat), True).to_numpy(zero_copy_only=False)
        at = at[~digits[at]]
    else:
        digits = pc.fill_null(pc.ascii_is_decimal(flat.take(pa.array(at))), True)
        at = at[~digits.to_numpy(zero_copy_only=False)]
    if len(at):
        hit = pc.fill_null(pc.match_substring_regex(flat.take(pa.array(at)), _MANGLED), False)
        out[at] = hit.to_numpy(zero_copy_only=False)
    return out


def parse_number(s: pd.Series) -> Parsed:
    """Numbers; text that is not a number is refused."""
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return Parsed(s.astype("float64"), np.zeros(len(s), dtype=bool), "a number")
    txt = _as_text(s)
    out = _cast(txt, pa.float64())
    if out is None:  # not all plain numbers: thousands separators, or text to refuse
        out = pd.to_numeric(txt.str.replace(",", "", regex=False), errors="coerce")
    out = out.astype("float64")
    bad = out.isna().to_numpy() & txt.notna().to_numpy()
    return Parsed(out, bad, "a number")


def _cast(txt: pd.Series, to: pa.DataType) -> pd.Series | None:
    """``txt`` cast by Arrow when every value converts (numbers, ISO 8601 times: the common
    case, done in C++), else None and the caller parses value by value."""
    try:
        arr = pc.cast(arrow(txt), to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    return pd.Series(arr.to_pandas(), index=txt.index)


_HMS = re.compile(r"^\s*(\d+):(\d{1,2})(?::(\d{1,2}(?:\.\d+)?))?\s*([AaPp][Mm])?\s*$")
_UNIT_S = {"s": 1.0, "min": 60.0, "h": 3600.0, "day": 86400.0}


def parse_duration(s: pd.Series, unit: str = "s") -> Parsed:
    """Durations in seconds from numbers (in ``unit``), "mm:ss", "hh:mm:ss" or a clock time.

    A clock time such as "12:02:23 AM" is read as the time since midnight
    (2 min 23 s); an Excel time cell (day fraction) is read with unit "day".
    """
    expected = 'a duration: seconds, "mm:ss", "hh:mm:ss" or a clock time'
    factor = _UNIT_S[unit]
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        x = s.astype("float64")  # (seconds already: no copy of the month's column)
        return Parsed(x if factor == 1.0 else x * factor, np.zeros(len(s), dtype=bool), expected)
    if pd.api.types.is_timedelta64_dtype(s.dtype):
        return Parsed(s.dt.total_seconds(), np.zeros(len(s), dtype=bool), expected)
    if s.dtype == object:  # Excel: time cells arrive as datetime.time
        s = s.map(_time_cell_to_text)
    txt = _as_text(s)
    fast = _cast(txt, pa.float64())
    if fast is not None:  # plain numbers throughout
        out = fast.astype("float64") * factor
        return Parsed(out, out.isna().to_numpy() & txt.notna().to_numpy(), expected)
    num = pd.to_numeric(txt, errors="coerce").astype("float64") * factor
    parts = txt.str.extract(_HMS.pattern)
    a = pd.to_numeric(parts[0], errors="coerce")
    b = pd.to_numeric(parts[1], errors="coerce")
    c = pd.to_numeric(parts[2], errors="coerce")
    ampm = parts[3].str.lower()
    has_c = c.notna()
    # a:b -> minutes:seconds ; a:b:c -> hours:minutes:seconds
    secs = (a * 60 + b).where(~has_c, a * 3600 + b * 60 + c)
    # 12-hour clock: "12:02:23 AM" is 00:02:23
    hours12 = a.where(a != 12, 0) + np.where(ampm.eq("pm").fillna(False), 12, 0)
    clock = hours12 * 3600 + b * 60 + c.fillna(0)
    secs = secs.where(ampm.isna(), clock)
    colon_ok = parts[0].notna() & (b < 60) & (c.fillna(0) < 60)
    out = num.where(num.notna(), secs.where(colon_ok)).astype("float64")
    bad = out.isna().to_numpy() & txt.notna().to_numpy()
    return Parsed(out, bad, expected)


def _time_cell_to_text(v: object) -> object:
    if hasattr(v, "hour") and hasattr(v, "minute") and not hasattr(v, "year"):
        return f"{v.hour}:{v.minute:02d}:{v.second:02d}"
    return v


def parse_flag(
    s: pd.Series,
    true: tuple[str, ...] = TRUE_WORDS,
    false: tuple[str, ...] = FALSE_WORDS,
    unknown: tuple[str, ...] = (),
) -> Parsed:
    """Booleans from Y/N, yes/no, 是/否, 1/0, true/false (case-insensitive); the ``unknown``
    words (e.g. 处理中, still open) are empty cells."""
    expected = f"a flag ({'/'.join(true[:2])} or {'/'.join(false[:2])})"
    if pd.api.types.is_bool_dtype(s.dtype):
        return Parsed(s.astype("boolean"), np.zeros(len(s), dtype=bool), expected)
    if s.dtype == object and len(s):  # Parquet booleans with empty cells arrive as objects
        try:
            arr = pa.array(s, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = None
        if arr is not None and pa.types.is_boolean(arr.type):
            values = np.asarray(pc.fill_null(arr, False), dtype=bool)
            empty = np.asarray(pc.is_null(arr), dtype=bool)
            out = pd.Series(pd.arrays.BooleanArray(values, empty), index=s.index)
            return Parsed(out, np.zeros(len(s), dtype=bool), expected)
    if pd.api.types.is_numeric_dtype(s.dtype):  # 0/1, as SQL databases store booleans
        x = s.astype("float64")
        ok = x.isin([0.0, 1.0])
        out = (x == 1.0).astype("boolean").mask(~ok)
        return Parsed(out, (~ok & x.notna()).to_numpy(), expected)
    txt = _as_text(s.map(_num_to_text) if s.dtype == object else s)
    txt = txt.mask(txt.isin(unknown)) if unknown else txt
    lut = {w.lower(): True for w in true} | {w.lower(): False for w in false}
    lut |= {w.upper(): v for w, v in lut.items()} | {w.capitalize(): v for w, v in lut.items()}
    out = _map_distinct(txt, lut).astype("boolean")
    bad = out.isna().to_numpy() & txt.notna().to_numpy()
    return Parsed(out, bad, expected)


def _num_to_text(v: object) -> object:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, np.integer, np.floating)) and float(v).is_integer():
        return str(int(v))
    return v


def parse_category(
    s: pd.Series, allowed: tuple[str, ...], aliases: dict[str, str] | None = None
) -> Parsed:
    """One of ``allowed``; ``aliases`` maps export words (e.g. 呼入) to canonical ones."""
    expected = f"one of {', '.join(allowed)}" + (f" (or {', '.join(aliases)})" if aliases else "")
    if _is_arrow_str(s):  # fast path: each distinct value clean and canonical (a few of them)
        distinct = pc.drop_null(pc.unique(arrow(s)))
        if (
            _clean_arrow(distinct)
            and pc.all(pc.is_in(distinct, value_set=pa.array(list(allowed)))).as_py() is not False
        ):
            return Parsed(s, np.zeros(len(s), dtype=bool), expected)
    txt = _as_text(s)
    if _is_arrow_str(txt):  # fast path: every value already canonical (checked once each)
        distinct = pc.drop_null(pc.unique(arrow(txt)))
        if pc.all(pc.is_in(distinct, value_set=pa.array(list(allowed)))).as_py() is not False:
            return Parsed(txt, np.zeros(len(s), dtype=bool), expected)
    lut = {a: a for a in allowed} | dict(aliases or {})
    lut |= {k.lower(): v for k, v in lut.items()} | {k.upper(): v for k, v in lut.items()}
    lut |= {k.capitalize(): v for k, v in lut.items()}
    out = _map_distinct(txt, lut).astype("str")
    bad = out.isna().to_numpy() & txt.notna().to_numpy()
    return Parsed(out, bad, expected)


_YMD = r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
_DMY = r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})"


def parse_datetime(
    s: pd.Series,
    fmt: str | None = None,
    dayfirst: bool | None = None,
    *,
    date_only: bool = False,
) -> Parsed:
    """Timestamps from text, Excel cells or Excel serial numbers.

    With ``fmt`` (strftime codes) every value must match it. Without, ISO and
    Chinese year-first dates are read directly; day-first or month-first dates
    are read only when the column itself shows which (a part above 12),
    otherwise ``AmbiguousFormat`` asks the user to set ``format``.
    """
    expected = f"a date/time{f' in the format {fmt}' if fmt else ''}"
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        out = s.dt.tz_localize(None) if getattr(s.dt, "tz", None) is not None else s
        return _dt_result(out, np.zeros(len(s), dtype=bool), expected, date_only)
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        # numbers are Excel serial days; epoch seconds or milliseconds (10-13 digits) or any
        # number outside 1980-2100 is not a date this column can mean: flagged, never emptied
        x = s.astype("float64")
        plausible = ((x >= SERIAL_1980) & (x <= SERIAL_2100)).to_numpy()
        bad = x.notna().to_numpy() & ~plausible
        expected += (
            " (a number here is read as an Excel serial day, 1980-2100; epoch seconds are not)"
        )
        return _dt_result(_from_serial(x.where(plausible)), bad, expected, date_only)
    serial = None
    if s.dtype == object:  # Excel: datetime cells, serial numbers and text mixed
        is_num = s.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).to_numpy(
            bool
        )
        if is_num.any():
            serial = _from_serial(pd.to_numeric(s.where(is_num), errors="coerce"))
        s = s.map(
            lambda v: v.isoformat(sep=" ") if hasattr(v, "isoformat") and hasattr(v, "year") else v
        )
        s = s.where(~is_num, None)
    txt = _as_text(s)
    present = txt.notna().to_numpy()
    txt, other_offset = _local_times(txt)
    if other_offset.any():
        expected += " in the same form as the rest of the column (all with one UTC offset, or none)"
    if fmt:
        out = pd.to_datetime(txt, format=fmt, errors="coerce")
    elif (iso := _cast(txt, pa.timestamp("us"))) is not None:  # ISO 8601 throughout
        out = iso
    else:
        out = _infer_datetime(txt, dayfirst)
    if serial is not None:
        out = out.where(serial.isna(), serial)
        present = present | serial.notna().to_numpy()
    bad = (out.isna().to_numpy() & present) | other_offset
    return _dt_result(out, bad, expected, date_only)


_OFFSET = r"^(.*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}:?\d{2})$"


def _local_times(txt: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Times written with a UTC offset (+08:00, Z) as the local times they show, and which rows'
    offset differs from the column's usual form (no offset counts as a form): a column with one
    offset throughout is an export's local time; mixed forms cannot be put on one clock."""
    if not txt.str.contains(r"(?:Z|[+-]\d{2}:?\d{2})$", regex=True, na=False).any():
        return txt, np.zeros(len(txt), dtype=bool)
    if STREAMING.get():
        raise NeedsWholeColumn("the usual UTC offset is the whole column's")
    parts = txt.str.extract(_OFFSET)
    form = parts[1].str.replace(":", "").str.replace("Z", "+0000").fillna("").where(txt.notna())
    usual = form.mode().iloc[0]
    other = (form.notna() & (form != usual)).to_numpy()
    return txt.where(parts[0].isna(), parts[0]), other


def _dt_result(out: pd.Series, bad: np.ndarray, expected: str, date_only: bool) -> Parsed:
    out = out.astype("datetime64[us]")
    return Parsed(out.dt.normalize() if date_only else out, bad, expected)


SERIAL_1980, SERIAL_2100 = 29221, 73051  # Excel serial days of 1980-01-01 and 2100-01-01


def _from_serial(x: pd.Series) -> pd.Series:
    """Excel serial day numbers (1900 system) as timestamps."""
    ok = (x > 0) & (x < 2958466)
    return (EXCEL_EPOCH + pd.to_timedelta(x.where(ok) * 86400.0, unit="s")).dt.round("s")


def _infer_datetime(txt: pd.Series, dayfirst: bool | None) -> pd.Series:
    ymd = txt.str.extract(_YMD)
    is_ymd = ymd[0].notna()
    out = pd.Series(pd.NaT, index=txt.index, dtype="datetime64[us]")
    if is_ymd.any():
        rest = txt[is_ymd].str.replace(_YMD, "", regex=True).str.strip()
        norm = (
            ymd[0][is_ymd] + "-" + ymd[1][is_ymd].str.zfill(2) + "-" + ymd[2][is_ymd].str.zfill(2)
        )
        norm = (norm + " " + rest.str.lstrip("T")).str.strip()
        out[is_ymd] = pd.to_datetime(norm, format="ISO8601", errors="coerce")
    dmy = txt.str.extract(_DMY)
    is_dmy = dmy[0].notna() & ~is_ymd
    if is_dmy.any():
        first = pd.to_numeric(dmy[0][is_dmy])
        second = pd.to_numeric(dmy[1][is_dmy])
        if dayfirst is None:
            dayfirst = _decide_dayfirst(txt[is_dmy], first, second)
        else:  # the mapping says which; dates that show the other order mean it is wrong
            contra = (second > 12) if dayfirst else (first > 12)
            if contra.any():
                pos = int(np.flatnonzero(contra.to_numpy())[0])
                said, shown = ("day", "month") if dayfirst else ("month", "day")
                raise AmbiguousFormat(
                    f"dates in {shown}-first order, but the mapping says {said}-first: the rows "
                    f"that parse either way would be read swapped; fix `dayfirst` in the mapping",
                    txt.index.get_loc(txt[is_dmy].index[pos]),
                    txt[is_dmy].iloc[pos],
                )
        a, b = (dmy[1], dmy[0]) if dayfirst else (dmy[0], dmy[1])
        rest = txt[is_dmy].str.replace(_DMY, "", regex=True).str.strip()
        norm = dmy[2][is_dmy] + "-" + a[is_dmy].str.zfill(2) + "-" + b[is_dmy].str.zfill(2)
        out[is_dmy] = pd.to_datetime(
            (norm + " " + rest).str.strip(), format="ISO8601", errors="coerce"
        )
    return out


def _decide_dayfirst(txt: pd.Series, first: pd.Series, second: pd.Series) -> bool:
    if STREAMING.get():
        raise NeedsWholeColumn("the day/month order is the whole column's")
    day_first_seen = bool((first > 12).any())
    month_first_seen = bool((second > 12).any())
    if day_first_seen and month_first_seen:
        pos = int(np.flatnonzero((second > 12).to_numpy())[0])
        raise AmbiguousFormat(
            "dates mix day-first and month-first orders; set `format` in the mapping",
            txt.index.get_loc(txt.index[pos]),
            txt.iloc[pos],
        )
    if not day_first_seen and not month_first_seen:
        raise AmbiguousFormat(
            "dates could be day/month or month/day (no part above 12 decides it); "
            "set `format` in the mapping, e.g. %d.%m.%Y or %m/%d/%Y",
            0,
            txt.iloc[0],
        )
    return day_first_seen


def parse_time_of_day(s: pd.Series) -> Parsed:
    """Time of day as seconds since midnight: "09:13:00", a clock time or a day fraction."""
    if pd.api.types.is_numeric_dtype(s.dtype):
        x = s.astype("float64")
        frac = x.where(x < 1, np.nan)  # a day fraction; >= 1 would be a serial date
        return Parsed(
            (frac * 86400.0).round(), (x >= 1).to_numpy() & x.notna().to_numpy(), "a time of day"
        )
    p = parse_duration(s, unit="day")
    bad = p.bad | (p.values >= 86400).fillna(False).to_numpy()
    return Parsed(p.values.round(), bad, "a time of day (hh:mm:ss or a day fraction)")
