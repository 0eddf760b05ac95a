"""Customer identifiers: masked for display, pseudonymised for joins.

Anything that leaves the analyst's desk shows 138****5678, never the number.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

import pandas as pd

from .config import PSEUDONYM_KEY_ENV

# A mainland mobile number (11 digits starting 13-19) not inside a longer number.
PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# Machine identifiers (UUIDs, 32-hex tokens: kernel, session and widget ids on a page) are
# random hex, and one in a few thousand holds 11 digits in a row that look like a number.
_HEX_ID_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|[0-9a-f]{32})(?![0-9A-Za-z])"
)
_DEMO_KEY = b"qaworkbench-demo-key"


def mask_id(value: object) -> object:
    """Mask one identifier: 13812345678 -> 138****5678; short ids keep only the last 2 characters."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    s = str(value)
    if len(s) >= 7:
        return s[:3] + "*" * (len(s) - 7) + s[-4:] if len(s) > 11 else s[:3] + "****" + s[-4:]
    return "*" * max(len(s) - 2, 1) + s[-2:]


def mask_series(s: pd.Series) -> pd.Series:
    """Mask every identifier in a Series (see ``mask_id``)."""
    uniques = s.dropna().unique()
    lut = {u: mask_id(u) for u in uniques}
    return s.map(lut).astype("str").mask(s.isna())


def mask_text(text: str) -> str:
    """Mask every mobile number written inside free text (comments, chat messages)."""
    return PHONE_RE.sub(lambda m: mask_id(m.group(0)), text)


def find_unmasked(text: str) -> list[str]:
    """Raw mobile numbers in ``text``; empty when the text is safe to publish. Digits inside
    a UUID or a 32-hex token (a kernel's or widget's id) are not a number."""
    return PHONE_RE.findall(_HEX_ID_RE.sub(" ", text))


def pseudonym(value: object, key: bytes | None = None) -> object:
    """A stable pseudonym (keyed HMAC-SHA256, 16 hex chars) for joining without the number."""
    if value is None or value is pd.NA or (isinstance(value, float) and pd.isna(value)):
        return value
    k = key if key is not None else _key()
    return "C" + hmac.new(k, str(value).encode(), hashlib.sha256).hexdigest()[:16]


def pseudonym_series(s: pd.Series, key: bytes | None = None) -> pd.Series:
    """``pseudonym`` over a Series, computing each distinct value once."""
    k = key if key is not None else _key()
    lut = {u: pseudonym(u, k) for u in s.dropna().unique()}
    return s.map(lut).astype("str").mask(s.isna())


def _key() -> bytes:
    env = os.environ.get(PSEUDONYM_KEY_ENV)
    return env.encode() if env else _DEMO_KEY


CUSTOMER_COLUMNS = ("customer_id",)
TEXT_COLUMNS = ("comment", "text")


def masked(df: pd.DataFrame) -> pd.DataFrame:
    """A copy safe to display: customer ids masked, phone numbers in free text masked."""
    out = df.copy()
    for c in CUSTOMER_COLUMNS:
        if c in out:
            out[c] = mask_series(out[c])
    for c in TEXT_COLUMNS:
        if c in out:
            out[c] = out[c].map(lambda v: mask_text(v) if isinstance(v, str) else v)
    return out
