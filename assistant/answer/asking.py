"""One question → a grounded answer or a refusal: retrieve (within the documents a follow-up
stands on, and the places a question names), judge the evidence, quote the clauses, and in
generative mode let the model write a validated answer over them, sentence by sentence."""

from __future__ import annotations

import contextvars
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.follow_up import FollowUpResolver
from assistant.answer.generative import (
    DeliveredSentence,
    GenerativeAnswerer,
    Generator,
    SentenceSink,
    ValidatedAnswer,
    describe_failure,
    with_other_quotes,
)
from assistant.answer.messages import messages, refusal_text
from assistant.answer.refusal import Support, SupportJudge, is_instruction
from assistant.config import Settings
from assistant.search.embedding import Embedder
from assistant.search.retrieval import HybridRetriever
from assistant.search.scope import QuestionScope
from assistant.search.store import IndexVersion
from assistant.types import Answer, Document, Language, Level, Mode, SearchHit, Turn

log = logging.getLogger(__name__)

# Where a generated sentence goes the moment it passes validation; set by `stream` for the
# thread that answers, so `ask` itself stays a plain call.
_SENTENCE_SINK: contextvars.ContextVar[SentenceSink | None] = contextvars.ContextVar(
    "policyqa_sentence_sink", default=None
)


def elapsed_ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


@dataclass
class Asked:
    """One question as read: its words, language, mode, the conversation and the clock."""

    question: str
    language: Language
    mode: Mode
    limit: int
    filters: Mapping[str, Any] | None
    history: Sequence[Turn]
    started: float
    timings: dict[str, float] = field(default_factory=dict)


@dataclass
class Retrieved:
    query: str
    standalone: str | None
    hits: list[SearchHit]
    scope: QuestionScope  # what the query names
    scoped: bool  # answered within the documents the conversation stands on


