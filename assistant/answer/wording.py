"""Does the text really say X? Verdicts for a passage against the corpus.

exact       the passage is in a document, character for character
normalized  it is, once whitespace, punctuation width (，/,) and letter case are folded
near        a close passage exists but differs; the character (zh) or word (en) diff
            shows where, so one changed word ("不低于" / "不高于", export / import) stands out
absent      nothing close enough

A passage may cross from one clause into the next: it is then cited as one piece per
clause (`WordingMatch.continuation`), each piece verbatim inside its own clause.

The work per request is bounded by design, since anyone may send a passage: exact and
folded matching are substring searches over folded texts cached per document; the near
search aligns the passage only within windows around the retrieved clauses (at most
`MAX_NEAR_CLAUSES`), with a fixed number of comparisons each, in rapidfuzz's C++ rather
than Python's difflib.
"""

from __future__ import annotations

import bisect
import re
import threading
import unicodedata
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel, Levenshtein

from assistant.answer.extractive import make_citation
from assistant.answer.messages import messages
from assistant.search.retrieval import HybridRetriever
from assistant.search.store import IndexVersion
from assistant.text import detect_language
from assistant.types import (
    Citation,
    Document,
    SearchHit,
    WordingDiff,
    WordingMatch,
    WordingVerdict,
)

NEAR_RATIO = 0.7
# Retrieved clauses the near search looks around, and window shifts tried at each.
MAX_NEAR_CLAUSES = 10
_SLACK = range(-4, 5, 2)
# Below this at the anchor, shifting the window's ends by a few characters cannot reach
# NEAR_RATIO, so the shifts are not tried.
_REFINE_FROM = NEAR_RATIO - 0.1
_SLIDE_MAX_CHARS = 300
MAX_MATCHES = 5
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)

# Clauses of a document as hits, sorted by start: what a span is cited by.
ClausesOf = Callable[[str], Sequence[SearchHit]]


@dataclass(frozen=True)
class FoldedText:
    """A folded copy of a text, with the original offset of every folded character."""

    text: str
    offsets: array[int]

    @classmethod
    def of(cls, original: str) -> FoldedText:
        chars: list[str] = []
        offsets: array[int] = array("l")
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

    def folded_position(self, original: int) -> int:
        """The first folded character at or after an original offset."""
        return bisect.bisect_left(self.offsets, original)


def fold(text: str) -> str:
    return FoldedText.of(text).text


class _FoldedCache:
    """Folded document texts, kept between requests: folding is a Python loop per character."""

    def __init__(self, max_documents: int = 512) -> None:
        self.max_documents = max_documents
        self._items: OrderedDict[str, FoldedText] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, document: Document) -> FoldedText:
        key = f"{document.doc_id}:{document.content_hash}"
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
                return found
        folded = FoldedText.of(document.text)
        with self._lock:
            self._items[key] = folded
            while len(self._items) > self.max_documents:
                self._items.popitem(last=False)
        return folded


def _tokens(text: str, language: str) -> list[str]:
    return list(text) if language == "zh" else _WORD.findall(text)


def diff(claim: str, source: str) -> list[WordingDiff]:
    """Character diff for Chinese, word diff for English: what the claim changes."""
    language = detect_language(claim + source)
    a, b = _tokens(claim, language), _tokens(source, language)
    glue = "" if language == "zh" else " "
    return [
        WordingDiff(
            op=op.tag,
            claim=glue.join(a[op.src_start : op.src_end]),
            source=glue.join(b[op.dest_start : op.dest_end]),
        )
        for op in Levenshtein.opcodes(a, b)
    ]


def _anchor(claim: str, text: str) -> tuple[int, int] | None:
    """Where in `text` the claim most plausibly sits: (origin, width).

    Sliding the claim along the text (rapidfuzz's partial ratio) finds the best window but
    costs length² per position; past `_SLIDE_MAX_CHARS` one alignment of the longest common
    subsequence is used instead, which a long claim cannot scatter across the text.
    """
    if len(claim) <= _SLIDE_MAX_CHARS:
        alignment = fuzz.partial_ratio_alignment(claim, text)
        if alignment is None:
            return None
        if len(claim) <= len(text):
            return alignment.dest_start, len(claim)
        return 0, len(text)  # the whole text lies inside the claim
    matched = [op for op in Indel.opcodes(claim, text) if op.tag == "equal"]
    if not matched:
        return None
    origin = max(0, matched[0].dest_start - matched[0].src_start)
    return origin, len(claim)


