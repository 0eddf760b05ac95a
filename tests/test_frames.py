"""Column helpers: the content digest the scores cache is keyed by."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from qaworkbench.frames import digest

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
