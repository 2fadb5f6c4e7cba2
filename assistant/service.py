"""The one entry point every face (CLI, API, evals) calls."""

from __future__ import annotations

import contextvars
import logging
import queue
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.answer.eligibility import EligibilityMatcher, follow_up_questions
from assistant.answer.eligibility_text import eligibility_answer_text
from assistant.answer.extractive import ExtractiveAnswerer
from assistant.answer.generative import (
    ChatModelGenerator,
    DeliveredSentence,
    GenerativeAnswerer,
    Generator,
    SentenceSink,
    ValidatedAnswer,
    describe_failure,
)
from assistant.answer.profile import (
    asks_something,
    asks_what_applies,
    profile_from_text,
    states_facts,
)
from assistant.answer.refusal import Support, SupportJudge, is_instruction
from assistant.answer.wording import MAX_NEAR_CLAUSES, WordingVerifier
from assistant.answer.wording import explain as explain_wording
from assistant.config import Settings
from assistant.errors import BadInputError, QuestionTooLongError
from assistant.ingest.measures import measures_of, parent_id
from assistant.ingest.pipeline import IndexBuilder, ProgressCallback
from assistant.search.embedding import Embedder, create_embedder
from assistant.search.retrieval import HybridRetriever
from assistant.search.store import (
    IndexVersion,
    normalize_filters,
    open_current,
    read_current,
)
from assistant.text import detect_language, printable_text
from assistant.types import (
    Answer,
    Chunk,
    Document,
    DocumentMeta,
    EligibilityResult,
    IngestReport,
    Language,
    Measure,
    Mode,
    Profile,
    SearchHit,
    Turn,
    WordingVerdict,
)

log = logging.getLogger(__name__)


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)


# Where `_generate` hands each validated sentence while `ask_stream` is reading; unset for
# a plain `ask`. A context variable, so `ask` itself needs no streaming parameter.
_SENTENCE_SINK: contextvars.ContextVar[SentenceSink | None] = contextvars.ContextVar(
    "policyqa_sentence_sink", default=None
)


_FOLLOW_UP_CUES = re.compile(
    r"^(and|also|what about|how about|but|then)\b|\b(it|its|this|that|these|those|they|them)\b|"
    r"^(那|还有|另外|而且|那么)|(它|其|该|这个|这项|此项|上述|呢[？?]?$)",
    re.IGNORECASE,
)


def is_follow_up(question: str) -> bool:
    """A question that leans on the previous one: short, or pointing back at it."""
    words = len(question.split()) if detect_language(question) == "en" else len(question) / 2
    return bool(_FOLLOW_UP_CUES.search(question.strip())) or words <= 8


# How many earlier turns an enterprise's description may be spread over.
_DESCRIPTION_TURNS = 6


def _described_enterprise(question: str, earlier: Sequence[str]) -> str | None:
    """The enterprise described so far, when `question` asks what applies, or adds facts to
    (or briefly follows up) a conversation that asked it: every message back to that
    question, read together. None when the conversation is about something else."""
    if asks_what_applies(question):
        return question
    said = [question]
    for turn in reversed(earlier[-_DESCRIPTION_TURNS:]):
        latest = said[-1]
        # "我们是专精特新中小企业" adds to the description; "第五条的截止时间是？" is a
        # question about the answer, answered from the clauses.
        if not (states_facts(latest) or (is_follow_up(latest) and not asks_something(latest))):
            return None
        if asks_what_applies(turn):
            # Sentence breaks keep each message's amounts and dates with its own words.
            return "".join(
                m if m.endswith(tuple("。.！!？?；;")) else m + "。"
                for m in [turn, *reversed(said)]
            )
        said.append(turn)
    return None


def refusal_text(
    language: Language,
    reason: str,
    titles: list[str],
    places: list[str] | None = None,
    missing: list[str] | None = None,
) -> str:
    if reason == "not_covered":
        named = "、".join(places or []) if language == "zh" else ", ".join(places or [])
        return (
            f"文件库中没有关于{named}的政策文件，无法回答。现有文件覆盖国家通知和示例地区的配套措施。"
            if language == "zh"
            else f"The corpus has no policy documents for {named}, so it cannot answer this. "
            "It covers the national Notice and the sample localities' measures."
        )
    if reason == "instruction":
        return (
            "我只能根据政策文件回答关于政策措施的问题，不能执行改变规则的指令。请直接提出政策问题。"
            if language == "zh"
            else "I can only answer questions about the policy documents from their text; "
            "I do not follow instructions that change how I work. Please ask about a measure."
        )
    if language == "zh":
        text = "文件库中没有能够回答这个问题的条款，无法给出有依据的回答。"
        if missing:
            text += f"文件库中没有任何条款提到：{'、'.join(missing)}。"
        return text + (
            f"可能相关的文件：{'；'.join(f'《{t}》' for t in titles)}。" if titles else ""
        )
    text = (
        "The documents in the corpus do not answer this question, so there is no grounded answer."
    )
    if missing:
        text += f" No clause in the corpus mentions: {', '.join(missing)}."
    return text + (f" Closest documents: {'; '.join(titles)}." if titles else "")


