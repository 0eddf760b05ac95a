"""Personal data in free text: masked for display, found before publishing, pseudonymised for
joins.

Anything that leaves the analyst's desk shows 138****5678, never the number. One detector
finds every kind of personal value (``KINDS``): phone numbers, ID card numbers, bank card
numbers, e-mail addresses, street addresses, customers' names before an honorific, plus a
center's own patterns and names (``templates/privacy/*.yaml``). ``mask_text`` masks what it
finds; ``find_unmasked`` and ``find_personal`` report what is left, for the publication check.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import os
import re
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .workspace import load_template

# A center's rules: a file, or the name of one in templates/privacy/ (default: the workspace's
# privacy_rules setting, else "default").
PRIVACY_RULES_ENV = "QAW_PRIVACY_RULES"

# Full-width digits, plus, hyphen, space and parentheses read as their ASCII forms (one
# character for one, so a match's position is the same in the original text).
_FULL_WIDTH = str.maketrans(
    "０１２３４５６７８９＋－（）：\u3000\u2010\u2011\u2012\u2013\u2014",
    "0123456789+-():      "[:15] + " " + "-----",
)
# Digits spoken and written in Chinese, one character for one ASCII digit (幺 is "one" read
# out on the phone, 两 "two").
_CN_DIGITS = str.maketrans("〇零一幺二两三四五六七八九", "0011223456789")
_D = "[0-9〇零一幺二两三四五六七八九]"  # a digit, ASCII or Chinese
_D1, _D2 = "[1一幺]", "[3-9三四五六七八九]"
# Between digit groups of a mobile number: nothing, a dot, one or two spaces, or a hyphen with
# up to two spaces either side (139-1234-5678, 139 - 1234 - 5678, 139  1234  5678).
_MSEP = r"(?: {0,2}- {0,2}| {1,2}|\.)?"
_SEP = r"[ \-.]?"  # one optional separator between landline digit groups
# A mainland mobile number in the forms people write it: 13912345678, 139-1234-5678,
# 139 1234 5678, +86 139…, 0086-139…, (+86)139…, tel:+86139…, full-width digits, Chinese
# digits (一三九…, 幺三九…), one digit per space (1 3 9 1 2 3 4 5 6 7 8). Not inside a longer
# number or a decimal fraction (84.081469667058); beside letters it is still a number.
_MOBILE = (
    rf"{_D1}{_D2}{_D}{_MSEP}{_D}{{4}}{_MSEP}{_D}{{4}}"
    rf"|{_D1}{_D2}{_D}{{2}}{_MSEP}{_D}{{3}}{_MSEP}{_D}{{4}}"
    rf"|(?<!\d )(?<!\d  ){_D1} {{1,2}}{_D2}(?: {{1,2}}{_D}){{9}}(?! {{0,2}}\d)"
)
_COUNTRY = r"(?:(?:tel:|TEL:)?(?:\(?\+86\)?|\(?0086\)?|86)[ \-]?|tel:|TEL:)"
# A landline: area code (010, 02x, 0xxx) then 7-8 digits, the area code set apart by a hyphen,
# a space or parentheses (a bare 0-led run of 10-12 digits too), or +86 without the 0.
_AREA = r"0(?:10|2\d|[3-9]\d{2})"
_LOCAL = rf"[1-9]\d{{2,3}}{_SEP}\d{{4}}"
_LANDLINE = (
    rf"\({_AREA}\)[ \-]?{_LOCAL}|{_AREA}[ \-]{_LOCAL}|{_AREA}[2-9]\d{{6,7}}"
    rf"|(?:\+86|0086)[ \-]?(?:10|2\d|[3-9]\d{{2}})[ \-]?{_LOCAL}"
)
_PHONE = rf"(?<![0-9.])(?:{_COUNTRY}?(?:{_MOBILE})|{_LANDLINE})(?!\d)"
PHONE_RE = re.compile(_PHONE)
# A long digit run that may be an ID card number (18 digits, the last maybe X, grouped 6-8-4
# or not; 15 digits for the old cards) or a bank card number (16-19 digits, grouped in fours
# or not). Which it is, if either, the checksums decide (``_long_kind``).
_LONG = (
    r"(?<![\d.])(?:\d{6}[ \-]?\d{8}[ \-]?\d{3}[\dXx]|\d{6}[ \-]\d{6}[ \-]\d{3}|\d{15,19}"
    r"|\d{4}(?:[ \-]\d{4}){3}(?:[ \-]\d{1,3})?)(?!\d)"
)
_EMAIL = (
    r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]*@"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?\.)+"
    r"(?!(?:png|jpe?g|gif|svg|webp|ico|css|js|map|json|html?|py|woff2?|ttf)(?![A-Za-z]))"
    r"[A-Za-z]{2,}(?![A-Za-z0-9\-])"
)
# Street addresses: an optional province / city / district prefix (kept when masked), then a
# road and its number (建国路88号, 88弄3号, 8号楼2单元501室) or a housing estate and its
# building (阳光小区3栋2单元). A name part never holds these words, so "我住在建国路…" starts
# the address at 建国.
_W = r"[^\W\d_在住是的到于至查址我您你他她它们和与或从向往去来了吗呢吧啊哦嗯就也都还要想请把被给让个这那哪有没不]"
_NUM = r"(?:\d+(?:[\-—]\d+)?|[一二三四五六七八九十百零〇两]+)"
_ROOM = rf"(?:{_NUM}(?:号楼|栋|幢|座))?(?:{_NUM}单元)?(?:{_NUM}(?:室|房|号|楼))?"
_ADDRESS = (
    rf"(?P<akeep>(?:{_W}{{2,7}}?(?:省|自治区))?(?:{_W}{{2,7}}?市)?(?:{_W}{{1,5}}?(?:(?<!小)区|县|旗))?)"
    rf"(?P<ahide>{_W}{{2,6}}(?:路|街|大道|巷|胡同|村)(?:{_NUM}(?:弄|巷))?{_NUM}号院?{_ROOM}"
    rf"|{_W}{{2,8}}?(?:小区|花园|公寓|大厦|新村|苑|园|城|府|庭){_NUM}(?:号楼|栋|幢|座){_ROOM}"
    rf"|{_NUM}(?:号楼|栋|幢){_NUM}单元(?:{_NUM}(?:室|号)?)?)"
)
# Every address holds a number before one of these (88号, 3栋, 2单元).
_ADDRESS_HINT_RE = re.compile(r"[0-9一二三四五六七八九十百零〇两](?:号|栋|幢|单元)")
# Common Chinese surnames (single and compound); characters that are mostly other words
# (和, 向, 于, 时 …) are left out, so "我和先生" is not a name.
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔汤常温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿兰焦俞左柳"
    "甘祝包宁尚符舒阮柯纪梅童凌毕季裴霍涂苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍喻祁蒲房滕屈饶牟艾尤"
    "穆卓缪褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞"
    "敖巩佘池麻迟邝"
)
_COMPOUND = "欧阳|司马|诸葛|上官|东方|皇甫|尉迟|公孙|慕容|令狐|长孙|夏侯|轩辕|宇文|司徒"
_GIVEN = r"[^\W\d_A-Za-z您你我他她它的了吗呢吧啊哦嗯是好谢请这那位个和与跟给向对问先女小老]"
_HONORIFIC = (
    rf"(?<![谢感])(?P<hname>(?:{_COMPOUND}|[{_SURNAMES}]){_GIVEN}{{0,2}}?)(?:先生|女士|小姐)"
)
# Machine identifiers (UUIDs, 32-hex tokens: kernel, session and widget ids on a page) are
# random hex, and one in a few thousand holds 11 digits in a row that look like a number.
_HEX_ID_RE = re.compile(
    r"(?<![0-9A-Za-z])(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    r"|[0-9a-f]{32})(?![0-9A-Za-z])"
)
_DEMO_KEY = b"qaworkbench-demo-key"

# The kinds the detector knows, in the words the publication check uses.
KINDS = {
    "phone": "phone number",
    "id_card": "ID card number",
    "bank_card": "bank card number",
    "email": "e-mail address",
    "address": "street address",
    "name": "customer name",
}


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
    them, full-width and Chinese digits included): (start, end) of each. Digits inside a UUID
    or a 32-hex token (a kernel's or widget's id) are not a number."""
    return [(a, b) for kind, a, b, _ in _hits(text) if kind == "phone"]


