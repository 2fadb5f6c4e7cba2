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
import functools
import re
from collections.abc import Iterable

from assistant.answer.numbers import MONTH_NAMES, Quantity, extract
from assistant.text import sentence_spans
from assistant.types import Profile
from assistant.vocabulary import ACTIONS, ATTESTATIONS, FACT_WORDS, ROLES, SYNONYMS

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
        "之间",
        "之内",
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
    # A little giant says so; "专精特新" alone is the provincial or city title, which English
    # writes out ("specialized and sophisticated SME", "specialised, refined… enterprise").
    "srdi": re.compile(
        r"专精特新(?![^，。；]{0,3}小巨人)|\bSRDI\b(?! little giant)|"
        r"\bspeciali[sz]ed,? (?:and )?(?:sophisticated|refined)\b(?![^,.;]{0,60}little giant)",
        re.I,
    ),
    "high_tech": re.compile(r"高新技术企业|high[- ]tech enterprise", re.I),
}
# Words that a thing has a standing someone grants (recognized, listed, licensed): the
# words an enterprise must say itself, never taken as read from the rest.
_QUALIFIER = re.compile(
    r"recogni[sz]|certif|listed|approv|designat|licen[cs]|accredit|qualif|"
    r"认定|认证|列入|纳入|公布|名单|目录|批准|备案|核定|资质|评定|入选",
    re.I,
)
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
        return (
            word in sentence
            or (len(word) >= 3 and word[:2] in sentence)
            or any(other in sentence for other in SYNONYMS.get(word, ()))
        )
    return _stem(word) in stems or any(_stem(other) in stems for other in SYNONYMS.get(word, ()))


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


# For a figure the enterprise states as a bound ("满1个月以上"), the required bounds it
# settles: "at least 2" settles "at least 1", never "at most 3".
_IMPLIES = {"min": {"min", "above"}, "above": {"min", "above"}, "max": {"max", "below"}}
_IMPLIES["below"] = _IMPLIES["max"]


def _meets(required: Quantity, stated: Iterable[Quantity]) -> bool:
    """Whether a stated figure meets a figure the condition sets, by its threshold."""
    for figure in stated:
        have, want = figure.value, required.value
        if required.kind == "year" and figure.kind == "date" and required.bound is None:
            if int(have) // 10000 == int(want):
                return True
            continue
        if figure.kind != required.kind:
            continue
        if figure.bound is not None and required.bound not in _IMPLIES[figure.bound]:
            continue
        ok = {
            "min": have >= want,
            "above": have > want or (have == want and figure.bound == "above"),
            "max": have <= want,
            "below": have < want or (have == want and figure.bound == "below"),
            None: abs(have - want) <= 1e-9 * max(abs(want), 1.0),
        }[required.bound]
        if ok:
            return True
    return False


def _coded_words(profile: Profile) -> list[str]:
    """What the profile's codes state in words: a manufacturer says it makes things, a
    technical-transformation loan is a loan; the vocabulary holds the words."""
    roles = {t.code: t.words for t in ROLES}
    actions = {t.code: t.words for t in ACTIONS}
    words = [w for code in profile.roles for w in roles.get(code, ())]
    words += [w for action in profile.actions for w in actions.get(action.kind, ())]
    if profile.above_designated_size:
        words += FACT_WORDS.get("above_designated_size", ())
    return words


# An attestation only applied for, or not known: "已申报…白名单，审核中", "是否已纳入…白名单
# 未说明", "nothing said about dangerous-goods packaging".
_NOT_HELD = re.compile(
    r"已申报|已申请|申报了|申请了|申请已|报上去|审核中|审批中|待批|尚未|还没|还在等|等待|是否|未说明|"
    r"不清楚|不确定|不知道|\b(?:pending|applied for|under review|awaiting|waiting|not yet|"
    r"whether|unclear|not sure|no idea|don't know|unknown|nothing said)\b",
    re.I,
)
# A denial right before a plain statement: "不是白名单企业", "we are not on the white list".
_DENIED_JUST_BEFORE = re.compile(
    r"(?:不是|并非|非|没有|没|未|不)[^，。；]{0,2}$|\b(?:not|no|never|without)\b(?:\W+\w+){0,3}\W*$|"
    # "不在县工信局公布的服务机构名单里": not on a list, however long the list's name.
    r"(?:不在|不属于|未列入|未纳入|没有列入|没有纳入)[^，。；]{0,14}$",
    re.I,
)


def _clause_around(sentence: str, match: re.Match[str]) -> str:
    start = max(sentence.rfind(p, 0, match.start()) for p in "，,；;：:") + 1
    ends = [i for i in (sentence.find(p, match.end()) for p in "，,；;") if i >= 0]
    return sentence[start : min(ends) if ends else len(sentence)]


