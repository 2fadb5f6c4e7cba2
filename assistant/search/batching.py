"""Query encoding shared by concurrent requests: while one batch of questions is being
encoded, the questions that arrive wait and go together in the next batch.

On two cores the encoder is most of a search's cost, and a transformer encodes eight short
questions in one call far faster than in eight. A lone question never waits for others: it
is encoded as soon as the worker is free, so batching adds no latency when idle."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

import numpy as np

from assistant.search.embedding import Embedder

MAX_BATCH = 16


class QueryBatcher:
    """Encodes queries for any number of threads, batching those that arrive together, in
    one worker thread started on first use."""

    def __init__(self, embedder: Embedder, max_batch: int = MAX_BATCH) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.embedder = embedder
        self.max_batch = max_batch
        self._waiting: list[tuple[str, Future[np.ndarray[Any, Any]]]] = []
        self._arrived = threading.Condition()
        self._worker: threading.Thread | None = None

    def encode(self, query: str) -> np.ndarray[Any, Any]:
        """The query's vector, once the worker has encoded it with whatever else waited."""
        future: Future[np.ndarray[Any, Any]] = Future()
        with self._arrived:
            self._waiting.append((query, future))
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(
                    target=self._work, name="policyqa-query-encoder", daemon=True
                )
                self._worker.start()
            self._arrived.notify()
        return future.result()

    def _work(self) -> None:
        while True:
            with self._arrived:
                while not self._waiting:
                    self._arrived.wait()
                batch = self._waiting[: self.max_batch]
                del self._waiting[: self.max_batch]
            self._encode(batch)

    def _encode(self, batch: Sequence[tuple[str, Future[np.ndarray[Any, Any]]]]) -> None:
        try:
            vectors = np.asarray(self.embedder.embed_queries([q for q, _ in batch]))
        except BaseException as exc:  # every waiting caller gets the error, none hangs
            for _, future in batch:
                future.set_exception(exc)
            return
        for (_, future), vector in zip(batch, vectors, strict=True):
            future.set_result(vector)
