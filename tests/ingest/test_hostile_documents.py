"""Broken, hostile and oversized documents: each fails alone, with a reason, and the live
index keeps answering."""

from __future__ import annotations

import hashlib
import struct
import tracemalloc
import zlib
from pathlib import Path

import pytest

from assistant.errors import DocumentLoadError
from assistant.ingest import loaders, pipeline
from assistant.ingest.chunking import ClauseChunker
from assistant.ingest.loaders import LoadLimits, load_file
from assistant.ingest.pipeline import _file_fingerprint, ingest_rules_digest
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
        (lambda d: hostile.flate_bomb_pdf(d / "flate.pdf"), "decompression bomb"),
        (lambda d: hostile.lying_size_docx(d / "liar.docx", 5_000_000), "zip bomb"),
    ],
)
def test_each_bad_file_fails_with_its_reason(tmp_path: Path, make, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path)
    limits = LoadLimits(max_pages=20, max_docx_uncompressed_bytes=1_000_000)
    with pytest.raises(DocumentLoadError) as info:
        load_file(path, limits)
    assert reason in info.value.message and path.name in info.value.message


def test_a_zip_directory_that_understates_sizes_is_caught_while_inflating(
    tmp_path: Path,
) -> None:
    path = hostile.lying_size_docx(tmp_path / "liar.docx", 5_000_000)
    load_file(hostile.xxe_docx(tmp_path / "warm.docx", tmp_path / "none"))  # imports
    tracemalloc.start()
    try:
        with pytest.raises(DocumentLoadError, match="zip bomb"):
            load_file(path, LoadLimits(max_docx_uncompressed_bytes=1_000_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 3_000_000


def test_docx_entities_stay_unexpanded(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("confidential-passphrase-4711", encoding="utf-8")
    text = load_file(hostile.xxe_docx(tmp_path / "xxe.docx", secret)).text
    assert text == "Article 1 Demo Town." and "4711" not in text
    with pytest.raises(DocumentLoadError, match=r"laughs\.docx"):
        load_file(hostile.xxe_docx(tmp_path / "laughs.docx", secret, laughs=True))


@pytest.mark.parametrize(
    "error",
    [struct.error("bad"), zlib.error("bad"), RecursionError(), ZeroDivisionError(), KeyError(1)],
    ids=lambda e: type(e).__name__,
)
def test_any_parser_failure_is_that_file_s_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise error

    monkeypatch.setattr(loaders, "_load_plain", broken)
    path = tmp_path / "plain.txt"
    path.write_text("Article 1.", encoding="utf-8")
    with pytest.raises(DocumentLoadError) as info:
        load_file(path)
    assert "plain.txt" in info.value.message and type(error).__name__ in info.value.message


def test_the_fingerprint_does_not_read_an_oversized_file(tmp_path: Path) -> None:
    chunker = ClauseChunker(800, 1)
    sparse = tmp_path / "sparse.txt"
    with sparse.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    tracemalloc.start()
    try:
        first = _file_fingerprint(sparse, "{}", chunker, 1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4_000_000
    with sparse.open("r+b") as handle:
        handle.truncate(65 * 1024 * 1024)
    assert _file_fingerprint(sparse, "{}", chunker, 1_000_000) != first


def test_the_fingerprint_of_a_readable_file_is_unchanged(tmp_path: Path) -> None:
    chunker = ClauseChunker(800, 1)
    path = tmp_path / "a.txt"
    data = b"Article 1. " * 300_000  # several read blocks
    path.write_bytes(data)
    rules = ingest_rules_digest().encode()
    expected = hashlib.sha256(data + b'{"id": "a"}' + b"800/1" + rules).hexdigest()
    assert _file_fingerprint(path, '{"id": "a"}', chunker, 50_000_000) == expected


def test_a_change_to_the_ingest_rules_reads_every_document_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unchanged bytes under changed chunking code are not "unchanged": the fingerprint
    carries the digest of the ingest code."""
    chunker = ClauseChunker(800, 1)
    path = tmp_path / "a.txt"
    path.write_text("第一条 本办法。", "utf-8")
    before = _file_fingerprint(path, "{}", chunker, 1_000_000)
    monkeypatch.setattr(pipeline, "ingest_rules_digest", lambda: "other rules")
    assert _file_fingerprint(path, "{}", chunker, 1_000_000) != before
    assert len(ingest_rules_digest()) == 64


def test_a_file_that_cannot_be_opened_still_gets_a_fingerprint(tmp_path: Path) -> None:
    chunker = ClauseChunker(800, 1)
    link = tmp_path / "dangling.txt"
    link.symlink_to(tmp_path / "missing.txt")
    assert _file_fingerprint(link, "{}", chunker, 1_000_000)
    assert _file_fingerprint(tmp_path / "gone.txt", "{}", chunker, 1_000_000)


def test_legacy_encodings_and_scripts_are_handled(tmp_path: Path) -> None:
    assert "规模以上工业企业" in load_file(hostile.gbk_text(tmp_path / "gbk.txt")).text
    assert load_file(hostile.big5_text(tmp_path / "big5.txt")).text == hostile.BIG5_TEXT
    assert load_file(hostile.cp1252_text(tmp_path / "w.txt")).text == hostile.CP1252_TEXT
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
    hostile.flate_bomb_pdf(documents / "flate.pdf")
    with (documents / "sparse.txt").open("wb") as handle:
        handle.truncate(service.settings.max_file_bytes + 1)
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
        "flate.pdf",
        "sparse.txt",
    ):
        assert any(source.endswith(name) for source in failed), name
        assert all(reason for reason in failed.values())
    assert {"legacy-gbk", "scripted"} <= set(report.added)
    assert "en-guide" in {d.id for d in service.documents()}
    assert read_current(service.settings.index_dir) != before
    after = service.ask("一级能效冰箱每台补贴多少？")
    assert after.citations == answer_before.citations
