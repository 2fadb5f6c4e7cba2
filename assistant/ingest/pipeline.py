"""Ingestion: load → chunk → embed → write a new index version → switch atomically.

Only changed documents are re-chunked and re-embedded; unchanged ones are carried over
from the live version with their vectors. The live version is never modified: a crash or
a bad file at any point leaves it answering exactly as before.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import functools
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.config import Settings
from assistant.errors import DocumentLoadError, IngestInProgressError
from assistant.ingest.chunking import ClauseChunker
from assistant.ingest.conditions import measure_of
from assistant.ingest.loaders import LoadedText, LoadLimits, display_name, open_regular_file
from assistant.ingest.manifest import infer_meta, plan_corpus
from assistant.ingest.sandbox import LoaderSandbox
from assistant.search.embedding import Embedder, Vectors
from assistant.search.keyword import configure_jieba
from assistant.search.store import (
    INDEX_FORMAT,
    IndexInfo,
    check_model,
    complete_versions,
    new_version_name,
    read_chunks,
    read_current,
    read_documents,
    read_info,
    remove_version,
    versions_dir,
    write_current,
    write_version,
)
from assistant.types import Chunk, Document, DocumentMeta, IngestReport

log = logging.getLogger(__name__)

# Called with (stage, done, total); the CLI drives its progress bar with it.
ProgressCallback = Callable[[str, int, int], None]
# Called at named points of a build; tests use it to inject crashes.
StageHook = Callable[[str], None]


@dataclass
class _Previous:
    info: IndexInfo
    documents: dict[str, Document]
    chunks: dict[str, list[Chunk]]
    vectors: dict[str, Vectors]


@contextlib.contextmanager
def ingest_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / ".ingest.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IngestInProgressError(
                f"another ingestion is writing {index_dir}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@functools.cache
def ingest_rules_digest() -> str:
    """The digest of the code that turns a file into clauses and measures (the ingest
    package, and the data files it reads): a document whose bytes are unchanged is read
    again after an upgrade changes how it is read, so the index never keeps clauses the
    running code would not make ("It also proposes:" as a clause of its own)."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for source in sorted([*package.glob("*.py"), *package.parent.glob("data/*.json")]):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def _file_fingerprint(path: Path, meta_json: str, chunker: ClauseChunker, max_bytes: int) -> str:
    """What decides whether a document must be read again: its bytes, entry and chunking.

    A file over `max_bytes`, or one that cannot be opened, is fingerprinted by its size or
    error alone, without reading it; the loader then fails it with the reason.
    """
    digest = hashlib.sha256()
    try:
        with open_regular_file(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > max_bytes:
                digest.update(f"\0over the limit: {size}".encode())
            else:
                left = max_bytes + 1  # a file that grows while it is hashed stops here
                while left > 0 and (block := handle.read(min(left, 1 << 20))):
                    digest.update(block)
                    left -= len(block)
    except OSError as exc:
        digest.update(f"\0unreadable: {exc.errno}".encode())
    digest.update(meta_json.encode())
    digest.update(f"{chunker.max_chars}/{chunker.overlap_sentences}".encode())
    digest.update(ingest_rules_digest().encode())
    return digest.hexdigest()


def _load_previous(index_dir: Path, version: str) -> _Previous:
    vdir = versions_dir(index_dir) / version
    info = read_info(vdir)
    documents = read_documents(vdir)
    all_vectors = np.load(vdir / "vectors.npy")
    chunks: dict[str, list[Chunk]] = {}
    rows: dict[str, list[int]] = {}
    for row, chunk in enumerate(read_chunks(vdir)):
        chunks.setdefault(chunk.doc_id, []).append(chunk)
        rows.setdefault(chunk.doc_id, []).append(row)
    vectors = {doc_id: all_vectors[r] for doc_id, r in rows.items()}
    return _Previous(info, documents, chunks, vectors)


@dataclass
class _Build:
    """What one build has gathered so far: the documents it keeps, their clauses and
    vectors, what changed, and what went wrong."""

    corpus_dir: Path
    previous: _Previous | None
    rebuild: bool
    started: float = field(default_factory=time.perf_counter)
    documents: list[Document] = field(default_factory=list)
    doc_chunks: dict[str, list[Chunk]] = field(default_factory=dict)
    doc_vectors: dict[str, Vectors] = field(default_factory=dict)
    fingerprints: dict[str, dict[str, str]] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    to_embed: list[Chunk] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def removed(self) -> list[str]:
        kept = {d.doc_id for d in self.documents}
        return sorted(set(self.previous.documents) - kept) if self.previous else []

    @property
    def nothing_changed(self) -> bool:
        previous = self.previous
        if previous is None or self.rebuild or previous.info.format != INDEX_FORMAT:
            return False
        return not (self.added or self.updated or self.removed)

    def keep(self, document: Document, chunks: list[Chunk], vectors: Vectors | None) -> None:
        self.documents.append(document)
        self.doc_chunks[document.doc_id] = chunks
        if vectors is not None:
            self.doc_vectors[document.doc_id] = vectors

    def report(self, version: str | None, embedded: int) -> IngestReport:
        return IngestReport(
            version=version,
            documents=len(self.documents),
            clauses=sum(len(self.doc_chunks[d.doc_id]) for d in self.documents),
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            removed=self.removed,
            failed=self.failed,
            warnings=self.warnings,
            seconds=time.perf_counter() - self.started,
            embedded_clauses=embedded,
        )


class IndexBuilder:
    """Builds a new index version from a corpus folder and switches it in: plan what the
    corpus holds, reuse what has not changed, load and chunk the rest, embed, write."""

    # The loader process of the build in progress; files are read in it.
    _sandbox: LoaderSandbox | None = None

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.chunker = ClauseChunker(settings.chunk_max_chars, settings.chunk_overlap_sentences)
        self.limits = LoadLimits(
            max_file_bytes=settings.max_file_bytes,
            max_pages=settings.max_pdf_pages,
            max_chars=settings.max_document_chars,
            max_docx_uncompressed_bytes=settings.max_docx_unpacked_bytes,
        )

    def build(
        self,
        corpus_dir: Path,
        *,
        rebuild: bool = False,
        progress: ProgressCallback | None = None,
        stage_hook: StageHook | None = None,
    ) -> IngestReport:
        index_dir = self.settings.index_dir
        with ingest_lock(index_dir), self._loading():
            configure_jieba(index_dir / "jieba")
            self._collect_garbage(index_dir)
            current = read_current(index_dir)
            state = _Build(corpus_dir, self._previous(index_dir, current, rebuild), rebuild)
            plan = plan_corpus(corpus_dir)
            state.warnings += plan.warnings
            state.failed.update(plan.unsupported)
            for number, (path, meta) in enumerate(plan.entries, start=1):
                if progress:
                    progress("load", number, len(plan.entries))
                self._take(state, path, meta)
            if state.nothing_changed:
                return state.report(current, 0)
            self._embed_new(state, progress)
            if stage_hook:
                stage_hook("embedded")
            version = self._write(state, progress, stage_hook)
            self._collect_garbage(index_dir)
            return state.report(version, len(state.to_embed))

    def _previous(self, index_dir: Path, current: str | None, rebuild: bool) -> _Previous | None:
        """The live version, whose unchanged documents are reused; none after a model change
        on a rebuild (its vectors cannot be mixed with the new model's)."""
        if current is None:
            return None
        previous = _load_previous(index_dir, current)
        if not rebuild:
            check_model(previous.info, self.embedder, index_dir)
        elif previous.info.model_id != self.embedder.model_id:
            return None
        return previous

    def _take(self, state: _Build, path: Path, meta: DocumentMeta) -> None:
        """One planned file: reused when its fingerprint is unchanged, else loaded and
        chunked; on a load failure its last good version is kept."""
        previous, source = state.previous, meta.source
        fingerprint = _file_fingerprint(
            path, meta.model_dump_json(), self.chunker, self.limits.max_file_bytes
        )
        stamp = {"fingerprint": fingerprint, "source": source}
        old = previous.info.documents.get(meta.id) if previous else None
        unchanged = old is not None and old.get("fingerprint") == fingerprint
        if previous and unchanged and meta.id in previous.documents and not state.rebuild:
            empty = np.zeros((0, self.embedder.dimension), np.float32)
            state.keep(
                previous.documents[meta.id],
                previous.chunks.get(meta.id, []),
                previous.vectors.get(meta.id, empty),
            )
            state.fingerprints[meta.id] = stamp
            state.unchanged.append(meta.id)
            return
        try:
            loaded = self._load_in_time(path)
        except DocumentLoadError as exc:
            state.failed[source] = exc.message
            if previous and meta.id in previous.documents:
                # Keep the last good version of a document rather than lose it.
                state.keep(
                    previous.documents[meta.id],
                    previous.chunks.get(meta.id, []),
                    previous.vectors[meta.id],
                )
                state.fingerprints[meta.id] = dict(previous.info.documents[meta.id])
                state.warnings.append(f"{source}: kept the previously indexed version")
            return
        state.warnings.extend(loaded.warnings)
        if not meta.in_manifest:
            inferred = infer_meta(path, state.corpus_dir, loaded.text, loaded.heading_hints)
            meta = inferred.model_copy(update={"id": meta.id})
        document = Document(
            meta, loaded.text, loaded.page_starts, loaded.content_hash, loaded.heading_hints
        )
        chunks = self.chunker.chunk(document)
        if not chunks:
            state.failed[source] = f"{display_name(path)}: no clauses could be read from the text"
            return
        state.keep(document, chunks, None)
        state.to_embed.extend(chunks)
        state.fingerprints[meta.id] = stamp
        (state.updated if previous and meta.id in previous.documents else state.added).append(
            meta.id
        )

    def _embed_new(self, state: _Build, progress: ProgressCallback | None) -> None:
        vectors = self._embed(state.to_embed, progress)
        start = 0
        for chunk_list in _group(state.to_embed):
            state.doc_vectors[chunk_list[0].doc_id] = vectors[start : start + len(chunk_list)]
            start += len(chunk_list)

    def _write(
        self, state: _Build, progress: ProgressCallback | None, stage_hook: StageHook | None
    ) -> str:
        """Write the new version beside the live one, then switch `CURRENT` to it."""
        index_dir = self.settings.index_dir
        documents = sorted(state.documents, key=lambda d: d.doc_id)
        all_chunks = [c for d in documents for c in state.doc_chunks[d.doc_id]]
        all_vectors = (
            np.vstack([state.doc_vectors[d.doc_id] for d in documents])
            if documents
            else np.zeros((0, self.embedder.dimension), np.float32)
        )
        version = new_version_name(
            hashlib.sha256(json.dumps(state.fingerprints, sort_keys=True).encode()).hexdigest()
        )
        info = IndexInfo(
            version=version,
            model_id=self.embedder.model_id,
            dimension=self.embedder.dimension,
            created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            documents={
                d.doc_id: {
                    **state.fingerprints[d.doc_id],
                    "clauses": len(state.doc_chunks[d.doc_id]),
                }
                for d in documents
            },
            clause_count=len(all_chunks),
            vector_backend="chroma-http" if self.settings.chroma_url else "chroma-embedded",
            languages=tuple(sorted({c.language for c in all_chunks})),
            format=INDEX_FORMAT,
        )
        if progress:
            progress("write", 0, 1)
        measures = [m for c in all_chunks if (m := measure_of(c)) is not None]
        write_version(
            self.settings,
            versions_dir(index_dir) / version,
            info,
            documents,
            all_chunks,
            all_vectors,
            measures,
        )
        if stage_hook:
            stage_hook("written")
        write_current(index_dir, version)
        if stage_hook:
            stage_hook("switched")
        if progress:
            progress("write", 1, 1)
        return version

    @contextlib.contextmanager
    def _loading(self) -> Iterator[None]:
        """One loader process serves the whole build, and is gone when the build ends."""
        with LoaderSandbox(self.limits, self.settings.max_seconds_per_file) as sandbox:
            self._sandbox = sandbox
            try:
                yield
            finally:
                self._sandbox = None

    def _load_in_time(self, path: Path) -> LoadedText:
        """Load one file in a worker process that is killed past `max_seconds_per_file`.

        A parser stuck on a pathological file cannot be stopped inside this process, and
        left running it would hold a core (and the server's latency) for minutes.
        """
        if self._sandbox is not None:
            return self._sandbox.load(path)
        with LoaderSandbox(self.limits, self.settings.max_seconds_per_file) as sandbox:
            return sandbox.load(path)

    def _embed(self, chunks: list[Chunk], progress: ProgressCallback | None) -> Vectors:
        if not chunks:
            return np.zeros((0, self.embedder.dimension), dtype=np.float32)
        # The embedder batches on its own; this is how often progress is reported.
        batch = self.settings.embedding_batch_size or 64
        parts = []
        for i in range(0, len(chunks), batch):
            parts.append(
                self.embedder.embed_documents([c.embed_text for c in chunks[i : i + batch]])
            )
            if progress:
                progress("embed", min(i + batch, len(chunks)), len(chunks))
        return np.vstack(parts)

    def _collect_garbage(self, index_dir: Path) -> None:
        """Remove interrupted builds and all but the newest complete versions.

        A version some reader (in any process) still has open stays until a later build
        finds it released.
        """
        root = versions_dir(index_dir)
        if not root.exists():
            return
        current = read_current(index_dir)
        complete = complete_versions(index_dir)
        keep = set(complete[-self.settings.keep_versions :])
        if current:
            keep.add(current)
        for path in root.iterdir():
            if path.name not in keep and not remove_version(self.settings, index_dir, path.name):
                log.info("index version %s is still open; it is removed later", path.name)


def _group(chunks: list[Chunk]) -> Iterator[list[Chunk]]:
    group: list[Chunk] = []
    for chunk in chunks:
        if group and chunk.doc_id != group[0].doc_id:
            yield group
            group = []
        group.append(chunk)
    if group:
        yield group
