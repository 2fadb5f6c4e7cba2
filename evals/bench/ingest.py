"""Ingestion throughput beside the embedder's raw encode rate on the same texts.

    python -m evals.bench.ingest [--corpus corpus] [--repeat 3]

Full rebuilds into a temporary folder, so the live index is untouched. The gap between
the two rates is the cost of everything but the model: loading, chunking, BM25, Chroma.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from assistant.config import Settings
from assistant.search.embedding import create_embedder
from assistant.service import PolicyService
from evals.bench.machine import describe


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    settings = Settings()
    embedder = create_embedder(settings)
    ingest_rates, encode_rates, clauses = [], [], 0
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            service = PolicyService(settings.model_copy(update={"index_dir": Path(tmp)}), embedder)
            report = service.ingest(args.corpus, rebuild=True)
            clauses = report.clauses
            ingest_rates.append(report.clauses / report.seconds)
            texts = [c.embed_text for c in service.snapshot().chunks]
        started = time.perf_counter()
        embedder.embed_documents(texts)
        encode_rates.append(len(texts) / (time.perf_counter() - started))

    ingest, encode = statistics.median(ingest_rates), statistics.median(encode_rates)
    print(f"machine: {describe()}")
    print(f"model: {embedder.model_id}; corpus: {args.corpus} ({clauses} clauses)")
    print(f"{'':28}{'clauses/s (median of ' + str(args.repeat) + ')':>28}")
    print(f"{'raw encode (baseline)':28}{encode:>28.1f}")
    print(f"{'policyqa ingest (full)':28}{ingest:>28.1f}")
    print(
        f"ingest / raw encode: {ingest / encode:.2f}  (overhead outside the model: "
        f"{(1 / ingest - 1 / encode) * 1000:.2f} ms per clause)"
    )


if __name__ == "__main__":
    main()
