"""What a question names about where its answer lives: the national Notice, a locality, a
document number, a year.

"What does the Notice say about China-Europe freight trains?" is about the national
document even when a local one uses the same words more often, and "样本市2023年…" is
about the 2023 documents of that city. The names come from each indexed document's own
metadata (its manifest entry, or what was read from its text), so a new document is in
scope by its own region and number with no rule written for it. A real place the question
names that no document covers (from the administrative-divisions dataset) marks a question
the corpus cannot answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.search.dictionary import general_dictionary
from assistant.search.places import NATIONAL_NAMES, place_finder
from assistant.text import zone_abbreviation
from assistant.types import Document, SearchHit

# A question about the national Notice or its issuers.
_NATIONAL = re.compile(
    r"\bthe\s+(national\s+)?notice\b|\bMIIT\b|\bNDRC\b|\bSASAC\b|\bState Council\b|"
    r"\bthree (ministries|departments|agencies)\b|\bcentral government\b|"
    r"《通知》|三部门|工信部|工业和信息化部|发展改革委|国资委|国务院",
    re.IGNORECASE,
)
# Words that point at the national level only when nothing local is named ("国家级专精特新"
# is a local award's condition, not the national level).
_NATIONAL_WEAK = re.compile(
    r"\bnational(?![\s-]+level)\b|\bnotice\b|国家(?!级)|全国|通知|中央", re.IGNORECASE
)
# A question about how places carry the Notice out, or about places at all.
_LOCAL = re.compile(
    r"地方|各地|省|市|县|区|本地|当地|落实|配套|细则|\blocal|\bprovinc|\bcit(?:y|ies)\b|"
    r"\bcounty\b|\bzone\b|\bimplement|\bregion",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
# A locality the question is about, by its shape, when no real division and no document
# has its name: "模范市对市民购买新能源汽车有没有补贴" asks about a city the corpus does not
# cover, however alike Sample City's clauses read. Only a name that opens the question
# (or follows "in"/"在") and is followed by what is asked of it, so "上市企业" or "城市更新"
# is never read as a place.
_SHAPED_PLACE_ZH = re.compile(
    r"(?:^|在|位于)((?![本全我该各外此每])[\u4e00-\u9fff]{2,4}?(?<![上超股城夜门集菜早黑])"
    r"[省市县])(?=对|有没有|有什么|有哪些|是否|能否|给予?|出台|发布|规定|的(?:企业|政策|补贴|措施)|[，,])"
)
_SHAPED_PLACE_EN = re.compile(
    r"\b(?i:in|does|do|did|will|can|has|is)\s+((?:(?!The\b)[A-Z][a-z]+\s+){1,3}"
    r"(?:City|Province|County|Prefecture))\b"
)
_DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[【(（]\s*\d{4}\s*[〕\]】)）]\s*\d{1,4}\s*号")
_REGION_PARTS = re.compile(r"[,，;；、]")
_ALIAS = re.compile(r"^(.*?)\s*[(（]([^()（）]+)[)）]\s*$")


def _normalize_number(text: str) -> str:
    text = re.sub(r"\s+", "", text)
    return re.sub(r"[〔\[【(（]", "〔", re.sub(r"[〕\]】)）]", "〕", text))


def locality_names(region: str | None) -> set[str]:
    """The names a document's own locality goes by: the first (most specific) part of its
    region with its English alias, and a zone's usual abbreviation."""
    if not region:
        return set()
    first = _REGION_PARTS.split(region, maxsplit=1)[0].strip()
    names = {first}
    match = _ALIAS.match(first)
    if match:
        names = {match.group(1).strip(), match.group(2).strip()}
    for name in list(names):
        if short := zone_abbreviation(name):
            names.add(short)
    return {n for n in names if len(n) >= 2 and n.lower() not in NATIONAL_NAMES}


_INVENTED_ZH = re.compile(r"([\u4e00-\u9fff]{2,4})([省市县])")
_SUFFIX_EN = {"省": "Province", "市": "City", "县": "County"}


