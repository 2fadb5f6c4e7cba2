"""The bundled corpus with every kind of hostile addition at once: a link to a file outside,
a manifest source that climbs out, a flate-bomb PDF, deeply nested HTML and a bad date.
Ingestion ends in bounded time, reports each one, ingests every good document, and nothing
from outside the corpus reaches the index."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService
from tests.conftest import REPO
from tests.fixtures import hostile
from tests.fixtures.hostile_html import deeply_nested_html

SECRET = "the-outside-secret-7f3a: root:x:0:0"
BAD_DATE_ENTRY = """\
  - id: bad-date-notice
    title: 示例文件（日期错误）
    level: municipal
    language: zh
    source: documents/bad-date.txt
    issued: 2022-13-45
    official: false
"""
CLIMBING_ENTRY = """\
  - id: climbing-out
    title: Outside
    level: municipal
    language: en
    source: ../outside/secret.txt
    official: false
"""


@pytest.mark.slow
def test_a_hostile_corpus_beside_the_bundled_one(
    tmp_path: Path, embedder: UniversalSentenceEncoder
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(f"第一条 {SECRET}\n", encoding="utf-8")
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    documents = corpus / "documents"
    (documents / "passwd-link.txt").symlink_to(outside / "secret.txt")
    hostile.flate_bomb_pdf(documents / "flate-bomb.pdf")
    deeply_nested_html(documents / "nested.html")
    (documents / "bad-date.txt").write_text(
        "示例文件。\n第一条 本条款的日期有误。\n", encoding="utf-8"
    )
    manifest = corpus / "manifest.yaml"
    text = manifest.read_text(encoding="utf-8")
    manifest.write_text(text.rstrip("\n") + "\n" + BAD_DATE_ENTRY + CLIMBING_ENTRY, "utf-8")

    settings = Settings(index_dir=tmp_path / "index", max_seconds_per_file=5)
    service = PolicyService(settings, embedder)
    started = time.monotonic()
    report = service.ingest(corpus)
    elapsed = time.monotonic() - started

    assert elapsed < 240, f"ingestion took {elapsed:.0f} s"
    reasons = {**report.failed, **{w: w for w in report.warnings}}
    described = " | ".join(f"{k}: {v}" for k, v in reasons.items())
    assert "outside the corpus" in report.failed.get("documents/passwd-link.txt", ""), described
    assert "leave" in report.failed.get("../outside/secret.txt", "") or any(
        "climbing-out" in line and "corpus" in line for line in reasons.values()
    ), described
    assert "bomb" in report.failed.get("documents/flate-bomb.pdf", ""), described
    assert "longer than" in report.failed.get("documents/nested.html", ""), described
    assert any("bad-date-notice" in line and "issued" in line for line in reasons.values()), (
        described
    )

    bundled = {line.split(":", 1)[1].strip() for line in text.splitlines() if "- id:" in line}
    indexed = {d.id for d in service.documents()}
    assert bundled <= indexed, bundled - indexed
    assert not indexed & {"passwd-link", "climbing-out", "flate-bomb", "nested"}
    for document_id in indexed:
        assert SECRET not in service.document(document_id).text
    answer = service.ask("What does the Notice say about China-Europe freight trains?")
    assert all(SECRET not in c.quote for c in answer.citations)
