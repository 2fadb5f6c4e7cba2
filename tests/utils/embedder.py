"""A fake embedder, for tests whose subject no model's vectors change: input checks, argument
errors, what ingestion reads and refuses. Tests of retrieval quality keep the real model."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from assistant.search.embedding import Vectors

# A boundary mark on each side gives the empty text n-grams too, so no vector is all zeros
# and every one can be normalized, as the protocol promises.
_START, _END = "\x02", "\x03"


class FakeEmbedder:
    """Character n-grams hashed into a fixed number of buckets, then L2-normalized.

    Deterministic across processes (blake2b, not the salted `hash`), so an index it builds
    answers the same in every run; texts sharing characters land near each other, which is
    all a search over it needs in order to return something. Its model_id names no real
    model: an index it builds is refused by every real embedder, and the reverse.
    """

    def __init__(self, dimension: int = 256, max_n: int = 3) -> None:
        if dimension < 1:
            raise ValueError("dimension must be at least 1")
        if max_n < 1:
            raise ValueError("max_n must be at least 1")
        self._dimension = dimension
        self._max_n = max_n

    @property
    def model_id(self) -> str:
        return f"fake:char-ngram-hash-{self._max_n}gram-{self._dimension}d"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        vectors = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            marked = f"{_START}{text}{_END}"
            for n in range(1, self._max_n + 1):
                for i in range(len(marked) - n + 1):
                    vectors[row, self._bucket(marked[i : i + n])] += 1.0
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalized: Vectors = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
        return normalized

    # Symmetric, like USE: questions and clauses share one encoding.
    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.embed(texts)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self.embed(texts)

    def _bucket(self, gram: str) -> int:
        digest = hashlib.blake2b(gram.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        return int.from_bytes(digest, "little") % self._dimension
