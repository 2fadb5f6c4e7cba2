"""The `policyqa` command, end to end through typer's runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant import cli
from assistant.cli import app
from assistant.service import PolicyService

runner = CliRunner()


@pytest.fixture
def cli_index(tmp_path: Path, fixture_corpus: Path) -> Path:
    result = runner.invoke(app, ["ingest", "--corpus", str(fixture_corpus)])
    assert result.exit_code == 0, result.output
    assert "5 documents" in result.output and "clauses/s" in result.output
    return fixture_corpus


def test_search_json_gives_provenance_that_matches_show(cli_index: Path) -> None:
    result = runner.invoke(app, ["search", "一级能效空调补贴", "--top-k", "3", "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert len(hits) == 3
    keys = {
        "doc_id",
        "clause_id",
        "heading_path",
        "clause_number",
        "page",
        "start",
        "end",
        "text",
        "score",
    }
    for hit in hits:
        assert keys <= set(hit)
        shown = json.loads(runner.invoke(app, ["show", hit["doc_id"], "--json"]).stdout)
        assert shown["text"][hit["start"] : hit["end"]] == hit["text"]
        assert {"doc_id", "title", "official", "status", "language"} <= set(shown)


def test_docs_lists_manifest_fields(cli_index: Path) -> None:
    docs = json.loads(runner.invoke(app, ["docs", "--json"]).stdout)
    by_id = {d["doc_id"]: d for d in docs}
    assert by_id["zh-energy"]["status"] == "expired"
    assert all(d["official"] is False for d in docs)
    assert {"title", "language", "source", "level", "region"} <= set(by_id["en-guide"])


def test_ask_prints_answer_and_sources(cli_index: Path) -> None:
    result = runner.invoke(app, ["ask", "一级能效冰箱每台补贴多少？"])
    assert result.exit_code == 0, result.output
    assert "300元" in result.stdout and "Sources:" in result.stdout
    assert "machine-generated" in result.stdout


def test_ask_batch_loads_once_and_prints_json_lines(cli_index: Path, tmp_path: Path) -> None:
    questions = tmp_path / "questions.txt"
    questions.write_text(
        "一级能效冰箱每台补贴多少？\n\nWhat is the capital of France?\n   \n", encoding="utf-8"
    )
    result = runner.invoke(app, ["ask", "--json", "--batch", str(questions)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["answered"] for line in lines] == [True, False]
    assert lines[0]["citations"][0]["quote"] in lines[0]["answer"]


@pytest.fixture
def fake_cli_index(monkeypatch: pytest.MonkeyPatch, fake_service: PolicyService) -> None:
    """Commands over an index the fake embedder built. The settings cannot name that
    embedder, so the commands are handed the service instead of opening their own."""
    monkeypatch.setattr(cli, "open_service", lambda: fake_service)


def test_errors_are_reported_with_their_code(fake_cli_index: None) -> None:
    result = runner.invoke(app, ["show", "no-such-doc"])
    assert result.exit_code == 1
    assert "not_found" in result.output
    result = runner.invoke(app, ["search", "补贴", "--filter", "colour=red"])
    assert result.exit_code == 1 and "bad_input" in result.output


def test_search_without_an_index_says_how_to_build_one() -> None:
    result = runner.invoke(app, ["search", "补贴"])
    assert result.exit_code == 1
    assert "policyqa ingest" in result.output


def test_verify_wording_of_a_passage_across_two_clauses(cli_index: Path) -> None:
    passage = "每台补贴500元。\n（二）购买一级能效冰箱"
    result = runner.invoke(app, ["verify-wording", passage])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("EXACT") and "continued in" in result.stdout
