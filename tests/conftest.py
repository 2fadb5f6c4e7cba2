"""Fixtures: the real default embedder (loaded once), and a real small index per test; the
fake embedder and an index of its own, for tests that no model's vectors change."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import USE_MODEL, Settings
from assistant.search.embedding import Embedder, UniversalSentenceEncoder
from assistant.service import PolicyService
from tests.fixtures.documents import write_corpus
from tests.utils.embedder import FakeEmbedder

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every test away from the developer's index and POLICYQA_* variables.

    POLICYQA_CHROMA_URL (and its token) stay: CI runs the integration tests a second time
    against a real Chroma server by setting them.
    """
    import os

    for key in list(os.environ):
        if key.startswith("POLICYQA_") and key not in {
            "POLICYQA_CHROMA_URL",
            "POLICYQA_CHROMA_TOKEN",
        }:
            monkeypatch.delenv(key)
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(tmp_path / "index"))
    # The fast real model for the many small indexes tests build (and the CLI commands they
    # run); tests/evals/test_default_model.py runs the default model itself.
    monkeypatch.setenv("POLICYQA_EMBEDDING_MODEL", USE_MODEL)


@pytest.fixture(scope="session")
def embedder() -> UniversalSentenceEncoder:
    return UniversalSentenceEncoder(threads=2)


@pytest.fixture(scope="session")
def fixture_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="session")
def built_index(
    tmp_path_factory: pytest.TempPathFactory,
    fixture_corpus: Path,
    embedder: UniversalSentenceEncoder,
) -> Path:
    """An index of the fixture corpus, built once; tests copy it before changing it."""
    index_dir = tmp_path_factory.mktemp("built") / "index"
    service = PolicyService(Settings(index_dir=index_dir, embedding_model=USE_MODEL), embedder)
    service.ingest(fixture_corpus)
    return index_dir


@pytest.fixture(scope="session")
def corpus_service(
    tmp_path_factory: pytest.TempPathFactory, embedder: UniversalSentenceEncoder
) -> PolicyService:
    """The bundled corpus, indexed once for the session. Read-only: do not ingest into it."""
    index_dir = tmp_path_factory.mktemp("bundled") / "index"
    service = PolicyService(Settings(index_dir=index_dir, embedding_model=USE_MODEL), embedder)
    service.ingest(REPO / "corpus")
    return service


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def corpus(tmp_path: Path, fixture_corpus: Path) -> Path:
    """A private, writable copy of the fixture corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, target)
    return target


def private_index(index_dir: Path, built_index: Path, corpus: Path, embedder: Embedder) -> None:
    """A test's own index of the fixture corpus: a copy of the one built for the session, or,
    on a Chroma server (whose collections copies would share), a build of its own."""
    if index_dir.exists():
        return
    if os.environ.get("POLICYQA_CHROMA_URL"):
        PolicyService(Settings(index_dir=index_dir, embedding_model=USE_MODEL), embedder).ingest(
            corpus
        )
    else:
        shutil.copytree(built_index, index_dir)


@pytest.fixture
def service(
    tmp_path: Path, built_index: Path, fixture_corpus: Path, embedder: UniversalSentenceEncoder
) -> Iterator[PolicyService]:
    index_dir = tmp_path / "index"
    private_index(index_dir, built_index, fixture_corpus, embedder)
    yield PolicyService(Settings(index_dir=index_dir, embedding_model=USE_MODEL), embedder)


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def fake_built_index(
    tmp_path_factory: pytest.TempPathFactory, fixture_corpus: Path, fake_embedder: FakeEmbedder
) -> Path:
    """The fixture corpus indexed with the fake embedder, built once. Not `built_index`: an
    index refuses every embedder but the one that built it."""
    index_dir = tmp_path_factory.mktemp("fake-built") / "index"
    PolicyService(Settings(index_dir=index_dir), fake_embedder).ingest(fixture_corpus)
    return index_dir


@pytest.fixture
def fake_service(
    tmp_path: Path, fake_built_index: Path, fixture_corpus: Path, fake_embedder: FakeEmbedder
) -> Iterator[PolicyService]:
    """`service` with the fake embedder, its index in the same place (the CLI finds it)."""
    index_dir = tmp_path / "index"
    private_index(index_dir, fake_built_index, fixture_corpus, fake_embedder)
    yield PolicyService(Settings(index_dir=index_dir), fake_embedder)