def _mask_number(raw: str) -> str:
    digits = [c for c in raw.translate(_FULL_WIDTH).translate(_CN_DIGITS) if c.isdigit()]
    number = "".join(digits)
    for prefix in ("0086", "86"):  # the country code is not part of the number
        if number.startswith(prefix) and len(number) > 11:
            number = number[len(prefix) :]
            break
    return mask_id(number)


class Pattern(BaseModel):
    """A center's own kind of personal value: a name for it and a regular expression."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="a lower-case word")
    regex: str

    @field_validator("kind")
    @classmethod
    def _not_builtin(cls, v: str) -> str:
        if v in KINDS:
            raise ValueError(f"{v!r} is a built-in kind; name the pattern another way")
        return v

    @field_validator("regex")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            rx = re.compile(v)
        except re.error as e:
            raise ValueError(f"not a valid regular expression: {e}") from None
        if rx.groupindex or rx.groups:
            raise ValueError("use (?:…) for groups: a pattern has no capturing groups")
        if rx.match(""):
            raise ValueError("the pattern matches empty text")
        return v


class PrivacyRules(BaseModel):
    """A center's privacy rules: its own patterns, and names masked wherever they appear."""

    model_config = ConfigDict(extra="forbid")

    id: str
    version: str
    patterns: list[Pattern] = []
    names: list[str] = []

    @field_validator("names")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        if bad := [n for n in v if len(n.strip()) < 2]:
            raise ValueError(f"a name has at least 2 characters, got {bad[0]!r}")
        return [n.strip() for n in v]


