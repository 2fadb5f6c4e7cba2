"""One small function per metric: (expected, got) → score. Aggregation lives in the runner.

Clause ids are compared on their base id: the parts of a long clause (`…:1.3_p1`,
`…:1.3_p2`) overlap by design and count as the same clause.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence

_PART = re.compile(r"_p\d+$")


def base_clause(clause_id: str) -> str:
    return _PART.sub("", clause_id)


def _bases(ids: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for clause_id in ids:
        base = base_clause(clause_id)
        if base not in seen:
            seen.append(base)
    return seen


def recall_at_k(expected: Sequence[str], ranked: Sequence[str], k: int) -> float:
    """Share of the expected clauses found in the first k results."""
    wanted = set(_bases(expected))
    if not wanted:
        return 0.0
    return len(wanted & set(_bases(ranked)[:k])) / len(wanted)


def hit_at_k(expected: Sequence[str], ranked: Sequence[str], k: int) -> float:
    """1 if any expected clause is in the first k results."""
    return 1.0 if set(_bases(expected)) & set(_bases(ranked)[:k]) else 0.0


def reciprocal_rank(expected: Sequence[str], ranked: Sequence[str]) -> float:
    wanted = set(_bases(expected))
    for rank, clause_id in enumerate(_bases(ranked), start=1):
        if clause_id in wanted:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(expected: Sequence[str], ranked: Sequence[str], k: int) -> float:
    wanted = set(_bases(expected))
    if not wanted:
        return 0.0
    gains = [1.0 if c in wanted else 0.0 for c in _bases(ranked)[:k]]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(wanted), k)))
    return dcg / ideal


def refusal_correct(answerable: bool, answered: bool) -> float:
    """1 when an unanswerable question was refused (only meaningful for unanswerable ones)."""
    return 1.0 if (not answerable and not answered) else 0.0


def false_refusal(answerable: bool, answered: bool) -> float:
    """1 when an answerable question was refused."""
    return 1.0 if (answerable and not answered) else 0.0


def verbatim_rate(quotes: Sequence[tuple[str, str, int, int]], texts: dict[str, str]) -> float:
    """Share of (doc_id, quote, start, end) whose quote is exactly text[start:end]."""
    if not quotes:
        return 1.0
    good = sum(1 for doc_id, quote, s, e in quotes if texts.get(doc_id, "")[s:e] == quote)
    return good / len(quotes)


def _fold(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def key_phrase_coverage(phrases: Sequence[str], answer: str) -> float:
    if not phrases:
        return 0.0
    folded = _fold(answer)
    return sum(1 for p in phrases if _fold(p) in folded) / len(phrases)


def precision_recall(expected: Iterable[str], got: Iterable[str]) -> tuple[float, float]:
    wanted, found = set(_bases(expected)), set(_bases(got))
    # returning nothing is perfectly precise only when nothing was expected
    precision = len(wanted & found) / len(found) if found else float(not wanted)
    recall = len(wanted & found) / len(wanted) if wanted else 1.0
    return precision, recall


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, q in [0, 100]."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]
