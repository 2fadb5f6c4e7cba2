"""One small function per metric: (expected, got) → score. Aggregation lives in the runner.

Clause ids are compared on their base id: the parts of a long clause (`…:1.3_p1`,
`…:1.3_p2`) overlap by design and count as the same clause.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence

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


def groups_of(ranked: Sequence[str] | Sequence[Sequence[str]]) -> list[set[str]]:
    """Each retrieved unit as the set of clauses it covers: one clause for clause-level
    retrieval, several for a fixed-size chunk that spans clauses."""
    groups: list[set[str]] = []
    for unit in ranked:
        group = {base_clause(unit)} if isinstance(unit, str) else {base_clause(c) for c in unit}
        groups.append(group)
    return groups


def recall_at_k_units(expected: Sequence[str], ranked: Sequence[Sequence[str]], k: int) -> float:
    """Share of the expected clauses covered by the first k retrieved units."""
    wanted = set(_bases(expected))
    if not wanted:
        return 0.0
    covered = set().union(*groups_of(ranked)[:k]) if ranked else set()
    return len(wanted & covered) / len(wanted)


def reciprocal_rank_units(expected: Sequence[str], ranked: Sequence[Sequence[str]]) -> float:
    wanted = set(_bases(expected))
    for rank, group in enumerate(groups_of(ranked), start=1):
        if group & wanted:
            return 1.0 / rank
    return 0.0


def ndcg_at_k_units(expected: Sequence[str], ranked: Sequence[Sequence[str]], k: int) -> float:
    wanted = set(_bases(expected))
    if not wanted:
        return 0.0
    gains: list[float] = []
    seen: set[str] = set()
    for group in groups_of(ranked)[:k]:
        new = (group & wanted) - seen
        gains.append(1.0 if new else 0.0)
        seen |= new
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(wanted), k)))
    return dcg / ideal


def first_unit_hit(expected: Sequence[str], ranked: Sequence[Sequence[str]]) -> float:
    """1 when the first retrieved unit covers an expected clause."""
    groups = groups_of(ranked)
    return 1.0 if groups and groups[0] & set(_bases(expected)) else 0.0


def recall_within_chars(
    expected: Sequence[str], ranked: Sequence[Sequence[str]], lengths: Sequence[int], budget: int
) -> float:
    """Recall over the retrieved units that fit in the first `budget` characters: compares
    systems whose units differ in size (clauses against 1000-character chunks) fairly."""
    wanted = set(_bases(expected))
    if not wanted:
        return 0.0
    covered: set[str] = set()
    used = 0
    for group, length in zip(groups_of(ranked), lengths, strict=False):
        if used + length > budget and used > 0:
            break
        covered |= group
        used += length
    return len(wanted & covered) / len(wanted)


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


def verbatim_rate(quotes: Sequence[tuple[str, str, int, int]], texts: Mapping[str, str]) -> float:
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
