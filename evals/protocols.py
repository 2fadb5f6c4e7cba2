"""The three ways `policyqa eval` measures, each scoring only questions the constants were
not tuned on: the test split, leaving each document out, and documents that are not in the
bundled corpus.

The constants are what `evals/calibrate.py` tunes (the cross-language bonus and the two
support thresholds). They are applied as Settings of a service over the one open index of
the bundled corpus: none of them changes what is indexed.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from assistant.answer.generative import Generator
from assistant.config import Settings
from assistant.ingest.loaders import SUPPORTED_SUFFIXES
from assistant.search.embedding import Embedder, LangChainEmbeddings
from assistant.search.store import IndexVersion
from assistant.service import PolicyService
from evals.baselines import KeywordSystem, NaiveLangChainSystem
from evals.calibrate import Calibration, Constants, Searches, calibrate
from evals.dataset import DEFAULT_DATASET, Question, load_questions, stratified_subset
from evals.run import Scored, aggregate, score
from evals.splits import SplitRecord, document_folds, partition
from evals.systems import CachedEmbedder, PolicyQASystem, SharedIndexService, System

FLOOR_DATASET = DEFAULT_DATASET.name


@dataclass
class Harness:
    """The open index of the bundled corpus, and what every protocol shares over it."""

    settings: Settings
    embedder: Embedder  # the plain one, wherever latency is measured
    index: IndexVersion
    generator: Generator | None = None
    _services: dict[Constants, PolicyService] = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, service: PolicyService) -> Harness:
        return cls(service.settings, service.embedder, service.snapshot(), service.generator)

    @cached_property
    def cached(self) -> CachedEmbedder:
        return CachedEmbedder(self.embedder)

    @cached_property
    def searches(self) -> Searches:
        return Searches(self.settings, self.cached, self.index)

    @cached_property
    def texts(self) -> dict[str, str]:
        return {doc_id: d.text for doc_id, d in self.index.documents.items()}

    @cached_property
    def baselines(self) -> list[System]:
        # The remembering embedder: each question's latency is still measured the first
        # time the baseline sees it, which is in the test split, and the leave-out runs
        # that see it again measure no latency.
        embeddings = LangChainEmbeddings(self.cached)
        return [NaiveLangChainSystem(self.index, embeddings), KeywordSystem(self.index)]

    def service(self, constants: Constants) -> PolicyService:
        """A service with these constants that remembers question vectors: for runs that
        do not measure latency."""
        if constants not in self._services:
            self._services[constants] = SharedIndexService(
                constants.settings(self.settings), self.cached, self.index
            )
        return self._services[constants]


@dataclass
class ProtocolResult:
    scored: Scored
    details: dict[str, Any]

    def summary(self) -> dict[str, Any]:
        return {**self.scored.summary(), **self.details}


def _subset(questions: Sequence[Question], per_kind: int | None) -> list[Question]:
    return stratified_subset(questions, per_kind) if per_kind else list(questions)


def evaluate_test_split(
    harness: Harness,
    questions: Sequence[Question],
    *,
    baselines: bool = True,
    generative: bool = False,
    per_kind: int | None = None,
    record: SplitRecord | None = None,
    latency: bool = True,
) -> tuple[ProtocolResult, Calibration]:
    """Constants tuned on the dev questions; every system scored on the test questions.
    Without `latency`, each question is embedded once for all systems, and the latencies
    reported mean nothing."""
    started = time.perf_counter()
    split = partition(questions, record)
    calibration = calibrate(split.dev, harness.searches)
    service = SharedIndexService(
        calibration.constants.settings(harness.settings),
        harness.embedder if latency else harness.cached,
        harness.index,
        harness.generator,
    )
    systems: list[System] = [PolicyQASystem(service, "extractive")]
    if generative:
        systems.append(PolicyQASystem(service, "generative"))
    if baselines:
        systems += harness.baselines
    scored = score(_subset(split.test, per_kind), systems, harness.texts, {"protocol": "test"})
    floor_rows = {
        name: [r for r in rows if r["source"] == FLOOR_DATASET]
        for name, rows in scored.rows.items()
    }
    details = {
        # The floors in thresholds.json were set on the golden set, so they are checked on
        # its test questions; the other sets are reported beside them.
        "floor_check": {
            "questions": f"{FLOOR_DATASET}, test split",
            "systems": {name: aggregate(rows) for name, rows in floor_rows.items()},
        },
        "constants": asdict(calibration.constants),
        "dev_questions": len(split.dev),
        "test_questions": len(split.test),
        "unrecorded": [q.id for q in split.unrecorded],
        "seconds": round(time.perf_counter() - started, 1),
    }
    return ProtocolResult(scored, details), calibration


def leave_one_document_out(
    harness: Harness,
    questions: Sequence[Question],
    *,
    baselines: bool = True,
    per_kind: int | None = None,
    documents: Sequence[str] | None = None,
) -> ProtocolResult:
    """For each document of the manifest: constants tuned on the questions about the other
    documents, scored on the questions about this one. Rows are pooled over the documents
    (a question about two documents is scored with each)."""
    started = time.perf_counter()
    doc_ids = [d for d, doc in sorted(harness.index.documents.items()) if doc.meta.in_manifest]
    folds = document_folds(questions, doc_ids)
    scored_ids = {q.id for q in _subset(questions, per_kind)}
    pooled, by_document = Scored(), {}
    for doc_id in documents or doc_ids:
        held_out = folds[doc_id]
        held_ids = {q.id for q in held_out}
        tuned = calibrate([q for q in questions if q.id not in held_ids], harness.searches)
        systems: list[System] = [PolicyQASystem(harness.service(tuned.constants))]
        if baselines:
            systems += harness.baselines
        scored = score(
            [q for q in held_out if q.id in scored_ids],
            systems,
            harness.texts,
            {"protocol": "leave_one_document_out", "held_out": doc_id},
        )
        pooled.extend(scored)
        by_document[doc_id] = {
            "held_out": len(held_out),
            "constants": asdict(tuned.constants),
            "systems": scored.summary()["systems"],
        }
    details = {
        "by_document": by_document,
        "seconds": round(time.perf_counter() - started, 1),
    }
    return ProtocolResult(pooled, details)


def new_document_files(folder: Path) -> list[Path]:
    """The documents of a new-documents folder: its documents/ subfolder when it has one
    (beside it may be the sources they were generated from), else its own files."""
    root = folder / "documents" if (folder / "documents").is_dir() else folder
    return sorted(
        path
        for path in root.iterdir()
        if path.is_file()
        and path.suffix.lower() in SUPPORTED_SUFFIXES
        and path.name.lower() != "readme.md"
    )


def new_documents(
    harness: Harness,
    folder: Path,
    constants: Constants,
    *,
    corpus_dir: Path | None = None,
    baselines: bool = True,
    per_kind: int | None = None,
) -> ProtocolResult | None:
    """The bundled corpus plus documents it does not have, indexed afresh with the new ones
    unlisted in the manifest (so their metadata is read from their text), and the
    questions about them scored with `constants`. None when the folder has no questions."""
    questions_path = folder / "questions.jsonl"
    if not questions_path.exists():
        return None
    bundled = corpus_dir or harness.settings.corpus_dir
    if not (bundled / "documents").is_dir():
        raise ValueError(
            f"the bundled corpus is not at {bundled}; run from the repository root or set "
            "POLICYQA_CORPUS_DIR"
        )
    started = time.perf_counter()
    questions = _subset(load_questions(questions_path), per_kind)
    with tempfile.TemporaryDirectory(prefix="policyqa-new-documents-") as tmp:
        corpus = _corpus_with(bundled, new_document_files(folder), Path(tmp) / "corpus")
        # A private embedded store: nothing of this index outlives the run.
        settings = constants.settings(harness.settings).model_copy(
            update={"index_dir": Path(tmp) / "index", "corpus_dir": corpus, "chroma_url": None}
        )
        service = PolicyService(settings, harness.embedder)
        try:
            report = service.ingest(corpus)
            index = service.snapshot()
            systems: list[System] = [PolicyQASystem(service)]
            if baselines:
                embeddings = LangChainEmbeddings(harness.embedder)
                systems += [NaiveLangChainSystem(index, embeddings), KeywordSystem(index)]
            texts = {doc_id: d.text for doc_id, d in index.documents.items()}
            scored = score(questions, systems, texts, {"protocol": "new_documents"})
            known = set(index.position)
            details = {
                "constants": asdict(constants),
                "documents": {
                    d.doc_id: d.meta.title
                    for d in index.documents.values()
                    if not d.meta.in_manifest
                },
                "metadata": metadata_read(index, folder / "expected_metadata.json"),
                "failed": report.failed,
                "unknown_clauses": sorted(
                    {c for q in questions for c in q.expected_clauses if c not in known}
                ),
                "seconds": round(time.perf_counter() - started, 1),
            }
        finally:
            service.close()
    return ProtocolResult(scored, details)


def _corpus_with(bundled: Path, files: list[Path], corpus: Path) -> Path:
    """A copy of the bundled corpus with `files` dropped into its documents, unlisted."""
    shutil.copytree(bundled, corpus)
    for path in files:
        target = corpus / "documents" / path.name
        if target.exists():
            raise ValueError(f"{path.name} is already a document of the bundled corpus")
        shutil.copy2(path, target)
    return corpus


def metadata_read(index: IndexVersion, expected_path: Path) -> dict[str, dict[str, bool]]:
    """For each new document, whether each field of its expected metadata (what a reader
    finds in its text) was read so at ingestion. Empty without an expectations file."""
    if not expected_path.exists():
        return {}
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    found: dict[str, dict[str, bool]] = {}
    for entry in expected["documents"]:
        document = index.documents.get(entry["doc_id"])
        meta = document.meta.model_dump(mode="json") if document else {}
        found[entry["doc_id"]] = {
            name: _field_matches(name, want, meta.get(name))
            for name, want in entry.items()
            if name not in {"doc_id", "doc_file"}
        }
    return found


def _field_matches(name: str, expected: Any, got: Any) -> bool:
    if got is None or expected is None:
        return bool(got == expected)
    if name == "issuer":  # several issuing bodies, read into one line
        wanted = expected if isinstance(expected, list) else [expected]
        return all(str(issuer) in str(got) for issuer in wanted)
    if name == "region":  # "样例县" is read right as "样例县 (Sample County)" too
        return str(expected) in str(got)
    return bool(expected == got)
