"""The default embedding model end to end: the bundled corpus, the Notice asked about in
both languages, documents no manifest lists, and the floors recorded for the model.

The rest of the suite builds its many small indexes with the fast USE model; this module
builds one index of the bundled corpus with the default model, as a user's first run does.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import DEFAULT_EMBEDDING_MODEL, Settings
from assistant.search.embedding import create_embedder
from assistant.service import PolicyService
from evals.cli import check_floors
from evals.dataset import NEW_DOCUMENTS_DIR, load_bundled_questions
from evals.protocols import Harness, evaluate_test_split
from tests.conftest import REPO

NOTICE = "notice-2022-industrial-economy"
COUNTY = "sample-county-equipment-renewal-2023"
PORT = "sample-port-city-export-logistics-2023"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def default_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PolicyService]:
    settings = Settings(
        index_dir=tmp_path_factory.mktemp("default-model") / "index",
        embedding_model=DEFAULT_EMBEDDING_MODEL,
    )
    service = PolicyService(settings, create_embedder(settings))
    service.ingest(REPO / "corpus")
    yield service
    service.close()


@pytest.mark.parametrize(
    "question",
    [
        "What does the Notice say about China-Europe freight trains?",
        "《通知》关于中欧班列是怎么说的？",
    ],
)
def test_the_notice_answers_about_itself_in_both_languages(
    default_service: PolicyService, question: str
) -> None:
    answer = default_service.ask(question)
    assert answer.answered, answer.answer
    assert answer.citations[0].doc_id == NOTICE
    assert "China-Europe" in answer.citations[0].quote


def test_unlisted_documents_get_their_title_and_region_and_answer_in_both_languages(
    default_service: PolicyService, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    for path in (NEW_DOCUMENTS_DIR / "documents").iterdir():
        shutil.copy2(path, corpus / "documents" / path.name)
    index_dir = tmp_path / "index"
    shutil.copytree(default_service.settings.index_dir, index_dir)
    settings = default_service.settings.model_copy(update={"index_dir": index_dir})
    service = PolicyService(settings, default_service.embedder)
    try:
        report = service.ingest(corpus)  # only the two new documents are embedded
        assert report.failed == {}
        county, port = service.document(COUNTY).meta, service.document(PORT).meta
        assert county.title.startswith("样例县关于推动制造业设备更新和技术改造的若干措施")
        assert port.title.startswith("Sample Port City Measures to Support Export Credit")
        assert "样例县" in (county.region or "") and "Sample Port City" in (port.region or "")
        assert not county.in_manifest and not county.official
        for question, doc_id in (
            ("样例县设备购置补助按什么比例给？单个项目最多补多少？", COUNTY),
            ("What is the subsidy rate and cap for equipment purchases in 样例县?", COUNTY),
            ("How much does Sample Port City pay towards export credit insurance premiums?", PORT),
            ("样港市出口信用保险保费补贴比例是多少？", PORT),
        ):
            answer = service.ask(question)
            assert answer.answered, (question, answer.answer)
            assert answer.citations[0].doc_id == doc_id, question
    finally:
        service.close()


def test_the_test_split_meets_the_floors_recorded_for_the_default_model(
    default_service: PolicyService,
) -> None:
    harness = Harness.of(default_service)
    result, _ = evaluate_test_split(
        harness, load_bundled_questions(), baselines=False, latency=False
    )
    summary = {**result.summary(), "floor_check": result.details["floor_check"]}
    floors = REPO / "evals" / "thresholds.json"
    assert check_floors(summary, floors, DEFAULT_EMBEDDING_MODEL) == []
