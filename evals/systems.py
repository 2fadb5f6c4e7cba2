"""The systems an eval compares: policyqa itself, and the baselines users would build."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Protocol

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
    verdict: str | None = None  # wording verdict


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
            result.quotes += [
                (m.citation.doc_id, m.citation.quote, m.citation.start, m.citation.end)
                for m in verdict.matches
            ]
        return result
