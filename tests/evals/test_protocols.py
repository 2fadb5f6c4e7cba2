"""Leave-one-document-out and new documents: small bounded runs that show they score
held-out questions only. `policyqa eval` runs them in full."""

from __future__ import annotations

import json
from pathlib import Path

from evals.calibrate import Constants, calibrate
from evals.cli import evaluate
from evals.dataset import load_bundled_questions
from evals.protocols import Harness, leave_one_document_out, new_documents
from evals.run import TABLE_ROWS, markdown, table

SMALL_DOCUMENTS = ["sc-q4-industrial-growth-2022", "ep-foreign-investment-services-2023"]
NEW_DOCUMENT = """\
# Demo Harbour Measures to Support Cold-Chain Logistics

[TEST FILE] For tests only; Demo Harbour does not exist.

## 1. Scope

These measures apply to logistics enterprises registered in Demo Harbour.

## 2. Cold storage

A new cold store of at least 5,000 cubic metres receives a one-off subsidy of RMB 300,000.

## 3. Refrigerated trucks

Each new refrigerated truck bought in 2024 receives RMB 20,000, at most ten trucks per enterprise.
"""
NEW_QUESTIONS = [
    {
        "id": "t001",
        "question": "How much does Demo Harbour give for a new cold store?",
        "language": "en",
        "kind": "amounts",
        "expected_clauses": ["demo-harbour-cold-chain-2024:1.2"],
        "key_phrases": ["RMB 300,000"],
        "answerable": True,
    },
    {
        "id": "t002",
        "question": "演示港对冷链企业购买无人机有什么奖励？",
        "language": "zh",
        "kind": "cross_language",
        "expected_clauses": ["demo-harbour-cold-chain-2024:1.3"],
        "key_phrases": ["RMB 20,000"],
        "answerable": True,
    },
    {
        "id": "t003",
        "question": "What does Demo Harbour pay for a new cruise terminal?",
        "language": "en",
        "kind": "unanswerable",
        "expected_clauses": [],
        "key_phrases": [],
        "answerable": False,
    },
]


def _new_documents_folder(root: Path) -> Path:
    (root / "documents").mkdir(parents=True)
    (root / "documents" / "demo-harbour-cold-chain-2024.md").write_text(NEW_DOCUMENT)
    lines = [json.dumps(q, ensure_ascii=False) for q in NEW_QUESTIONS]
    (root / "questions.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def test_leave_one_document_out_tunes_without_the_document(harness: Harness) -> None:
    questions = load_bundled_questions()
    result = leave_one_document_out(harness, questions, documents=SMALL_DOCUMENTS)
    assert list(result.details["by_document"]) == SMALL_DOCUMENTS
    for doc_id, fold in result.details["by_document"].items():
        rows = [r for r in result.scored.rows["policyqa"] if r["held_out"] == doc_id]
        held = {r["id"] for r in rows}
        assert len(rows) == fold["held_out"] > 0
        about = {q.id for q in questions if doc_id in q.documents}
        assert about <= held  # and the rest are questions about no document
        tuned = calibrate([q for q in questions if q.id not in held], harness.searches)
        assert fold["constants"] == tuned.constants.__dict__
    summary = result.summary()["systems"]
    assert set(summary) == {"policyqa", "naive-langchain", "keyword-bm25"}
    assert summary["policyqa"]["recall@5"] is not None
    assert summary["policyqa"]["verbatim_rate"] == 1.0


def test_new_documents_are_indexed_with_inferred_metadata(
    harness: Harness, fixture_corpus: Path, tmp_path: Path
) -> None:
    folder = _new_documents_folder(tmp_path / "new")
    before = set(harness.index.documents)
    result = new_documents(
        harness,
        folder,
        Constants.of(harness.settings, harness.embedder.model_id),
        corpus_dir=fixture_corpus,
        baselines=False,
    )
    assert result is not None
    details = result.details
    assert details["documents"] == {
        "demo-harbour-cold-chain-2024": "# Demo Harbour Measures to Support Cold-Chain Logistics"
    }
    assert details["failed"] == {} and details["unknown_clauses"] == []
    ours = result.summary()["systems"]["policyqa"]
    assert ours["questions"] == 3 and ours["recall@5"] is not None
    assert ours["refusal_accuracy"] is not None and ours["verbatim_rate"] == 1.0
    assert set(harness.index.documents) == before  # the bundled index is left alone


def test_new_documents_need_questions(harness: Harness, tmp_path: Path) -> None:
    assert (
        new_documents(harness, tmp_path, Constants.of(harness.settings, harness.embedder.model_id))
        is None
    )


def test_one_run_sets_the_protocols_side_by_side(
    harness: Harness, fixture_corpus: Path, tmp_path: Path
) -> None:
    summary, report = evaluate(
        harness,
        load_bundled_questions(),
        per_kind=1,
        new_documents_dir=_new_documents_folder(tmp_path / "new"),
        corpus_dir=fixture_corpus,
    )
    protocols = summary["protocols"]
    assert list(protocols) == ["test", "leave_one_document_out", "new_documents"]
    assert {r["protocol"] for r in report} == set(protocols)
    printed = table(protocols)
    header = printed.splitlines()[0]
    assert header.count("|") == 3 * 3 + 2
    for label, _ in TABLE_ROWS:
        assert f"| {label} |" in printed
    assert summary["floor_check"]["systems"]["policyqa"]["questions"] > 0
    assert any("dev questions" in note for note in summary["notes"])
    assert "held-out document" in markdown(summary)
