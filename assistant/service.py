"""The one entry point every face (CLI, API, evals) calls. It orchestrates: checks the input,
takes one snapshot of the live index per call, and hands both to the component that does
the work (`answer.asking`, `answer.enterprise`, `answer.wording`, `ingest.pipeline`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from assistant.answer.asking import Asked, QuestionAnswerer, stream
from assistant.answer.enterprise import EnterpriseAdvisor
from assistant.answer.generative import ChatModelGenerator, DeliveredSentence, Generator
from assistant.answer.refusal import SupportJudge
from assistant.answer.wording import WordingVerifier
from assistant.answer.wording_question import WordingQuestions
from assistant.config import Settings
from assistant.errors import BadInputError
from assistant.ingest.pipeline import IndexBuilder, ProgressCallback
from assistant.search.embedding import Embedder, create_embedder
from assistant.search.retrieval import HybridRetriever
from assistant.search.store import IndexVersion, open_current, read_current
from assistant.text import InputLimits, detect_language
from assistant.types import (
    Answer,
    ClauseView,
    Document,
    DocumentMeta,
    EligibilityResult,
    IndexStatus,
    IngestReport,
    Language,
    Mode,
    Profile,
    SearchHit,
    Turn,
    WordingVerdict,
)


class PolicyService:
    """Search, answers, eligibility, wording, documents and clauses over the live index;
    reloads when a new one is switched in."""

    def __init__(
        self, settings: Settings, embedder: Embedder, generator: Generator | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.generator = generator
        self.retriever = HybridRetriever(settings, embedder)
        self.judge = SupportJudge(self.retriever.tuning)
        self.answerer = QuestionAnswerer(settings, self.retriever, self.judge, embedder, generator)
        self.advisor = EnterpriseAdvisor(self.retriever)
        self.wording = WordingQuestions(WordingVerifier(), self.retriever)
        self._index: IndexVersion | None = None
        self._lock = threading.Lock()
        self.limits = InputLimits(settings.max_question_chars, settings.top_k, settings.max_top_k)

    @classmethod
    def create(cls, settings: Settings) -> PolicyService:
        generator = ChatModelGenerator.from_settings(settings) if settings.llm_base_url else None
        return cls(settings, create_embedder(settings), generator)

    # -- the live index ----------------------------------------------------------------

    def snapshot(self) -> IndexVersion:
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

    def warm_up(self) -> None:
        """Open the live index, load the encoder and read the measures now, so that the
        first question (and the first enterprise asking what applies) is not slow."""
        index = self.snapshot()
        self.retriever.search(index, "warm up", 1)
        self.advisor.measures(index)

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
        report = builder.build(
            corpus_dir or self.settings.corpus_dir, rebuild=rebuild, progress=progress
        )
        # The new version's measures are read here, as part of the ingestion's cost, rather
        # than by the first enterprise to ask.
        if read_current(self.settings.index_dir) is not None:
            self.advisor.measures(self.snapshot())
        return report

    # -- queries -----------------------------------------------------------------------

    def search(
        self, query: str, top_k: int | None = None, filters: Mapping[str, Any] | None = None
    ) -> list[SearchHit]:
        query = self.limits.question(query)
        return self.retriever.search(self.snapshot(), query, self.limits.top_k(top_k), filters)

    def ask(
        self,
        question: str,
        top_k: int | None = None,
        filters: Mapping[str, Any] | None = None,
        language: Language | None = None,
        mode: Mode | None = None,
        history: Sequence[Turn] = (),
    ) -> Answer:
        """Answer from the corpus only, with verbatim citations, or refuse. An enterprise
        asking what applies to it is answered by the eligibility matcher, and "does the text
        really say “…”?" by the wording check."""
        started = time.perf_counter()
        question = self.limits.question(question)
        language = language or detect_language(question)
        index = self.snapshot()
        enterprise = self.advisor.chat_answer(
            index, question, language, history, self.limits.question
        )
        if enterprise is not None:
            return enterprise
        passage = self.wording.answer(index, question, language, started)
        if passage is not None:
            return passage
        asked = Asked(
            question=question,
            language=language,
            mode=mode or self.settings.default_mode,
            limit=self.limits.top_k(top_k),
            filters=filters,
            history=history,
            started=started,
        )
        return self.answerer.answer(index, asked)

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
        then the whole Answer last. Closing the iterator early stops the generation."""
        return stream(lambda: self.ask(question, top_k, filters, language, mode, history))

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
        checked = self.limits.question(question) if question is not None else None
        return self.advisor.eligibility(self.snapshot(), profile, checked, include_unmet, limit)

    def verify_wording(self, text: str, doc_id: str | None = None) -> WordingVerdict:
        """Exact, normalized, near (with a diff) or absent, with the matching clauses."""
        text = self.limits.question(text)
        return self.wording.verify(self.snapshot(), text, [doc_id] if doc_id else None)

    # -- sources -----------------------------------------------------------------------

    def documents(self, filters: Mapping[str, Any] | None = None) -> list[DocumentMeta]:
        return self.snapshot().document_metas(filters)

    def document(self, doc_id: str) -> Document:
        return self.snapshot().document(doc_id)

    def document_clauses(self, doc_id: str) -> tuple[Document, list[str]]:
        """A document and the ids of its clauses, from one version of the index."""
        index = self.snapshot()
        return index.document(doc_id), [c.clause_id for c in index.chunks_of(doc_id)]

    def status(self) -> IndexStatus:
        """The live index's version, size and model; IndexNotReadyError without one."""
        index = self.snapshot()
        return IndexStatus(
            version=index.version,
            documents=len(index.documents),
            clauses=len(index.chunks),
            model_id=index.info.model_id,
            dimension=index.info.dimension,
            vector_backend=index.info.vector_backend,
        )

    def clause(self, clause_id: str) -> ClauseView:
        return self.snapshot().clause_view(clause_id)
