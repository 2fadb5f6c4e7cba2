"""A clause that holds the words a question names is evidence, however low the encoder
scores it; a question whose words no clause holds is still refused."""

from __future__ import annotations

import pytest

from assistant.answer.refusal import content_terms
from assistant.service import PolicyService

NOTICE = "notice-2022-industrial-economy"


def test_question_words_are_not_what_a_clause_must_hold() -> None:
    assert content_terms("What does the Notice say about China-Europe freight trains?") == {
        "notice",
        "china",
        "europe",
        "freight",
        "trains",
    }
    assert "多少" not in content_terms("样本市购买纯电动乘用车每辆补贴多少钱？")


@pytest.mark.parametrize(
    "question",
    ["What does the Notice say about China-Europe freight trains?", "China-Europe freight trains"],
)
def test_the_notice_is_found_by_its_own_words(corpus_service: PolicyService, question: str) -> None:
    answer = corpus_service.ask(question)
    assert answer.answered, answer.answer
    first = answer.citations[0]
    assert first.doc_id == NOTICE and "China-Europe freight trains" in first.quote


@pytest.mark.parametrize(
    "question",
    [
        "What is the minimum wage in Sample City?",
        "What does the Notice say about carbon quotas for steel mills?",
    ],
)
def test_a_question_whose_words_no_clause_holds_is_refused(
    corpus_service: PolicyService, question: str
) -> None:
    assert not corpus_service.ask(question).answered


def test_a_cross_language_answer_cites_what_its_own_threshold_lets_through(
    service: PolicyService,
) -> None:
    """Each clause is held to the threshold of its side: with a strict same-language and a
    loose cross-language threshold, an English question answered from a Chinese clause is
    answered with that clause cited, never answered with nothing to quote."""
    settings = service.settings.model_copy(
        update={"support_threshold": 0.95, "cross_language_support_threshold": 0.0}
    )
    strict = PolicyService(settings, service.embedder)
    answer = strict.ask("How much is the subsidy for an energy-efficient air conditioner?")
    assert answer.answered and answer.citations
    assert {strict.document(c.doc_id).meta.language for c in answer.citations} == {"zh"}
    for citation in answer.citations:
        text = strict.document(citation.doc_id).text
        assert text[citation.start : citation.end] == citation.quote
