"""Helpers on pandas columns that every stage uses."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow(s: pd.Series) -> pa.ChunkedArray | pa.Array:
    """The Series as a pyarrow array (zero-copy for pandas' arrow-backed strings)."""
    return pa.array(s, from_pandas=True)


def isin(values: pd.Series, reference: pd.Series) -> np.ndarray:
    """``values.isin(reference)``, hashing the smaller side (pandas' arrow isin is slow on big
    sets); categorical values are looked up once per category."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = values.cat.categories
        hit = isin(pd.Series(cats, dtype=cats.dtype), reference.astype(cats.dtype))
        codes = values.cat.codes.to_numpy()
        return np.where(codes >= 0, hit[codes], False)
    v, r = arrow(values), arrow(reference)
    if len(r) > 4 * len(v):  # few values, big reference: probe the reference with the values
        distinct = pc.unique(v)
        present = pc.unique(pc.filter(r, pc.is_in(r, value_set=distinct)))
        hit = pc.is_in(v, value_set=present)
    else:
        hit = pc.is_in(v, value_set=pc.unique(r))
    return pc.fill_null(hit, False).to_numpy(zero_copy_only=False)
