"""The baselines a user would build instead, each with its libraries' defaults.

- naive LangChain: RecursiveCharacterTextSplitter (default separators, 1000 / 200), the
  same embedding model through LangChain's Embeddings interface, a Chroma collection,
  dense top-k, and the top chunk as the answer. It never refuses.
- keyword only: BM25 (bm25s, jieba for Chinese) over policyqa's clauses; the top clause is
  the answer, and a question with no keyword in common is unanswered.

Both read the same normalized documents as policyqa, so quotes and offsets compare.
"""

from __future__ import annotations

import time
import uuid

import numpy as np

from assistant.search.embedding import LangChainEmbeddings
from assistant.search.store import IndexVersion
from evals.dataset import Question
from evals.systems import SystemResult


class NaiveLangChainSystem:
    name = "naive-langchain"

    def __init__(self, index: IndexVersion, embeddings: LangChainEmbeddings) -> None:
        import chromadb
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(
            chunk_size=1000, chunk_overlap=200, add_start_index=True
        )
        self.embeddings = embeddings
        self.chunks: list[tuple[str, int, int, list[str]]] = []  # doc_id, start, end, clauses
        spans = {
            d: [(c.start, c.end, c.clause_id) for c in index.chunks_of(d)] for d in index.documents
        }
        for doc_id, document in index.documents.items():
            for piece in splitter.create_documents([document.text]):
                start = int(piece.metadata["start_index"])
                end = start + len(piece.page_content)
                covered = [cid for s, e, cid in spans[doc_id] if s < end and e > start]
                self.chunks.append((doc_id, start, end, covered))
        self.texts = {d: doc.text for d, doc in index.documents.items()}
        client = chromadb.EphemeralClient(chromadb.config.Settings(anonymized_telemetry=False))
        self.collection = client.create_collection(
            f"naive-{uuid.uuid4().hex[:8]}",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
        )
        contents = [self.texts[d][s:e] for d, s, e, _ in self.chunks]
        vectors = embeddings.embed_documents(contents)
        self.collection.add(
            ids=[str(i) for i in range(len(contents))],
            embeddings=np.asarray(vectors, dtype=np.float32),
        )

    def run(self, question: str, item: Question | None = None) -> SystemResult:
        started = time.perf_counter()
        vector = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)
        found = self.collection.query(query_embeddings=vector.reshape(1, -1), n_results=10)
        order = [int(i) for i in found["ids"][0]]
        latency = (time.perf_counter() - started) * 1000
        doc_id, start, end, covered = self.chunks[order[0]]
        return SystemResult(
            ranked=[self.chunks[i][3] for i in order],
            lengths=[self.chunks[i][2] - self.chunks[i][1] for i in order],
            cited=covered,
            answered=True,
            answer=self.texts[doc_id][start:end],
            quotes=[(doc_id, self.texts[doc_id][start:end], start, end)],
            latency_ms=latency,
        )


class KeywordSystem:
    name = "keyword-bm25"

    def __init__(self, index: IndexVersion) -> None:
        self.index = index

    def run(self, question: str, item: Question | None = None) -> SystemResult:
        started = time.perf_counter()
        scores = self.index.keyword.scores(question)
        order = [int(i) for i in np.argsort(-scores)[:10] if scores[i] > 0]
        latency = (time.perf_counter() - started) * 1000
        if not order:
            return SystemResult(ranked=[], cited=[], answered=False, answer="", latency_ms=latency)
        top = self.index.chunks[order[0]]
        return SystemResult(
            ranked=[[self.index.chunks[i].clause_id] for i in order],
            lengths=[self.index.chunks[i].end - self.index.chunks[i].start for i in order],
            cited=[top.clause_id],
            answered=True,
            answer=top.text,
            quotes=[(top.doc_id, top.text, top.start, top.end)],
            latency_ms=latency,
        )