def translated_names(name: str) -> set[str]:
    """English names for a place named only in Chinese and not a real division, word for
    word through CC-CEDICT: a document that says only "样例县" is still what "Sample
    County" means. A real place keeps its own (pinyin) names; a stem with a sense of more
    than one word ("港湾", "natural harbor") gives none rather than a guess."""
    match = _INVENTED_ZH.fullmatch(name)
    if match is None or place_finder().find(name):
        return set()
    stem, suffix = match.groups()
    senses = general_dictionary().translations(stem)
    return {f"{s.title()} {_SUFFIX_EN[suffix]}" for s in senses if s.isalpha()}


@dataclass(frozen=True)
class QuestionScope:
    """What the question names, resolved against the indexed documents."""

    documents: frozenset[str] = frozenset()  # documents the question names by place or number
    national: bool = False  # asks about the national Notice or national policy
    years: frozenset[int] = frozenset()
    year_documents: frozenset[str] = frozenset()  # documents of a year the question names
    unknown_places: tuple[str, ...] = ()  # real places no document covers
    names: tuple[str, ...] = ()  # the words in the question that named the scope
    # Names the Notice itself ("《通知》", "the Notice", "MIIT") and no locality, nor how
    # localities carry it out: the answer is the Notice's, or there is none.
    notice_only: bool = False

    def remainder(self, question: str) -> str:
        """The question without the words that name its scope: what it asks about."""
        for name in sorted(self.names, key=len, reverse=True):
            question = re.sub(re.escape(name), "，", question, flags=re.IGNORECASE)
        return question

    @property
    def named(self) -> bool:
        return bool(self.documents or self.national)

    def admits(self, doc_id: str, level: str) -> bool:
        """Whether an answer may come from this document: when the question names places or
        numbers, only from their documents (and national ones, if it names the Notice too);
        when it names the Notice alone, only from national ones; otherwise from any."""
        if not self.documents:
            return level == "national" if self.notice_only else True
        return doc_id in self.documents or (self.national and level == "national")

    def narrowed(self, filters: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """`filters`, searching the national documents only when the question names the
        Notice alone and the caller chose no level."""
        if not self.notice_only or (filters and "level" in filters):
            return filters
        return {**(filters or {}), "level": "national"}

    def within(self, hits: list[SearchHit], level_of: Callable[[str], str]) -> list[SearchHit]:
        """The hits an answer may come from (see `admits`)."""
        return [h for h in hits if self.admits(h.chunk.doc_id, level_of(h.chunk.doc_id))]

    def weight(self, doc_id: str, level: str) -> float:
        """How strongly the question points at this document: 1 for its place, number or
        (national) level, a half for its year alone."""
        score = 1.0 if doc_id in self.documents or (self.national and level == "national") else 0
        if doc_id in self.year_documents:
            score += 0.5
        return score


# The other-language name a document gives its place in brackets beside it: "Sample Port
# City (样港市)", "样港市（Sample Port City）". A document without a manifest entry has only
# the name its text leads with as its region, and a question may use the other.
_ZH_PLACE = r"[\u4e00-\u9fff]{1,12}(?:省|市|县|区|镇|州|盟|旗)"
_EN_PLACE = r"(?:[A-Z][\w-]*\s+){1,5}(?:Province|City|County|District|Zone|Town|Prefecture)"


def bracketed_aliases(text: str, name: str) -> set[str]:
    """The other names the text gives the place `name` in brackets beside it."""
    head = text[:20_000]
    escaped = re.escape(name)
    found = set()
    for other in (_ZH_PLACE, _EN_PLACE):
        for pattern in (
            # "演示高新技术产业开发区（以下简称“演示高新区”）" names its short form too
            rf"{escaped}\s*[(（]\s*(?:以下简称|下称|简称)?[“\"]?({other})[”\"]?\s*[)）]",
            rf"({other})\s*[(（]\s*{escaped}\s*[)）]",
        ):
            found |= {m.group(1).strip() for m in re.finditer(pattern, head)}
    return {f for f in found if f != name and f.lower() not in NATIONAL_NAMES}


@dataclass
class _DocumentNames:
    localities: dict[str, set[str]] = field(default_factory=dict)  # name -> doc ids
    numbers: dict[str, str] = field(default_factory=dict)
    years: dict[int, set[str]] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)
    covered_places: set[str] = field(default_factory=set)
    # Whether every local document has a name for its place in Chinese, and in English: a
    # place-shaped name matching none is unknown only then, else it may be the other
    # language's name of a document that gives only one ("样例县" and "Sample County").
    named_in: dict[str, bool] = field(default_factory=lambda: {"zh": True, "en": True})


