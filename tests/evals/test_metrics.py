from __future__ import annotations

import pytest

from evals import metrics as m


def test_parts_of_a_clause_count_as_the_clause() -> None:
    assert m.base_clause("doc:1.3_p2") == "doc:1.3"
    assert m.hit_at_k(["doc:1.3_p1"], ["doc:9", "doc:1.3_p2"], 2) == 1.0
    assert m.hit_at_k(["doc:1.3_p1"], ["doc:9", "doc:1.3_p2"], 1) == 0.0


def test_recall_and_reciprocal_rank() -> None:
    ranked = ["a:1", "b:2", "c:3", "d:4"]
    assert m.recall_at_k(["b:2", "d:4"], ranked, 2) == 0.5
    assert m.recall_at_k(["b:2", "d:4"], ranked, 4) == 1.0
    assert m.recall_at_k([], ranked, 4) == 0.0
    assert m.reciprocal_rank(["c:3"], ranked) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(["z:9"], ranked) == 0.0


def test_ndcg_rewards_early_hits() -> None:
    assert m.ndcg_at_k(["a:1"], ["a:1", "b:2"], 10) == pytest.approx(1.0)
    late = m.ndcg_at_k(["a:1"], ["b:2", "a:1"], 10)
    assert 0.0 < late < 1.0
    assert late == pytest.approx(1 / 1.584962500721156)


def test_refusal_metrics() -> None:
    assert m.refusal_correct(answerable=False, answered=False) == 1.0
    assert m.refusal_correct(answerable=False, answered=True) == 0.0
    assert m.false_refusal(answerable=True, answered=False) == 1.0
    assert m.false_refusal(answerable=True, answered=True) == 0.0


def test_verbatim_rate_checks_offsets() -> None:
    texts = {"d": "第一条 补贴5000元。"}
    assert m.verbatim_rate([("d", "补贴5000元", 4, 11)], texts) == 1.0
    assert m.verbatim_rate([("d", "补贴5000元", 3, 10), ("d", "补贴5000元", 4, 11)], texts) == 0.5


def test_key_phrase_coverage_ignores_whitespace_and_case() -> None:
    answer = "Exporters receive RMB 3,000\nper FEU."
    assert m.key_phrase_coverage(["rmb 3,000 per", "FEU"], answer) == 1.0
    assert m.key_phrase_coverage(["RMB 5,000", "FEU"], answer) == 0.5


def test_precision_recall_of_measures() -> None:
    assert m.precision_recall(["a:1", "b:2"], ["a:1", "c:3"]) == (0.5, 0.5)
    assert m.precision_recall([], []) == (1.0, 1.0)
    assert m.precision_recall(["a:1"], []) == (0.0, 0.0)


def test_percentile_nearest_rank() -> None:
    assert m.percentile([5, 1, 3, 2, 4], 50) == 3
    assert m.percentile([5, 1, 3, 2, 4], 95) == 5
    assert m.percentile([], 50) == 0.0


def test_unit_metrics_count_a_chunk_that_spans_clauses() -> None:
    ranked = [["a:1", "a:2"], ["b:1"]]
    assert m.recall_at_k_units(["a:2", "b:1"], ranked, 1) == 0.5
    assert m.recall_at_k_units(["a:2", "b:1"], ranked, 2) == 1.0
    assert m.reciprocal_rank_units(["b:1"], ranked) == 0.5
    assert m.ndcg_at_k_units(["a:1"], ranked, 10) == pytest.approx(1.0)


def test_recall_within_a_character_budget() -> None:
    ranked = [["a:1"], ["a:2"], ["a:3"]]
    assert m.recall_within_chars(["a:3"], ranked, [900, 900, 900], 2000) == 0.0
    assert m.recall_within_chars(["a:2"], ranked, [900, 900, 900], 2000) == 1.0
    # the first unit always counts, even when it alone exceeds the budget
    assert m.recall_within_chars(["a:1"], [["a:1"]], [5000], 2000) == 1.0


def test_a_question_with_no_clause_to_find_is_not_scored_on_ranking() -> None:
    """ "Does the text really say …?" about a passage found nowhere is answered "no": it
    counts for refusals, not as a ranking miss, and an answerable question with clauses
    still is scored."""
    from evals.dataset import Question
    from evals.run import aggregate, score_question
    from evals.systems import SystemResult

    absent = Question("w1", "Does the Notice really say “X”?", "en", "wording", [], [], True)
    found = Question("f1", "When was it issued?", "en", "factual", ["n:1"], [], True)
    answered = SystemResult(ranked=[["n:2"], ["n:1"]], cited=["n:2"], answered=True, answer="")
    rows = [score_question(absent, answered, {}), score_question(found, answered, {})]
    assert "first_hit" not in rows[0] and "refusal_correct" not in rows[0]
    assert rows[0]["false_refusal"] == 0.0
    summary = aggregate(rows)
    assert summary["first_hit"] == 0.0 and summary["recall@5"] == 1.0
    assert summary["false_refusal_rate"] == 0.0