@dataclass(frozen=True)
class ClauseView:
    """A clause in context: the clause, its neighbours, and its document."""

    chunk: Chunk
    document: DocumentMeta
    previous: Chunk | None
    next: Chunk | None


class PolicyService:
    """Search, documents and clauses over the live index; reloads when a new one is switched in."""

    def __init__(
        self, settings: Settings, embedder: Embedder, generator: Generator | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.retriever = HybridRetriever(settings, embedder)
        self.judge = SupportJudge(self.retriever.tuning)
        self.extractive = ExtractiveAnswerer()
        self.wording = WordingVerifier()
        self._wording_slot = threading.Lock()
        self._measure_cache: tuple[str, list[Measure]] | None = None
        self.generator = generator
        self._index: IndexVersion | None = None
        self._lock = threading.Lock()

    @classmethod
    def create(cls, settings: Settings) -> PolicyService:
        generator = ChatModelGenerator.from_settings(settings) if settings.llm_base_url else None
        return cls(settings, create_embedder(settings), generator)

    # -- the live index ----------------------------------------------------------------

    @property
    def index(self) -> IndexVersion:
        """The live version, reopened when `CURRENT` names a newer one.

        The service lets go of the version it replaces; that version releases its Chroma
        client, files and reader lock when the last request still using it returns, and a
        later build can then delete it. Hold the returned version for one request only.
        """
        current = read_current(self.settings.index_dir)
        index = self._index
        if index is not None and index.version == current:
            return index
        with self._lock:
            if self._index is None or self._index.version != read_current(self.settings.index_dir):
                self._index = open_current(self.settings, self.embedder)
            return self._index

    def close(self) -> None:
        """Release the open index version now, at shutdown; a later query reopens one."""
        with self._lock:
            index, self._index = self._index, None
        if index is not None:
            index.close()

    def ingest(
        self,
        corpus_dir: Path | None = None,
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
    ) -> IngestReport:
        builder = IndexBuilder(self.settings, self.embedder)
        return builder.build(
            corpus_dir or self.settings.corpus_dir, rebuild=rebuild, progress=progress
        )

    # -- queries -----------------------------------------------------------------------

    def check_question(self, question: str) -> str:
        cleaned = printable_text(question, "the question").strip()
        if not cleaned:
            raise BadInputError("the question is empty; ask about a policy measure")
        if len(cleaned) > self.settings.max_question_chars:
            raise QuestionTooLongError(
                f"the question has {len(cleaned)} characters; the limit is "
                f"{self.settings.max_question_chars}. Shorten it."
            )
        return cleaned

    def check_top_k(self, top_k: int | None) -> int:
        value = self.settings.top_k if top_k is None else top_k
        if not 1 <= value <= self.settings.max_top_k:
            raise BadInputError(f"top_k must be between 1 and {self.settings.max_top_k}")
        return value

    def search(
        self, query: str, top_k: int | None = None, filters: Mapping[str, Any] | None = None
    ) -> list[SearchHit]:
        query = self.check_question(query)
        return self.retriever.search(self.index, query, self.check_top_k(top_k), filters)

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Mapping[str, Any] | None = None,
        language: Language | None = None,
        mode: Mode | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer from the corpus only, with verbatim citations, or refuse.

        With `history`, a follow-up ("and the deadline?") is answered as the previous
        question plus this one, searched first within the documents the previous answer
        cited; the answer says which standalone question it answered.
        """
        started = time.perf_counter()
        question = self.check_question(question)
        language = language or detect_language(question)
        if (profile_answer := self._eligibility_answer(question, language, history)) is not None:
            return profile_answer
        mode = mode or self.settings.default_mode
        limit = self.check_top_k(top_k)
        timings: dict[str, float] = {}

        if is_instruction(question) or any(is_instruction(t.question) for t in history):
            return self._refusal(question, language, mode, [], "instruction", timings, started)
        index = self.index
        unknown_places = self.retriever.scope(index, question).unknown_places
        if unknown_places:  # no document can answer for a place none covers
            return self._refusal(
                question,
                language,
                mode,
                [],
                "not_covered",
                timings,
                started,
                places=list(unknown_places),
            )

        standalone, scope = self._resolve_follow_up(index, question, history, filters)
        query = standalone or question
        retrieve_started = time.perf_counter()
        hits: list[SearchHit] = []
        scoped_answer = False
        if scope:
            # Within the documents just discussed, the follow-up's own words are the best
            # query ("and the deadline?" should find deadlines, not the first question again).
            scoped = {**(filters or {}), "doc_id": scope}
            hits = self.retriever.search(index, question, limit, scoped)
            # The conversation already established these documents, so a short follow-up
            # needs less similarity of its own to be answered from them.
            best = max((h.dense_score or 0.0 for h in hits), default=0.0)
            relaxed = self.judge.tuning.evidence_threshold
            if hits and (best >= relaxed or (hits[0].keyword_score or 0.0) > 0):
                query = question
                scoped_answer = True
            else:
                hits = []
        if not hits:
            hits = self.retriever.search(index, query, limit, filters)
        timings["retrieve_ms"] = _ms(retrieve_started)
        named = self.retriever.scope(index, query)
        # An answer about the places a question names comes from their documents only:
        # another city's measure is no answer for this one.
        if not scoped_answer:
            hits = named.within(hits, index.level)
        support = self.judge.judge(query, hits, named, index.keyword, index.level)
        if not scoped_answer and not support.answered:
            refusal = self._refusal(
                question,
                language,
                mode,
                hits,
                support.reason,
                timings,
                started,
                missing=list(support.missing_terms),
            )
            return refusal.model_copy(update={"standalone_question": standalone})
        cited = self._citable(hits, support, relaxed=scoped_answer)
        # answered on its words: the clauses that hold them lead
        covering = list(support.covering)
        cited = covering + [h for h in cited if h not in covering]

        compose_started = time.perf_counter()
        documents = index.documents
        text, citations = self.extractive.compose(query, language, cited, documents)
        if not citations:  # nothing quotable after all: an answer without a source is none
            refusal = self._refusal(question, language, mode, hits, "unsupported", timings, started)
            return refusal.model_copy(update={"standalone_question": standalone})
        note: str | None = None
        used_mode: Mode = "extractive"
        if mode == "generative":
            generated, note = self._generate(query, language, cited, documents, timings, started)
            if generated is not None:
                text, citations, used_mode = generated.text, generated.citations, "generative"
        timings["compose_ms"] = _ms(compose_started)
        timings["total_ms"] = _ms(started)
        return Answer(
            question=question,
            answered=True,
            answer=text,
            citations=citations,
            mode=used_mode,
            language=language,
            note=note,
            timings_ms=timings,
            standalone_question=standalone,
        )

    def _resolve_follow_up(
        self,
        index: IndexVersion,
        question: str,
        history: Sequence[Turn],
        filters: Mapping[str, Any] | None,
    ) -> tuple[str | None, list[str]]:
        """A standalone question and the documents to search first, for a follow-up.

        History comes from the client, so it is the user's words, never authority: the
        previous question's clauses are the ones this service itself cites for it, and the
        clause ids a client sends can only narrow those down. Explicit filters still win.
        """
        if not history or not is_follow_up(question):
            return None, []
        previous = history[-1]
        previous_question = printable_text(previous.question, "the conversation history")
        previous_question = previous_question.strip()[: self.settings.max_question_chars]
        if not previous_question:
            return None, []
        hits = self.retriever.search(index, previous_question, 3, filters)
        scope = self.retriever.scope(index, previous_question)
        cited = [
            h.chunk.clause_id
            for h in hits
            if self.judge.judge(previous_question, [h], scope, index.keyword, index.level).answered
        ]
        claimed = [c for c in cited if c in set(previous.clause_ids)]
        allowed = normalize_filters(filters).get("doc_id")
        doc_ids: list[str] = []
        for clause_id in claimed or cited:
            doc_id = clause_id.split(":", 1)[0]
            known = doc_id in index.documents and doc_id not in doc_ids
            if known and (allowed is None or doc_id in allowed):
                doc_ids.append(doc_id)
        return f"{previous_question} {question}", doc_ids

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
        timings: dict[str, float] | None = None,
        started: float | None = None,
    ) -> tuple[ValidatedAnswer | None, str | None]:
        """The validated generative answer, or None and why; each sentence goes to the
        stream's sink (ask_stream) as soon as it passes, and the time to the first one
        into `timings`."""
        if self.generator is None:
            return None, "no language model is configured; showing the extractive answer"
        timings = {} if timings is None else timings
        since = time.perf_counter() if started is None else started
        # the model is not shown a clause about another subject (fewer tokens, no mix-up)
        hits = self.extractive.subjects.keep(question, hits, lambda h: h.chunk.text)
        generate_started = time.perf_counter()
        sink = _SENTENCE_SINK.get()

        def delivered(sentence: DeliveredSentence) -> bool:
            timings.setdefault("first_sentence_ms", _ms(since))
            return sink(sentence) if sink is not None else True

        try:
            answerer = GenerativeAnswerer(
                self.generator,
                self.embedder,
                self.judge.tuning.evidence_threshold,
            )
            generated = answerer.answer(question, language, hits, documents, delivered)
        except Exception as exc:  # any client, network or timeout error means fallback
            log.warning("generative answer failed: %s", exc)
            timings["generate_ms"] = _ms(generate_started)
            return None, describe_failure(exc)
        timings["generate_ms"] = _ms(generate_started)
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

    def ask_stream(
        self,
        question: str,
        top_k: int | None = None,
        filters: Mapping[str, Any] | None = None,
        language: Language | None = None,
        mode: Mode | None = None,
        history: Sequence[Turn] = (),
    ) -> Iterator[DeliveredSentence | Answer]:
        """`ask`, with each generated sentence yielded as soon as it passes validation,
        then the whole Answer last (the extractive one when nothing passed). Closing the
        iterator early stops the generation at its next sentence."""
        items: queue.Queue[DeliveredSentence | Answer | BaseException] = queue.Queue()
        cancelled = threading.Event()

        def sink(sentence: DeliveredSentence) -> bool:
            items.put(sentence)
            return not cancelled.is_set()

        def work() -> None:
            _SENTENCE_SINK.set(sink)
            try:
                items.put(self.ask(question, top_k, filters, language, mode, history))
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

    def _refusal(
        self,
        question: str,
        language: Language,
        mode: Mode,
        hits: list[SearchHit],
        reason: str,
        timings: dict[str, float],
        started: float,
        places: list[str] | None = None,
        missing: list[str] | None = None,
    ) -> Answer:
        suggestions: list[dict[str, str]] = []
        if reason == "unsupported":
            for hit in hits:
                if hit.chunk.doc_id not in {s["doc_id"] for s in suggestions}:
                    suggestions.append({"doc_id": hit.chunk.doc_id, "title": hit.doc_title})
            suggestions = suggestions[:3]
        timings["total_ms"] = _ms(started)
        return Answer(
            question=question,
            answered=False,
            answer=refusal_text(
                language, reason, [s["title"] for s in suggestions], places, missing
            ),
            citations=[],
            mode=mode if mode == "extractive" else "extractive",
            language=language,
            note=reason,
            suggested_documents=suggestions,
            timings_ms=timings,
        )

    def eligibility(
        self,
        profile: Profile | None = None,
        question: str | None = None,
        include_unmet: bool = False,
        limit: int = 20,
    ) -> EligibilityResult:
        """The measures a described enterprise qualifies for (met), may qualify for (unknown),
        and, on request, is ruled out of (unmet), each with cited conditions."""
        if profile is None and question is None:
            raise BadInputError("give an enterprise profile or a question describing one")
        index = self.index
        matcher = EligibilityMatcher(d.meta.region or "" for d in index.documents.values())
        note = None
        if profile is None:
            question = self.check_question(question or "")
            profile = profile_from_text(question, matcher.localities)
            note = "profile read from the question; correct it and ask again if it is wrong"
        measures = self._measures(index)
        if question:
            # The question says what the enterprise is after: the measures among (or right
            # under) the clauses it retrieves, in retrieval order.
            ranked = [
                h.chunk.clause_id
                for h in self.retriever.search(
                    index, self.check_question(question), min(8, len(index.chunks))
                )
            ]
            order: dict[str, int] = {}
            for i, clause_id in enumerate(ranked):
                order.setdefault(clause_id, i)
                parent = parent_id(clause_id)
                if parent:
                    order.setdefault(parent, i)

            def rank(measure: Measure) -> int | None:
                parent = parent_id(measure.clause_id)
                found = [order[c] for c in (measure.clause_id, parent) if c in order]
                return min(found) if found else None

            # Retrieved measures first; the rest still follow, since a firm asking about
            # one kind of support may qualify for another.
            scored = [(r if (r := rank(m)) is not None else len(ranked), m) for m in measures]
            measures = [m for _, m in sorted(scored, key=lambda item: item[0])]
        hits = {c.clause_id: self._as_hit(index, c) for c in index.chunks}
        language = detect_language(question or profile.free_text or "en")
        results = matcher.match(profile, measures, index.documents, hits, include_unmet, language)
        return EligibilityResult(
            profile=profile,
            measures=results[:limit],
            note=note,
            follow_up_questions=follow_up_questions(results[:limit]),
        )

    def verify_wording(self, text: str, doc_id: str | None = None) -> WordingVerdict:
        """Exact, normalized, near (with a diff) or absent, with the matching clauses."""
        text = self.check_question(text)
        # One check at a time per process: a client sending long passages can then take
        # one core at most, never every core from the people asking questions.
        with self._wording_slot:
            return self._verify_wording(text, doc_id)

    def _verify_wording(self, text: str, doc_id: str | None) -> WordingVerdict:
        index = self.index
        documents = [index.document(doc_id)] if doc_id else list(index.documents.values())
        filters = {"doc_id": doc_id} if doc_id else None
        retrieved = self.retriever.search(index, text, MAX_NEAR_CLAUSES, filters)

        def clauses_of(wanted: str) -> list[SearchHit]:
            chunks = sorted(index.chunks_of(wanted), key=lambda c: (c.start, c.end))
            return [self._as_hit(index, c) for c in chunks]

        verdict = self.wording.verify(text, documents, retrieved, clauses_of)
        return verdict.model_copy(
            update={"explanation": explain_wording(verdict, detect_language(text))}
        )

    @staticmethod
    def _as_hit(index: IndexVersion, chunk: Chunk) -> SearchHit:
        meta = index.documents[chunk.doc_id].meta
        return SearchHit(chunk, 0.0, None, None, meta.display_title, meta.official, meta.status)

    def documents(self, filters: Mapping[str, Any] | None = None) -> list[DocumentMeta]:
        metas = [d.meta for d in self.index.documents.values()]
        for key, value in (filters or {}).items():
            field = "id" if key == "doc_id" else key
            if field not in DocumentMeta.model_fields:
                raise BadInputError(f"unknown document filter {key!r}")
            metas = [m for m in metas if str(getattr(m, field)).lower() == str(value).lower()]
        return sorted(metas, key=lambda m: m.id)

    def document(self, doc_id: str) -> Document:
        return self.index.document(doc_id)

    def clause(self, clause_id: str) -> ClauseView:
        index = self.index
        chunk = index.chunk(clause_id)
        siblings = index.chunks_of(chunk.doc_id)
        position = next(i for i, c in enumerate(siblings) if c.clause_id == clause_id)
        return ClauseView(
            chunk=chunk,
            document=index.document(chunk.doc_id).meta,
            previous=siblings[position - 1] if position > 0 else None,
            next=siblings[position + 1] if position + 1 < len(siblings) else None,
        )

    # -- eligibility in the chat ---------------------------------------------------------

    def _measures(self, index: IndexVersion) -> list[Measure]:
        """Every measure with all its conditions, read from the live version's clauses once
        per version (so a document ingested without a manifest entry is read like any other)."""
        cached = self._measure_cache
        if cached is None or cached[0] != index.version:
            cached = (index.version, measures_of(index.chunks))
            self._measure_cache = cached
        return cached[1]

    def _eligibility_answer(
        self, question: str, language: Language, history: Sequence[Turn]
    ) -> Answer | None:
        """A question describing the enterprise and asking what applies, answered by the
        matcher: measures met and to confirm, with amounts, deadlines, where to apply and
        follow-up questions. A short follow-up to such a question ("we are SME-certified")
        is read together with it. Any other question: None, answered as before."""
        started = time.perf_counter()
        described = _described_enterprise(question, [t.question for t in history])
        if described is None:
            return None
        result = self.eligibility(question=described, limit=12)
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
            timings_ms={"total_ms": _ms(started)},
            eligibility=result,
        )
