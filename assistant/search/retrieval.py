"""Hybrid retrieval: dense (Chroma) and keyword (BM25) evidence, fused on one scale.

Each ranking's scores are normalized over the candidates (dense min-max, BM25 by its best)
and added with measured weights, so the keyword vote counts whenever it matches and the
better evidence wins whatever its language: no constant favours one language. Keyword
search is bridged across languages by the policy glossary and, word by word, by CC-CEDICT,
and a clause gains when the question names its document (the national Notice, a
locality, a document number, a year).
Dense candidates are still drawn from each document language separately: the encoder
scores a passage in the question's own language higher, and a pool taken from all clauses
at once could hold none in the other.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import numpy as np

from assistant.config import Settings
from assistant.search.answer_kind import Kind, answers_kinds, asked_kinds
from assistant.search.batching import QueryBatcher
from assistant.search.dictionary import general_dictionary
from assistant.search.embedding import Embedder
from assistant.search.glossary import policy_glossary
from assistant.search.scope import QuestionScope, ScopeReader
from assistant.search.store import IndexVersion, normalize_filters
from assistant.search.tuning import Tuning, tuning_for
from assistant.types import SearchHit

QUERY_CACHE_SIZE = 2048


def _ranked(
    index: IndexVersion, scope: QuestionScope, fused: dict[int, float]
) -> list[tuple[int, float]]:
    """The candidates best first. The answer quotes only the documents the question names
    (`QuestionScope.admits`), so the ranking puts them first too: a clause of another place
    is never shown above the named place's own."""
    outside = {
        pos for pos in fused if not scope.admits(doc := index.chunks[pos].doc_id, index.level(doc))
    }
    return sorted(fused.items(), key=lambda item: (item[0] in outside, -item[1], item[0]))


def _bridged(query: str, index: IndexVersion) -> str:
    """The query with its policy terms and its words in the other language added, as far
    as the index holds them."""
    glossary_terms = policy_glossary().bridge(query)
    return " ".join(
        [query, *glossary_terms, *general_dictionary().bridge(query, index.keyword.knows)]
    )


