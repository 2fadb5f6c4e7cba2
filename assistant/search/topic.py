"""What a question asks support for, and whether the documents that may answer it say a
word of it.

"样本市有没有电动自行车以旧换新的补贴？" asks for a subsidy on electric-bicycle trade-ins.
Sample City's documents subsidize car and appliance trade-ins, so their clauses sit high
on the encoder's scale while the thing asked about is in none of them. A question is
unsupported when a naming word of what it asks support for ("电动自行车") is in none of the
documents it may be answered from: those of the places or the Notice it names, else the
whole corpus. A word counts as said when a document holds it, its stem, a glossary term
of the same concept or a CC-CEDICT translation, so a question in the other language
finds its words too.

Only the thing support is asked for is read ("对X有什么补贴", "有没有X的补贴", "a subsidy
for X", "subsidize X", "offer X"): the rest of a question (the company it describes, how
it asks) is free to use words no clause uses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from assistant.search.dictionary import general_dictionary
from assistant.search.glossary import Glossary, policy_glossary
from assistant.search.keyword import STOPWORDS, stem

_BENEFIT_ZH = r"(?:补贴|补助|奖励|奖补|贴息|优惠|政策|支持|扶持|资助|减免|措施|要求|规定|消费券)"
_PAYMENT_ZH = r"(?:补贴|补助|奖励|奖补|贴息|优惠|扶持|资助|减免|消费券)"
_SEGMENT = r"[^，,。？?！!；;：:\n]"
_ASKED_ZH = [
    # 对餐饮企业有什么扶持政策 / 对钢铁行业压减产能提出了哪些要求
    re.compile(rf"对({_SEGMENT}{{2,30}}?)(?:有没有|有什么|有哪些|有无|是否有|提出了?|给予?|有)"),
    # 有没有电动自行车以旧换新的补贴
    re.compile(rf"(?:有没有|有无|是否有)({_SEGMENT}{{2,30}}?)的?{_BENEFIT_ZH}"),
    # 建设分布式光伏有没有补贴 (the place named before it already taken out)
    re.compile(
        rf"(?:^|[，,。；;])在?({_SEGMENT}{{2,30}}?)(?:有没有|有什么|有哪些)(?:按\S{{0,8}}的)?"
        rf"{_SEGMENT}{{0,4}}?{_BENEFIT_ZH}"
    ),
    # 海运集装箱运费能申请补贴吗
    re.compile(
        rf"(?:^|[，,。；;])({_SEGMENT}{{2,30}}?)(?:能|可以|能否|能不能)(?:申请|享受|拿到?)?"
        rf"{_PAYMENT_ZH}吗"
    ),
    # 对首次认定的企业奖励多少 / 有什么电价优惠
    re.compile(rf"对({_SEGMENT}{{2,30}}?)的?{_BENEFIT_ZH}(?:多少|标准|是|怎么)"),
    re.compile(rf"(?:有什么|有哪些|有没有)({_SEGMENT}{{2,8}}?){_PAYMENT_ZH}"),
]
_BENEFIT_EN = (
    r"(?:subsid(?:y|ies)|awards?|grants?|funding|relief|discounts?|support|incentives?|"
    r"rebates?|rewards?|bonus(?:es)?|benefits?|preferential\s+\w+)"
)
_ASKED_EN = [
    # a subsidy in Example Province for manufacturers that obtain certifications
    re.compile(
        rf"\b{_BENEFIT_EN}\b(?:\s+[\w，-]+){{0,3}}?\s+(?:for|to|towards|on)\s+([^?.,;!]+)",
        re.I,
    ),
    re.compile(
        r"\b(?:subsidi[sz]es?|reimburses?|pays?(?:\s+[\w-]+){0,2}?\s+(?:for|towards))\s+"
        r"([^?.,;!]+)",
        re.I,
    ),
    # What electricity price discount does Sample County give
    re.compile(rf"\bwhat\s+([\w\s-]{{2,40}}?)\s*{_BENEFIT_EN}\s+(?:does|do|is|are|can)\b", re.I),
    # What relief does Sample City offer hotels and restaurants
    re.compile(r"\b(?:offers?|gives?|provides?)\s+([^?.,;!]+)", re.I),
]
# Where what is asked for ends and the question goes on about something else.
_TAIL_EN = re.compile(
    r"\s+(?:under|if|when|where|while|so|and\s+(?:what|how|which|is|are|can|does|do)|"
    r"in\s+(?:19|20)\d\d|during|before|after|per|each|"
    # when, not what: "priority power supply in winter"
    r"in\s+(?:the\s+)?(?:winter|summer|spring|autumn|fall|heating\s+season|"
    r"january|february|march|april|may|june|july|august|september|october|november|december))"
    r"\b.*$",
    re.I,
)


@lru_cache(maxsize=1)
def general_words() -> dict[str, frozenset[str]]:
    """The general words by language (`data/general_words.tsv`)."""
    text = resources.files("assistant.search").joinpath("data/general_words.tsv").read_text("utf-8")
    found: dict[str, frozenset[str]] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            language, words = line.split("\t", 1)
            found[language] = frozenset(words.split())
    return found


def is_general(word: str) -> bool:
    """Whether a word, in either language, says who or what in general (`general_words`)."""
    general = general_words()
    return word in general["en"] or word in general["zh"]


_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD_EN = re.compile(r"[A-Za-z][A-Za-z-]*")


def asked_for(question: str) -> list[str]:
    """The phrases naming what the question asks support for, as it writes them."""
    found: list[str] = []
    for pattern in _ASKED_ZH:
        found += [m.group(1) for m in pattern.finditer(question)]
    for pattern in _ASKED_EN:
        found += [_TAIL_EN.sub("", m.group(1)).strip() for m in pattern.finditer(question)]
    phrases = [f for f in dict.fromkeys(found) if f]
    # "外商投资服务措施对地区总部有什么奖励" is read as "地区总部" and, by a looser pattern,
    # with the document it names in front: the tighter reading says what is asked for, and
    # the words before it name where to look, which the scope has taken already.
    return [p for p in phrases if not any(o != p and p.endswith(o) for o in phrases)]


def naming_words(phrase: str) -> list[str]:
    """The words of a phrase that name something: no function, question or general words,
    no numbers, no English past forms (they say what happened, not to what)."""
    import jieba

    words: list[str] = []
    for run in re.findall(r"[\u3400-\u9fff]+", phrase):
        words += [w for w in jieba.lcut(run) if len(w) >= 2 and w not in general_words()["zh"]]
    words += [
        w
        for w in (m.group(0).strip("-").lower() for m in _WORD_EN.finditer(phrase))
        if len(w) >= 3
        and w not in general_words()["en"]
        and w not in STOPWORDS
        and not w.endswith("ed")
    ]
    return list(dict.fromkeys(words))


def _spelling(word: str) -> str:
    """British spelling as American, so "recognised" meets "recognized"."""
    return re.sub(r"is(e|ed|es|ing|ation|ations)$", r"iz\1", word)


def _stem(word: str) -> str:
    return stem(_spelling(word.lower()))


@dataclass(frozen=True)
class Reference:
    """What a set of documents says, held for lookups: the text, the stems of its English
    words and of the English senses of its Chinese words, its glossary concepts, and the
    languages it is written in."""

    text: str
    english_stems: frozenset[str]
    sense_stems: frozenset[str]
    concepts: frozenset[int]
    languages: frozenset[str]

    def says(self, word: str) -> bool:
        """Whether the documents say the word, in its language or through a translation.
        A word with no translation, asked of documents none of which is in its language,
        cannot be looked for: it is taken as said rather than refused on."""
        chinese = bool(_CJK.search(word))
        if chinese and (word in self.text or self._says_spread(word)):
            return True
        if not chinese and (
            (stemmed := _stem(word)) in self.english_stems or stemmed in self.sense_stems
        ):
            return True
        translations = general_dictionary().translations(word)
        if any(self._says_translation(t) for t in translations):
            return True
        return not translations and ("zh" if chinese else "en") not in self.languages

    def _says_spread(self, word: str) -> bool:
        """A short Chinese word said with a character or two between ("招工" in "招用员工"):
        the same thing in other words, not a different one."""
        if len(word) > 3:
            return False
        gap = "[\u3400-\u9fff]{0,2}" if len(word) == 2 else "[\u3400-\u9fff]?"
        return re.search(gap.join(map(re.escape, word)), self.text) is not None

    def _says_translation(self, translation: str) -> bool:
        if _CJK.search(translation):
            return translation in self.text
        words = translation.lower().split()
        return bool(words) and all(_stem(w) in self.english_stems for w in words)

    def unsaid(self, phrase: str, glossary: Glossary) -> list[str]:
        """The phrase's naming words the documents do not say. A glossary term is read
        whole first: "专精特新" is said by "specialized and sophisticated"."""
        said = glossary.concepts_in(phrase) & self.concepts
        rest = glossary.without_terms(phrase, said) if said else phrase
        words = naming_words(rest)
        unsaid = [w for w in words if not self.says(w)]
        # One word of five unsaid is likelier a paraphrase ("rail freight" for a clause on
        # freight trains) than a different thing asked about.
        return unsaid if len(unsaid) >= MIN_UNSAID_SHARE * len(words) else []


@dataclass(frozen=True)
class _DocumentWords:
    english_stems: frozenset[str]
    sense_stems: frozenset[str]
    languages: frozenset[str]


# The share of a phrase's naming words that must be unsaid for the phrase to be: measured on
# the dev split (its fewest among unanswerable questions is a quarter).
MIN_UNSAID_SHARE = 0.25
# A document is in a language when it has this much of it, not a stray name or mark.
_LANGUAGE_FLOOR = 300


@lru_cache(maxsize=64)
def _document_words(text: str) -> _DocumentWords:
    """The stems of a document's English words and of the English senses of its Chinese
    words (so "battery packs" finds a clause on 电池包), and its languages."""
    import jieba

    english = set(re.findall(r"[a-z][a-z-]*[a-z]", text.lower()))
    english |= {part for word in english if "-" in word for part in word.split("-")}
    senses: set[str] = set()
    chinese_runs = re.findall(r"[\u3400-\u9fff]{2,}", text)
    for run in set(chinese_runs):
        for word in jieba.lcut(run):
            for sense in general_dictionary().english_for(word):
                senses.update(sense.split())
    languages = {"zh"} if sum(map(len, chinese_runs)) >= _LANGUAGE_FLOOR else set()
    if len(english) >= _LANGUAGE_FLOOR:
        languages.add("en")
    return _DocumentWords(
        frozenset(_stem(w) for w in english),
        frozenset(_stem(w) for w in senses),
        frozenset(languages),
    )


@lru_cache(maxsize=32)
def reference(texts: tuple[str, ...], glossary: Glossary) -> Reference:
    """The reference for these documents' texts, its concepts those of `glossary` (cached:
    the same documents are asked about again and again)."""
    words = [_document_words(t) for t in texts]
    joined = "\n".join(texts)
    return Reference(
        joined.lower(),
        frozenset().union(*(w.english_stems for w in words)),
        frozenset().union(*(w.sense_stems for w in words)),
        frozenset(glossary.concepts_in(joined)),
        frozenset().union(*(w.languages for w in words)),
    )


# "Does the Notice really say that SMEs get a 50% cut…" / "通知是否规定了所得税减半50%":
# a claim put to the documents, and the share it states.
_CLAIM = re.compile(
    r"\b(?:say|says|state|states|stipulate|stipulates|provide|provides|promise|promises)\s+"
    r"that\s+([^?]+)|(?:是否|有没有|真的|确实)(?:规定|说|提到|写)(?:了|过)?([^？?]+)",
    re.I,
)
_SHARE = re.compile(r"(\d+(?:\.\d+)?)\s*(?:%|％|percent\b|per\s+cent\b)", re.I)


def unsaid_shares(question: str, text: str) -> list[str]:
    """The percentages a claim the question puts to the documents states that the text
    never gives: a figure is said or not, whatever the wording around it, so a claim of a
    "50% cut" where no 50% is written anywhere is not what the text says."""
    claims = [m.group(1) or m.group(2) for m in _CLAIM.finditer(question)]
    written = {float(m.group(1)) for m in _SHARE.finditer(text)}
    return [
        f"{m.group(1)}%"
        for claim in claims
        for m in _SHARE.finditer(claim)
        if float(m.group(1)) not in written
    ]


def unsaid_words(
    question: str, texts: Sequence[str], glossary: Glossary | None = None
) -> tuple[str, ...]:
    """The naming words of what the question asks support for that none of the texts says
    (empty when it asks for nothing in particular), and the shares a claim it puts to them
    states that none gives."""
    if not texts:
        return ()
    glossary = glossary or policy_glossary()
    said = reference(tuple(texts), glossary)
    unsaid = [word for phrase in asked_for(question) for word in said.unsaid(phrase, glossary)]
    if shares := unsaid_shares(question, said.text):
        unsaid += shares + [
            w
            for m in _CLAIM.finditer(question)
            for w in naming_words(m.group(1) or m.group(2))
            if not said.says(w)
        ]
    return tuple(dict.fromkeys(unsaid))