def load_privacy_rules(path: str | Path = "default") -> PrivacyRules:
    """Read and validate privacy rules; a bare name is looked up in templates/privacy/."""
    return load_template("privacy", path, PrivacyRules)


def privacy_rules() -> PrivacyRules:
    """The rules in force: the file or template named by QAW_PRIVACY_RULES, else by the
    workspace's qaw.yaml, else "default"."""
    return _rules(_rules_source())


def _rules_source() -> str:
    """The privacy_rules setting, cheaply: read for every text masked."""
    return os.environ.get(PRIVACY_RULES_ENV) or _workspace_setting(
        "privacy_rules", os.getcwd(), os.environ.get("QAW_WORKSPACE", "")
    )


@functools.lru_cache(maxsize=16)
def _workspace_setting(name: str, _cwd: str, _workspace: str) -> str:
    """Setting ``name`` without its environment variable (the callers read that first), once
    per current folder and QAW_WORKSPACE."""
    from .settings import resolve
    from .workspace import find_workspace

    ws = find_workspace()
    v = getattr(ws.config, name)
    return str(v) if v is not None else resolve(name, ws=ws).value


@functools.lru_cache(maxsize=8)
def _rules(source: str) -> PrivacyRules:
    return load_privacy_rules(source)


@functools.lru_cache(maxsize=64)
def _matcher(
    source: str, email: bool, address: bool, name: bool
) -> tuple[re.Pattern[str], dict[str, str]]:
    """One compiled regex for the kinds a text may hold (built-ins first, then the rules from
    ``source``), and the kind each custom group stands for. A kind whose sign is not in the
    text (an @, a number before 号, an honorific) is left out: the regex is then 2-3x faster."""
    rules = _rules(source)
    parts = [
        *([rf"(?P<email>{_EMAIL})"] if email else []),
        rf"(?P<phone>{_PHONE})",  # before long runs: 008613912345678 is a phone number
        rf"(?P<long>{_LONG})",
        *([rf"(?P<address>{_ADDRESS})"] if address else []),
        *([rf"(?P<name>{_HONORIFIC})"] if name else []),
    ]
    custom = {}
    if rules.names:
        names = sorted(set(rules.names), key=len, reverse=True)
        parts.append("(?P<listed>" + "|".join(re.escape(n) for n in names) + ")")
    for i, p in enumerate(rules.patterns):
        custom[f"x{i}"] = p.kind
        parts.append(f"(?P<x{i}>{p.regex})")
    return re.compile("|".join(parts)), custom


