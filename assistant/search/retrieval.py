"""Hybrid retrieval: dense (Chroma) and keyword (BM25) rankings, fused by language.

The multilingual encoder scores a passage in the question's own language higher than an
equally relevant one in the other language, and plain reciprocal-rank fusion then gives
BM25 (which can only match the question's language) half the vote. Both push
cross-language answers out. So the dense candidates are drawn from each document language
separately, cross-language similarities get a calibrated bonus before ranking
(`evals/calibrate.py` measures it), and when the best dense hit is in the other language
the keyword ranking's weight is turned down.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.search.embedding import Embedder
from assistant.search.store import IndexVersion, normalize_filters
from assistant.types import Language, SearchHit

_CJK = re.compile(r"[\u3400-\u9fff]")
QUERY_CACHE_SIZE = 2048


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
        self._query_vectors: OrderedDict[str, np.ndarray[Any, Any]] = OrderedDict()
        self._cache_lock = threading.Lock()

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
        query_vector = self._query_vector(query)
        query_language = detect_language(query)
        dense = self._dense(index, query_vector, query_language, pool, filters)

        keyword_scores = index.keyword.scores(query)
        mask = index.mask(filters)
        if mask is not None:
            keyword_scores = np.where(mask, keyword_scores, 0.0)
        positive = np.flatnonzero(keyword_scores > 0)
        if positive.size > pool:  # only the best `pool` need sorting
            positive = positive[np.argpartition(-keyword_scores[positive], pool - 1)[:pool]]
        keyword_order = [
            int(i) for i in positive[np.lexsort((positive, -keyword_scores[positive]))]
        ]

        cross_language = bool(dense) and index.chunks[dense[0][0]].language != query_language
        keyword_weight = (
            self.settings.cross_language_keyword_weight
            if cross_language
            else self.settings.keyword_weight
        )

        k = self.settings.rrf_k
        fused: dict[int, float] = {}
        dense_scores: dict[int, float | None] = {}
        for rank, (pos, cosine) in enumerate(dense):
            fused[pos] = fused.get(pos, 0.0) + 1.0 / (k + rank + 1)
            dense_scores[pos] = cosine
        for rank, pos in enumerate(keyword_order):
            fused[pos] = fused.get(pos, 0.0) + keyword_weight / (k + rank + 1)

        ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))[:top_k]
        hits = []
        for pos, score in ranked:
            chunk = index.chunks[pos]
            meta = index.documents[chunk.doc_id].meta
            similarity = dense_scores.get(pos)
            if similarity is None:  # a keyword-only candidate: score it exactly
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

    def _query_vector(self, query: str) -> np.ndarray[Any, Any]:
        """The query's embedding, computed once: on a portal the same questions come back
        (suggested questions, retries, a follow-up's scoped search), and the encoder is
        most of the cost of a search."""
        with self._cache_lock:
            cached = self._query_vectors.get(query)
            if cached is not None:
                self._query_vectors.move_to_end(query)
                return cached
        vector: np.ndarray[Any, Any] = np.asarray(self.embedder.embed_queries([query])[0])
        vector.setflags(write=False)  # shared between requests
        with self._cache_lock:
            self._query_vectors[query] = vector
            while len(self._query_vectors) > QUERY_CACHE_SIZE:
                self._query_vectors.popitem(last=False)
        return vector

    def _dense(
        self,
        index: IndexVersion,
        vector: np.ndarray[Any, Any],
        query_language: str,
        pool: int,
        filters: Mapping[str, Any] | None,
    ) -> list[tuple[int, float]]:
        """Dense candidates from every document language, ranked by calibrated similarity."""
        wanted = normalize_filters(filters).get("language")
        languages = [lang for lang in index.languages if wanted is None or lang in wanted]
        if len(languages) <= 1:
            return index.dense(vector, pool, filters)
        bonus = self.settings.cross_language_bonus
        merged: list[tuple[int, float, float]] = []
        for language in languages:
            scoped = {**(filters or {}), "language": language}
            adjust = 0.0 if language == query_language else bonus
            merged.extend(
                (pos, sim + adjust, sim) for pos, sim in index.dense(vector, pool, scoped)
            )
        merged.sort(key=lambda item: (-item[1], item[0]))
        return [(pos, sim) for pos, _, sim in merged[:pool]]
