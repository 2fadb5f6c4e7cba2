""" "Does the text really say X?" asked in the chat: answered by the wording check, not by
retrieval and quotes, so an official gets a clear yes or no with the clause that decides it.

A question is a wording question when it quotes a passage long enough to be a claim
(“…”, "…", 「…」) and asks whether the text says it (是否规定了 / 有没有 / 原文 / really say /
word for word). "What does the Notice say about "overseas warehouses"?" quotes a topic,
not a claim, and is answered as any other question.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence

from assistant.answer.extractive import notes
from assistant.answer.messages import messages
from assistant.answer.wording import WordingVerifier, verify_in_index
from assistant.search.retrieval import HybridRetriever
from assistant.search.scope import QuestionScope
from assistant.search.store import IndexVersion
from assistant.text import detect_language
from assistant.types import Answer, Citation, Language, WordingDiff, WordingVerdict

# A quoted passage: Chinese or straight double quotes, or corner brackets. Single quotes
# are left out: English uses them as apostrophes ("Sample City's").
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|「([^」]+)」|『([^』]+)』")
_CJK = re.compile(r"[\u3400-\u9fff]")
_EN_WORD = re.compile(r"[A-Za-z0-9]+")
# Shorter than this, a quote names a topic ("海外仓", "overseas warehouses"), not a claim.
MIN_CLAIM_CHARS_ZH = 8
MIN_CLAIM_WORDS_EN = 4
_ASKS_ZH = re.compile(
    r"是否|有没有|有无|真的|确实|原文|原话|这句话|这段话|(?:这样|这一|这种|该)(?:表述|说法|规定)|字样|"
    r"(?:写|说|规定|提)(?:了|过)[^？?]*(?:吗|么)|哪(?:个|份|一)(?:文件|条|款)|出自|出处"
)
_ASKS_EN = re.compile(
    r"\b(?:really|actually|truly|literally|exactly|verbatim)\b|word for word|"
    r"\bwhich (?:document|clause|policy|measure)s?\b",
    re.IGNORECASE,
)
# "Does the Notice say "…"?": the verb right before the quote
_SAYS_QUOTE = re.compile(
    r"^\s*(?:does|do|did|is|was|has)\b[^\"“]*\b(?:say|state|contain|include|read|stipulate|"
    r"provide|specify|mention)s?\b\s*(?:that\s*)?[\"“]",
    re.IGNORECASE,
)


_TITLE = re.compile(r"《([^》]{2,80})》")


def _folded(title: str) -> str:
    return re.sub(r"[\s（）()]", "", title)


def quoted_claim(question: str) -> str | None:
    """The passage a wording question asks about, or None for any other question."""
    passages = [next(g for g in m.groups() if g is not None) for m in _QUOTED.finditer(question)]
    if not passages:
        return None
    claim = max(passages, key=len).strip()
    if _CJK.search(claim):
        long_enough = len(_CJK.findall(claim)) >= MIN_CLAIM_CHARS_ZH
    else:
        long_enough = len(_EN_WORD.findall(claim)) >= MIN_CLAIM_WORDS_EN
    if not long_enough:
        return None
    # the cue must be outside the quote: the claim's own words do not ask anything
    asking = _QUOTED.sub(" ", question)
    if _ASKS_ZH.search(asking) or _ASKS_EN.search(asking) or _SAYS_QUOTE.search(question):
        return claim
    return None


def documents_in_scope(
    scope: QuestionScope, index: IndexVersion, question: str = ""
) -> list[str] | None:
    """The documents the question names: by title in 《》, else by place, number or as the
    Notice; None for all."""
    titled = [
        doc_id
        for title in _TITLE.findall(question)
        for doc_id, document in index.documents.items()
        if _folded(title) in (_folded(document.meta.title), _folded(document.meta.display_title))
    ]
    if titled:
        return sorted(set(titled))
    national = [d for d in index.documents if index.level(d) == "national"]
    if scope.documents:
        named = set(scope.documents)
        # "（2023年版）": that edition, not the one it replaced
        named = (named & scope.year_documents) or named
        return sorted(named | (set(national) if scope.national else set()))
    if scope.notice_only or scope.national:
        return national or None
    return None


class WordingQuestions:
    """Wording checks, asked through /v1/wording or as a chat question that quotes a passage
    (answered within the documents the question names; None for any other question)."""

    def __init__(self, verifier: WordingVerifier, retriever: HybridRetriever) -> None:
        self.verifier = verifier
        self.retriever = retriever
        # One check at a time per process: a client sending long passages can then take one
        # core at most, never every core from the people asking questions.
        self.slot = threading.Lock()

    def verify(
        self, index: IndexVersion, text: str, doc_ids: Sequence[str] | None
    ) -> WordingVerdict:
        with self.slot:
            return verify_in_index(self.verifier, self.retriever, index, text, doc_ids)

    def answer(
        self, index: IndexVersion, question: str, language: Language, started: float
    ) -> Answer | None:
        claim = quoted_claim(question)
        if claim is None:
            return None
        # what the question names outside the quote: a year inside the claim names nothing
        outside = question.replace(claim, " ")
        named = documents_in_scope(self.retriever.scope(index, outside), index, outside)
        verdict = self.verify(index, claim, named)
        mark = messages(language).illustrative_mark
        searched = [
            index.documents[d].meta.display_title
            + ("" if index.documents[d].meta.official else mark)
            for d in named or ()
        ]
        checked = [index.documents[d].meta for d in named or index.documents]
        # 《通知》 is held as an English summary: a Chinese passage cannot be found in it
        # word for word, which says nothing either way about the original's wording.
        unjudged = verdict.verdict == "absent" and all(
            m.language != detect_language(claim) for m in checked
        )
        return wording_answer(question, language, verdict, searched, started, unjudged)


def wording_answer(
    question: str,
    language: Language,
    verdict: WordingVerdict,
    searched: Sequence[str],
    started: float,
    unjudged: bool = False,
) -> Answer:
    """The verdict in words, the passage as the source has it, and for a near match what
    differs; every piece of the source is cited. `searched` names the documents checked
    when the question named some; `unjudged`, when none of them is in the passage's
    language, says the corpus cannot tell instead of giving the verdict."""
    words = messages(language)
    citations = _numbered(verdict)
    lines = [words.wording["other_language" if unjudged else verdict.verdict]]
    if searched:
        lines.append(words.wording["searched"] + words.eligibility["sep"].join(searched))
    if citations:
        lines.append(words.wording["source"])
        lines += [f"- {' '.join(c.quote.split())} [{c.n}]" for c in citations]
    if verdict.verdict == "near" and verdict.matches:
        changes = _changes(verdict.matches[0].diff, words.wording["change"])
        if changes:
            lines.append(words.wording["changes"] + words.eligibility["sep"].join(changes[:6]))
    lines += notes(language, citations)
    return Answer(
        question=question,
        answered=not unjudged,
        note="other_language" if unjudged else None,
        answer="\n".join(lines),
        citations=citations,
        mode="extractive",
        language=language,
        wording=verdict,
        timings_ms={"total_ms": round((time.perf_counter() - started) * 1000, 3)},
    )


# Characters (zh) or words (en) of unchanged text shown on each side of a change, so
# "8" → "5" reads "补贴8000" → "补贴5000".
_CONTEXT = 3
_DIGITS_BEFORE = re.compile(r"[\d,.]*$")
_DIGITS_AFTER = re.compile(r"[\d,.]*(?:万元|亿元|元|万|亿|%|％)?")


def _changes(steps: Sequence[WordingDiff], template: str) -> list[str]:
    out = []
    for i, step in enumerate(steps):
        if step.op == "equal":
            continue
        before = steps[i - 1].claim if i > 0 and steps[i - 1].op == "equal" else ""
        after = steps[i + 1].claim if i + 1 < len(steps) and steps[i + 1].op == "equal" else ""
        if _CJK.search(before + step.claim + step.source + after):
            left, right = before[-_CONTEXT:], after[:_CONTEXT]
            # a number is shown whole, with its unit: "资额不高于500万元", not "资额不高于50"
            if left[:1].isdigit():
                left = _DIGITS_BEFORE.search(before[:-_CONTEXT]).group(0) + left  # type: ignore[union-attr]
            if right[-1:].isdigit():
                right += _DIGITS_AFTER.match(after[_CONTEXT:]).group(0)  # type: ignore[union-attr]
        else:
            left = " ".join([*before.split()[-_CONTEXT:], ""])
            right = " ".join(["", *after.split()[:_CONTEXT]])
        claim, source = (_tidy(left + t + right) for t in (step.claim, step.source))
        out.append(template.format(claim=claim, source=source))
    return out


def _tidy(words: str) -> str:
    """English diff tokens are words and marks; joined, a mark keeps no space before it."""
    return re.sub(r"\s+([,.;:!?)])", r"\1", words).strip()


def _numbered(verdict: WordingVerdict) -> list[Citation]:
    """The cited pieces of every match, numbered in order: a passage that runs over two
    clauses is two citations."""
    pieces = [p for m in verdict.matches for p in (m.citation, *m.continuation)]
    return [p.model_copy(update={"n": n}) for n, p in enumerate(pieces, start=1)]