class QuestionAnswerer:
    """Answers from the corpus only, with verbatim citations, or refuses."""

    def __init__(
        self,
        settings: Settings,
        retriever: HybridRetriever,
        judge: SupportJudge,
        embedder: Embedder,
        generator: Generator | None,
    ) -> None:
        if settings.citation_margin < 0:
            raise ValueError("citation_margin must not be negative")
        self.settings = settings
        self.retriever = retriever
        self.judge = judge
        self.embedder = embedder
        self.generator = generator
        self.extractive = ExtractiveAnswerer()
        self.follow_ups = FollowUpResolver(retriever, judge, settings.max_question_chars)

    def answer(self, index: IndexVersion, asked: Asked) -> Answer:
        """With history, a follow-up ("and the deadline?") is answered as the previous
        question plus this one, searched first within the documents the previous answer
        cited; the answer says which standalone question it answered. What the question
        names (places, the Notice, a number, a year) is read once and handed down."""
        if is_instruction(asked.question) or any(is_instruction(t.question) for t in asked.history):
            return self.refusal(asked, [], "instruction")
        named = self.retriever.scope(index, asked.question)
        if named.unknown_places:  # no document can answer for a place none covers
            return self.refusal(asked, [], "not_covered", places=list(named.unknown_places))
        retrieved = self._retrieve(index, asked, named)
        hits = retrieved.hits
        # An answer about the places a question names comes from their documents only:
        # another city's measure is no answer for this one.
        if not retrieved.scoped:
            hits = retrieved.scope.within(hits, index.level)
        support = self.judge.judge(
            retrieved.query,
            hits,
            retrieved.scope,
            index.keyword,
            index.level,
            lambda doc_id: index.documents[doc_id].text,
            index.documents,
        )
        if not retrieved.scoped and not support.answered and retrieved.scope.notice_only:
            local = self._outside_the_notice(index, retrieved.query, asked)
            refusal = self.refusal(
                asked, local, "not_in_notice", missing=list(support.missing_terms)
            )
            return refusal.model_copy(update={"standalone_question": retrieved.standalone})
        if not retrieved.scoped and not support.answered:
            refusal = self.refusal(asked, hits, support.reason, missing=list(support.missing_terms))
            return refusal.model_copy(update={"standalone_question": retrieved.standalone})
        cited = self._citable(hits, support, relaxed=retrieved.scoped)
        # answered on its words: the clauses that hold them lead
        covering = list(support.covering)
        ordered = covering + [h for h in cited if h not in covering]
        # clauses in force before superseded or expired ones, whichever way they were found
        ordered.sort(key=lambda h: h.status != "in_force")
        return self._compose(index, asked, retrieved, hits, ordered)

    def _retrieve(self, index: IndexVersion, asked: Asked, named: QuestionScope) -> Retrieved:
        started = time.perf_counter()
        standalone, documents = self.follow_ups.resolve(
            index, asked.question, asked.history, asked.filters
        )
        if documents:
            # Within the documents just discussed, the follow-up's own words are the best
            # query ("and the deadline?" should find deadlines, not the first question again).
            scoped = {**(asked.filters or {}), "doc_id": documents}
            hits = self.retriever.search(index, asked.question, asked.limit, scoped, scope=named)
            # The conversation already established these documents, so a short follow-up
            # needs less similarity of its own to be answered from them.
            best = max((h.dense_score or 0.0 for h in hits), default=0.0)
            relaxed = self.judge.tuning.evidence_threshold
            if hits and (best >= relaxed or (hits[0].keyword_score or 0.0) > 0):
                asked.timings["retrieve_ms"] = elapsed_ms(started)
                return Retrieved(asked.question, standalone, hits, named, scoped=True)
        query = standalone or asked.question
        scope = named if query == asked.question else self.retriever.scope(index, query)
        hits = self.retriever.search(index, query, asked.limit, asked.filters, scope=scope)
        asked.timings["retrieve_ms"] = elapsed_ms(started)
        return Retrieved(query, standalone, hits, scope, scoped=False)

    def _compose(
        self,
        index: IndexVersion,
        asked: Asked,
        retrieved: Retrieved,
        hits: list[SearchHit],
        cited: list[SearchHit],
    ) -> Answer:
        started = time.perf_counter()
        documents = index.documents
        query, language = retrieved.query, asked.language
        text, citations = self.extractive.compose(query, language, cited, documents)
        if not citations:  # nothing quotable after all: an answer without a source is none
            refusal = self.refusal(asked, hits, "unsupported")
            return refusal.model_copy(update={"standalone_question": retrieved.standalone})
        note: str | None = None
        used_mode: Mode = "extractive"
        if asked.mode == "generative":
            generated, note = self._generate(query, language, cited, documents, asked)
            if generated is not None:
                generated = with_other_quotes(generated, language, citations)
                text, citations, used_mode = generated.text, generated.citations, "generative"
        asked.timings["compose_ms"] = elapsed_ms(started)
        asked.timings["total_ms"] = elapsed_ms(asked.started)
        return Answer(
            question=asked.question,
            answered=True,
            answer=text,
            citations=citations,
            mode=used_mode,
            language=language,
            note=note,
            timings_ms=asked.timings,
            standalone_question=retrieved.standalone,
        )

    def _citable(
        self, hits: list[SearchHit], support: Support, relaxed: bool = False
    ) -> list[SearchHit]:
        """The best-ranked clause and those nearly as similar, in ranking order, clauses in
        force first. Unless relaxed, each must reach the evidence threshold: the judge has
        already found the question answerable, and a clause below it is no evidence."""
        best = max((h.dense_score or 0.0) for h in hits)
        floor = min(best - self.settings.citation_margin, hits[0].dense_score or 0.0)
        if not relaxed:
            floor = max(floor, self.judge.tuning.evidence_threshold)
        close = [h for h in hits if (h.dense_score or 0.0) >= floor]
        return sorted(close, key=lambda h: h.status != "in_force")

    def _generate(
        self,
        question: str,
        language: Language,
        hits: list[SearchHit],
        documents: dict[str, Document],
        asked: Asked,
    ) -> tuple[ValidatedAnswer | None, str | None]:
        """The validated generative answer, or None and why; each sentence goes to the
        stream's sink (`stream`) as soon as it passes, and the time to the first one into
        the timings."""
        if self.generator is None:
            return None, "no language model is configured; showing the extractive answer"
        timings = asked.timings
        # the model is not shown a clause about another subject (fewer tokens, no mix-up)
        hits = self.extractive.subjects.keep(question, hits, lambda h: h.chunk.text)
        generate_started = time.perf_counter()
        sink = _SENTENCE_SINK.get()

        def delivered(sentence: DeliveredSentence) -> bool:
            timings.setdefault("first_sentence_ms", elapsed_ms(asked.started))
            return sink(sentence) if sink is not None else True

        try:
            answerer = GenerativeAnswerer(
                self.generator, self.embedder, self.judge.tuning.evidence_threshold
            )
            generated = answerer.answer(question, language, hits, documents, delivered)
        except Exception as exc:  # any client, network or timeout error means fallback
            log.warning("generative answer failed: %s", exc)
            timings["generate_ms"] = elapsed_ms(generate_started)
            return None, describe_failure(exc)
        timings["generate_ms"] = elapsed_ms(generate_started)
        if generated is None:
            return (
                None,
                "the language model gave no answer with valid citations; "
                "showing the extractive answer",
            )
        if generated.dropped_sentences:
            return generated, (
                f"{generated.dropped_sentences} generated sentence(s) without "
                "valid support were removed"
            )
        return generated, None

    def _outside_the_notice(self, index: IndexVersion, query: str, asked: Asked) -> list[SearchHit]:
        """The local clauses closest to a question the Notice does not answer: where the
        user may look instead."""
        local = {**(asked.filters or {})}
        local.setdefault("level", [level for level in get_args(Level) if level != "national"])
        return self.retriever.search(index, query, 3, local)

    def refusal(
        self,
        asked: Asked,
        hits: list[SearchHit],
        reason: str,
        places: list[str] | None = None,
        missing: list[str] | None = None,
    ) -> Answer:
        suggestions: list[dict[str, str]] = []
        titles: list[str] = []
        if reason in {"unsupported", "not_in_notice", "no_amount", "topic_not_covered"}:
            mark = messages(asked.language).illustrative_mark
            for hit in hits:
                if len(suggestions) < 3 and hit.chunk.doc_id not in {
                    s["doc_id"] for s in suggestions
                }:
                    suggestions.append({"doc_id": hit.chunk.doc_id, "title": hit.doc_title})
                    titles.append(hit.doc_title + ("" if hit.official else mark))
        asked.timings["total_ms"] = elapsed_ms(asked.started)
        return Answer(
            question=asked.question,
            answered=False,
            answer=refusal_text(asked.language, reason, titles, places, missing),
            citations=[],
            mode="extractive",
            language=asked.language,
            note=reason,
            suggested_documents=suggestions,
            timings_ms=asked.timings,
        )


def stream(answer: Callable[[], Answer]) -> Iterator[DeliveredSentence | Answer]:
    """`answer()` run in a thread, each generated sentence yielded as soon as it passes
    validation, then the whole Answer last (the extractive one when nothing passed).
    Closing the iterator early stops the generation at its next sentence."""
    items: queue.Queue[DeliveredSentence | Answer | BaseException] = queue.Queue()
    cancelled = threading.Event()

    def sink(sentence: DeliveredSentence) -> bool:
        items.put(sentence)
        return not cancelled.is_set()

    def work() -> None:
        _SENTENCE_SINK.set(sink)
        try:
            items.put(answer())
        except BaseException as exc:  # handed to the reader, raised there
            items.put(exc)

    context = contextvars.copy_context()
    threading.Thread(target=context.run, args=(work,), daemon=True).start()
    try:
        while True:
            item = items.get()
            if isinstance(item, BaseException):
                raise item
            yield item
            if isinstance(item, Answer):
                return
    finally:
        cancelled.set()
