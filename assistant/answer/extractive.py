"""Extractive answers: the sentences of the retrieved clauses that answer the question,
quoted verbatim, each with its [n], after a lead-in in the question's language. The best
clause leads; a clause about another subject than the question's (a fuel car for an
electric-car question) is left out. No model writes any of the quoted text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.messages import messages
from assistant.answer.subjects import SubjectFilter
from assistant.ingest.chunking import is_title_like
from assistant.search.keyword import tokenize
from assistant.text import detect_language, sentence_spans
from assistant.types import Citation, Document, Language, SearchHit

# Sentences that state who qualifies, how much, or until when: kept even without a word in
# common with the question, because a measure without its conditions misleads.
_CONDITION_CUES = re.compile(
    r"\d|万元|亿元|元|％|%|不低于|不高于|不超过|不少于|以上|以下|须|应当|必须|截止|期限|之前|条件|材料|"
    r"申报|申请|补贴|奖励|标准|\b(at least|no more than|up to|not exceed|RMB|yuan|deadline|"
    r"before|must|eligible|percent|apply|application|subsidy|award|cap)\b",
    re.IGNORECASE,
)

SHORT_CLAUSE_CHARS = 220


def _one_line(text: str) -> str:
    return " ".join(text.split())


class ExtractiveAnswerer:
    """Selects verbatim spans from retrieved clauses and writes the answer around them."""

    def __init__(
        self, max_sentences_per_clause: int = 4, subjects: SubjectFilter | None = None
    ) -> None:
        if max_sentences_per_clause < 1:
            raise ValueError("max_sentences_per_clause must be at least 1")
        self.max_sentences = max_sentences_per_clause
        self.subjects = subjects or SubjectFilter()

    def select(self, question: str, hit: SearchHit, document: Document) -> list[tuple[int, int]]:
        """Spans of `document.text` inside the clause that answer the question."""
        chunk = hit.chunk
        sentences = sentence_spans(document.text, chunk.start, chunk.end)
        if not sentences:
            return []
        if chunk.end - chunk.start <= SHORT_CLAUSE_CHARS:
            return [(chunk.start, chunk.end)]
        question_tokens = set(tokenize(question))
        scored: list[tuple[float, int]] = []
        for index, (s, e) in enumerate(sentences):
            text = document.text[s:e]
            if (is_title_like(text) and len(sentences) > 1) or not _says_something(text):
                continue
            overlap = len(question_tokens & set(tokenize(text))) / max(len(question_tokens), 1)
            cue = 0.25 if _CONDITION_CUES.search(text) else 0.0
            if overlap > 0 or cue > 0:
                scored.append((overlap + cue, index))
        if not scored:
            # Nothing in common (often a question in the other language): the clause's own
            # opening states what it is about.
            chosen = [
                i
                for i, (s, e) in enumerate(sentences)
                if not is_title_like(document.text[s:e]) and _says_something(document.text[s:e])
            ][:2] or [0]
        else:
            best = sorted(scored, key=lambda item: (-item[0], item[1]))[: self.max_sentences]
            chosen = sorted(index for _, index in best)
        return _merge([sentences[i] for i in chosen], document.text)

    def compose(
        self,
        question: str,
        language: Language,
        hits: Sequence[SearchHit],
        documents: dict[str, Document],
    ) -> tuple[str, list[Citation]]:
        citations: list[Citation] = []
        lines: list[str] = []
        for hit in self.subjects.keep(question, hits, lambda h: h.chunk.text):
            document = documents[hit.chunk.doc_id]
            for start, end in self.select(question, hit, document):
                citation = make_citation(len(citations) + 1, hit, document, start, end)
                citations.append(citation)
                label = messages(language).status_label.get(hit.status, "")
                quote = _one_line(citation.quote)
                bullet = "" if quote.startswith("- ") else "- "
                lines.append(f"{bullet}{label}{quote} [{citation.n}]")
        return "\n".join(
            [lead_in(language, citations), *lines, *notes(language, citations)]
        ), citations


# A "sentence" with no word in it is a list marker the sentence splitter cut off ("6." before
# "Industrial internet platforms"): quoted alone it says nothing.
_WORD = re.compile(r"[A-Za-z\u4e00-\u9fff]")


def _says_something(text: str) -> bool:
    return _WORD.search(text) is not None


def _merge(spans: list[tuple[int, int]], text: str) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and not text[merged[-1][1] : start].strip():
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def make_citation(n: int, hit: SearchHit, document: Document, start: int, end: int) -> Citation:
    chunk = hit.chunk
    if not (chunk.start <= start < end <= chunk.end):
        raise ValueError("a quote must lie inside its clause")
    return Citation(
        n=n,
        doc_id=chunk.doc_id,
        doc_title=hit.doc_title,
        official=hit.official,
        status=hit.status,
        clause_id=chunk.clause_id,
        heading_path=chunk.heading_path,
        clause_number=chunk.clause_number,
        page=document.page_at(start),
        quote=document.text[start:end],
        start=start,
        end=end,
        score=round(hit.score, 6),
    )


def lead_in(language: Language, citations: Sequence[Citation]) -> str:
    clauses = len({c.clause_id for c in citations})
    other_language = any(detect_language(c.quote) != language for c in citations)
    return messages(language).lead_in(clauses, other_language)


def notes(language: Language, citations: Sequence[Citation]) -> list[str]:
    said = messages(language)
    out: list[str] = []
    dated = [c for c in citations if c.status != "in_force"]
    if dated:
        out.append(said.dated_note("".join(f"[{c.n}]" for c in dated)))
    illustrative = [c for c in citations if not c.official]
    if illustrative:
        out.append(said.illustrative_note("".join(f"[{c.n}]" for c in illustrative)))
    return out
