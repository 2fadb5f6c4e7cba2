"""Ingestion reads only files inside the corpus folder, and each of them once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.errors import BadInputError, DocumentLoadError
from assistant.ingest.loaders import load_file
from assistant.ingest.manifest import plan_corpus
from assistant.service import PolicyService

SECRET = "root:x:0:0:秘密口令 confidential-passphrase-4711"

ENTRY = """\
  - id: {id}
    title: {title}
    language: en
    source: {source}
"""


def _corpus(root: Path, sources: list[str]) -> Path:
    documents = root / "corpus" / "documents"
    documents.mkdir(parents=True)
    (documents / "a.txt").write_text("Article 1 Demo Town pays grants.\n", encoding="utf-8")
    entries = "".join(
        # JSON strings are YAML scalars, so a source may hold any character
        ENTRY.format(id=f"doc-{n}", title=f"Document {n}", source=json.dumps(source))
        for n, source in enumerate(sources)
    )
    (root / "corpus" / "manifest.yaml").write_text(f"documents:\n{entries}", encoding="utf-8")
    return root / "corpus"


def _secret(root: Path) -> Path:
    secret = root / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    return secret


def _read_paths(corpus: Path) -> set[Path]:
    return {path.resolve() for path, _ in plan_corpus(corpus).entries}


def test_a_link_to_a_file_outside_the_corpus_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, ["documents/a.txt"])
    secret = _secret(tmp_path)
    (corpus / "documents" / "passwd-link.txt").symlink_to(secret)
    plan = plan_corpus(corpus)
    assert secret.resolve() not in _read_paths(corpus)
    assert "outside the corpus" in plan.unsupported["documents/passwd-link.txt"]
    assert [meta.source for _, meta in plan.entries] == ["documents/a.txt"]


def test_a_linked_folder_that_leaves_the_corpus_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, ["documents/a.txt", "documents/outside/secret.txt"])
    _secret(tmp_path)
    (corpus / "documents" / "outside").symlink_to(tmp_path, target_is_directory=True)
    plan = plan_corpus(corpus)
    assert "outside the corpus" in plan.unsupported["documents/outside/secret.txt"]
    assert [meta.source for _, meta in plan.entries] == ["documents/a.txt"]


@pytest.mark.parametrize(
    "source",
    ["../secret.txt", "documents/../../secret.txt", "ABSOLUTE", "documents/a.txt\x00.pdf"],
)
def test_manifest_sources_that_leave_the_corpus_are_refused(tmp_path: Path, source: str) -> None:
    secret = _secret(tmp_path)
    if source == "ABSOLUTE":
        source = str(secret)
    corpus = _corpus(tmp_path, [source, "documents/a.txt"])
    plan = plan_corpus(corpus)
    assert secret.resolve() not in _read_paths(corpus)
    assert [meta.id for _, meta in plan.entries] == ["doc-1"]
    reasons = " ".join(plan.unsupported.values())
    assert "doc-0" in reasons and "manifest.yaml" in reasons
    assert str(tmp_path) not in reasons


def test_a_link_inside_the_corpus_is_read_once_through_its_target(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, ["documents/a.txt"])
    (corpus / "documents" / "b.txt").symlink_to("a.txt")
    plan = plan_corpus(corpus)
    assert [meta.source for _, meta in plan.entries] == ["documents/a.txt"]
    assert any("documents/b.txt" in w and "documents/a.txt" in w for w in plan.warnings)
    path, _ = plan.entries[0]
    assert not path.is_symlink()


def test_dot_components_do_not_ingest_a_file_twice(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, ["documents/./a.txt"])
    plan = plan_corpus(corpus)
    assert [(meta.id, meta.source) for _, meta in plan.entries] == [("doc-0", "documents/a.txt")]
    assert not plan.unsupported


def test_two_entries_for_one_file_are_reported(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, ["documents/a.txt", "documents//a.txt"])
    plan = plan_corpus(corpus)
    assert [meta.id for _, meta in plan.entries] == ["doc-0"]
    assert any("doc-1" in w and "doc-0" in w and "documents/a.txt" in w for w in plan.warnings)


def test_a_manifest_linked_from_outside_is_refused(tmp_path: Path) -> None:
    corpus = _corpus(tmp_path, ["documents/a.txt"])
    outside = tmp_path / "other.yaml"
    (corpus / "manifest.yaml").rename(outside)
    (corpus / "manifest.yaml").symlink_to(outside)
    with pytest.raises(BadInputError, match="outside the corpus"):
        plan_corpus(corpus)


def test_the_loader_does_not_follow_links(tmp_path: Path) -> None:
    secret = _secret(tmp_path)
    link = tmp_path / "link.txt"
    link.symlink_to(secret)
    with pytest.raises(DocumentLoadError, match="symbolic link"):
        load_file(link)


def test_a_named_pipe_is_not_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    with pytest.raises(DocumentLoadError, match="not a regular file"):
        load_file(fifo)


def test_a_link_to_a_secret_is_never_served(service: PolicyService, corpus: Path) -> None:
    secret = _secret(corpus.parent)
    (corpus / "documents" / "passwd-link.txt").symlink_to(secret)
    report = service.ingest(corpus)
    assert "outside the corpus" in report.failed["documents/passwd-link.txt"]
    assert all("passwd" not in meta.id for meta in service.documents())
    hits = service.search("confidential-passphrase-4711", top_k=20)
    assert all("4711" not in hit.chunk.text for hit in hits)
