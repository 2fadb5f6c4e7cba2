"""Generative answers as a reader gets them: time to the first validated sentence and to
the whole answer, streamed through the service (what /v1/ask/stream and the widget show).

    POLICYQA_LLM_BASE_URL=http://127.0.0.1:18089/v1 python -m evals.bench.generative \
        [--questions 8] [--out out/bench/generative.json]

The questions are the first answerable golden questions of each kind, in turn, so a short
run still mixes kinds and languages. Each is asked once; the model server should be warm
(one more question first, not timed). `first sentence` is measured where the reader is: when
the first sentence comes out of `PolicyService.ask_stream`.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.service import PolicyService
from assistant.types import Answer
from evals.bench.machine import describe
from evals.dataset import Question, load_bundled_questions
from evals.metrics import percentile


@dataclass
class Timed:
    question: str
    mode: str
    first_sentence_ms: float | None
    total_ms: float
    sentences: int
    service_first_sentence_ms: float | None


def interleaved(questions: list[Question], count: int) -> list[Question]:
    """The first answerable questions of each kind, taken in turn."""
    by_kind: dict[str, list[Question]] = {}
    for q in questions:
        if q.answerable and q.kind not in ("wording", "eligibility"):
            by_kind.setdefault(q.kind, []).append(q)
    picked: list[Question] = []
    while len(picked) < count and any(by_kind.values()):
        for kind in list(by_kind):
            if by_kind[kind] and len(picked) < count:
                picked.append(by_kind[kind].pop(0))
    return picked


def timed(service: PolicyService, question: str) -> Timed:
    started = time.perf_counter()
    first: float | None = None
    for sentences, item in enumerate(service.ask_stream(question, mode="generative")):
        if isinstance(item, Answer):
            return Timed(
                question,
                item.mode,
                first,
                round((time.perf_counter() - started) * 1000, 1),
                sentences,
                item.timings_ms.get("first_sentence_ms"),
            )
        if first is None:
            first = round((time.perf_counter() - started) * 1000, 1)
    raise RuntimeError("the stream ended without an answer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("out/bench/generative.json"))
    args = parser.parse_args()
    service = PolicyService.create(Settings())
    questions = interleaved(load_bundled_questions(), args.questions + 1)
    # warm the model server on a question that is not timed: a timed one would then hit
    # the server's prompt cache
    timed(service, questions.pop().question)
    results = [timed(service, q.question) for q in questions]
    firsts = [r.first_sentence_ms for r in results if r.first_sentence_ms is not None]
    totals = [r.total_ms for r in results]
    summary = {
        "machine": describe(),
        "model": service.settings.llm_model,
        "questions": len(results),
        "generative": sum(r.mode == "generative" for r in results),
        "first_sentence_p50_ms": percentile(firsts, 50) if firsts else None,
        "first_sentence_p95_ms": percentile(firsts, 95) if firsts else None,
        "total_p50_ms": percentile(totals, 50),
        "total_p95_ms": percentile(totals, 95),
        "results": [asdict(r) for r in results],
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    print(json.dumps({k: v for k, v in summary.items() if k != "results"}, indent=2))


if __name__ == "__main__":
    main()
