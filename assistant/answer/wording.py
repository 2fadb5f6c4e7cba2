"""Does the text really say X? Verdicts for a passage against the corpus.

exact       the passage is in a document, character for character
normalized  it is, once whitespace, punctuation width (，/,) and letter case are folded
near        a close passage exists but differs; the character (zh) or word (en) diff
            shows where, so one changed word ("不低于" / "不高于", export / import) stands out
absent      nothing close enough
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.extractive import make_citation
from assistant.search.retrieval import detect_language
from assistant.types import Citation, Document, SearchHit, WordingDiff, WordingMatch, WordingVerdict

NEAR_RATIO = 0.7
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class FoldedText:
    """A folded copy of a text, with the original offset of every folded character."""

    text: str
    offsets: list[int]

    @classmethod
    def of(cls, original: str) -> FoldedText:
        chars: list[str] = []
        offsets: list[int] = []
        for index, ch in enumerate(original):
            for folded in unicodedata.normalize("NFKC", ch).lower():
                if folded.isspace():
                    continue
                chars.append(folded)
                offsets.append(index)
        return cls("".join(chars), offsets)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original [start, end) covering folded [start, end)."""
        return self.offsets[start], self.offsets[end - 1] + 1


def fold(text: str) -> str:
    return FoldedText.of(text).text


def _tokens(text: str, language: str) -> list[str]:
    return list(text) if language == "zh" else _WORD.findall(text)


def diff(claim: str, source: str) -> list[WordingDiff]:
    """Character diff for Chinese, word diff for English: what the claim changes."""
    language = detect_language(claim + source)
    a, b = _tokens(claim, language), _tokens(source, language)
    glue = "" if language == "zh" else " "
    out = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        out.append(WordingDiff(op=op, claim=glue.join(a[i1:i2]), source=glue.join(b[j1:j2])))
    return out


def _best_window(claim: str, text: str) -> tuple[float, int, int]:
    """The window of `text` (folded) most similar to `claim` (folded): ratio, start, end."""
    if not claim or not text:
        return 0.0, 0, 0
    matcher = difflib.SequenceMatcher(None, claim, text, autojunk=False)
    best = (0.0, 0, 0)
    anchors = sorted(matcher.get_matching_blocks(), key=lambda m: -m.size)[:3]
    for block in anchors:
        if block.size == 0:
            continue
        origin = block.b - block.a
        for slack_start in range(-4, 5, 2):
            for slack_end in range(-4, 5, 2):
                start = max(0, origin + slack_start)
                end = min(len(text), origin + len(claim) + slack_end)
                if end <= start:
                    continue
                ratio = difflib.SequenceMatcher(
                    None, claim, text[start:end], autojunk=False
                ).ratio()
                if ratio > best[0]:
                    best = (ratio, start, end)
    return best


class WordingVerifier:
    """Checks a passage against the documents (one, or all) and the retrieved clauses."""

    def __init__(self, near_ratio: float = NEAR_RATIO) -> None:
        if not 0 < near_ratio <= 1:
            raise ValueError("near_ratio must be in (0, 1]")
        self.near_ratio = near_ratio

    def verify(
        self,
        text: str,
        documents: Sequence[Document],
        clause_hits: Sequence[SearchHit],
        hit_for_span: dict[str, list[SearchHit]],
    ) -> WordingVerdict:
        """`hit_for_span[doc_id]` lists that document's clauses (as hits) to cite a span by."""
        claim = text.strip()
        matches = self._find(claim, documents, hit_for_span, exact=True)
        if matches:
            return WordingVerdict(verdict="exact", text=claim, matches=matches)
        matches = self._find(claim, documents, hit_for_span, exact=False)
        if matches:
            return WordingVerdict(verdict="normalized", text=claim, matches=matches)

        folded_claim = fold(claim)
        candidates: list[WordingMatch] = []
        by_id = {d.doc_id: d for d in documents}
        for hit in clause_hits:
            document = by_id.get(hit.chunk.doc_id)
            if document is None:
                continue
            folded = FoldedText.of(hit.chunk.text)
            ratio, start, end = _best_window(folded_claim, folded.text)
            if ratio < self.near_ratio or end <= start:
                continue
            s, e = folded.span(start, end)
            s, e = s + hit.chunk.start, e + hit.chunk.start
            citation = make_citation(len(candidates) + 1, hit, document, s, e)
            candidates.append(
                WordingMatch(
                    citation=citation, similarity=round(ratio, 4), diff=diff(claim, citation.quote)
                )
            )
        candidates.sort(key=lambda m: -m.similarity)
        if candidates:
            ranked = [
                m.model_copy(update={"citation": m.citation.model_copy(update={"n": i})})
                for i, m in enumerate(candidates[:3], start=1)
            ]
            return WordingVerdict(verdict="near", text=claim, matches=ranked)
        return WordingVerdict(verdict="absent", text=claim, matches=[])

    def _find(
        self,
        claim: str,
        documents: Sequence[Document],
        hit_for_span: dict[str, list[SearchHit]],
        exact: bool,
    ) -> list[WordingMatch]:
        matches: list[WordingMatch] = []
        needle = claim if exact else fold(claim)
        if not needle:
            return matches
        for document in documents:
            folded = None if exact else FoldedText.of(document.text)
            haystack = document.text if folded is None else folded.text
            position = haystack.find(needle)
            while position != -1 and len(matches) < 5:
                if folded is None:
                    start, end = position, position + len(needle)
                else:
                    start, end = folded.span(position, position + len(needle))
                hit = _clause_at(hit_for_span.get(document.doc_id, []), start, end)
                if hit is not None:
                    citation = make_citation(len(matches) + 1, hit, document, start, end)
                    matches.append(WordingMatch(citation=citation, similarity=1.0, diff=[]))
                position = haystack.find(needle, position + 1)
        return matches


def _clause_at(hits: Sequence[SearchHit], start: int, end: int) -> SearchHit | None:
    """The clause holding [start, end), or the one where it starts (a passage may cross)."""
    holding = [h for h in hits if h.chunk.start <= start and end <= h.chunk.end]
    if holding:
        return min(holding, key=lambda h: h.chunk.end - h.chunk.start)
    return next((h for h in hits if h.chunk.start <= start < h.chunk.end), None)


def explain(verdict: WordingVerdict, language: str) -> str:
    zh = {
        "exact": "是。文件中有与此完全一致的原文。",
        "normalized": "是（仅空格、全半角标点或大小写不同）。文件中有内容一致的原文。",
        "near": "否。文件中有相近的表述，但文字不同，差异见对比。",
        "absent": "否。文件库中没有找到这段表述或相近的表述。",
    }
    en = {
        "exact": "Yes. The documents contain this passage word for word.",
        "normalized": "Yes, apart from spacing, punctuation width or letter case.",
        "near": "No. A similar passage exists but its wording differs; see the diff.",
        "absent": "No. Neither this passage nor a close one appears in the documents.",
    }
    return (zh if language == "zh" else en)[verdict.verdict]


__all__ = ["Citation", "WordingVerifier", "diff", "explain", "fold"]
