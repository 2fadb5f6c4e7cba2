"""corpus/manifest.yaml agrees with the files in corpus/ and labels them honestly."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest

from assistant.ingest.manifest import load_manifest
from assistant.types import DocumentMeta
from tests.conftest import REPO

CORPUS = REPO / "corpus"
DOCUMENTS = CORPUS / "documents"
SOURCES = CORPUS / "sources"
NOTICE_ID = "notice-2022-industrial-economy"
MARKERS = ("示例文件", "ILLUSTRATIVE SAMPLE")

METAS = load_manifest(CORPUS)
ILLUSTRATIVE = [m for m in METAS if m.id != NOTICE_ID]


class _BodyText(HTMLParser):
    """Collects the text inside <body>, skipping <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.in_body = False
        self.skip = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            self.in_body = True
        elif tag in {"script", "style"}:
            self.skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "body":
            self.in_body = False
        elif tag in {"script", "style"} and self.skip:
            self.skip -= 1

    def handle_data(self, data: str) -> None:
        if self.in_body and not self.skip and data.strip():
            self.parts.append(data.strip())


def _first_text(meta: DocumentMeta) -> str:
    """The first non-empty line of a document's text (first <body> text for HTML)."""
    path = CORPUS / meta.source
    suffix = path.suffix.lower()
    if suffix in {".pdf", ".docx"}:
        path = SOURCES / f"{path.stem}.txt"
        assert path.is_file(), f"{meta.id}: no text source {path.relative_to(REPO)}"
    text = path.read_text(encoding="utf-8")
    if suffix in {".html", ".htm"}:
        parser = _BodyText()
        parser.feed(text)
        parser.close()
        return parser.parts[0] if parser.parts else ""
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def test_manifest_is_not_empty() -> None:
    assert len(METAS) >= 2


def test_every_listed_file_exists() -> None:
    missing = [m.source for m in METAS if not (CORPUS / m.source).is_file()]
    assert not missing, f"manifest lists missing files: {missing}"


def test_every_document_file_is_listed() -> None:
    listed = {m.source for m in METAS}
    on_disk = {
        p.relative_to(CORPUS).as_posix()
        for p in DOCUMENTS.rglob("*")
        if p.is_file() and not p.name.startswith(".")
    }
    unlisted = sorted(on_disk - listed)
    assert not unlisted, f"files in corpus/documents/ missing from the manifest: {unlisted}"


def test_ids_and_sources_are_unique() -> None:
    ids = Counter(m.id for m in METAS)
    sources = Counter(m.source for m in METAS)
    assert all(n == 1 for n in ids.values()), ids
    assert all(n == 1 for n in sources.values()), sources


def test_supersedes_points_at_real_documents() -> None:
    ids = {m.id for m in METAS}
    for meta in METAS:
        if meta.supersedes is not None:
            assert meta.supersedes in ids, f"{meta.id} supersedes unknown {meta.supersedes}"
            assert meta.supersedes != meta.id


def test_superseded_documents_have_a_successor() -> None:
    successors = {m.supersedes for m in METAS if m.supersedes}
    for meta in METAS:
        if meta.status == "superseded":
            assert meta.id in successors, f"{meta.id} is superseded but nothing supersedes it"


def test_only_the_notice_is_official() -> None:
    by_id = {m.id: m for m in METAS}
    assert NOTICE_ID in by_id
    assert by_id[NOTICE_ID].official is True
    for meta in ILLUSTRATIVE:
        assert meta.official is False, f"{meta.id} must be official: false"
        assert meta.note and "llustrative" in meta.note, f"{meta.id}: note must say illustrative"


@pytest.mark.parametrize("meta", ILLUSTRATIVE, ids=lambda m: m.id)
def test_illustrative_documents_say_so_first(meta: DocumentMeta) -> None:
    first = _first_text(meta)
    assert any(marker in first for marker in MARKERS), (
        f"{meta.id}: first line should carry an illustrative marker, got {first[:80]!r}"
    )


def test_language_mix() -> None:
    languages = Counter(m.language for m in METAS)
    assert languages["zh"] >= 4, languages
    assert languages["en"] >= 2, languages


def test_format_mix() -> None:
    suffixes = {Path(m.source).suffix.lower() for m in METAS}
    for suffix in (".pdf", ".docx", ".html"):
        assert suffix in suffixes, f"no {suffix} document in the corpus"


def test_status_mix() -> None:
    statuses = Counter(m.status for m in METAS)
    assert statuses["superseded"] >= 1, statuses
    assert statuses["expired"] >= 1, statuses
    assert statuses["in_force"] >= 1, statuses
