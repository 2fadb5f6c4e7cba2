"""The one entry point every face (CLI, API, evals) calls."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import BadInputError, QuestionTooLongError
from assistant.ingest.pipeline import IndexBuilder, ProgressCallback
from assistant.search.embedding import Embedder, create_embedder
from assistant.search.retrieval import HybridRetriever
from assistant.search.store import IndexVersion, open_current, read_current
from assistant.types import Chunk, Document, DocumentMeta, IngestReport, SearchHit


@dataclass(frozen=True)
class ClauseView:
    """A clause in context: the clause, its neighbours, and its document."""

    chunk: Chunk
    document: DocumentMeta
    previous: Chunk | None
    next: Chunk | None


class PolicyService:
    """Search, documents and clauses over the live index; reloads when a new one is switched in."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.retriever = HybridRetriever(settings, embedder)
        self._index: IndexVersion | None = None
        self._lock = threading.Lock()

    @classmethod
    def create(cls, settings: Settings) -> PolicyService:
        return cls(settings, create_embedder(settings))

    # -- the live index ----------------------------------------------------------------

    @property
    def index(self) -> IndexVersion:
        """The live version, reopened when `CURRENT` names a newer one."""
        current = read_current(self.settings.index_dir)
        index = self._index
        if index is not None and index.version == current:
            return index
        with self._lock:
            if self._index is None or self._index.version != read_current(self.settings.index_dir):
                self._index = open_current(self.settings, self.embedder)
            return self._index

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
        cleaned = "".join(ch for ch in question if ch.isprintable() or ch in "\n\t").strip()
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
