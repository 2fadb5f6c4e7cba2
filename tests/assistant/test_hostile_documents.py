"""Broken, hostile and oversized documents: each fails alone, with a reason, and the live
index keeps answering."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import DocumentLoadError
from assistant.ingest.loaders import LoadLimits, load_file
from assistant.search.store import read_current
from assistant.service import PolicyService
from tests.fixtures import hostile


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: hostile.corrupt_pdf(d / "corrupt.pdf"), "not a readable PDF"),
        (lambda d: hostile.nested_pdf(d / "nested.pdf"), "PDF"),
        (lambda d: hostile.scanned_pdf(d / "scan.pdf"), "no text layer"),
        (lambda d: hostile.many_pages_pdf(d / "bomb.pdf", 30), "exceeds the limit of 20"),
        (lambda d: hostile.zip_bomb_docx(d / "bomb.docx", 3_000_000), "zip bomb"),
    ],
)
def test_each_bad_file_fails_with_its_reason(tmp_path: Path, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    limits = LoadLimits(max_pages=20, max_docx_uncompressed_bytes=1_000_000)
    with pytest.raises(DocumentLoadError) as info:
        load_file(path, limits)
    assert reason in info.value.message and path.name in info.value.message


def test_legacy_encodings_and_scripts_are_handled(tmp_path: Path) -> None:
    assert "规模以上工业企业" in load_file(hostile.gbk_text(tmp_path / "gbk.txt")).text
    html = load_file(hostile.script_html(tmp_path / "page.html")).text
    assert "alert" not in html and "evil" not in html and "Applies to Demo Town firms." in html


def test_oversized_files_are_refused_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 5000)
    with pytest.raises(DocumentLoadError, match="exceeds the limit"):
        load_file(big, LoadLimits(max_file_bytes=4096))
    with pytest.raises(DocumentLoadError, match="exceeds"):
        load_file(big, LoadLimits(max_chars=1000))


def test_a_corpus_full_of_bad_files_still_ingests_the_good_ones(
    service: PolicyService, corpus: Path
) -> None:
    before = read_current(service.settings.index_dir)
    answer_before = service.ask("一级能效冰箱每台补贴多少？")
    documents = corpus / "documents"
    hostile.corrupt_pdf(documents / "corrupt.pdf")
    hostile.nested_pdf(documents / "nested.pdf")
    hostile.scanned_pdf(documents / "scan.pdf")
    hostile.zip_bomb_docx(documents / "bomb.docx", 300 * 1024 * 1024 + 1)
    hostile.gbk_text(documents / "legacy-gbk.txt")
    hostile.script_html(documents / "scripted.html")
    (documents / "empty.txt").write_bytes(b"")
    (documents / "sheet.xlsx").write_bytes(b"PK\x03\x04")
    # a broken replacement of a good document keeps the good version
    (documents / "en-guide.md").write_bytes(b"")

    report = service.ingest(corpus)
    failed = report.failed
    for name in (
        "corrupt.pdf",
        "nested.pdf",
        "scan.pdf",
        "bomb.docx",
        "empty.txt",
        "sheet.xlsx",
        "en-guide.md",
    ):
        assert any(source.endswith(name) for source in failed), name
        assert all(reason for reason in failed.values())
    assert {"legacy-gbk", "scripted"} <= set(report.added)
    assert "en-guide" in {d.id for d in service.documents()}
    assert read_current(service.settings.index_dir) != before
    after = service.ask("一级能效冰箱每台补贴多少？")
    assert after.citations == answer_before.citations


def test_limits_are_settings_and_a_slow_file_times_out(
    settings,
    corpus: Path,
    embedder,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    import time

    from assistant.ingest import pipeline

    real_load = pipeline.load_file

    def slow_for_one(path: Path, limits: LoadLimits):  # type: ignore[no-untyped-def]
        assert limits.max_pages == 7 and limits.max_file_bytes == 4_000_000
        if path.name == "zh-energy.docx":
            time.sleep(3)
        return real_load(path, limits)

    monkeypatch.setattr(pipeline, "load_file", slow_for_one)
    configured = settings.model_copy(
        update={"max_seconds_per_file": 1.0, "max_pdf_pages": 7, "max_file_bytes": 4_000_000}
    )
    report = PolicyService(configured, embedder).ingest(corpus)
    assert "longer than 1 s" in report.failed["documents/zh-energy.docx"]
    assert report.documents == 4
