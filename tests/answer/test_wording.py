from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.answer import wording
from assistant.answer.wording import FoldedText, diff, fold
from assistant.service import PolicyService
from evals.dataset import load_questions

WORDING = [q for q in load_questions() if q.kind == "wording"]


@pytest.mark.parametrize("item", WORDING, ids=[q.id for q in WORDING])
def test_golden_wording_verdicts(corpus_service: PolicyService, item) -> None:  # type: ignore[no-untyped-def]
    verdict = corpus_service.verify_wording(item.extra["wording_text"], item.extra.get("doc_id"))
    assert verdict.verdict == item.extra["expected_verdict"]
    for match in verdict.matches:
        c = match.citation
        assert corpus_service.document(c.doc_id).text[c.start : c.end] == c.quote


@pytest.mark.parametrize(
    ("claim", "changed", "original"),
    [
        ("单个项目生产性设备投资额不高于500万元", "高", "低"),
        (
            "Support cross-border e-commerce and overseas warehousing to strengthen import "
            "competitiveness.",
            "import",
            "export",
        ),
    ],
)
def test_a_single_word_that_reverses_the_meaning_is_near_not_a_match(
    corpus_service: PolicyService, claim: str, changed: str, original: str
) -> None:
    verdict = corpus_service.verify_wording(claim)
    assert verdict.verdict == "near"
    changes = [(d.op, d.claim, d.source) for d in verdict.matches[0].diff if d.op != "equal"]
    assert changes == [("replace", changed, original)]
    assert verdict.explanation.startswith(("否", "No"))


def test_normalized_match_maps_back_to_original_offsets(corpus_service: PolicyService) -> None:
    exact = corpus_service.verify_wording("单个项目生产性设备投资额不低于500万元")
    assert exact.verdict == "exact"
    spaced = corpus_service.verify_wording("单个项目生产性设备投资额 不低于 ５００万元")
    assert spaced.verdict == "normalized"
    assert spaced.matches[0].citation.start == exact.matches[0].citation.start
    assert spaced.matches[0].citation.quote == exact.matches[0].citation.quote


def test_absent_passage(corpus_service: PolicyService) -> None:
    verdict = corpus_service.verify_wording("对新建数据中心按每千瓦时0.1元给予电价补贴")
    assert verdict.verdict == "absent" and not verdict.matches


def test_fold_and_diff_basics() -> None:
    assert fold("Ａｂ， C；（一）") == "ab,c;(一)"
    folded = FoldedText.of("a b，c")
    assert folded.text == "ab,c" and folded.span(1, 3) == (2, 4)
    ops = [(d.op, d.claim, d.source) for d in diff("exports rose", "imports rose")]
    assert ops == [("replace", "exports", "imports"), ("equal", "rose", "rose")]


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=0, max_size=80))
def test_folded_offsets_always_point_into_the_original(text: str) -> None:
    folded = FoldedText.of(text)
    assert len(folded.offsets) == len(folded.text)
    assert list(folded.offsets) == sorted(folded.offsets)
    for i in range(len(folded.text)):
        start, end = folded.span(i, i + 1)
        assert 0 <= start < end <= len(text)


def test_a_passage_across_two_clauses_is_cited_clause_by_clause(
    corpus_service: PolicyService,
) -> None:
    verdict = corpus_service.verify_wording("每辆补贴5000元。\n2. 单车成交价格")
    assert verdict.verdict in {"exact", "normalized"}
    match = verdict.matches[0]
    pieces = [match.citation, *match.continuation]
    assert len(pieces) == 2 and pieces[0].clause_id != pieces[1].clause_id
    for c in pieces:
        assert corpus_service.document(c.doc_id).text[c.start : c.end] == c.quote
    assert pieces[0].quote.endswith("每辆补贴5000元。") and pieces[1].quote.startswith(
        "2. 单车成交价格"
    )


def test_a_near_passage_running_into_the_next_clause_is_found(
    corpus_service: PolicyService,
) -> None:
    verdict = corpus_service.verify_wording("每辆补贴6000元。\n2. 单车成交价格")
    assert verdict.verdict == "near"
    match = verdict.matches[0]
    assert match.continuation, "the second clause's piece is cited too"
    changes = [(d.claim, d.source) for d in match.diff if d.op != "equal"]
    assert ("6", "5") in changes


def test_near_search_work_is_bounded_for_long_passages(
    corpus_service: PolicyService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A long passage of common words costs a fixed number of window comparisons, each on
    a window around one retrieved clause: never the whole corpus, never length² slides."""
    calls: list[tuple[str, int, int]] = []
    real = wording.fuzz

    class Counting:
        @staticmethod
        def ratio(a: str, b: str) -> float:
            calls.append(("ratio", len(a), len(b)))
            return real.ratio(a, b)

        @staticmethod
        def partial_ratio_alignment(a: str, b: str):  # type: ignore[no-untyped-def]
            calls.append(("slide", len(a), len(b)))
            return real.partial_ratio_alignment(a, b)

    monkeypatch.setattr(wording, "fuzz", Counting)
    words = [
        "support",
        "export",
        "enterprise",
        "overseas",
        "warehouse",
        "subsidy",
        "credit",
        "insurance",
    ]
    passage = " ".join(words[(i * 7) % len(words)] for i in range(400))[:2000]
    verdict = corpus_service.verify_wording(passage)
    assert verdict.verdict == "absent"
    per_window = len(wording._SLACK) ** 2
    assert len(calls) <= wording.MAX_NEAR_CLAUSES * per_window
    assert not [c for c in calls if c[0] == "slide"], "no sliding comparison for a long passage"
    assert all(b <= len(passage) + 8 for _, _, b in calls)
