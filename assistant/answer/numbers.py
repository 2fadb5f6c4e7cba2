"""Numbers with their units, so a generated sentence's figures can be checked against its
sources: "RMB 2 million" is 200万元, "300,000 yuan" is not 300万元, 3% is not 3 percentage
points, "at least" is not 不高于, and "1 July 2023" is 2023年7月1日.

Usage:
    >>> unsupported("The cap is RMB 2 million [1].", "单个项目最高补贴200万元。")
    []
    >>> [q.text for q in unsupported("The cap is 300,000 yuan.", "最高补贴300万元。")]
    ['300,000 yuan']
    >>> [q.text for q in unsupported("It covers 10% [1].", "serves at least 10 enterprises")]
    ['10%']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal

from assistant.text import ENGLISH_NUMBERS

Kind = Literal["money", "percent", "points", "date", "year", "area", "duration", "number"]
Bound = Literal["min", "max", "above", "below"]

# What a unit makes of the number before it: its kind, and the factor to the base unit
# (yuan, square metres, years). Longest spellings first, so "万元" wins over "元".
_UNITS: tuple[tuple[str, Kind, float], ...] = (
    (r"亿元|亿人民币", "money", 1e8),
    (r"万亿元", "money", 1e12),
    (r"千万元", "money", 1e7),
    (r"百万元", "money", 1e6),
    (r"万元|万人民币", "money", 1e4),
    (r"千元", "money", 1e3),
    (r"元(?:人民币)?", "money", 1.0),
    (r"(?:billion|bn)\s+(?:yuan|RMB|CNY)", "money", 1e9),
    (r"(?:million|mn)\s+(?:yuan|RMB|CNY)", "money", 1e6),
    (r"(?:thousand|k)\s+(?:yuan|RMB|CNY)", "money", 1e3),
    (r"(?:yuan|RMB|CNY)", "money", 1.0),
    (r"个百分点|percentage points?|pp\b|ppts?\b", "points", 1.0),
    (r"%|％|percent\b|per\s+cent\b", "percent", 1.0),
    (r"万平方米", "area", 1e4),
    (r"平方米|㎡|m²|m2\b|sq\.?\s?m\b|square\s+met(?:re|er)s?", "area", 1.0),
    (r"个?年|years?\b", "duration", 1.0),
    (r"个月|months?\b", "duration", 1 / 12),
    (r"亿", "number", 1e8),
    (r"万", "number", 1e4),
    (r"billion\b|bn\b", "number", 1e9),
    (r"million\b|mn\b", "number", 1e6),
    (r"thousand\b", "number", 1e3),
)
_UNIT = "|".join(f"(?P<u{i}>{pattern})" for i, (pattern, _, _) in enumerate(_UNITS))
_CURRENCY_BEFORE = r"(?P<currency>(?:RMB|CNY|¥|￥)\s?)?"
_NUMBER = r"(?P<number>\d+(?:,\d{3})*(?:\.\d+)?)"
_QUANTITY = re.compile(rf"{_CURRENCY_BEFORE}{_NUMBER}\s?(?:{_UNIT})?", re.IGNORECASE)

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            "jan january",
            "feb february",
            "mar march",
            "apr april",
            "may",
            "jun june",
            "jul july",
            "aug august",
            "sep sept september",
            "oct october",
            "nov november",
            "dec december",
        ),
        start=1,
    )
    for m in names.split()
}
# Every spelling of a month's name, full and short.
MONTH_NAMES = frozenset(_MONTHS)
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATES = (
    re.compile(r"(?P<y>(?:19|20)\d{2})\s?年\s?(?P<m>\d{1,2})\s?月(?:\s?(?P<d>\d{1,2})\s?日)?"),
    re.compile(r"(?P<y>(?:19|20)\d{2})[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?\b"),
    re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d{{2}})", re.I),
    re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(?P<y>(?:19|20)\d{{2}})", re.I),
    re.compile(rf"\b{_MONTH}\s+(?P<y>(?:19|20)\d{{2}})", re.I),
)
_YEAR = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?!\d)(?:\s?年(?!\s?\d{1,2}\s?月))?")

# The words that turn a number into a threshold, read just before it (or, for 以上/以下
# and "or more", just after it).
_BOUND_BEFORE: tuple[tuple[str, Bound], ...] = (
    (
        r"不低于|不少于|不小于|至少|最低|起码|满(?!足)|at least|no less than|not less than|"
        r"minimum of|a minimum|min\.",
        "min",
    ),
    (
        r"不高于|不超过|不多于|不大于|最高|最多|至多|封顶|截止|截至|at most|no more than|not more "
        r"than|not exceed(?:ing)?|up to|within|maximum of|a maximum|capped at|max\.|no later than",
        "max",
    ),
    (
        r"超过|高于|大于|多于|more than|over|above|exceed(?:s|ing)?|greater than|after|later than",
        "above",
    ),
    (r"低于|少于|小于|不足|less than|below|under|fewer than|before|prior to", "below"),
)
_BOUND_AFTER: tuple[tuple[str, Bound], ...] = (
    (r"(?:及|或)?以上|or more|or above|and above", "min"),
    (r"(?:及|或)?以下|以内|or less|or below|and below", "max"),
    (r"之前|以前|前(?!\d)", "below"),
    (r"之后|以后", "above"),
)
_VERB = r"(?:补贴|奖励|补助|资助|支持|给予|可达|为|是|达到|of|a|an|the)"
_OPPOSITE: dict[Bound, set[Bound]] = {
    "min": {"max", "below"},
    "above": {"max", "below"},
    "max": {"min", "above"},
    "below": {"min", "above"},
}


@dataclass(frozen=True)
class Quantity:
    """A number as the text states it: normalized value in its base unit, and whether it
    is a threshold."""

    text: str
    kind: Kind
    value: float
    raw: float  # the digits as written, before any unit factor
    bound: Bound | None = None

    def matches(self, other: Quantity) -> bool:
        """Whether `other` (from a source) states this quantity: same kind and value, and a
        threshold not turned around."""
        if self.bound and other.bound and other.bound in _OPPOSITE[self.bound]:
            return False
        if self.kind == "year":
            if other.kind == "date":
                return int(other.value) // 10000 == self.value
            return other.kind in ("year", "number") and other.raw == self.value
        if self.kind == "date":
            return other.kind == "date" and _same_date(self.value, other.value)
        if self.kind == "number":
            # A bare number matches a source number written with or without its unit.
            return _close(self.value, other.value) or _close(self.raw, other.raw)
        if self.kind == other.kind:
            return _close(self.value, other.value)
        # A sum or an area may stand in a source without its unit (a table under a
        # "RMB" heading); a share never does: "10%" is not "at least 10 other enterprises".
        if other.kind == "number" and self.kind not in ("percent", "points"):
            return _close(self.value, other.value)
        return False


def _same_date(a: float, b: float) -> bool:
    # dates are yyyymmdd with 00 for a missing month or day: 2023年7月 matches 2023年7月1日
    ya, ma, da = int(a) // 10000, int(a) // 100 % 100, int(a) % 100
    yb, mb, db = int(b) // 10000, int(b) // 100 % 100, int(b) % 100
    return ya == yb and (ma == mb or 0 in (ma, mb)) and (da == db or 0 in (da, db))


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(abs(a), abs(b), 1.0)


def _bound_at(text: str, start: int, end: int) -> Bound | None:
    before = text[max(0, start - 16) : start]
    after = text[end : end + 12]
    for pattern, bound in _BOUND_AFTER:
        if re.match(rf"\s*(?:{pattern})", after, re.IGNORECASE):
            return bound
    for pattern, bound in _BOUND_BEFORE:
        # "最高补贴300万元", "up to RMB 2 million": a verb may stand between the word and it
        if re.search(rf"(?:{pattern})\s*{_VERB}?\s*(?:RMB|CNY|USD|US\$|¥|￥)?\s*$", before, re.I):
            return bound
    return None


def extract(text: str, *, counts_in_words: bool = False) -> list[Quantity]:
    """Every number in `text` with its unit and threshold, dates and years included.
    Citation markers ([1]) and list numbering ("1." "(2)") are not numbers of the claim.
    `counts_in_words` also reads small counts written in Chinese numerals ("两年劳动合同"),
    as an enterprise's description states them; a generated sentence's "一年最多" is
    idiom, not a figure to check."""
    text = re.sub(r"\[\d{1,3}\]", lambda m: " " * len(m.group(0)), text)
    taken = [False] * len(text)
    found: list[tuple[int, Quantity]] = []

    def claim(start: int, end: int) -> bool:
        if any(taken[start:end]):
            return False
        taken[start:end] = [True] * (end - start)
        return True

    for pattern in _DATES:
        for m in pattern.finditer(text):
            month = m.group("month") if "month" in pattern.groupindex else None
            month_number = _MONTHS[month.lower()] if month else int(m.group("m") or 0)
            day = int(m.group("d") or 0) if "d" in pattern.groupindex else 0
            if not 1 <= month_number <= 12 or day > 31 or not claim(m.start(), m.end()):
                continue
            value = int(m.group("y")) * 10000 + month_number * 100 + day
            bound = _bound_at(text, m.start(), m.end())
            found.append((m.start(), Quantity(m.group(0), "date", value, value, bound)))
    for m in _QUANTITY.finditer(text):
        start, end = m.start(), m.end()
        if any(taken[start:end]) or _is_enumerator(text, m):
            continue
        raw = float(m.group("number").replace(",", ""))
        kind: Kind = "number"
        factor = 1.0
        unit_index = next((i for i in range(len(_UNITS)) if m.group(f"u{i}")), None)
        if unit_index is not None:
            _, kind, factor = _UNITS[unit_index]
            if kind == "number" and m.group("currency"):
                kind = "money"
            if kind == "duration" and _YEAR.fullmatch(m.group(0).strip()):
                kind, factor = "year", 1.0
        elif m.group("currency"):
            kind = "money"
        elif re.fullmatch(r"(?:19|20)\d{2}", m.group("number")):
            kind = "year"
        claim(start, end)
        bound = _bound_at(text, start, end)
        found.append((start, Quantity(text[start:end].strip(), kind, raw * factor, raw, bound)))
    if counts_in_words:
        found += _chinese_counts(text, claim)
    found.sort(key=lambda item: item[0])
    return [q for _, q in _ranges(text, found)]


# A small count in Chinese numerals before its unit ("两年", "三个月", "五家"); not an
# ordinal ("第一年") nor "每一年".
_CHINESE_COUNT = re.compile(
    r"(?<![第每统唯单同])(?P<n>[一二两三四五六七八九十]{1,2})\s?(?P<unit>个?年(?!度|级)|个月|家)"
)
_CHINESE_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
# "增速在10%（含）至20%之间": the first figure is the floor, the second the ceiling, not reached.
_RANGE = re.compile(r"\s?(?:[(（]含[)）])?\s?(?:至|到|~|～|—)\s?")


def _chinese_number(digits: str) -> int:
    if digits == "十":
        return 10
    if digits.startswith("十"):
        return 10 + _CHINESE_DIGITS.get(digits[1:], 0)
    if digits.endswith("十"):
        return _CHINESE_DIGITS.get(digits[:-1], 0) * 10
    return _CHINESE_DIGITS.get(digits, 0) if len(digits) == 1 else 0


# "manages four enterprises", "a two-year lease": a count in English words before its noun.
_ENGLISH_COUNT = re.compile(
    rf"\b(?P<n>{'|'.join(ENGLISH_NUMBERS)})[\s-]+(?:(?:other|more|local|new|overseas)\s+)?"
    r"(?P<unit>years?|months?|enterprises|companies|subsidiaries|firms|exporters)\b",
    re.I,
)


def _english_counts(text: str, claim: Callable[[int, int], bool]) -> list[tuple[int, Quantity]]:
    found = []
    for m in _ENGLISH_COUNT.finditer(text):
        if not claim(m.start(), m.end()):
            continue
        number = ENGLISH_NUMBERS.index(m.group("n").lower()) + 1
        unit = m.group("unit").lower()
        kind: Kind = "duration" if unit.startswith(("year", "month")) else "number"
        value = number / 12 if unit.startswith("month") else float(number)
        bound = _bound_at(text, m.start(), m.end())
        found.append((m.start(), Quantity(m.group(0), kind, value, float(number), bound)))
    return found


def _chinese_counts(text: str, claim: Callable[[int, int], bool]) -> list[tuple[int, Quantity]]:
    found = _english_counts(text, claim)
    for m in _CHINESE_COUNT.finditer(text):
        number = _chinese_number(m.group("n"))
        if number <= 0 or not claim(m.start(), m.end()):
            continue
        unit = m.group("unit")
        kind: Kind = "number" if unit == "家" else "duration"
        value = number / 12 if unit == "个月" else float(number)
        bound = _bound_at(text, m.start(), m.end())
        found.append((m.start(), Quantity(m.group(0), kind, value, float(number), bound)))
    return found


def _ranges(text: str, found: list[tuple[int, Quantity]]) -> list[tuple[int, Quantity]]:
    """Each "X（含）至Y" pair of one kind, read as at least X and below Y."""
    result = list(found)
    for i in range(len(result) - 1):
        (start, low), (next_start, high) = result[i], result[i + 1]
        between = text[start + len(low.text) : next_start]
        if low.kind == high.kind and low.bound is None and _RANGE.fullmatch(between):
            result[i] = (start, replace(low, bound="min"))
            if high.bound is None:
                result[i + 1] = (next_start, replace(high, bound="below"))
    return result


def _is_enumerator(text: str, m: re.Match[str]) -> bool:
    """A "1." or "(2)" opening a list item: numbering, not a figure."""
    if m.group("currency") or any(m.group(f"u{i}") for i in range(len(_UNITS))):
        return False
    before = text[max(0, m.start() - 1) : m.start()]
    after = text[m.end() : m.end() + 2]
    at_line_start = before in ("", "\n", " ", "-")
    return (at_line_start and after[:1] in (".", "、", "．") and not after[1:2].isdigit()) or (
        before in ("(", "（") and after[:1] in (")", "）")
    )


def unsupported(claim: str, support: str) -> list[Quantity]:
    """The quantities of `claim` that no quantity of `support` states, after units."""
    available = extract(support)
    return [q for q in extract(claim) if not any(q.matches(s) for s in available)]