class ScopeReader:
    """Reads a question's scope against one index version's documents (built once per
    version)."""

    def __init__(self, documents: Mapping[str, Document]) -> None:
        names = _DocumentNames()
        finder = place_finder()
        for doc_id, document in documents.items():
            meta = document.meta
            names.levels[doc_id] = meta.level
            aliases = {
                alias
                for name in locality_names(meta.region)
                for alias in {name, *bracketed_aliases(document.text, name)}
            }
            for alias in aliases:
                names.localities.setdefault(alias.lower(), set()).add(doc_id)
            if aliases:
                in_english = any(a.isascii() for a in aliases)
                names.named_in["en"] &= in_english
                names.named_in["zh"] &= not all(a.isascii() for a in aliases)
                for alias in (
                    () if in_english else {t for a in aliases for t in translated_names(a)}
                ):
                    names.localities.setdefault(alias.lower(), set()).add(doc_id)
            if meta.doc_number:
                names.numbers[_normalize_number(meta.doc_number)] = doc_id
            years = {d.year for d in (meta.issued, meta.effective) if d is not None}
            years |= {int(y) for y in _YEAR.findall(meta.title)}
            for year in years:
                names.years.setdefault(year, set()).add(doc_id)
            # A real place is covered when a document is about it or speaks of it.
            names.covered_places |= finder.find(
                " ".join(filter(None, (meta.region, meta.title, meta.issuer, document.text)))
            )
        self._names = names
        self._locality_pattern = (
            re.compile(
                "|".join(
                    re.escape(n) if not n.isascii() else r"\b" + re.escape(n) + r"\b"
                    for n in sorted(names.localities, key=len, reverse=True)
                ),
                re.IGNORECASE,
            )
            if names.localities
            else None
        )

    def _shaped(self, question: str) -> set[str]:
        """The place-shaped names the question opens with, where every document names its
        place in that language (so none of them can be the name it uses)."""
        found: set[str] = set()
        if self._names.named_in["zh"]:
            found |= {m.group(1) for m in _SHAPED_PLACE_ZH.finditer(question.strip())}
        if self._names.named_in["en"]:
            found |= {m.group(1) for m in _SHAPED_PLACE_EN.finditer(question)}
        return found

    def read(self, question: str) -> QuestionScope:
        names = self._names
        documents: set[str] = set()
        said: list[str] = []
        if self._locality_pattern is not None:
            for match in self._locality_pattern.finditer(question):
                documents |= names.localities[match.group(0).lower()]
                said.append(match.group(0))
        compact = _normalize_number(question)
        documents |= {doc for number, doc in names.numbers.items() if number in compact}
        said += [m.group(0) for m in _DOC_NUMBER.finditer(question)]
        strong = [m.group(0) for m in _NATIONAL.finditer(question)]
        weak = [] if documents else [m.group(0) for m in _NATIONAL_WEAK.finditer(question)]
        national = bool(strong or weak)
        said += strong + weak
        years = frozenset(int(y) for y in _YEAR.findall(question))
        year_documents = frozenset(d for y in years for d in names.years.get(y, ()))
        unknown: tuple[str, ...] = ()
        if not documents:  # a question about a corpus locality may mention others in passing
            shaped = self._shaped(question)
            # "范县" is a real county, and inside "模范县" only by chance.
            real = {
                p
                for p in place_finder().find(question) - names.covered_places
                if not any(p in name for name in shaped)
            }
            unknown = tuple(sorted(real | shaped))
        notice_only = bool(strong) and not documents and not _LOCAL.search(question)
        return QuestionScope(
            frozenset(documents),
            national,
            years,
            year_documents,
            unknown,
            tuple(said),
            notice_only,
        )

    def level(self, doc_id: str) -> str:
        return self._names.levels.get(doc_id, "unknown")
