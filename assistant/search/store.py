"""The versioned index: one folder per version, switched in atomically through `CURRENT`.

    index/
      CURRENT                 name of the live version (replaced with os.replace)
      versions/<v>/
        index.json            model id and dimension, documents and their hashes, counts
        documents.jsonl       metadata, normalized text and page map of each document
        chunks.jsonl          clauses with provenance, in the order of vectors.npy
        vectors.npy           float32, L2-normalized
        keyword/              BM25 index over the chunks' embed texts
        chroma/               embedded Chroma store (absent when a Chroma server is used)
        COMPLETE              written last; a version without it is never opened
      jieba/                  the Chinese segmenter's cache

A version is immutable once complete, so readers never see a half-written index. Each
open version holds a shared flock on its folder; garbage collection deletes a folder only
under an exclusive one, so no process loses a version it is reading.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import shutil
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.errors import (
    BackendUnavailableError,
    BadInputError,
    IndexModelMismatchError,
    IndexNotReadyError,
    NotFoundError,
)
from assistant.search.embedding import Embedder, Vectors
from assistant.search.keyword import KeywordIndex, configure_jieba
from assistant.text import printable_text
from assistant.types import Chunk, ClauseView, Document, DocumentMeta, Measure, SearchHit

FILTER_FIELDS = ("doc_id", "level", "region", "status", "language", "official")
COMPLETE_MARKER = "COMPLETE"

log = logging.getLogger(__name__)


def versions_dir(index_dir: Path) -> Path:
    return index_dir / "versions"


def read_current(index_dir: Path) -> str | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    if name and (versions_dir(index_dir) / name / COMPLETE_MARKER).exists():
        return name
    return None


def write_current(index_dir: Path, version: str) -> None:
    tmp = index_dir / f"CURRENT.tmp-{os.getpid()}"
    tmp.write_text(version + "\n")
    with tmp.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, index_dir / "CURRENT")
    fd = os.open(index_dir, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def new_version_name(fingerprint: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
    return f"v{stamp}-{fingerprint[:8]}"


# Version 2: one Chroma collection per document language. A language filter then picks a
# collection instead of making Chroma scan every vector's metadata.
# Version 3: the keyword index holds English stems, so it must be read with the same
# tokenizer that built it.
INDEX_FORMAT = 3


def collection_name(version: str, language: str) -> str:
    return f"policyqa-{version}-{language}"


def chroma_client(settings: Settings, version_dir: Path) -> Any:
    """An embedded client in the version folder, or an HTTP client to the configured server.

    Release it with `close_chroma_client`; one left open is released when its version is
    removed.
    """
    import chromadb

    chroma_settings = chromadb.config.Settings(anonymized_telemetry=False, allow_reset=False)
    if settings.chroma_url:
        from urllib.parse import urlparse

        url = urlparse(settings.chroma_url)
        headers = (
            {"Authorization": f"Bearer {settings.chroma_token}"} if settings.chroma_token else None
        )
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                headers=headers,
                settings=chroma_settings,
            )
        except Exception as exc:
            raise BackendUnavailableError(
                f"cannot reach the Chroma server at {settings.chroma_url}: {exc}"
            ) from exc
    else:
        client = chromadb.PersistentClient(
            path=str(version_dir / "chroma"), settings=chroma_settings
        )
    _ChromaHandle.track(client, version_dir)
    return client


def close_chroma_client(client: Any) -> None:
    """Stop what the client holds: for an embedded store its SQLite handles, HNSW segments
    and threads (once no other client shares them); for a server its HTTP connections."""
    with _handles_lock:
        handle = _handles_by_client.pop(client, None)
    if handle is not None:
        handle.release()


class _ChromaHandle:
    """What one Chroma client holds, released once.

    Chroma keeps one System per store path (per client for a server) in a class-level
    cache, counted per client and stopped only when each client is closed; a client that is
    merely dropped keeps its threads and open files, deleted ones included, for the life of
    the process. The client's own `close()` also leaves the HTTP sessions open and, for a
    server, one cache entry behind, so release does both by hand.
    """

    def __init__(self, client: Any, key: str) -> None:
        holders = [client, client._admin_client]
        self.key = key
        self.identifiers = [holder._identifier for holder in holders]
        self.systems = [holder._system for holder in holders]
        self.sessions = [
            session
            for holder in holders
            if (session := getattr(holder._server, "_session", None)) is not None
        ]
        self.released = False

    @classmethod
    def track(cls, client: Any, version_dir: Path) -> None:
        handle = cls(client, _version_key(version_dir))
        with _handles_lock:
            _handles_by_client[client] = handle
            _handles_by_version.setdefault(handle.key, []).append(handle)

    @classmethod
    def release_version(cls, version_dir: Path) -> None:
        """Release every client this process still has open on a version being removed."""
        with _handles_lock:
            handles = _handles_by_version.pop(_version_key(version_dir), [])
        for handle in handles:
            handle.release()

    def release(self) -> None:
        from chromadb.api.shared_system_client import SharedSystemClient

        with _handles_lock:
            if self.released:
                return
            self.released = True
            siblings = _handles_by_version.get(self.key, [])
            if self in siblings:
                siblings.remove(self)
            if not siblings:
                _handles_by_version.pop(self.key, None)
        try:
            for identifier in self.identifiers:
                SharedSystemClient._release_system(identifier)
            cache = SharedSystemClient._identifier_to_system
            for identifier, system in list(cache.items()):
                ours = any(system is mine for mine in self.systems)
                if ours and identifier not in SharedSystemClient._identifier_to_refcount:
                    cache.pop(identifier, None)
            for session in self.sessions:
                session.close()
        except Exception:  # a failure to stop must not fail the request that switched
            log.warning("could not release a Chroma client", exc_info=True)


def _version_key(version_dir: Path) -> str:
    return str(version_dir.resolve())


_handles_lock = threading.Lock()
_handles_by_client: weakref.WeakKeyDictionary[Any, _ChromaHandle] = weakref.WeakKeyDictionary()
_handles_by_version: dict[str, list[_ChromaHandle]] = {}


def chunk_metadata(chunk: Chunk, meta: DocumentMeta) -> dict[str, str | int | bool]:
    return {
        "doc_id": chunk.doc_id,
        "level": meta.level,
        "region": meta.region or "",
        "status": meta.status,
        "language": meta.language,
        "official": meta.official,
        "page": chunk.page,
        "start": chunk.start,
        "end": chunk.end,
    }


@dataclass(frozen=True)
class IndexInfo:
    version: str
    model_id: str
    dimension: int
    created: str
    documents: dict[str, dict[str, Any]]
    clause_count: int
    vector_backend: str
    languages: tuple[str, ...] = ()
    format: int = 1

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "model_id": self.model_id,
            "dimension": self.dimension,
            "created": self.created,
            "documents": self.documents,
            "clause_count": self.clause_count,
            "vector_backend": self.vector_backend,
            "languages": list(self.languages),
            "format": self.format,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> IndexInfo:
        return cls(**{**data, "languages": tuple(data.get("languages", ()))})


def check_model(info: IndexInfo, embedder: Embedder, index_dir: Path) -> None:
    if info.model_id != embedder.model_id or info.dimension != embedder.dimension:
        raise IndexModelMismatchError(
            f"the index in {index_dir} was built with {info.model_id} ({info.dimension}-d), "
            f"but the configured embedder is {embedder.model_id} ({embedder.dimension}-d). "
            "Set POLICYQA_EMBEDDING_MODEL back, or rebuild with `policyqa ingest --rebuild`."
        )


def _document_to_json(document: Document) -> dict[str, Any]:
    return {
        "meta": document.meta.model_dump(mode="json"),
        "text": document.text,
        "page_starts": list(document.page_starts),
        "content_hash": document.content_hash,
        "heading_hints": {str(k): v for k, v in document.heading_hints.items()},
    }


def _document_from_json(data: Mapping[str, Any]) -> Document:
    return Document(
        meta=DocumentMeta.model_validate(data["meta"]),
        text=data["text"],
        page_starts=tuple(data["page_starts"]),
        content_hash=data["content_hash"],
        heading_hints={int(k): v for k, v in data["heading_hints"].items()},
    )


def read_documents(version_dir: Path) -> dict[str, Document]:
    """A written version's documents by id: what the store serves and a rebuild reuses."""
    documents: dict[str, Document] = {}
    with (version_dir / "documents.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            document = _document_from_json(json.loads(line))
            documents[document.doc_id] = document
    return documents


def read_chunks(version_dir: Path) -> list[Chunk]:
    """A written version's chunks, in the order of its vectors."""
    with (version_dir / "chunks.jsonl").open(encoding="utf-8") as handle:
        return [Chunk.from_dict(json.loads(line)) for line in handle]


def write_version(
    settings: Settings,
    version_dir: Path,
    info: IndexInfo,
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    vectors: Vectors,
    measures: Sequence[Measure],
) -> None:
    """Write every file of a version, then the COMPLETE marker. Idempotent on retry. The
    measures are the ingestion's reading of the chunks; the store only keeps them."""
    version_dir.mkdir(parents=True, exist_ok=True)
    metas = {d.doc_id: d.meta for d in documents}
    with (version_dir / "documents.jsonl").open("w", encoding="utf-8") as handle:
        for document in documents:
            handle.write(json.dumps(_document_to_json(document), ensure_ascii=False) + "\n")
    with (version_dir / "chunks.jsonl").open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")
    np.save(version_dir / "vectors.npy", vectors)
    with (version_dir / "measures.jsonl").open("w", encoding="utf-8") as handle:
        for measure in measures:
            handle.write(measure.model_dump_json() + "\n")
    KeywordIndex.build([c.embed_text for c in chunks]).save(version_dir / "keyword")

    client = chroma_client(settings, version_dir)
    try:
        for language in info.languages:
            name = collection_name(info.version, language)
            # Absent on a first try; Chroma raises different errors for that by backend.
            with contextlib.suppress(Exception):
                client.delete_collection(name)
            collection = client.create_collection(
                name,
                embedding_function=None,
                configuration={"hnsw": {"space": "cosine"}},
                metadata={"model_id": info.model_id, "dimension": info.dimension},
            )
            rows = [i for i, c in enumerate(chunks) if c.language == language]
            batch = 1000
            for i in range(0, len(rows), batch):
                part = rows[i : i + batch]
                collection.add(
                    ids=[chunks[r].clause_id for r in part],
                    embeddings=vectors[part],
                    metadatas=[chunk_metadata(chunks[r], metas[chunks[r].doc_id]) for r in part],
                )
    finally:
        close_chroma_client(client)
    (version_dir / "index.json").write_text(
        json.dumps(info.to_json(), ensure_ascii=False, indent=2), encoding="utf-8"
    )
    marker = version_dir / COMPLETE_MARKER
    marker.write_text(info.created + "\n")
    with marker.open("rb") as handle:
        os.fsync(handle.fileno())


def read_info(version_dir: Path) -> IndexInfo:
    return IndexInfo.from_json(json.loads((version_dir / "index.json").read_text("utf-8")))


def remove_version(settings: Settings, index_dir: Path, version: str) -> bool:
    """Delete a version unless a reader in any process has it open; True once it is gone.

    A version still open is left for a later collection: deleting it would break that
    reader's next query, and its open files would keep their disk space anyway.
    """
    version_dir = versions_dir(index_dir) / version
    try:
        fd = os.open(version_dir, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        return True
    except NotADirectoryError:
        return False
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        # Readers check the marker once they hold their lock, so none can start from here.
        (version_dir / COMPLETE_MARKER).unlink(missing_ok=True)
        _ChromaHandle.release_version(version_dir)
        if settings.chroma_url:
            _delete_collections(settings, version_dir, version)
        shutil.rmtree(version_dir, ignore_errors=True)
        return True
    finally:
        os.close(fd)


def _delete_collections(settings: Settings, version_dir: Path, version: str) -> None:
    # Already gone, or the server is down: the folder goes all the same.
    with contextlib.suppress(Exception):
        client = chroma_client(settings, version_dir)
        try:
            for collection in client.list_collections():
                name = getattr(collection, "name", collection)
                if str(name).startswith(f"policyqa-{version}-"):
                    client.delete_collection(str(name))
        finally:
            close_chroma_client(client)


def _lock_for_reading(version_dir: Path, version: str) -> int:
    """A shared flock on the version folder, held for as long as the version is open."""
    gone = _VersionGoneError(f"index version {version} has been removed; open the current one")
    try:
        fd = os.open(version_dir, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        raise gone from None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        if (version_dir / COMPLETE_MARKER).exists():
            return fd
    except BlockingIOError:
        pass  # being removed right now
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    raise gone


class _VersionGoneError(IndexNotReadyError):
    """The version was collected between reading `CURRENT` and opening it."""


class _Holdings:
    """What an open version holds outside Python's memory: its Chroma client and its
    reader lock. Released once, by `IndexVersion.close()` or when the version is dropped."""

    def __init__(self, lock_fd: int) -> None:
        self.lock_fd = lock_fd
        self.client: Any = None

    def release(self) -> None:
        client, self.client = self.client, None
        try:
            if client is not None:
                close_chroma_client(client)
        finally:
            # Last, so that the folder cannot be deleted while Chroma still has it open.
            fd, self.lock_fd = self.lock_fd, -1
            if fd >= 0:
                os.close(fd)


def normalize_filters(filters: Mapping[str, Any] | None) -> dict[str, list[Any]]:
    """{field: value | [values]} checked and turned into {field: [values]}."""
    out: dict[str, list[Any]] = {}
    for key, value in (filters or {}).items():
        if key not in FILTER_FIELDS:
            raise BadInputError(f"unknown filter {key!r}; use one of: {', '.join(FILTER_FIELDS)}")
        values = list(value) if isinstance(value, list | tuple | set) else [value]
        if not values:
            raise BadInputError(f"filter {key!r} has no values; give one or more")
        if key == "official":
            values = [
                v if isinstance(v, bool) else str(v).lower() in {"true", "1", "yes"} for v in values
            ]
        elif not all(isinstance(v, str) for v in values):
            raise BadInputError(f"filter {key!r} takes text values")
        elif any(printable_text(v, f"filter {key!r}") != v for v in values):
            raise BadInputError(f"filter {key!r} contains control characters")
        out[key] = values
    return out


def where_clause(filters: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Translate {field: value | [values]} into a Chroma `where`."""
    terms = [
        {key: values[0]} if len(values) == 1 else {key: {"$in": values}}
        for key, values in normalize_filters(filters).items()
    ]
    if not terms:
        return None
    return terms[0] if len(terms) == 1 else {"$and": terms}


class IndexVersion:
    """One complete, immutable index version, open for reading.

    Open, it holds a Chroma client (threads, SQLite handles, HNSW segments), its vectors
    mapped in memory, and a shared lock that keeps garbage collection off its folder. They
    go with `close()`, or else as soon as the last reference to the version goes: a request
    still mid-query on a version the service has switched away from keeps it open until
    the request returns.
    """

    def __init__(self, settings: Settings, index_dir: Path, version: str, embedder: Embedder):
        self.settings = settings
        self.index_dir = index_dir
        self.version = version
        self.dir = versions_dir(index_dir) / version
        holdings = _Holdings(_lock_for_reading(self.dir, version))
        self._release = weakref.finalize(self, holdings.release)
        try:
            self._open(embedder, holdings)
        except BaseException:
            self._release()
            raise

    def _open(self, embedder: Embedder, holdings: _Holdings) -> None:
        settings, index_dir, version = self.settings, self.index_dir, self.version
        self.info = read_info(self.dir)
        check_model(self.info, embedder, index_dir)
        configure_jieba(index_dir / "jieba")
        self.documents: dict[str, Document] = read_documents(self.dir)
        self.chunks: list[Chunk] = read_chunks(self.dir)
        self.position = {c.clause_id: i for i, c in enumerate(self.chunks)}
        # What places the corpus speaks for: regions, titles and issuers of its documents.
        self.coverage_text = " ".join(
            f"{d.meta.region or ''} {d.meta.title} {d.meta.issuer or ''}"
            for d in self.documents.values()
        )
        self.keyword = KeywordIndex.load(self.dir / "keyword")
        with (self.dir / "measures.jsonl").open(encoding="utf-8") as handle:
            self.measures = [Measure.model_validate_json(line) for line in handle]
        self._field_values: dict[str, np.ndarray[Any, Any]] = {}
        for key in FILTER_FIELDS:
            self._field_values[key] = np.array(
                [self._field(c, key) for c in self.chunks], dtype=object
            )
        if self.info.format != INDEX_FORMAT:
            raise IndexNotReadyError(
                f"index version {version} has an older layout; run `policyqa ingest` to rebuild"
            )
        self.languages = list(self.info.languages)
        try:
            client = holdings.client = chroma_client(settings, self.dir)
            self.collections = {
                language: client.get_collection(collection_name(version, language))
                for language in self.languages
            }
            self.sizes = {
                language: sum(1 for c in self.chunks if c.language == language)
                for language in self.languages
            }
        except BackendUnavailableError:
            raise
        except Exception as exc:
            raise BackendUnavailableError(
                f"cannot open the vector collection of index version {version}: {exc}"
            ) from exc
        self._lock = threading.Lock()
        # Memory-mapped, so the exact similarity of keyword-only candidates costs no RAM.
        self.vectors = np.load(self.dir / "vectors.npy", mmap_mode="r")

    @property
    def closed(self) -> bool:
        return not self._release.alive

    def close(self) -> None:
        """Release the version now. Only for its owner, when nothing is mid-query on it."""
        self._release()
        self.collections = {}
        # The mapping goes once no caller still holds a slice of it.
        self.vectors = np.zeros((0, self.info.dimension), dtype=np.float32)

    def _field(self, chunk: Chunk, key: str) -> Any:
        meta = self.documents[chunk.doc_id].meta
        return {
            "doc_id": chunk.doc_id,
            "level": meta.level,
            "region": meta.region or "",
            "status": meta.status,
            "language": meta.language,
            "official": meta.official,
        }[key]

    def mask(self, filters: Mapping[str, Any] | None) -> np.ndarray[Any, Any] | None:
        where = where_clause(filters)
        if where is None:
            return None
        mask = np.ones(len(self.chunks), dtype=bool)
        terms = where.get("$and", [where])
        for term in terms:
            ((key, condition),) = term.items()
            allowed = condition["$in"] if isinstance(condition, dict) else [condition]
            mask &= np.isin(self._field_values[key], np.array(allowed, dtype=object))
        return mask

    def dense(
        self, vector: Vectors, n: int, filters: Mapping[str, Any] | None = None
    ) -> list[tuple[int, float]]:
        if not self.chunks:
            return []
        if self.closed:
            raise IndexNotReadyError(
                f"index version {self.version} is closed; open the current one"
            )
        n = min(n, len(self.chunks))
        wanted = normalize_filters(filters)  # a bad filter is the caller's error
        only = wanted.pop("language", None)
        languages = [lang for lang in self.languages if only is None or lang in only]
        where = where_clause(wanted)
        positions: list[int] = []
        try:
            with self._lock:
                for language in languages:
                    size = self.sizes[language]
                    # Ask HNSW for more than needed (all of a small collection), then rank
                    # exactly: its approximate tail differs between store implementations.
                    wide = size if size <= 4 * n + 200 else 2 * n
                    result = self.collections[language].query(
                        query_embeddings=[vector.reshape(-1)],
                        n_results=max(1, min(wide, size)),
                        where=where,
                        include=["distances"],
                    )
                    positions += [self.position[c] for c in result["ids"][0] if c in self.position]
        except Exception as exc:
            raise BackendUnavailableError(f"vector search failed: {exc}") from exc
        if not positions:
            return []
        # HNSW is approximate and its order can differ between the embedded store and a
        # server; exact similarities over its candidates make the ranking the same anywhere.
        similarities = np.asarray(self.vectors[positions], dtype=np.float32) @ np.asarray(
            vector.reshape(-1), dtype=np.float32
        )
        ranked = sorted(
            zip(positions, similarities.tolist(), strict=True),
            key=lambda item: (-round(item[1], 6), item[0]),
        )
        return [(pos, float(sim)) for pos, sim in ranked[:n]]

    def chunk(self, clause_id: str) -> Chunk:
        position = self.position.get(clause_id)
        if position is None:
            raise NotFoundError(f"no clause {clause_id!r} in the index; search to find clause ids")
        return self.chunks[position]

    def document(self, doc_id: str) -> Document:
        try:
            return self.documents[doc_id]
        except KeyError:
            raise NotFoundError(
                f"no document {doc_id!r} in the index; `policyqa docs` lists them"
            ) from None

    def level(self, doc_id: str) -> str:
        document = self.documents.get(doc_id)
        return document.meta.level if document else "unknown"

    def chunks_of(self, doc_id: str) -> list[Chunk]:
        return [c for c in self.chunks if c.doc_id == doc_id]

    def clause_view(self, clause_id: str) -> ClauseView:
        """A clause with its neighbours in its document, and the document's metadata."""
        chunk = self.chunk(clause_id)
        siblings = self.chunks_of(chunk.doc_id)
        position = next(i for i, c in enumerate(siblings) if c.clause_id == clause_id)
        return ClauseView(
            chunk=chunk,
            document=self.document(chunk.doc_id).meta,
            previous=siblings[position - 1] if position > 0 else None,
            next=siblings[position + 1] if position + 1 < len(siblings) else None,
        )

    def document_metas(self, filters: Mapping[str, Any] | None = None) -> list[DocumentMeta]:
        """The documents' metadata, by id, keeping those whose fields equal the filters."""
        metas = [d.meta for d in self.documents.values()]
        for key, value in (filters or {}).items():
            field = "id" if key == "doc_id" else key
            if field not in DocumentMeta.model_fields:
                raise BadInputError(f"unknown document filter {key!r}")
            metas = [m for m in metas if str(getattr(m, field)).lower() == str(value).lower()]
        return sorted(metas, key=lambda m: m.id)

    def as_hit(self, chunk: Chunk) -> SearchHit:
        """A clause as a hit with no score: for quoting it outside a search."""
        meta = self.documents[chunk.doc_id].meta
        return SearchHit(chunk, 0.0, None, None, meta.display_title, meta.official, meta.status)


def open_current(settings: Settings, embedder: Embedder) -> IndexVersion:
    index_dir = settings.index_dir
    for _ in range(5):
        version = read_current(index_dir)
        if version is None:
            raise IndexNotReadyError(f"no index in {index_dir}; build one with `policyqa ingest`")
        try:
            return IndexVersion(settings, index_dir, version, embedder)
        except _VersionGoneError:
            continue  # switched and collected while this was opening it; read CURRENT again
    raise IndexNotReadyError(f"the index in {index_dir} is changing too fast to open; retry")


def complete_versions(index_dir: Path) -> list[str]:
    root = versions_dir(index_dir)
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if (p / COMPLETE_MARKER).exists())
