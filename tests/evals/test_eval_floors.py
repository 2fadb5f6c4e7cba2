"""The golden set through policyqa and the baselines: CI fails on a quality regression."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.search.embedding import LangChainEmbeddings
from assistant.service import PolicyService
from evals.baselines import KeywordSystem, NaiveLangChainSystem
from evals.cli import check_floors
from evals.dataset import load_questions
from evals.run import run_eval
from evals.systems import PolicyQASystem
from tests.conftest import REPO


def test_golden_set_meets_the_recorded_floors(
    corpus_service: PolicyService, tmp_path: Path
) -> None:
    index = corpus_service.index
    systems = [
        PolicyQASystem(corpus_service),
        NaiveLangChainSystem(index, LangChainEmbeddings(corpus_service.embedder)),
        KeywordSystem(index),
    ]
    texts = {doc_id: d.text for doc_id, d in index.documents.items()}
    summary = run_eval(load_questions(), systems, texts, tmp_path)
    assert check_floors(summary, REPO / "evals" / "thresholds.json") == []
    written = json.loads((tmp_path / "summary.json").read_text())
    assert set(written["systems"]) == {"policyqa", "naive-langchain", "keyword-bm25"}
    assert (tmp_path / "metrics.png").stat().st_size > 10_000
    assert len((tmp_path / "report.jsonl").read_text().splitlines()) == 3 * len(load_questions())
    # the baselines never refuse an off-topic question the way policyqa does
    ours, naive = written["systems"]["policyqa"], written["systems"]["naive-langchain"]
    assert ours["refusal_accuracy"] > naive["refusal_accuracy"]
    assert ours["recall@2000chars"] > naive["recall@2000chars"]


def test_floors_catch_a_regression(tmp_path: Path) -> None:
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"recall@5": 0.9, "verbatim_rate": 1.0}))
    summary = {"systems": {"policyqa": {"recall@5": 0.85, "verbatim_rate": 1.0}}}
    assert check_floors(summary, floors) == ["recall@5 = 0.85 is below the floor 0.9"]
