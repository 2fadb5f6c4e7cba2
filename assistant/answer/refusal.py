"""Whether the corpus supports an answer at all, and questions that are instructions.

Answerability is read from several kinds of evidence, never from one similarity:
- the question names a real place no document covers: refused, naming it;
- it asks for an amount ("how much", "多少钱") and no retrieved clause states one: refused;
- it names the Notice alone and a year the Notice never mentions ("the 2024 follow-up"):
  refused;
- it asks support for something ("对餐饮企业有什么扶持", "a subsidy for hotels") that none
  of the documents it may be answered from mentions, in either language
  (`assistant/search/topic.py`): refused, naming those words;
- a retrieved clause holds the question's key phrase (its longest run of naming words):
  answered, whatever the encoder thinks of it;
- the best clause's dense similarity reaches the support threshold, or the scope threshold
  when that clause is in the document the question names (the Notice, a place, a number);
  the best clause in the other language is read against the lower cross-language
  threshold, even when one in the question's language scores higher but under its bar;
  or it reaches the lower evidence threshold and a clause also holds nearly all the
  question's naming words (across languages through the policy glossary and CC-CEDICT);
- a question that names the Notice alone is also answered from its best clause at the
  evidence threshold, when a retrieved Notice clause holds any of what is asked: its
  clauses are the terse bullets of a summary, which score low even when they are the answer.
Otherwise the answer is a refusal that says which of the question's words nothing in the
corpus holds. The thresholds are measured per embedding model on the dev split
(`evals/calibrate.py`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from assistant.search.answer_kind import lacks_asked_amount
from assistant.search.dictionary import PER_WORD, general_dictionary
from assistant.search.glossary import Glossary, policy_glossary
from assistant.search.keyword import KeywordIndex, stem, tokenize
from assistant.search.scope import QuestionScope
from assistant.search.topic import is_general, unsaid_words
from assistant.search.tuning import Tuning
from assistant.text import detect_language
from assistant.types import Document, SearchHit

# Requests to change the assistant's behaviour rather than ask about a policy.
_INSTRUCTION_PATTERNS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"\bignore\b.{0,40}\b(instruction|rule|prompt|previous|above)",
        r"\b(disregard|forget)\b.{0,40}\b(instruction|rule|prompt)",
        r"\b(system|hidden|initial)\s+prompt\b",
        r"\breveal\b.{0,30}\b(prompt|instruction|rule)",
        r"\b(jailbreak|developer mode|DAN)\b",
        r"\bpretend (to be|you are)\b",
        r"(忽略|无视|忘记|忘掉).{0,12}(指令|指示|规则|要求|提示|设定)",
        r"(系统提示|提示词|系统指令)",
        r"(扮演|假装你是)",
    )
]


def is_instruction(question: str) -> bool:
    return any(p.search(question) for p in _INSTRUCTION_PATTERNS)


# Words that ask rather than name: a clause need not contain them to answer.
_QUESTION_WORDS = frozenset(
    [
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "much",
        "many",
        "does",
        "do",
        "did",
        "say",
        "says",
        "said",
        "about",
        "can",
        "could",
        "should",
        "would",
        "will",
        "we",
        "our",
        "us",
        "i",
        "my",
        "me",
        "you",
        "your",
        "there",
        "any",
        "give",
        "gives",
        "given",
        "get",
        "got",
        "apply",
        "applies",
        "available",
        "offer",
        "offers",
        "provide",
        "provides",
        "kind",
        "kinds",
        "type",
        "types",
        "多少",
        "什么",
        "哪些",
        "哪个",
        "哪里",
        "怎么",
        "怎样",
        "如何",
        "是否",
        "可以",
        "能否",
        "能",
        "吗",
        "呢",
        "请问",
        "我们",
        "我",
        "有",
        "有没有",
        "还有",
        "给",
        "给予",
        "一下",
        "规定",
        "说",
        "提到",
        "几个",
        "哪几",
        "哪几个",
        "时候",
        "什么时候",
        "多久",
        "需要",
        "还要",
        "如果",
        "之后",
        "以后",
        "现在",
        "当时",
        "一共",
        "分成",
        "方面",
        "为了",
        "没有",
        "一样",
        "分别",
        "相比",
        "大概",
        "哪天",
        "哪一",
        "具体",
        "是不是",
        "知道",
        "告诉",
        "关于",
        "怎么样",
        "要求",
        "标准",
        "tell",
        "know",
        "list",
        "mention",
        "mentions",
        "put",
        "place",
        "way",
        "ways",
        "anything",
        "something",
        "if",
        "when",
        "where",
        "why",
        "still",
        "also",
        "just",
        "then",
        "than",
        "under",
        "over",
        "into",
        "any",
        "all",
        "each",
        "every",
        "other",
        "its",
        "their",
        "they",
        "them",
        "he",
        "she",
        "his",
        "her",
    ]
)
# The share of a question's naming words a clause must hold for its words alone to carry
# an answer, and the fewest such words: one shared word is a coincidence, not evidence.
COVERAGE_THRESHOLD = 0.8
MIN_COVERED_TERMS = 2


def best_by_language(question: str, hits: list[SearchHit]) -> tuple[float, float]:
    """The best dense similarity among the clauses in the question's language, and among
    those in the other: each is read on its own scale, and minus infinity where there is
    none, so no threshold is met by a clause that is not there."""
    language = detect_language(question)
    same = [h.dense_score or 0.0 for h in hits if h.chunk.language == language]
    other = [h.dense_score or 0.0 for h in hits if h.chunk.language != language]
    return max(same, default=-math.inf), max(other, default=-math.inf)


def content_terms(text: str) -> set[str]:
    """The naming words of a text, as written (a stem has no translation to look up)."""
    return set(_words(text))


def asked_terms(question: str, scope: QuestionScope, glossary: Glossary | None = None) -> set[str]:
    """The terms a clause must hold to cover the question. A general word ("support",
    "city") is held by almost any clause, and the names of the scope were matched already:
    what is left names what is asked (general words count only when they are all there is).
    A glossary term counts as one ("little giant" is 小巨人, not "little" and "giant")."""
    glossary = glossary or policy_glossary()
    remainder = scope.remainder(question)
    whole = glossary.terms_in(remainder)
    if whole:
        remainder = glossary.without_terms(remainder, glossary.concepts_in(remainder))
    asked = content_terms(remainder) | {t.lower() for t in whole}
    return {t for t in asked if not is_general(t)} or asked


def _words(text: str) -> list[str]:
    return [t for t in tokenize(text, stemmed=False) if t not in _QUESTION_WORDS and len(t) > 1]


def key_phrase(question: str) -> str | None:
    """The question's longest run of naming words, as it is written: "China-Europe freight
    trains", "设备更新补助". None when no run has two words."""
    candidates = [*_chinese_runs(question), *_english_runs(question)]
    return max(candidates, key=len, default=None)