def _best_window(claim: str, text: str) -> tuple[float, int, int]:
    """The window of `text` (folded) most similar to `claim` (folded): ratio, start, end."""
    if not claim or not text:
        return 0.0, 0, 0
    anchor = _anchor(claim, text)
    if anchor is None:
        return 0.0, 0, 0
    origin, width = anchor
    best = (fuzz.ratio(claim, text[origin : origin + width]) / 100, origin, origin + width)
    if best[0] < _REFINE_FROM:  # nothing a few characters of slack could lift to "near"
        return best
    for slack_start in _SLACK:
        for slack_end in _SLACK:
            start = max(0, origin + slack_start)
            end = min(len(text), origin + width + slack_end)
            if end <= start:
                continue
            ratio = fuzz.ratio(claim, text[start:end]) / 100
            if ratio > best[0]:
                best = (ratio, start, end)
    return best


def _pieces(clauses: Sequence[SearchHit], start: int, end: int) -> list[tuple[SearchHit, int, int]]:
    """[start, end) cut at clause boundaries: each piece inside the narrowest clause holding
    its first character. Text between clauses (a line break) belongs to none and is skipped."""
    pieces: list[tuple[SearchHit, int, int]] = []
    position = start
    while position < end:
        holding = [h for h in clauses if h.chunk.start <= position < h.chunk.end]
        if not holding:
            following = [h.chunk.start for h in clauses if position < h.chunk.start < end]
            if not following:
                break
            position = min(following)
            continue
        hit = min(holding, key=lambda h: h.chunk.end - h.chunk.start)
        stop = min(end, hit.chunk.end)
        pieces.append((hit, position, stop))
        position = stop
    return pieces


def _citations(
    hits: Sequence[SearchHit], document: Document, start: int, end: int, first_n: int
) -> list[Citation]:
    text = document.text
    out = []
    for hit, s, e in _pieces(hits, start, end):
        # Pieces start and end on text, not on the spaces around a clause boundary.
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append(make_citation(first_n, hit, document, s, e))
    return out


def _match(
    hits: Sequence[SearchHit],
    document: Document,
    start: int,
    end: int,
    n: int,
    similarity: float,
    claim: str,
) -> WordingMatch | None:
    citations = _citations(hits, document, start, end, n)
    if not citations:
        return None
    differences = [] if similarity >= 1.0 else diff(claim, document.text[start:end])
    return WordingMatch(
        citation=citations[0],
        continuation=citations[1:],
        similarity=round(similarity, 4),
        diff=differences,
    )


