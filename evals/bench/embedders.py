"""Embedding models side by side: dense retrieval quality, encoding cost and query latency.

    python -m evals.bench.embedders [--models use-multilingual-v3 embeddinggemma-300m]
                                    [--corpus corpus] [--repeat 3]

Every clause of the corpus is loaded and chunked as ingestion does it, encoded once per
model as a document, and each answerable golden question is encoded alone as a query and
ranked against all clauses by cosine similarity. Dense only: no BM25, no per-language
pools, no cross-language bonus, so the numbers are the model's and not the fusion's. A
question scores a hit at k when one of its expected clauses is among the first k distinct
clauses (the parts of a split clause are one clause, as in evals/metrics). Questions are
grouped by whether their language is the language of an expected clause's document, and by
whether they are about the Notice (the one official document).

Encoding cost is clauses per second of document encoding (the median of --repeat passes);
query latency is single-question encoding, the p50 and p95 over the golden questions.
POLICYQA_EMBEDDING_THREADS sets the encoder threads; on a machine whose cores other work is
using, fewer threads than cores give steadier (and for torch, much faster) numbers.
EmbeddingGemma needs scripts/fetch_embedding_model.sh first.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.config import USE_MODEL, Settings
from assistant.errors import DocumentLoadError
from assistant.ingest.chunking import ClauseChunker
from assistant.ingest.loaders import LoadLimits
from assistant.ingest.manifest import infer_meta, plan_corpus
from assistant.ingest.sandbox import LoaderSandbox
from assistant.search.embedding import create_embedder
from assistant.types import Chunk, Document
from evals.bench.machine import describe
from evals.dataset import Question, load_questions
from evals.metrics import base_clause, hit_at_k, percentile

NOTICE = "notice-2022-industrial-economy"
GROUPS = ("all", "same language", "cross language", "zh question", "en question", "Notice")
# Enough ranked parts that the first five distinct clauses are always among them.
RANKED = 40


@dataclass
class ModelResult:
    model_id: str
    load_s: float
    clauses_per_s: float
    latencies_ms: list[float]
    # group name -> one (hit@1, hit@5) per question in the group
    hits: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def load_clauses(settings: Settings, corpus: Path) -> list[Chunk]:
    """The corpus's clauses exactly as ingestion makes them, before any embedding."""
    limits = LoadLimits(
        max_file_bytes=settings.max_file_bytes,
        max_pages=settings.max_pdf_pages,
        max_chars=settings.max_document_chars,
        max_docx_uncompressed_bytes=settings.max_docx_unpacked_bytes,
    )
    chunker = ClauseChunker(settings.chunk_max_chars, settings.chunk_overlap_sentences)
    chunks: list[Chunk] = []
    with LoaderSandbox(limits, settings.max_seconds_per_file) as sandbox:
        for path, meta in plan_corpus(corpus).entries:
            try:
                loaded = sandbox.load(path)
            except DocumentLoadError as exc:
                print(f"skipped {path.name}: {exc.message}")
                continue
            if not meta.in_manifest:
                inferred = infer_meta(path, corpus, loaded.text, loaded.heading_hints)
                meta = inferred.model_copy(update={"id": meta.id})
            document = Document(
                meta, loaded.text, loaded.page_starts, loaded.content_hash, loaded.heading_hints
            )
            chunks.extend(chunker.chunk(document))
    return chunks


def groups_of_question(question: Question, doc_languages: Mapping[str, str]) -> list[str]:
    docs = {clause.split(":", 1)[0] for clause in question.expected_clauses}
    same = any(doc_languages.get(doc) == question.language for doc in docs)
    groups = ["all", "same language" if same else "cross language", f"{question.language} question"]
    if NOTICE in docs:
        groups.append("Notice")
    return groups


def measure(
    model: str,
    settings: Settings,
    clauses: Sequence[Chunk],
    questions: Sequence[Question],
    repeat: int,
) -> ModelResult:
    texts = [c.embed_text for c in clauses]
    started = time.perf_counter()
    embedder = create_embedder(settings.model_copy(update={"embedding_model": model}))
    # Some encoders finish loading on their first call; that belongs to loading, not encoding.
    embedder.embed_documents(texts[:8])
    load_s = time.perf_counter() - started
    rates, documents = [], np.zeros((0, embedder.dimension), np.float32)
    for _ in range(repeat):
        started = time.perf_counter()
        documents = embedder.embed_documents(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    embedder.embed_queries([questions[0].question])
    latencies, queries = [], []
    for question in questions:
        started = time.perf_counter()
        queries.append(embedder.embed_queries([question.question])[0])
        latencies.append((time.perf_counter() - started) * 1000)

    doc_languages = {c.doc_id: c.language for c in clauses}
    ids = [c.clause_id for c in clauses]
    similarities = np.vstack(queries) @ documents.T
    result = ModelResult(embedder.model_id, load_s, statistics.median(rates), latencies)
    for question, row in zip(questions, similarities, strict=True):
        order = np.argsort(-row, kind="stable")[:RANKED]
        ranked = [ids[i] for i in order]
        score = (
            hit_at_k(question.expected_clauses, ranked, 1),
            hit_at_k(question.expected_clauses, ranked, 5),
        )
        for group in groups_of_question(question, doc_languages):
            result.hits.setdefault(group, []).append(score)
    return result


def _table(results: Sequence[ModelResult]) -> list[str]:
    width = 22
    lines = [f"{'':34}" + "".join(f"{r.model_id.split(':')[-1]:>{width}}" for r in results)]

    def row(label: str, cells: Sequence[str]) -> None:
        lines.append(f"{label:34}" + "".join(f"{cell:>{width}}" for cell in cells))

    for group in [g for g in GROUPS if g in results[0].hits]:
        n = len(results[0].hits[group])
        for k, name in ((0, "hit@1"), (1, "hit@5")):
            row(
                f"{name} {group} (n={n})",
                [f"{np.mean([h[k] for h in r.hits[group]]):.3f}" for r in results],
            )
    row("document encoding, clauses/s", [f"{r.clauses_per_s:.1f}" for r in results])
    row("query encoding p50 ms", [f"{percentile(r.latencies_ms, 50):.1f}" for r in results])
    row("query encoding p95 ms", [f"{percentile(r.latencies_ms, 95):.1f}" for r in results])
    row("model load s", [f"{r.load_s:.1f}" for r in results])
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=[USE_MODEL, "embeddinggemma-300m"])
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    settings = Settings()
    clauses = load_clauses(settings, args.corpus)
    known = {base_clause(c.clause_id) for c in clauses} | {c.clause_id for c in clauses}
    questions = [q for q in load_questions() if q.answerable and q.expected_clauses]
    missing = sorted({e for q in questions for e in q.expected_clauses} - known)
    if missing:
        print(f"expected clauses not in the corpus: {', '.join(missing)}")
    results = [measure(m, settings, clauses, questions, args.repeat) for m in args.models]

    print(f"machine: {describe()}; {settings.embedding_threads} encoder threads")
    print(
        f"corpus: {args.corpus} ({len(clauses)} clauses); {len(questions)} answerable "
        "golden questions; dense retrieval only, hit@k over distinct clauses"
    )
    print("\n".join(_table(results)))


if __name__ == "__main__":
    main()
