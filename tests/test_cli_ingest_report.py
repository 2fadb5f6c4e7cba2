"""The ingest command prints file names as data: no markup, no forged lines."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from assistant import cli
from assistant.types import IngestReport

runner = CliRunner()


class _FakeService:
    def __init__(self, report: IngestReport) -> None:
        self.report = report

    def ingest(self, corpus: Path | None, **kwargs: Any) -> IngestReport:
        return self.report


def _report(failed: dict[str, str], warnings: list[str]) -> IngestReport:
    return IngestReport(
        version="v1",
        documents=1,
        clauses=3,
        added=["aa"],
        updated=[],
        unchanged=[],
        removed=[],
        failed=failed,
        warnings=warnings,
        seconds=1.0,
        embedded_clauses=3,
    )


def test_names_in_the_report_are_printed_literally(monkeypatch: pytest.MonkeyPatch) -> None:
    report = _report(
        failed={"documents/[bold red]x[/].txt": "[bold red]x[/].txt: the file is empty"},
        warnings=["documents/a\nwarning: forged line.txt is not in manifest.yaml"],
    )
    monkeypatch.setattr(cli, "open_service", lambda: _FakeService(report))
    result = runner.invoke(cli.app, ["ingest"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "skipped documents/[bold red]x[/].txt: [bold red]x[/].txt: the file is empty" in (
        result.output
    )
    assert "documents/a\\nwarning: forged line.txt is not in manifest.yaml" in result.output
    assert not any(line.startswith("warning: forged") for line in result.output.splitlines())
