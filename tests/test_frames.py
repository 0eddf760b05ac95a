"""Column helpers: the content digest the scores cache is keyed by, and looking values up
through Arrow as pandas would."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qaworkbench.frames import digest, positions

FRAME = pd.DataFrame(
    {
        "s": ["a", "b", None],
        "f": [1.0, np.nan, 2.0],
        "t": pd.to_datetime(["2026-01-01", None, "2026-02-01"]),
        "i": pd.array([1, None, 3], dtype="Int64"),
        "c": pd.Categorical(["x", "y", "x"]),
        "tz": pd.to_datetime(["2026-01-01"] * 3).tz_localize("Asia/Shanghai"),
        "o": [1, "a", None],
        "b": pd.array([True, None, False], dtype="boolean"),
    }
)


def test_equal_frames_have_equal_digests():
    assert digest(FRAME) == digest(FRAME.copy())


@pytest.mark.parametrize(
    ("column", "value"),
    [("s", "c"), ("s", None), ("f", 3.0), ("t", pd.Timestamp("2026-03-01")), ("i", 7),
     ("i", None), ("c", "y"), ("tz", pd.Timestamp("2026-01-02", tz="Asia/Shanghai")),
     ("o", "b"), ("b", False)],
)  # fmt: skip
def test_any_changed_value_changes_the_digest(column, value):
    changed = FRAME.copy()
    changed.loc[0, column] = value
    assert digest(changed) != digest(FRAME)


def test_a_slice_of_shared_buffers_is_read_by_its_own_values():
    """A chunk that is a slice of a bigger array hashes its own strings only."""
    big = pa.chunked_array([pa.array(["aa", "bb", "cc", "dd"])])

    def frame(arr):
        return pd.DataFrame({"s": pd.Series(pd.arrays.ArrowStringArray(arr))})

    alone = frame(pa.chunked_array([pa.array(["bb", "cc"])]))
    assert digest(frame(big.slice(1, 2))) == digest(alone)
    assert digest(frame(big.slice(2, 2))) != digest(alone)
    assert digest(FRAME.iloc[1:]) != digest(FRAME.iloc[:2])


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["e2", "e9", None, "e1", "e2", "电话"], dtype="str"),
        pd.Series(pd.Categorical(["e2", None, "e1", "e3"])),  # a categorical column
        pd.Series(["e1"] * 3 + ["e4"], dtype="string[pyarrow]"),
        pd.Series([], dtype="str"),
    ],
)
def test_positions_are_what_get_indexer_gives(values):
    """``positions`` is ``keys.get_indexer(values)`` with -1 for missing and absent values, the
    first position where a key repeats (as ``Series.map`` takes it)."""
    keys = pd.Series(["e1", "e2", "e3", "e2", "电话"], dtype="str")
    first = keys.drop_duplicates()
    want = pd.Index(first).get_indexer(values.astype(object).where(values.notna(), None))
    want = np.where(want >= 0, first.index.to_numpy().take(want), -1)
    assert positions(values, keys).tolist() == want.tolist()
    assert positions(values, keys.iloc[0:0]).tolist() == [-1] * len(values)
