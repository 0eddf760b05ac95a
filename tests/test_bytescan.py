"""The buffer scans (data/bytescan.py) give exactly what Arrow's string kernels give."""

from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from qaworkbench.data import bytescan, parse


def test_whitespace_is_what_arrow_trims():
    points = [c for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    arr = pa.array([chr(c) for c in points])
    stripped = pc.equal(pc.binary_length(pc.utf8_trim_whitespace(arr)), 0).to_numpy(
        zero_copy_only=False
    )
    assert {chr(points[i]) for i in np.flatnonzero(stripped)} == set(bytescan.WHITESPACE)


def _exact_clean(values: list[str | None]) -> bool:
    """The definition: no present value is empty or changes when trimmed."""
    present = [v for v in values if v is not None]
    return all(v != "" and v.strip(bytescan.WHITESPACE) == v for v in present)


def _exact_mangled(values: list[str | None]) -> list[bool]:
    pattern = re.compile(parse._MANGLED)
    return [
        v is not None and v[:1] in "0123456789+-" and v[:1] != "" and not (v.isascii() and
        v.isdecimal()) and bool(pattern.search(v))
        for v in values
    ]  # fmt: skip


PIECES = ["C0001", "13800001111", "1.38E+10", "12.", "-3", "+7.5e3", "宽带故障", "【投诉】",
          "。", "a b", "1号", "0012", "", "°C", "x\u3000", "\u3000x", "y\u00a0", "\u2009z",
          "w\u0085", "ok\t", " ok", "\u1680q", "q\u202f", "v\u205f", "é", "ü2"]  # fmt: skip


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_scans_agree_with_the_definition(seed, kind):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    clean_only = seed % 3 == 0  # a third of the columns are clean, to test the True answer
    pool = [p for p in PIECES if _exact_clean([p])] if clean_only else PIECES
    values = [None if rng.random() < 0.1 else str(rng.choice(pool)) for _ in range(n)]
    arr = pa.array(values, type=kind)
    cut = int(rng.integers(0, n))  # chunked and sliced arrays have offsets into their buffers
    for a in (arr, arr.slice(cut), pa.chunked_array([arr.slice(0, cut), arr.slice(cut)], kind)):
        vals = a.to_pylist()
        assert parse._clean_arrow(a) == _exact_clean(vals), vals
        assert parse.mangled_ids(a).tolist() == _exact_mangled(vals), vals
        untrimmed, number_like = bytescan.id_candidates(a)  # (the two scans in one pass)
        assert untrimmed.tolist() == bytescan.untrimmed_candidates(a).tolist()
        assert number_like.tolist() == bytescan.number_like_candidates(a).tolist()
        assert parse._clean_arrow(a, untrimmed) == _exact_clean(vals), vals
        assert parse.mangled_ids(a, number_like).tolist() == _exact_mangled(vals), vals


def test_all_null_and_empty_arrays():
    for arr in (pa.array([None, None], pa.string()), pa.array([], pa.large_string())):
        assert parse._clean_arrow(arr)
        assert not parse.mangled_ids(arr).any()
        assert [x.tolist() for x in bytescan.id_candidates(arr)] == [[], []]
    assert not parse._clean_arrow(pa.array(["", None]))
    assert bytescan.id_candidates(pa.chunked_array([], pa.string()))[0].tolist() == []


@pytest.mark.parametrize("seed", range(30))
def test_blank_candidates_hold_every_blank_value(seed):
    rng = np.random.default_rng(seed)
    values = [str(rng.choice([*PIECES, " ", "\u3000", "\t \u00a0", "\u2002"])) for _ in range(50)]
    arr = pa.chunked_array([pa.array(values[:20]), pa.array(values[20:])])
    blank = {i for i, v in enumerate(values) if v.strip(bytescan.WHITESPACE) == ""}
    assert blank <= set(bytescan.blank_candidates(arr).tolist())
