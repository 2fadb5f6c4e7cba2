"""The same corpus on the embedded store and on a real Chroma server gives the same answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.search.store import read_current
from assistant.service import PolicyService
from evals.dataset import load_questions
from tests.conftest import REPO
from tests.utils.chroma_server import chroma_server
from tests.utils.net import free_port


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    with chroma_server(tmp_path_factory.mktemp("chroma-data"), free_port()) as url:
        yield url


def test_golden_set_retrieval_is_identical_on_a_chroma_server(
    server_url: str,
    corpus_service: PolicyService,
    embedder: UniversalSentenceEncoder,
    tmp_path: Path,
) -> None:
    remote = PolicyService(Settings(index_dir=tmp_path / "index", chroma_url=server_url), embedder)
    report = remote.ingest(REPO / "corpus")
    assert remote.snapshot().info.vector_backend == "chroma-http"
    assert report.clauses == len(corpus_service.snapshot().chunks)
    assert not (tmp_path / "index" / "versions" / report.version / "chroma").exists()
    for question in load_questions():
        local_hits = corpus_service.search(question.question, top_k=10)
        remote_hits = remote.search(question.question, top_k=10)
        assert [h.chunk.clause_id for h in remote_hits] == [h.chunk.clause_id for h in local_hits]
        assert [round(h.score, 6) for h in remote_hits] == [round(h.score, 6) for h in local_hits]
    for question in load_questions()[:40]:
        local, far = corpus_service.ask(question.question), remote.ask(question.question)
        assert far.answer == local.answer and far.citations == local.citations


def test_switch_over_and_filters_on_the_server(
    server_url: str, embedder: UniversalSentenceEncoder, corpus: Path, tmp_path: Path
) -> None:
    settings = Settings(index_dir=tmp_path / "index", chroma_url=server_url)
    writer = PolicyService(settings, embedder)
    writer.ingest(corpus)
    reader = PolicyService(settings, embedder)  # another worker sharing the index folder
    first = read_current(settings.index_dir)
    assert reader.snapshot().version == first
    hits = reader.search("subsidy", top_k=10, filters={"language": "en", "status": "in_force"})
    assert hits and all(h.chunk.language == "en" and h.status == "in_force" for h in hits)
    path = corpus / "documents" / "zh-measures.txt"
    path.write_text(path.read_text("utf-8").replace("500万元", "900万元"), encoding="utf-8")
    writer.ingest(corpus)
    # the other worker sees the new version on its next request, without a restart
    assert reader.snapshot().version == read_current(settings.index_dir) != first
    assert any("900万元" in h.chunk.text for h in reader.search("设备投资额不低于多少万元", 5))


def test_an_unreachable_server_is_a_clear_error(
    embedder: UniversalSentenceEncoder, corpus: Path, tmp_path: Path
) -> None:
    from assistant.errors import BackendUnavailableError

    settings = Settings(index_dir=tmp_path / "index", chroma_url=f"http://127.0.0.1:{free_port()}")
    with pytest.raises(BackendUnavailableError, match="Chroma server"):
        PolicyService(settings, embedder).ingest(corpus)
