"""Concurrent questions share the encoder: each caller gets its own question's vector, the
ones that arrive while a batch is encoded go together, and an encoder error reaches every
caller instead of leaving one hanging."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

import numpy as np
import pytest

from assistant.search.batching import QueryBatcher
from assistant.search.embedding import UniversalSentenceEncoder, Vectors
from tests.utils.embedder import FakeEmbedder


class SlowRecordingEmbedder(FakeEmbedder):
    """Takes a while per call, as a real model does, and records each call's batch."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[int] = []
        self.fail = False

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        self.batches.append(len(texts))
        time.sleep(0.05)
        if self.fail:
            raise RuntimeError("the encoder broke")
        return self.embed(texts)


def ask_together(batcher: QueryBatcher, questions: list[str]) -> dict[str, object]:
    results: dict[str, object] = {}

    def one(question: str) -> None:
        try:
            results[question] = batcher.encode(question)
        except Exception as exc:
            results[question] = exc

    threads = [threading.Thread(target=one, args=(q,)) for q in questions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_concurrent_questions_are_batched_and_each_gets_its_own_vector() -> None:
    embedder = SlowRecordingEmbedder()
    batcher = QueryBatcher(embedder, max_batch=16)
    questions = [f"样本市第{i}项补贴标准是多少？" for i in range(12)]
    results = ask_together(batcher, questions)
    for question in questions:
        assert np.allclose(results[question], embedder.embed([question])[0])  # type: ignore[arg-type]
    assert sum(embedder.batches) == len(questions)
    assert len(embedder.batches) < len(questions)  # some went together
    # A lone question is encoded alone and at once.
    assert np.allclose(batcher.encode("海外仓"), embedder.embed(["海外仓"])[0])
    assert embedder.batches[-1] == 1


def test_an_encoder_error_reaches_every_waiting_caller() -> None:
    embedder = SlowRecordingEmbedder()
    embedder.fail = True
    results = ask_together(QueryBatcher(embedder), ["a", "b", "c"])
    assert all(isinstance(r, RuntimeError) for r in results.values())


def test_batched_vectors_of_the_real_model_match_single_ones(
    embedder: UniversalSentenceEncoder,
) -> None:
    batcher = QueryBatcher(embedder)
    questions = ["海外仓补贴标准", "What does Sample City give for overseas warehouses?"]
    results = ask_together(batcher, questions)
    for question in questions:
        single = embedder.embed_queries([question])[0]
        assert np.allclose(results[question], single, atol=1e-5)  # type: ignore[arg-type]


def test_max_batch_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_batch"):
        QueryBatcher(FakeEmbedder(), max_batch=0)