def _affirms(sentence: str, match: re.Match[str]) -> bool:
    """Whether a sentence states what `match` names: not only applied for or unknown
    ("已申报…白名单，审核中"), and, for a plain statement, not denied just before it. A
    statement that is a negation itself ("无失信记录", "not listed as dishonest") carries
    its own polarity."""
    clause = _clause_around(sentence, match)
    if _NOT_HELD.search(clause.replace(match.group(0), " ")):
        return False
    return negates(match.group(0)) or not _DENIED_JUST_BEFORE.search(
        sentence[max(0, match.start() - 30) : match.start()]
    )


_NOTHING = re.compile(r"(?!x)x")


@functools.lru_cache(maxsize=64)
def attestation_patterns(code: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """How an enterprise's own words state the attestation `code`, from the vocabulary, and,
    for one that lists how it is contradicted, the words that contradict it: those and the
    clause's own ("关联方", "二手设备") said plainly."""
    term = next((t for t in ATTESTATIONS if t.code == code), None)
    if term is None or not term.profile:
        return _NOTHING, None
    stated = re.compile("|".join(term.profile), re.I)
    contrary = re.compile("|".join(term.contrary + term.clause), re.I) if term.contrary else None
    return stated, contrary


def attested(text: str, pattern: re.Pattern[str], contrary: re.Pattern[str] | None) -> bool:
    """Whether the enterprise's words state an attestation (see `EnterpriseStatements.saying`)."""
    return EnterpriseStatements(text).saying(pattern, contrary) is not None


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
                    figures = extract(sentence, counts_in_words=True)
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
            *_coded_words(profile),
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
        # A year alone ("2022年首次被认定为…") is a date with its month and day missing.
        return [
            int(q.value) if q.kind == "date" else int(q.value) * 10000
            for sentence, _clauses, _stems, figures in self.sentences
            if title.search(sentence) and _RECOGNIZED.search(sentence)
            for q in figures
            if q.kind == "date" or (q.kind == "year" and 1990 <= q.value <= 2100)
        ]

    def saying(
        self, pattern: re.Pattern[str], contrary: re.Pattern[str] | None = None
    ) -> str | None:
        """The first sentence matching `pattern`: how an enterprise states an attestation
        ("房东…没有任何关联关系", "no dishonesty record"), negation being the pattern's. Not
        where the rest of its clause denies it or says it is only applied for ("已申报…白名单，
        审核中"), nor when another sentence says the `contrary` ("购自…兄弟公司（关联方）")."""
        said = next(
            (
                sentence
                for sentence, *_ in self.sentences
                for match in pattern.finditer(sentence)
                if _affirms(sentence, match)
            ),
            None,
        )
        if said is None or contrary is None:
            return said
        for sentence, *_ in self.sentences:
            for match in contrary.finditer(sentence):
                if not negates(_clause_around(sentence, match)):
                    return None
        return said

    def dates_of(self, sentence: str) -> list[int]:
        return [
            int(q.value)
            for said, _clauses, _stems, figures in self.sentences
            if said == sentence
            for q in figures
            if q.kind == "date"
        ]

    def known_to_hold(self, condition: str, whole: str | None = None) -> list[str]:
        """The words of a condition the profile's own facts hold, when they hold every one
        ("企业以融资租赁方式取得项目设备的" of a profile with a financial lease), whatever
        language the enterprise wrote in; empty otherwise, and for any negation."""
        if negates(whole or condition):
            return []
        words = _content_words(condition)
        if not words or extract(_NAMED_NUMBER.sub(" ", condition)):
            return []
        if all(_holds(w, self.known, self.known_stems) for w in words):
            return words
        return []

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
                # The sentence itself must say something of it, not only the known facts;
                # and a thing's standing ("recognized", "列入名单") is never taken as read.
                if any(_QUALIFIER.match(w) for w in words if w not in said and w not in known):
                    continue
                if len(said) >= min(2, len(words)) and (
                    len(said) + len(known) >= STATED_SHARE * len(words)
                ):
                    held = said
                    break
            if not held or _NOT_HELD.search(sentence):
                continue  # "已申报…白名单，审核中" says what it applied for, not what it holds
            # Each word must be stated somewhere, not only denied: "…租入注塑机设备，不申请设备
            # 购置补助" still states the lease of equipment; "has not passed acceptance" does not.
            if any(_denied(word, clauses) for word in held):
                continue
            if all(_meets(q, figures) for q in required):
                return sentence
        return None
