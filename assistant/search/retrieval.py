"""Hybrid retrieval: dense (Chroma) and keyword (BM25) rankings, fused by language.

Plain reciprocal-rank fusion gives BM25 half the vote even when the question and its answer
are in different languages, where BM25 can only match the wrong documents. So the keyword
ranking's weight depends on whether the best dense hits share the question's language:
the dense retriever favours its own language, so when it still ranks another language
first, the question is a cross-language one and the keyword vote is turned down.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.search.embedding import Embedder
from assistant.search.store import IndexVersion
from assistant.types import Language, SearchHit

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str) -> Language:
    cjk = len(_CJK.findall(text))
    latin_words = len(re.findall(r"[A-Za-z]+", text))
    return "zh" if cjk and cjk >= latin_words else "en"


class HybridRetriever:
    """Dense + keyword retrieval with language-aware fusion and metadata filters."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        if settings.rrf_k <= 0:
            raise ValueError("rrf_k must be positive")
        self.settings = settings
        self.embedder = embedder

    def search(
        self,
        index: IndexVersion,
        query: str,
        top_k: int,
        filters: Mapping[str, Any] | None = None,
        candidates: int | None = None,
    ) -> list[SearchHit]:
        if top_k <= 0:
            raise ValueError("top_k must be positive")
        pool = candidates or max(4 * top_k, 40)
        query_vector = self.embedder.embed([query])[0]
        dense = index.dense(query_vector, pool, filters)

        keyword_scores = index.keyword.scores(query)
        mask = index.mask(filters)
        if mask is not None:
            keyword_scores = np.where(mask, keyword_scores, 0.0)
        keyword_order = [int(i) for i in np.argsort(-keyword_scores)[:pool]
                         if keyword_scores[i] > 0]

        query_language = detect_language(query)
        top_languages = Counter(index.chunks[pos].language for pos, _ in dense[:3])
        cross_language = bool(top_languages) and (
            top_languages.most_common(1)[0][0] != query_language
        )
        keyword_weight = (
            self.settings.cross_language_keyword_weight
            if cross_language
            else self.settings.keyword_weight
        )

        k = self.settings.rrf_k
        fused: dict[int, float] = {}
        dense_scores: dict[int, float] = {}
        for rank, (pos, similarity) in enumerate(dense):
            fused[pos] = fused.get(pos, 0.0) + 1.0 / (k + rank + 1)
            dense_scores[pos] = similarity
        for rank, pos in enumerate(keyword_order):
            fused[pos] = fused.get(pos, 0.0) + keyword_weight / (k + rank + 1)

        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:top_k]
        hits = []
        for pos, score in ranked:
            chunk = index.chunks[pos]
            meta = index.documents[chunk.doc_id].meta
            similarity = dense_scores.get(pos)
            if similarity is None:
                similarity = float(np.dot(index.vectors[pos], query_vector))
            hits.append(
                SearchHit(
                    chunk=chunk,
                    score=score,
                    dense_score=similarity,
                    keyword_score=float(keyword_scores[pos]) if keyword_scores.size else 0.0,
                    doc_title=meta.display_title,
                    official=meta.official,
                    status=meta.status,
                )
            )
        return hits
