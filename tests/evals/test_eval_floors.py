"""The test split through policyqa and the baselines: CI fails on a quality regression."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from assistant.config import USE_MODEL
from evals.cli import check_floors
from evals.dataset import load_bundled_questions
from evals.protocols import Harness, evaluate_test_split
from evals.run import write
from evals.splits import partition
from tests.conftest import REPO


def test_test_split_meets_the_recorded_floors(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Constants tuned on dev, floors checked on the golden set's test questions."""
    questions = load_bundled_questions()
    result, _ = evaluate_test_split(harness, questions, latency=False)
    summary = {**result.summary(), "floor_check": result.details["floor_check"]}
    write(tmp_path, summary, result.scored.report)
    written = json.loads((tmp_path / "summary.json").read_text())
    assert set(written["systems"]) == {"policyqa", "naive-langchain", "keyword-bm25"}
    assert (tmp_path / "metrics.png").stat().st_size > 10_000
    test = partition(questions).test
    assert len((tmp_path / "report.jsonl").read_text().splitlines()) == 3 * len(test)
    assert written["floor_check"]["systems"]["policyqa"]["questions"] == sum(
        1 for q in test if q.source == "golden.jsonl"
    )
    # the baselines never refuse an off-topic question the way policyqa does
    ours, naive = written["systems"]["policyqa"], written["systems"]["naive-langchain"]
    assert ours["refusal_accuracy"] > naive["refusal_accuracy"]
    assert ours["recall@2000chars"] > naive["recall@2000chars"]
    assert check_floors(summary, REPO / "evals" / "thresholds.json", USE_MODEL) == []

    # Without matplotlib (a plain install) the numbers are still written, and the chart's
    # absence is explained.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    plain = write(tmp_path / "plain", summary, result.scored.report)
    assert "metrics.png" not in plain and any("install matplotlib" in w for w in plain)
    assert (tmp_path / "plain" / "summary.md").read_text() == (tmp_path / "summary.md").read_text()


def test_floors_catch_a_regression(tmp_path: Path) -> None:
    floors = tmp_path / "floors.json"
    floors.write_text(json.dumps({"m": {"recall@5": 0.9, "verbatim_rate": 1.0}}))
    summary = {"systems": {"policyqa": {"recall@5": 0.85, "verbatim_rate": 1.0}}}
    assert check_floors(summary, floors, "m") == ["recall@5 = 0.85 is below the floor 0.9"]
    scoped = {**summary, "floor_check": {"systems": {"policyqa": {"recall@5": 0.95}}}}
    assert check_floors(scoped, floors, "m") == ["verbatim_rate = None is below the floor 1.0"]
    assert check_floors(summary, floors, "other") == [
        "floors.json records no floors for the embedding model 'other'"
    ]
