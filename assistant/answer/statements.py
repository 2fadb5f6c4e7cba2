"""The enterprise's own words as evidence for a condition the rules could not structure.

A condition kept whole "to confirm" ("企业以融资租赁方式取得项目设备的", "the workshop
passes acceptance by the zone's Economic Development Bureau") is settled when one sentence
of the enterprise's description states it: that sentence holds the condition's words, and
every figure and date the condition sets is met by a figure of the same kind there.
It is never settled when either side negates or excludes: "leased from a related party is
not supported" and "our landlord is unrelated" share their words and mean the opposite,
so such a condition stays for the enterprise to confirm. The sentence that settled a
condition is quoted in the reason, so the enterprise can see what was read.

Usage:
    >>> statements = EnterpriseStatements("2023年8月以融资租赁方式租入一组注塑机设备。")
    >>> statements.stating("企业以融资租赁方式取得设备的")
    '2023年8月以融资租赁方式租入一组注塑机设备'
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from assistant.answer.numbers import MONTH_NAMES, Quantity, extract
from assistant.text import sentence_spans
from assistant.types import Profile

# Share of a condition's content words one sentence of the enterprise's must hold (with
# the facts known of it); tuned on the dev profiles: 0.65 let a wrong "met" through.
STATED_SHARE = 0.75

# Words that name the applicant or tie a clause together, not what it requires.
_GENERIC = frozenset(
    {
        "企业",
        "单位",
        "公司",
        "申请",
        "申报",
        "给予",
        "可",
        "可以",
        "应当",
        "须",
        "必须",
        "enterprise",
        "enterprises",
        "company",
        "companies",
        "applicant",
        "applicants",
        "must",
        "shall",
        "may",
        "eligible",
        "receive",
        "receives",
        "方式",
        "取得",
        "项目",
        "相关",
        "进行",
        "符合",
        "条件",
        "要求",
        "规定",
        "用于",
        "the",
        "and",
        "or",
        "for",
        "with",
        "that",
        "which",
        "whose",
        "who",
        "its",
        "their",
        "this",
        "from",
        "into",
        "least",
        "most",
        "after",
        "before",
        "than",
        "more",
        "less",
        "under",
        "over",
        "within",
        "rmb",
        "usd",
        "yuan",
        "million",
        "billion",
        "thousand",
        "per",
        "cent",
        "percent",
        "year",
        "years",
        "month",
        "months",
        "day",
        "days",
        "actual",
        "amount",
        "total",
        *MONTH_NAMES,
        "take",
        "form",
        "have",
        "has",
        "provided",
        "applicable",
        "requirement",
        "requirements",
        "comply",
        "complies",
        "meet",
        "meets",
        "project",
        "projects",
        "以上",
        "以下",
        "以内",
        "之前",
        "以前",
        "以后",
        "之后",
        "低于",
        "少于",
        "超过",
        "高于",
        "不足",
    }
)
# Negation and exclusion, after the threshold phrases that merely contain such a character
# (不低于, 不少于, no less than) are taken out.
_THRESHOLD_PHRASES = re.compile(
    r"不低于|不少于|不小于|不高于|不超过|不多于|不大于|不足|at least|at most|up to|no (?:less|more|later|earlier) than|"
    r"not (?:less|more|later|earlier) than|not exceed\w*",
    re.I,
)
_NEGATION = re.compile(
    r"不|未|没有|无|非|除外|禁止|\b(?:no|not|never|without|nor|neither|none|nothing|except|"
    r"excluded?|unrelated|unstated|unknown|non-\w+)\b|n't",
    re.I,
)
_CJK = re.compile(r"[\u3400-\u9fff]")
_OWNERSHIP_WORDS = {
    "foreign_invested": "foreign-invested 外商投资 外资",
    "state_owned": "state-owned 国有",
    "private": "private 民营",
}
_CERTIFICATION_WORDS = {
    "srdi": "专精特新中小企业 SRDI SME",
    "little_giant": "专精特新中小企业 小巨人 little giant SRDI SME",
    "high_tech": "高新技术企业 high-tech enterprise",
}
# How an enterprise names each certification it holds.
CERTIFICATION_TITLES = {
    "little_giant": re.compile(r"小巨人|little giant", re.I),
    # A little giant says so; "专精特新" alone is the provincial or city title.
    "srdi": re.compile(r"专精特新(?![^，。；]{0,3}小巨人)|\bSRDI\b(?! little giant)", re.I),
    "high_tech": re.compile(r"高新技术企业|high[- ]tech enterprise", re.I),
}
_RECOGNIZED = re.compile(r"认定|评定|评为|评价|recogni[sz]ed|certified|named|awarded", re.I)
_CLAUSE = re.compile(r"[，,：:]\s*|\s+(?:and|but|while)\s+")


def negates(text: str) -> bool:
    """Whether the text negates or excludes anything, threshold wording aside."""
    return _NEGATION.search(_THRESHOLD_PHRASES.sub(" ", text)) is not None


def _content_words(text: str) -> list[str]:
    """The words that carry what a condition requires: figures, dates, threshold wording and
    the words naming the applicant taken out."""
    for figure in extract(text):
        text = text.replace(figure.text, " ")
    text = _THRESHOLD_PHRASES.sub(" ", text)
    words = []
    for token in _words(re.sub(r"\d+(?:[.,]\d+)*", " ", text)):
        if token in _GENERIC or (not _CJK.search(token) and len(token) < 3):
            continue
        if _CJK.search(token) and len(token) < 2:
            continue
        words.append(token)
    return list(dict.fromkeys(words))


# A number that is part of a name ("5G", "2.0L"), not a figure to meet.
_NAMED_NUMBER = re.compile(r"\d+(?:\.\d+)?(?=[A-Za-z](?![a-z]))")
_OR = re.compile(r"\s+or\s+|或者|或", re.I)
# How many content words on each side of "or" are the alternatives it joins.
_ALTERNATIVE_WORDS = 3


def _readings(condition: str) -> list[tuple[list[str], str | None]]:
    """The condition's content words, and for each "X or Y" it holds, the words with one of
    the two alternatives left out, with the word of the kept one next to "or", which must
    then be stated: "自有或长期租赁的固定车位" is met by an owned spot or a long-term lease,
    not by a spot that is merely rented."""
    words = _content_words(condition)
    readings: list[tuple[list[str], str | None]] = [(words, None)]
    for match in _OR.finditer(condition):
        left = _content_words(condition[: match.start()])[-_ALTERNATIVE_WORDS:]
        right = _content_words(condition[match.end() :])[:_ALTERNATIVE_WORDS]
        if left and right:
            readings.append(([w for w in words if w not in right], left[-1]))
            readings.append(([w for w in words if w not in left], right[0]))
    return readings


def _words(text: str) -> list[str]:
    import jieba

    found: list[str] = []
    for piece in re.findall(r"[A-Za-z][A-Za-z-]*|[\u3400-\u9fff]+", text.lower()):
        if _CJK.search(piece):
            found.extend(jieba.lcut(piece))
        else:
            found.extend(w for w in piece.split("-") if w)
    return found


def _stem(word: str) -> str:
    for suffix in ("ments", "ment", "ies", "es", "s", "ed", "ing"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _holds(word: str, sentence: str, stems: set[str]) -> bool:
    if _CJK.search(word):
        # "储备量" is held by "储备…35天用量": a long word by its first two characters.
        return word in sentence or (len(word) >= 3 and word[:2] in sentence)
    return _stem(word) in stems


def _denied(word: str, clauses: list[tuple[str, set[str], bool]]) -> bool:
    """Whether every clause holding the word negates it."""
    holding = [negated for clause, stems, negated in clauses if _holds(word, clause, stems)]
    return bool(holding) and all(holding)


def _stems(text: str) -> set[str]:
    return {
        _stem(w)
        for w in re.findall(r"[a-z][a-z-]*|[a-z]+", text.lower())
        for w in {w, *w.split("-")}
    }


def _meets(required: Quantity, stated: Iterable[Quantity]) -> bool:
    """Whether a stated figure meets a figure the condition sets, by its threshold."""
    for figure in stated:
        if figure.kind != required.kind or figure.bound is not None:
            continue
        have, want = figure.value, required.value
        ok = {
            "min": have >= want,
            "above": have > want,
            "max": have <= want,
            "below": have < want,
            None: abs(have - want) <= 1e-9 * max(abs(want), 1.0),
        }[required.bound]
        if ok:
            return True
    return False


class EnterpriseStatements:
    """The sentences of an enterprise's description, each ready to be held against a
    condition's words."""

    def __init__(
        self,
        *texts: str | None,
        dated: Iterable[tuple[str, dt.date | None]] = (),
        known: str = "",
    ) -> None:
        """`texts`: the enterprise's description; `dated`: what it says of each thing it
        did, with that action's date, which counts as stated in those words; `known`: facts
        true of every sentence (where it is registered, who owns it)."""
        self.known, self.known_stems = known.lower(), _stems(known)
        self.sentences: list[
            tuple[str, list[tuple[str, set[str], bool]], set[str], list[Quantity]]
        ] = []
        pieces = [(t, None) for t in texts if t] + [(t, d) for t, d in dated if t]
        for text, date in pieces:
            for start, end in sentence_spans(text, 0, len(text)):
                sentence = text[start:end].strip().rstrip("。；;.!！?？")
                if sentence:
                    lowered = sentence.lower()
                    stems = _stems(lowered)
                    # Each clause with its stems and whether it negates, read once.
                    clauses = [
                        (c, _stems(c), negates(c)) for c in _CLAUSE.split(lowered) if c.strip()
                    ]
                    figures = extract(sentence)
                    if date is not None:
                        value = date.year * 10000 + date.month * 100 + date.day
                        figures.append(Quantity(date.isoformat(), "date", value, value))
                    self.sentences.append((sentence, clauses, stems, figures))

    @classmethod
    def of(cls, profile: Profile, places: Iterable[str] = ()) -> EnterpriseStatements:
        """The profile's words: its description, what it says of each action, and, as known
        facts, the names of its places and its ownership."""
        known = [
            *places,
            _OWNERSHIP_WORDS.get(profile.ownership or "", ""),
            *(_CERTIFICATION_WORDS.get(c, "") for c in profile.certifications),
        ]
        return cls(
            profile.free_text,
            dated=[(a.what or "", a.date) for a in profile.actions],
            known=" ".join(known),
        )

    def recognized_on(self, code: str) -> list[int]:
        """The dates (yyyymmdd, 00 for a missing month or day) of the sentences saying the
        enterprise was recognized with the certification `code`."""
        title = CERTIFICATION_TITLES.get(code)
        return [] if title is None else self.recognized_by(title)

    def recognized_by(self, title: re.Pattern[str]) -> list[int]:
        """The dates of the sentences saying the enterprise was recognized as `title`."""
        return [
            int(q.value)
            for sentence, _clauses, _stems, figures in self.sentences
            if title.search(sentence) and _RECOGNIZED.search(sentence)
            for q in figures
            if q.kind == "date"
        ]

    def dates_of(self, sentence: str) -> list[int]:
        return [
            int(q.value)
            for said, _clauses, _stems, figures in self.sentences
            if said == sentence
            for q in figures
            if q.kind == "date"
        ]

    def stating(self, condition: str, whole: str | None = None) -> str | None:
        """The first sentence of the enterprise's that states `condition`, or None. `whole`
        is the full condition when `condition` is only the part no rule read: a negation
        anywhere in it still rules the enterprise's words out."""
        if negates(whole or condition):
            return None
        # All its words read by rules, the part left is a figure: the sentence that holds
        # the whole condition's words must meet it.
        readings = _readings(condition)
        if not readings[0][0]:
            readings = _readings(whole or "")
        if not readings[0][0]:
            return None
        required = extract(_NAMED_NUMBER.sub(" ", condition))
        for sentence, clauses, stems, figures in self.sentences:
            lowered = sentence.lower()
            held: list[str] = []
            for words, kept in readings:
                if kept is not None and not (
                    _holds(kept, lowered, stems) or _holds(kept, self.known, self.known_stems)
                ):
                    continue
                said = [w for w in words if _holds(w, lowered, stems)]
                known = [
                    w for w in words if w not in said and _holds(w, self.known, self.known_stems)
                ]
                # The sentence itself must say something of it, not only the known facts.
                if len(said) >= min(2, len(words)) and (
                    len(said) + len(known) >= STATED_SHARE * len(words)
                ):
                    held = said
                    break
            if not held:
                continue
            # Each word must be stated somewhere, not only denied: "…租入注塑机设备，不申请设备
            # 购置补助" still states the lease of equipment; "has not passed acceptance" does not.
            if any(_denied(word, clauses) for word in held):
                continue
            if all(_meets(q, figures) for q in required):
                return sentence
        return None