def _chinese_runs(question: str) -> list[str]:
    """Stretches of Chinese text between punctuation and question or function words."""
    import jieba

    runs: list[str] = []
    for part in re.split(r"[^\u3400-\u9fff0-9A-Za-z]+", question):
        if not re.search(r"[\u3400-\u9fff]", part):
            continue
        current = ""
        for word in jieba.lcut(part):
            if word in _QUESTION_WORDS or word in _CHINESE_GLUE:
                runs.append(current)
                current = ""
            else:
                current += word
        runs.append(current)
    return [r for r in runs if len(r) >= 4 and len(_words(r)) >= 2]


def _english_runs(question: str) -> list[str]:
    """Runs of two or more English words, none a question or function word."""
    runs: list[str] = []
    for text in re.findall(r"[A-Za-z][A-Za-z0-9'-]*(?:\s+[A-Za-z][A-Za-z0-9'-]*)*", question):
        group: list[str] = []
        for word in [*text.split(), ""]:  # the empty word ends the last group
            lowered = word.lower()
            if word and lowered not in _QUESTION_WORDS and lowered not in _ENGLISH_GLUE:
                group.append(word)
                continue
            if len(group) >= 2:
                runs.append(" ".join(group))
            group = []
    return runs


_CHINESE_GLUE = frozenset(["的", "了", "和", "对", "在", "是", "有"])
_ENGLISH_GLUE = frozenset(
    ["a", "an", "the", "of", "for", "in", "on", "to", "and", "or", "by", "with", "is", "are",
     "from", "at", "as", "be", "it", "that", "this", "was", "were"]
)  # fmt: skip


def _fold(text: str) -> str:
    return re.sub(r"[\s\-‐–—]+", " ", text.lower()).strip()


_SUFFIX = re.compile(r"(?<=\w\w\w)(?:ing|ies|es|ed|(?<!s)s|e)\b")


def _stems(text: str) -> str:
    """English words cut to a rough stem, space-joined and space-bounded, so that a phrase
    is found in a text whatever the inflection of its words."""
    words = re.findall(r"[a-z0-9]+", text)
    stems = (_SUFFIX.sub(lambda m: "y" if m.group(0) == "ies" else "", w) for w in words)
    return " " + " ".join(stems) + " "