# GB 11643: weights of the first 17 digits, and the check character for the sum modulo 11.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# The first two digits: a province, region or municipality (83: Taiwan residents).
_PROVINCES = frozenset(
    str(p)
    for r in ((11, 16), (21, 24), (31, 38), (41, 47), (50, 55), (61, 66), (71, 72), (81, 84))
    for p in range(*r)
) | {"91"}


def id_card_ok(number: str) -> bool:
    """Whether ``number`` (digits, the 18th maybe X) is a valid mainland ID card number: a
    province code, a real birth date not in the future and, for the 18-digit cards, the GB
    11643 check character. The 15-digit cards (before 1999) have no check character."""
    n = number.upper()
    if n[:2] not in _PROVINCES:
        return False
    if len(n) == 18:
        if (
            not n[:17].isdigit()
            or _ID_CHECK[sum(int(c) * w for c, w in zip(n[:17], _ID_WEIGHTS, strict=True)) % 11]
            != n[17]
        ):
            return False
        birth = n[6:14]
    elif len(n) == 15 and n.isdigit():
        birth = "19" + n[6:12]
    else:
        return False
    try:
        born = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.date.today()


def luhn_ok(number: str) -> bool:
    """Whether the digits of ``number`` pass the Luhn check (bank cards)."""
    total = 0
    for i, c in enumerate(reversed(number)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _long_kind(text: str, a: int, b: int) -> tuple[str, int] | None:
    """What the digit run text[a:b] is, by its checksums, and where it ends: an ID card, a bank
    card (``_card_ok``, no letter right beside it), or neither."""
    raw = text[a:b]
    digits = re.sub(r"[ \-]", "", raw)
    if len(digits) in (15, 18) and id_card_ok(digits):
        return "id_card", b
    if not digits.isdigit() or (a and text[a - 1].isascii() and text[a - 1].isalpha()):
        return None
    if b < len(text) and text[b].isascii() and text[b].isalpha():
        return None
    if _card_ok(digits):
        return "bank_card", b
    tail = re.search(r"[ \-]\d{1,3}$", raw)  # 6222 0212 3456 7890 12: the 12 may be apart
    if tail and _card_ok(digits[:16]):
        return "bank_card", a + tail.start()
    return None


# A card's first digits (ISO/IEC 7812): 3 travel (JCB, Amex), 4-5 banks (Visa, Mastercard),
# 6 UnionPay (62) and others, 9 older national debit cards (95…), Mastercard's 2221-2720.
_IIN_RE = re.compile(r"[345679]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)")


def _card_ok(digits: str) -> bool:
    """A bank card number: 16-19 digits, a card's first digits, the Luhn check passed, not
    one digit repeated."""
    return (
        16 <= len(digits) <= 19
        and _IIN_RE.match(digits) is not None
        and luhn_ok(digits)
        and len(set(digits)) > 1
    )


def _hits(text: str) -> list[tuple[str, int, int, str]]:
    """Every personal value in ``text``: (kind, start, end, its masked form)."""
    norm = text.translate(_FULL_WIDTH)
    norm = _HEX_ID_RE.sub(lambda m: " " * len(m.group(0)), norm)
    rx, custom = _matcher(
        _rules_source(),
        "@" in norm,
        _ADDRESS_HINT_RE.search(norm) is not None,
        "先生" in norm or "女士" in norm or "小姐" in norm,
    )
    out = []
    for m in rx.finditer(norm):
        kind = m.lastgroup
        a, b = m.span()
        if kind == "long":
            found = _long_kind(norm, a, b)
            if found is None:
                continue
            kind, b = found
        elif kind not in ("email", "phone", "address", "name", "listed"):
            kind = custom[kind]
        value = text[a:b]
        if kind == "phone":
            masked_value = _mask_number(value)
        elif kind == "id_card":
            masked_value = value[:3] + "*" * (len(re.sub(r"[ \-]", "", value)) - 3)
        elif kind == "bank_card":
            digits = re.sub(r"[ \-]", "", norm[a:b])
            masked_value = "*" * (len(digits) - 4) + digits[-4:]
        elif kind == "email":
            masked_value = value[0] + "***" + value[value.index("@") :]
        elif kind == "address":
            masked_value = m.group("akeep") + "***"
        elif kind == "name":
            hidden = len(m.group("hname"))
            masked_value = "*" * hidden + value[hidden:]
        elif kind == "listed":
            kind, masked_value = "name", value[0] + "*" * (len(value) - 1)
        else:
            masked_value = str(mask_id(value))
        out.append((kind, a, b, masked_value))
    return out


def mask_text(text: str) -> str:
    """Mask every personal value written inside free text (comments, chat messages, notes), in
    whatever form it is written: a phone number becomes 139****5678, an ID card number
    110***************, a bank card ************1234, an e-mail z***@example.com, an address
    北京市朝阳区*** (the city and district kept), a name before an honorific *先生, a listed
    name 张**, a center's own pattern as ``mask_id`` shows an identifier.

    ID and bank card numbers are recognised by their checksums (GB 11643 check character and
    birth date; Luhn): a long digit run that fails them (an order number, a mistyped card) is
    left as it is, so the publication check does not refuse it either."""
    hits = _hits(text)
    if not hits:
        return text
    out, at = [], 0
    for _, a, b, masked_value in hits:
        out += [text[at:a], masked_value]
        at = b
    out.append(text[at:])
    return "".join(out)


def find_personal(text: str) -> list[tuple[str, str]]:
    """Personal values left in ``text``: (kind, value as written), kind one of ``KINDS`` or a
    center's own pattern's; empty when the text is safe to publish. The same detector as
    ``mask_text``: what it masks, this finds."""
    return [(kind, text[a:b]) for kind, a, b, _ in _hits(text)]


def find_personal_at(text: str) -> list[tuple[str, int, str]]:
    """Like ``find_personal``, with where each value starts: (kind, offset in characters,
    value)."""
    return [(kind, a, text[a:b]) for kind, a, b, _ in _hits(text)]


def find_unmasked(text: str) -> list[str]:
    """Personal values left in ``text`` (phone numbers and every other kind), as written; empty
    when the text is safe to publish (see ``find_personal`` for their kinds)."""
    return [text[a:b] for _, a, b, _ in _hits(text)]


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
    """The pseudonym key: the value of the environment variable the workspace names
    (pseudonym_key_env, QAW_PSEUDONYM_KEY by default), else the fixed demo key."""
    name = _workspace_setting("pseudonym_key_env", os.getcwd(), os.environ.get("QAW_WORKSPACE", ""))
    env = os.environ.get(name)
    return env.encode() if env else _DEMO_KEY


CUSTOMER_COLUMNS = ("customer_id",)


def _mask_texts(s: pd.Series) -> pd.Series:
    lut = {u: mask_text(u) for u in s.dropna().unique() if isinstance(u, str)}
    changed = {k: v for k, v in lut.items() if k != v}
    return s.map(lambda v: changed.get(v, v)) if changed else s


def masked(df: pd.DataFrame) -> pd.DataFrame:
    """A copy safe to display: customer ids masked, and personal values (phone, ID and bank card
    numbers, e-mails, addresses, names; see ``mask_text``) masked wherever they are written in a
    text column (comments, notes, evidence, names of anything). Each distinct text is masked
    once."""
    out = df.copy()
    for c in out.columns:
        if c in CUSTOMER_COLUMNS:
            out[c] = mask_series(out[c])
        elif out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = _mask_texts(out[c])
    return out
