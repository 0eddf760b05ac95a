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

# Full-width digits, plus, hyphen, space and parentheses read as their ASCII forms (one
# character for one, so a match's position is the same in the original text).
_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９＋－（）：\u3000\u2010\u2011\u2012\u2013\u2014",
    "0123456789+-():      "[:15] + " " + "-----",
)
_SEP = r"[ \-.]?"  # one optional separator between digit groups: space, hyphen or dot
# A mainland mobile number in the forms people write it: 13912345678, 139-1234-5678,
# 139 1234 5678, +86 139…, 0086-139…, (+86)139…, tel:+86139…, full-width digits. Not inside
# a longer number or a decimal fraction (84.081469667058); beside letters it is still a number.
_MOBILE = rf"1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}}|1[3-9]\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{4}}"
_COUNTRY = r"(?:(?:tel:|TEL:)?(?:\(?\+86\)?|\(?0086\)?|86)[ \-]?|tel:|TEL:)"
# A landline: area code (010, 02x, 0xxx) then 7-8 digits, the area code set apart by a hyphen,
# a space or parentheses (a bare 0-led run of 10-12 digits too), or +86 without the 0.
_AREA = r"0(?:10|2\d|[3-9]\d{2})"
_LOCAL = rf"[1-9]\d{{2,3}}{_SEP}\d{{4}}"
_LANDLINE = (
    rf"\({_AREA}\)[ \-]?{_LOCAL}|{_AREA}[ \-]{_LOCAL}|{_AREA}[2-9]\d{{6,7}}"
    rf"|(?:\+86|0086)[ \-]?(?:10|2\d|[3-9]\d{{2}})[ \-]?{_LOCAL}"
)
PHONE_RE = re.compile(rf"(?<![0-9.])(?:{_COUNTRY}?(?:{_MOBILE})|{_LANDLINE})(?!\d)")
# Machine identifiers (UUIDs, 32-hex tokens: kernel, session and widget ids on a page) are
# random hex, and one in a few thousand holds 11 digits in a row that look like a number.
_HEX_ID_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|[0-9a-f]{32})(?![0-9A-Za-z])"
)
_DEMO_KEY = b"qaworkbench-demo-key"


def mask_id(value: object) -> object:
    """Mask one identifier, at most 3 + 4 characters visible and at least 4 hidden:
    13812345678 -> 138****5678, 1234567 -> 1****67, short ids (4 or fewer) fully hidden."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return value
    s = str(value)
    n = len(s)
    visible = max(0, min(7, n - 4, round(n * 0.65)))
    head = visible * 3 // 7
    tail = visible - head
    return s[:head] + "*" * (n - visible) + (s[n - tail :] if tail else "")


def mask_series(s: pd.Series) -> pd.Series:
    """Mask every identifier in a Series (see ``mask_id``)."""
    uniques = s.dropna().unique()
    lut = {u: mask_id(u) for u in uniques}
    return s.map(lut).astype("str").mask(s.isna())


def phone_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` holds a phone number (mobile or landline, in any of the forms people write
    them, full-width digits included): (start, end) of each. Digits inside a UUID or a 32-hex
    token (a kernel's or widget's id) are not a number."""
    norm = text.translate(_FULL_WIDTH)
    norm = _HEX_ID_RE.sub(lambda m: " " * len(m.group(0)), norm)
    return [m.span() for m in PHONE_RE.finditer(norm)]


def _mask_number(raw: str) -> str:
    digits = [c for c in raw.translate(_FULL_WIDTH) if c.isdigit()]
    number = "".join(digits)
    for prefix in ("0086", "86"):  # the country code is not part of the number
        if number.startswith(prefix) and len(number) > 11:
            number = number[len(prefix) :]
            break
    return mask_id(number)


def mask_text(text: str) -> str:
    """Mask every phone number written inside free text (comments, chat messages, notes), in
    whatever form it is written: the number becomes 138****5678."""
    spans = phone_spans(text)
    if not spans:
        return text
    out, at = [], 0
    for a, b in spans:
        out += [text[at:a], _mask_number(text[a:b])]
        at = b
    out.append(text[at:])
    return "".join(out)


def find_unmasked(text: str) -> list[str]:
    """Phone numbers left in ``text``, as written; empty when the text is safe to publish. The
    same detector as ``mask_text``: what it masks, this finds."""
    return [text[a:b] for a, b in phone_spans(text)]


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


def _mask_texts(s: pd.Series) -> pd.Series:
    lut = {u: mask_text(u) for u in s.dropna().unique() if isinstance(u, str)}
    changed = {k: v for k, v in lut.items() if k != v}
    return s.map(lambda v: changed.get(v, v)) if changed else s


def masked(df: pd.DataFrame) -> pd.DataFrame:
    """A copy safe to display: customer ids masked, and phone numbers masked wherever they are
    written in a text column (comments, notes, evidence, names of anything)."""
    out = df.copy()
    for c in out.columns:
        if c in CUSTOMER_COLUMNS:
            out[c] = mask_series(out[c])
        elif out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = _mask_texts(out[c])
    return out