def holds_phrase(phrase: str, hit: SearchHit, glossary: Glossary | None = None) -> bool:
    """Whether the clause holds the phrase, or, for a phrase that is a glossary term, the
    term in the other language ("中欧班列" in an English clause on China-Europe trains)."""
    folded = _fold(phrase)
    text = _fold(hit.chunk.embed_text)
    # "freight trains" is held by "freight train", "overseas warehouses" by "overseas
    # warehousing"
    if folded in text or (folded.isascii() and _stems(folded) in _stems(text)):
        return True
    glossary = glossary or policy_glossary()
    concepts = glossary.concepts_in(phrase)
    if not concepts or _words(glossary.without_terms(phrase)):
        return False  # the phrase says more than its glossary terms
    return concepts <= glossary.concepts_in(hit.chunk.embed_text)


def coverage(question_terms: set[str], hit: SearchHit, glossary: Glossary | None = None) -> float:
    """The share of the question's naming words that the clause (with its heading path,
    which carries its document's title and place) holds, directly or, through the
    glossary, in the other language."""
    if not question_terms:
        return 0.0
    text = hit.chunk.embed_text
    lowered = text.lower()
    held = content_terms(text)
    held_stems = {stem(t) for t in held}
    glossary = glossary or policy_glossary()
    concepts = glossary.concepts_in(text)
    covered = 0
    for term in question_terms:
        if (
            stem(term) in held_stems
            or (concepts and glossary.concepts_in(term) & concepts)
            or any(t in held or t in lowered for t in _translated(term))
        ):
            covered += 1
    return covered / len(question_terms)


def _translated(term: str) -> list[str]:
    """The term's most likely translations, from CC-CEDICT."""
    return general_dictionary().translations(term)[:PER_WORD]


Reason = Literal[
    "similar",
    "evidence",
    "key_phrase",
    "unsupported",
    "not_covered",
    "no_amount",
    "topic_not_covered",
]


@dataclass(frozen=True)
class Support:
    """The judgement on one question: answer or not, why, and what evidence there is."""

    answered: bool
    reason: Reason
    best_similarity: float
    covering: tuple[SearchHit, ...] = ()  # clauses that hold the key phrase or the words
    missing_terms: tuple[str, ...] = ()  # the question's words no clause in the corpus holds
    unknown_places: tuple[str, ...] = ()


