"""An enterprise's "which measures apply to us?": the profile (given, or read from its
words), every measure of the live index with its conditions, the matcher's verdicts in the
order the question points to, and the chat's answer built from them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answer.asking import elapsed_ms
from assistant.answer.eligibility import (
    EligibilityMatcher,
    LocalityMap,
    apply_clauses,
    follow_up_questions,
)
from assistant.answer.eligibility_text import eligibility_answer_text
from assistant.answer.follow_up import described_enterprise
from assistant.answer.profile import profile_from_text
from assistant.ingest.measures import measures_of, parent_id
from assistant.search.retrieval import HybridRetriever
from assistant.search.scope import bracketed_aliases
from assistant.search.store import IndexVersion
from assistant.text import detect_language
from assistant.types import (
    Answer,
    Citation,
    EligibilityResult,
    Language,
    Measure,
    Profile,
    SearchHit,
    Turn,
)

# How many retrieved clauses say what the enterprise is after.
_POINTED_TO = 8
PROFILE_FROM_WORDS = "profile read from the question; correct it and ask again if it is wrong"


def corpus_localities(index: IndexVersion) -> LocalityMap:
    """The places of the version's documents: each document's region, its place also by
    the name its text gives it in brackets ("Sample Port City (样港市)"), as the search
    scope knows it."""
    regions = []
    for document in index.documents.values():
        region = document.meta.region or ""
        first, _, rest = region.partition(",")
        if first and "(" not in first:
            aliases = sorted(bracketed_aliases(document.text, first.strip()))
            if aliases:
                first = f"{first.strip()} ({aliases[0]})"
        regions.append(first + (f",{rest}" if rest else ""))
    return LocalityMap(regions)


@dataclass(frozen=True)
class _Read:
    """An index version as the matcher reads it: its measures, its clauses as citable hits,
    each document's clause saying where to apply, and its places."""

    version: str
    measures: list[Measure]
    hits: dict[str, SearchHit]
    apply_to: dict[str, Citation]
    localities: LocalityMap


class EnterpriseAdvisor:
    """Matches enterprises against the measures of whichever index version it is given."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.retriever = retriever
        self._cache: _Read | None = None
        # Concurrent first questions wait for one reading instead of each doing it.
        self._reading = threading.Lock()

    def measures(self, index: IndexVersion) -> list[Measure]:
        """Every measure with all its conditions, read from the version's clauses once per
        version (so a document ingested without a manifest entry is read like any other)."""
        return self._read(index).measures

    def _read(self, index: IndexVersion) -> _Read:
        """What the matcher needs of the version, built once per version."""
        cached = self._cache
        if cached is not None and cached.version == index.version:
            return cached
        with self._reading:
            cached = self._cache
            if cached is None or cached.version != index.version:
                hits = {c.clause_id: index.as_hit(c) for c in index.chunks}
                cached = _Read(
                    index.version,
                    measures_of(index.chunks),
                    hits,
                    apply_clauses(hits, index.documents),
                    corpus_localities(index),
                )
                self._cache = cached
        return cached

    def eligibility(
        self,
        index: IndexVersion,
        profile: Profile | None,
        question: str | None,
        include_unmet: bool,
        limit: int,
    ) -> EligibilityResult:
        """The measures the enterprise qualifies for (met), may qualify for (unknown) and,
        on request, is ruled out of (unmet), each with cited conditions. `question`, when
        given, has been checked by the caller."""
        read = self._read(index)
        matcher = EligibilityMatcher(read.localities)
        note = None
        if profile is None:
            profile = profile_from_text(question or "", matcher.localities)
            note = PROFILE_FROM_WORDS
        measures = read.measures
        if question:
            measures = self._in_question_order(index, question, measures)
        language = detect_language(question or profile.free_text or "en")
        results = matcher.match(
            profile,
            measures,
            index.documents,
            read.hits,
            include_unmet,
            language,
            limit,
            read.apply_to,
        )
        return EligibilityResult(
            profile=profile,
            measures=results[:limit],
            note=note,
            follow_up_questions=follow_up_questions(results[:limit]),
        )

    def _in_question_order(
        self, index: IndexVersion, question: str, measures: list[Measure]
    ) -> list[Measure]:
        """The question says what the enterprise is after: the measures among (or right
        under) the clauses it retrieves come first, in retrieval order. The rest still
        follow, since a firm asking about one kind of support may qualify for another."""
        ranked = [
            h.chunk.clause_id
            for h in self.retriever.search(index, question, min(_POINTED_TO, len(index.chunks)))
        ]
        order: dict[str, int] = {}
        for i, clause_id in enumerate(ranked):
            order.setdefault(clause_id, i)
            if parent := parent_id(clause_id):
                order.setdefault(parent, i)

        def rank(measure: Measure) -> int:
            found = [
                order[c] for c in (measure.clause_id, parent_id(measure.clause_id)) if c in order
            ]
            return min(found) if found else len(ranked)

        return sorted(measures, key=rank)

    def chat_answer(
        self,
        index: IndexVersion,
        question: str,
        language: Language,
        history: Sequence[Turn],
        check: Callable[[str], str],
    ) -> Answer | None:
        """A question describing the enterprise and asking what applies (or adding facts to
        such a question), answered by the matcher: measures met and to confirm, with
        amounts, deadlines, where to apply and follow-up questions. Any other question:
        None, answered from the clauses."""
        started = time.perf_counter()
        described = described_enterprise(question, [t.question for t in history])
        if described is None:
            return None
        result = self.eligibility(index, None, check(described), include_unmet=False, limit=12)
        text, citations = eligibility_answer_text(result, language)
        return Answer(
            question=question,
            answered=bool(citations),
            answer=text,
            citations=citations,
            mode="extractive",
            language=language,
            note=result.note,
            standalone_question=described if described != question else None,
            timings_ms={"total_ms": elapsed_ms(started)},
            eligibility=result,
        )