class HybridRetriever:
    """Dense + keyword retrieval fused on normalized scores, with scope and filters."""

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.tuning: Tuning = tuning_for(settings, embedder.model_id)
        self._query_vectors: OrderedDict[str, np.ndarray[Any, Any]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._batcher = QueryBatcher(embedder)
        self._scopes: tuple[str, ScopeReader] | None = None

    def scope(self, index: IndexVersion, question: str) -> QuestionScope:
        """What the question names, read against this index version's documents."""
        cached = self._scopes
        if cached is None or cached[0] != index.version:
            cached = (index.version, ScopeReader(index.documents))
            self._scopes = cached
        return cached[1].read(question)

    def search(
        self,
        index: IndexVersion,
        query: str,
        top_k: int,
        filters: Mapping[str, Any] | None = None,
        candidates: int | None = None,
        scope: QuestionScope | None = None,
    ) -> list[SearchHit]:
        """The best `top_k` clauses for `query`. `scope` is what the query names, when the
        caller has read it already; else it is read here."""
        if top_k <= 0:
            raise ValueError("top_k must be positive")
        pool = candidates or max(4 * top_k, 40)
        scope = scope if scope is not None else self.scope(index, query)
        filters = scope.narrowed(filters)
        query_vector = self._query_vector(query)
        dense = self._dense(index, query_vector, pool, filters)

        keyword_scores = index.keyword.scores(_bridged(query, index))
        mask = index.mask(filters)
        if mask is not None and keyword_scores.size:
            keyword_scores = np.where(mask, keyword_scores, 0.0)
        positive = np.flatnonzero(keyword_scores > 0)
        if positive.size > pool:  # only the best `pool` need sorting
            positive = positive[np.argpartition(-keyword_scores[positive], pool - 1)[:pool]]

        similarity = dict(dense)
        keyword_only = [int(p) for p in positive if int(p) not in similarity]
        if keyword_only:  # score keyword-only candidates exactly, on the dense scale too
            exact = np.asarray(index.vectors[keyword_only], dtype=np.float32) @ query_vector
            similarity.update(zip(keyword_only, (float(x) for x in exact), strict=True))
        if not similarity:
            return []

        best_keyword = float(keyword_scores.max()) if positive.size else 0.0
        fused = self._fuse(index, scope, similarity, keyword_scores, best_keyword)
        self._prefer_answers(index, scope, asked_kinds(query), fused)
        ranked = _ranked(index, scope, fused)[:top_k]
        hits = []
        for pos, score in ranked:
            chunk = index.chunks[pos]
            meta = index.documents[chunk.doc_id].meta
            hits.append(
                SearchHit(
                    chunk=chunk,
                    score=score,
                    dense_score=similarity[pos],
                    keyword_score=float(keyword_scores[pos]) if keyword_scores.size else 0.0,
                    doc_title=meta.display_title,
                    official=meta.official,
                    status=meta.status,
                )
            )
        return hits

    def _fuse(
        self,
        index: IndexVersion,
        scope: QuestionScope,
        similarity: dict[int, float],
        keyword_scores: np.ndarray[Any, Any],
        best_keyword: float,
    ) -> dict[int, float]:
        """One score per candidate: its similarity min-max normalized over the candidates
        (over at least the tuning's spread floor), plus the weighted keyword score over the best, plus the weighted vote of the scope
        the question names."""
        tuning = self.tuning
        high, low = max(similarity.values()), min(similarity.values())
        spread = max(high - low, tuning.dense_spread_floor) or 1.0
        fused: dict[int, float] = {}
        for pos, cosine in similarity.items():
            score = (cosine - low) / spread
            if best_keyword > 0:
                score += tuning.keyword_weight * float(keyword_scores[pos]) / best_keyword
            doc_id = index.chunks[pos].doc_id
            score += tuning.scope_weight * scope.weight(doc_id, index.level(doc_id))
            fused[pos] = score
        return fused

    def _prefer_answers(
        self,
        index: IndexVersion,
        scope: QuestionScope,
        kinds: frozenset[Kind],
        fused: dict[int, float],
    ) -> None:
        """Among clauses on the same topic, the one that states the kind of fact asked
        moves up, and one from a document no longer in force moves down unless the
        question names its year ("2022年的标准" is about the old edition)."""
        tuning = self.tuning
        for pos in fused:
            chunk = index.chunks[pos]
            fused[pos] += tuning.answer_kind_weight * answers_kinds(kinds, chunk.text)
            status = index.documents[chunk.doc_id].meta.status
            if status != "in_force" and chunk.doc_id not in scope.year_documents:
                fused[pos] -= tuning.dated_penalty

    def _query_vector(self, query: str) -> np.ndarray[Any, Any]:
        """The query's embedding, computed once: on a portal the same questions come back
        (suggested questions, retries, a follow-up's scoped search), and the encoder is
        most of the cost of a search."""
        with self._cache_lock:
            cached = self._query_vectors.get(query)
            if cached is not None:
                self._query_vectors.move_to_end(query)
                return cached
        vector: np.ndarray[Any, Any] = np.array(self._batcher.encode(query))
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
        pool: int,
        filters: Mapping[str, Any] | None,
    ) -> list[tuple[int, float]]:
        """The best dense candidates of every document language, by raw similarity."""
        wanted = normalize_filters(filters).get("language")
        languages = [lang for lang in index.languages if wanted is None or lang in wanted]
        if len(languages) <= 1:
            return index.dense(vector, pool, filters)
        merged: list[tuple[int, float]] = []
        for language in languages:
            merged.extend(index.dense(vector, pool, {**(filters or {}), "language": language}))
        return sorted(merged, key=lambda item: (-item[1], item[0]))