class SupportJudge:
    """Decides whether the retrieved clauses support an answer (see the module docstring)."""

    def __init__(self, tuning: Tuning, glossary: Glossary | None = None) -> None:
        self.tuning = tuning
        self.glossary = glossary or policy_glossary()

    def missing_terms(self, question: str, keyword: KeywordIndex) -> tuple[str, ...]:
        """Naming words of the question that no clause holds, in either language."""
        missing = []
        # A glossary term ("little giant") whose concept the corpus holds, in either
        # language, is bridged whole: its words are not looked up one by one.
        held = self._concepts_held(question, keyword)
        question = self.glossary.without_terms(question, held) if held else question
        for term in sorted(content_terms(question)):
            # "sure" in "make sure" names nothing: listing it would mislead the reader.
            if keyword.knows(term) or is_general(term):
                continue
            bridged = [*self.glossary.bridge(term), *_translated(term)]
            if any(all(keyword.knows(t) for t in tokenize(b)) for b in bridged if tokenize(b)):
                continue
            missing.append(term)
        return tuple(missing)

    def _concepts_held(self, text: str, keyword: KeywordIndex) -> set[int]:
        """The glossary concepts the text names that some clause holds, in either language."""

        def known(term: str) -> bool:
            tokens = tokenize(term)
            return bool(tokens) and all(keyword.knows(t) for t in tokens)

        return {
            index
            for index in self.glossary.concepts_in(text)
            if any(map(known, self.glossary.concepts[index].chinese))
            or any(map(known, self.glossary.concepts[index].english))
        }

    def judge(
        self,
        question: str,
        hits: list[SearchHit],
        scope: QuestionScope,
        keyword: KeywordIndex,
        level_of: Callable[[str], str] = lambda doc_id: "unknown",
        document_text: Callable[[str], str] | None = None,
        documents: Mapping[str, Document] | None = None,
    ) -> Support:
        best = max((h.dense_score or 0.0 for h in hits), default=0.0)
        refused = self.refused_before_thresholds(
            question, hits, scope, level_of, document_text, documents
        )
        if refused is not None:
            return refused
        # The names of the scope (a place, the Notice) are not what is asked about.
        phrase = key_phrase(scope.remainder(question))
        if phrase:
            holding = tuple(h for h in hits if holds_phrase(phrase, h, self.glossary))
            if holding:
                return Support(True, "key_phrase", best, covering=holding)
        # A question naming the Notice that also speaks of localities ("落实", "地方政府出台
        # 配套政策") is searched everywhere, but when a Notice clause leads, it is read on
        # the Notice's scale too.
        national_hits = [h for h in hits if level_of(h.chunk.doc_id) == "national"]
        notice_leads = scope.national and bool(hits) and hits[0] in national_hits
        if (scope.notice_only or notice_leads) and self._notice_answers(
            question, national_hits if notice_leads else hits, scope, best
        ):
            return Support(True, "evidence", best)
        # The question named the document its best clause is in: that match is evidence too.
        named = (
            bool(hits) and scope.weight(hits[0].chunk.doc_id, level_of(hits[0].chunk.doc_id)) >= 1
        )
        threshold = self.tuning.scope_threshold if named else self.tuning.support_threshold
        same, other = best_by_language(question, hits)
        # A clause in the other language is read on the lower cross-language scale, even
        # when a clause in the question's own language scores higher but under its bar.
        if same >= threshold or other >= min(threshold, self.tuning.cross_language_threshold):
            return Support(True, "similar", best)
        terms = asked_terms(question, scope, self.glossary)
        covering: tuple[SearchHit, ...] = ()
        if len(terms) >= MIN_COVERED_TERMS:
            covering = tuple(
                h for h in hits if coverage(terms, h, self.glossary) >= COVERAGE_THRESHOLD
            )
        if covering and best >= self.tuning.evidence_threshold:
            return Support(True, "evidence", best, covering=covering)
        return Support(
            False, "unsupported", best, missing_terms=self.missing_terms(question, keyword)
        )

    def refused_before_thresholds(
        self,
        question: str,
        hits: list[SearchHit],
        scope: QuestionScope,
        level_of: Callable[[str], str] = lambda doc_id: "unknown",
        document_text: Callable[[str], str] | None = None,
        documents: Mapping[str, Document] | None = None,
    ) -> Support | None:
        """The refusal a question gets whatever its similarity (an unknown place, no amount
        where one is asked, a thing nothing in scope mentions, a year the Notice never
        names), else None. The calibration leaves these questions out: no threshold decides
        them."""
        best = max((h.dense_score or 0.0 for h in hits), default=0.0)
        if scope.unknown_places:
            return Support(False, "not_covered", best, unknown_places=scope.unknown_places)
        if lacks_asked_amount(question, hits):
            return Support(False, "no_amount", best)
        if documents and (unsaid := self._unsaid(question, scope, documents, level_of)):
            return Support(False, "topic_not_covered", best, missing_terms=unsaid)
        # "the 2024 follow-up to the Notice": a later year is not in the Notice
        if (
            scope.notice_only
            and scope.years
            and document_text is not None
            and (later := _unspoken_years(scope, hits, document_text))
        ):
            return Support(False, "unsupported", best, missing_terms=later)
        return None

    def _unsaid(
        self,
        question: str,
        scope: QuestionScope,
        documents: Mapping[str, Document],
        level_of: Callable[[str], str],
    ) -> tuple[str, ...]:
        """The words of what the question asks support for that none of the documents it
        may be answered from says."""
        national = {doc_id for doc_id in documents if level_of(doc_id) == "national"}
        if scope.documents:
            allowed = set(scope.documents) | (national if scope.national else set())
        elif scope.notice_only:
            allowed = national
        else:
            allowed = set(documents)
        texts = [documents[doc_id].text for doc_id in sorted(allowed) if doc_id in documents]
        return unsaid_words(scope.remainder(question), texts, self.glossary)

    def _notice_answers(
        self, question: str, hits: list[SearchHit], scope: QuestionScope, best: float
    ) -> bool:
        """Whether a question that names the Notice alone is answered by its best clause on
        the evidence scale. The Notice's clauses are the terse bullets of a summary, so even
        the right one sits low on the similarity scale; it answers when a retrieved clause
        holds some of what is asked (the Notice's own name aside)."""
        if best < self.tuning.evidence_threshold:
            return False
        terms = content_terms(scope.remainder(question))
        # "companies" held by "company-specific measures" says nothing of "carbon emission
        # quotas for steel companies": a general word counts only when it is all there is.
        naming = {t for t in terms if not is_general(t)}
        return any(coverage(naming or terms, h, self.glossary) > 0 for h in hits)


def _unspoken_years(
    scope: QuestionScope, hits: list[SearchHit], document_text: Callable[[str], str]
) -> tuple[str, ...]:
    """The years the question names that no retrieved clause's document mentions."""
    texts = [document_text(doc_id) for doc_id in {h.chunk.doc_id for h in hits}]
    return tuple(
        sorted(str(year) for year in scope.years if not any(str(year) in t for t in texts))
    )