class WordingVerifier:
    """Checks a passage against the documents (one, or all) and the retrieved clauses."""

    def __init__(self, near_ratio: float = NEAR_RATIO) -> None:
        if not 0 < near_ratio <= 1:
            raise ValueError("near_ratio must be in (0, 1]")
        self.near_ratio = near_ratio
        self._folded = _FoldedCache()

    def verify(
        self,
        text: str,
        documents: Sequence[Document],
        clause_hits: Sequence[SearchHit],
        clauses_of: ClausesOf,
    ) -> WordingVerdict:
        """`clauses_of(doc_id)` gives that document's clauses (as hits) to cite a span by."""
        claim = text.strip()
        matches = self._find(claim, documents, clauses_of, exact=True)
        if matches:
            return WordingVerdict(verdict="exact", text=claim, matches=matches)
        matches = self._find(claim, documents, clauses_of, exact=False)
        if matches:
            return WordingVerdict(verdict="normalized", text=claim, matches=matches)
        near = self._near(claim, documents, clause_hits, clauses_of)
        if near:
            return WordingVerdict(verdict="near", text=claim, matches=near)
        return WordingVerdict(verdict="absent", text=claim, matches=[])

    def _find(
        self,
        claim: str,
        documents: Sequence[Document],
        clauses_of: ClausesOf,
        exact: bool,
    ) -> list[WordingMatch]:
        matches: list[WordingMatch] = []
        needle = claim if exact else fold(claim)
        if not needle:
            return matches
        for document in documents:
            folded = None if exact else self._folded.get(document)
            haystack = document.text if folded is None else folded.text
            position = haystack.find(needle)
            while position != -1 and len(matches) < MAX_MATCHES:
                if folded is None:
                    start, end = position, position + len(needle)
                else:
                    start, end = folded.span(position, position + len(needle))
                found = _match(
                    clauses_of(document.doc_id), document, start, end, len(matches) + 1, 1.0, claim
                )
                if found is not None:
                    matches.append(found)
                position = haystack.find(needle, position + 1)
        return matches

    def _near(
        self,
        claim: str,
        documents: Sequence[Document],
        clause_hits: Sequence[SearchHit],
        clauses_of: ClausesOf,
    ) -> list[WordingMatch]:
        folded_claim = fold(claim)
        by_id = {d.doc_id: d for d in documents}
        best: dict[tuple[str, int, int], float] = {}
        for hit in clause_hits[:MAX_NEAR_CLAUSES]:
            document = by_id.get(hit.chunk.doc_id)
            if document is None:
                continue
            folded = self._folded.get(document)
            # The clause, widened by the passage's length on each side, so a passage that
            # runs into the neighbouring clause can still be found whole.
            lo = max(0, folded.folded_position(hit.chunk.start) - len(folded_claim))
            hi = min(len(folded.text), folded.folded_position(hit.chunk.end) + len(folded_claim))
            ratio, start, end = _best_window(folded_claim, folded.text[lo:hi])
            if ratio < self.near_ratio or end <= start:
                continue
            s, e = _trimmed(document.text, *folded.span(lo + start, lo + end), claim)
            key = (document.doc_id, s, e)
            best[key] = max(ratio, best.get(key, 0.0))
        ranked = sorted(best.items(), key=lambda item: -item[1])
        out: list[WordingMatch] = []
        taken: list[tuple[str, int, int]] = []
        for (doc_id, s, e), ratio in ranked:
            # windows a few characters apart around one passage are one match, the best
            if any(d == doc_id and s < te and ts < e for d, ts, te in taken):
                continue
            taken.append((doc_id, s, e))
            found = _match(clauses_of(doc_id), by_id[doc_id], s, e, len(out) + 1, ratio, claim)
            if found is not None:
                out.append(found)
            if len(out) == 3:
                break
        return out


def _trimmed(text: str, start: int, end: int, claim: str) -> tuple[int, int]:
    """The window without the spaces and punctuation at its ends that the claim does not
    have there: a quote that opens with the previous sentence's full stop reads badly."""
    claim = claim.strip()
    while start < end and _loose(text[start]) and not (claim and claim[0] == text[start]):
        start += 1
    while end > start and _loose(text[end - 1]) and not (claim and claim[-1] == text[end - 1]):
        end -= 1
    return start, end


def _loose(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch).startswith("P")


def explain(verdict: WordingVerdict, language: str) -> str:
    return messages(language).wording[verdict.verdict]


__all__ = ["Citation", "WordingVerifier", "diff", "explain", "fold"]


def verify_in_index(
    verifier: WordingVerifier,
    retriever: HybridRetriever,
    index: IndexVersion,
    text: str,
    doc_ids: Sequence[str] | None,
) -> WordingVerdict:
    """`text` checked against these documents of `index` (or all), near matches sought
    among the clauses retrieved for it, with the verdict explained in the text's language."""
    documents = [index.document(d) for d in doc_ids] if doc_ids else list(index.documents.values())
    filters = {"doc_id": list(doc_ids)} if doc_ids else None
    retrieved = retriever.search(index, text, MAX_NEAR_CLAUSES, filters)

    def clauses_of(wanted: str) -> list[SearchHit]:
        chunks = sorted(index.chunks_of(wanted), key=lambda c: (c.start, c.end))
        return [index.as_hit(c) for c in chunks]

    verdict = verifier.verify(text, documents, retrieved, clauses_of)
    return verdict.model_copy(update={"explanation": explain(verdict, detect_language(text))})
