"""The systems an eval compares: policyqa itself, and the baselines users would build."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from assistant.answer.generative import Generator
from assistant.config import Settings
from assistant.search.embedding import Embedder, Vectors
from assistant.search.store import IndexVersion
from assistant.service import PolicyService
from assistant.types import Mode
from evals.dataset import Question


@dataclass
class SystemResult:
    # Retrieved units, best first, each as the clause ids it covers (one for clause-level
    # retrieval, several for a fixed-size chunk), for the retrieval metrics.
    ranked: list[list[str]]
    cited: list[str]  # clause ids the answer cites, in citation order
    answered: bool
    answer: str
    quotes: list[tuple[str, str, int, int]] = field(default_factory=list)
    latency_ms: float = 0.0
    lengths: list[int] = field(default_factory=list)  # characters of each ranked unit
    eligible: list[str] | None = None  # clause ids of measures returned as met
    verdict: str | None = None  # wording verdict, the passage given (/v1/wording)
    chat_verdict: str | None = None  # the verdict the chat gave, the passage read from the question
    # for the generative mode's metrics (evals/generative.py): the mode asked for and the
    # one that answered, the delivered citations, and the service's timings
    requested_mode: str | None = None
    mode: str | None = None
    citations: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)


class System(Protocol):
    name: str

    def run(self, question: str, item: Question | None = None) -> SystemResult: ...


class PolicyQASystem:
    """The product: hybrid retrieval for the ranking, the answer service for the answer."""

    def __init__(self, service: PolicyService, mode: Mode = "extractive") -> None:
        self.service = service
        self.mode = mode
        self.name = "policyqa" if mode == "extractive" else "policyqa-generative"

    def run(self, question: str, item: Question | None = None) -> SystemResult:
        hits = self.service.search(question, top_k=10)
        ranked = [[h.chunk.clause_id] for h in hits]
        started = time.perf_counter()
        answer = self.service.ask(question, mode=self.mode)
        latency = (time.perf_counter() - started) * 1000
        result = SystemResult(
            ranked=ranked,
            cited=[c.clause_id for c in answer.citations],
            answered=answer.answered,
            answer=answer.answer,
            quotes=[(c.doc_id, c.quote, c.start, c.end) for c in answer.citations],
            latency_ms=latency,
            lengths=[h.chunk.end - h.chunk.start for h in hits],
            requested_mode=self.mode,
            mode=answer.mode,
            citations=[c.model_dump(mode="json") for c in answer.citations],
            timings_ms=dict(answer.timings_ms),
        )
        if item is not None and item.kind == "eligibility":
            found = self.service.eligibility(question=question)
            result.eligible = [
                m.citations[0].clause_id for m in found.measures if m.status == "met"
            ]
        if item is not None and item.kind == "wording":
            verdict = self.service.verify_wording(
                item.extra["wording_text"], item.extra.get("doc_id")
            )
            result.verdict = verdict.verdict
            result.chat_verdict = answer.wording.verdict if answer.wording else "not read"
            result.quotes += [
                (m.citation.doc_id, m.citation.quote, m.citation.start, m.citation.end)
                for m in verdict.matches
            ]
        return result


class SharedIndexService(PolicyService):
    """The service with other settings over an index version already open.

    Calibration and the leave-one-document-out evaluation try several sets of constants;
    none of them changes what is indexed, so they all read one open version instead of
    each opening (and holding) its own.
    """

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder,
        index: IndexVersion,
        generator: Generator | None = None,
    ) -> None:
        super().__init__(settings, embedder, generator)
        self._shared = index

    def snapshot(self) -> IndexVersion:
        return self._shared


class CachedEmbedder:
    """The embedder, remembering the vectors of the texts it has seen.

    The same questions are searched under every candidate constant, and the encoder is the
    slowest step of a search. Used for calibration and the leave-out runs, never where
    latency is measured.
    """

    def __init__(self, embedder: Embedder) -> None:
        self.inner = embedder
        self._vectors: dict[tuple[str, str], Vectors] = {}

    @property
    def model_id(self) -> str:
        return self.inner.model_id

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._cached("queries", self.inner.embed_queries, texts)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._cached("documents", self.inner.embed_documents, texts)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._cached("texts", self.inner.embed, texts)

    def _cached(
        self, side: str, encode: Callable[[Sequence[str]], Vectors], texts: Sequence[str]
    ) -> Vectors:
        # queries and documents may be encoded with different prompts, so they never share
        missing = [t for t in dict.fromkeys(texts) if (side, t) not in self._vectors]
        if missing:
            for text, vector in zip(missing, encode(missing), strict=True):
                self._vectors[(side, text)] = vector
        if not texts:
            return encode(texts)
        stacked: Vectors = np.stack([self._vectors[(side, t)] for t in texts])
        return stacked
