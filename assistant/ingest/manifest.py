"""The corpus manifest (corpus/manifest.yaml) and the documents it describes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from assistant.errors import BadInputError
from assistant.ingest.loaders import SUPPORTED_SUFFIXES
from assistant.types import DocumentMeta

MANIFEST_NAME = "manifest.yaml"
_SKIP_NAMES = {"readme.md", MANIFEST_NAME}
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass
class CorpusPlan:
    """Which files to ingest, with their metadata, and what was wrong with the manifest."""

    entries: list[tuple[Path, DocumentMeta]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unsupported: dict[str, str] = field(default_factory=dict)


def _slug(stem: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")
    return (slug or "document")[:80].rjust(2, "x")


def infer_meta(path: Path, corpus_dir: Path, text_sample: str = "") -> DocumentMeta:
    first_line = next((x.strip() for x in text_sample.splitlines() if x.strip()), path.stem)
    cjk = len(_CJK.findall(text_sample[:2000]))
    return DocumentMeta(
        id=_slug(path.stem),
        title=first_line[:200],
        language="zh" if cjk > 20 else "en",
        source=path.relative_to(corpus_dir).as_posix(),
        official=False,
        in_manifest=False,
    )


def _document_files(corpus_dir: Path) -> list[Path]:
    root = corpus_dir / "documents" if (corpus_dir / "documents").is_dir() else corpus_dir
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.lower() in _SKIP_NAMES or path.name.startswith("."):
            continue
        if root == corpus_dir and path.parent != corpus_dir and path.parent.name == "sources":
            continue
        files.append(path)
    return files


def load_manifest(corpus_dir: Path) -> list[DocumentMeta]:
    path = corpus_dir / MANIFEST_NAME
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = data.get("documents", []) if isinstance(data, dict) else None
        if not isinstance(entries, list):
            raise BadInputError(f"{path}: expected a mapping with a `documents` list")
        metas = [DocumentMeta.model_validate(entry) for entry in entries]
    except yaml.YAMLError as exc:
        raise BadInputError(f"{path}: not valid YAML ({exc})") from exc
    except ValidationError as exc:
        raise BadInputError(f"{path}: invalid entry: {exc}") from exc
    ids = [m.id for m in metas]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise BadInputError(f"{path}: duplicate document ids: {', '.join(duplicates)}")
    known = set(ids)
    for meta in metas:
        if meta.supersedes and meta.supersedes not in known:
            raise BadInputError(f"{path}: {meta.id} supersedes unknown document {meta.supersedes}")
    return metas


def plan_corpus(corpus_dir: Path) -> CorpusPlan:
    """Pair every document file with its manifest entry (or inferred metadata)."""
    if not corpus_dir.is_dir():
        raise BadInputError(f"corpus folder {corpus_dir} does not exist")
    plan = CorpusPlan()
    by_source = {m.source: m for m in load_manifest(corpus_dir)}
    seen: set[str] = set()
    for meta in by_source.values():
        path = corpus_dir / meta.source
        if not path.is_file():
            plan.warnings.append(f"manifest lists {meta.source} for {meta.id}, but it is missing")
            continue
        plan.entries.append((path, meta))
        seen.add(meta.source)
    ids = {m.id for _, m in plan.entries}
    for path in _document_files(corpus_dir):
        source = path.relative_to(corpus_dir).as_posix()
        if source in seen:
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            plan.unsupported[source] = f"unsupported file type {path.suffix or '(none)'!r}"
            continue
        meta = infer_meta(path, corpus_dir)
        base, n = meta.id, 2
        while meta.id in ids:
            meta = meta.model_copy(update={"id": f"{base}-{n}"})
            n += 1
        ids.add(meta.id)
        plan.warnings.append(
            f"{source} is not in {MANIFEST_NAME}; ingested as {meta.id} with inferred metadata"
        )
        plan.entries.append((path, meta))
    return plan
