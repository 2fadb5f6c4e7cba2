"""A clause that holds the words a question names is evidence, however low the encoder
scores it; a question whose words no clause holds is still refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answer.refusal import SupportJudge, content_terms, holds_phrase, key_phrase
from assistant.search.tuning import Tuning
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


def test_the_notice_is_found_by_its_own_words(corpus_service: PolicyService) -> None:
    answer = corpus_service.ask("What does the Notice say about China-Europe freight trains?")
    assert answer.answered, answer.answer
    first = answer.citations[0]
    assert first.doc_id == NOTICE and "China-Europe freight trains" in first.quote
    # the same in Chinese, across languages: 《通知》 names the Notice, the glossary its words
    answer = corpus_service.ask("《通知》关于中欧班列是怎么说的？")
    assert answer.answered, answer.answer
    assert answer.citations[0].doc_id == NOTICE


def test_a_bare_key_phrase_is_answered_with_the_clauses_that_hold_it(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask("China-Europe freight trains")
    assert answer.answered, answer.answer
    assert NOTICE in {c.doc_id for c in answer.citations}
    assert all("China-Europe" in c.quote for c in answer.citations[:2])


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


def test_a_refusal_names_the_words_nothing_in_the_corpus_holds(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask("What is the minimum wage in Sample City?")
    assert not answer.answered
    assert "wage" in answer.answer


def test_a_clause_holding_the_key_phrase_answers_however_low_its_similarity(
    service: PolicyService,
) -> None:
    """With thresholds no similarity reaches, the question is still answered from the
    clause that holds its key phrase, and the quote is verbatim."""
    settings = service.settings.model_copy(
        update={"support_threshold": 1.0, "scope_threshold": 1.0, "evidence_threshold": 1.0}
    )
    strict = PolicyService(settings, service.embedder)
    question = "What is the rail freight support?"
    assert key_phrase(question) == "rail freight support"
    answer = strict.ask(question)
    assert answer.answered and answer.citations
    for citation in answer.citations:
        text = strict.document(citation.doc_id).text
        assert text[citation.start : citation.end] == citation.quote
    assert not strict.ask("What is the fee for the moon landing permit?").answered


def test_the_key_phrase_is_the_longest_run_of_naming_words() -> None:
    question = "What does the Notice say about China-Europe freight trains?"
    assert key_phrase(question) == "China-Europe freight trains"
    assert key_phrase("样本市设备更新补助的比例是多少？") == "样本市设备更新补助"
    assert key_phrase("What?") is None


def test_a_clause_in_the_other_language_is_judged_on_the_cross_language_threshold(
    corpus_service: PolicyService,
) -> None:
    """Similarity across languages runs lower for the same match, so the best clause in the
    other language is held to its own threshold; a same-language clause never is."""
    index = corpus_service.snapshot()
    strict = Tuning(0.0, 0.0, 1.0, 1.0, 1.0, cross_language_threshold=1.0)
    lowered = replace(strict, cross_language_threshold=-1.0)

    def judged(question: str, tuning: Tuning) -> bool:
        hits = [h for h in corpus_service.search(question, top_k=10) if h.chunk.doc_id == NOTICE]
        scope = corpus_service.retriever.scope(index, question)
        return SupportJudge(tuning).judge(question, hits, scope, index.keyword).answered

    chinese = "《通知》在优化发展环境方面有什么保障措施？"  # the Notice is an English summary
    assert not judged(chinese, strict)
    assert judged(chinese, lowered)
    english = "What safeguards does the Notice set for the business environment?"
    assert not judged(english, lowered)


def test_a_key_phrase_is_held_whatever_the_inflection_of_its_words(
    corpus_service: PolicyService,
) -> None:
    hits = corpus_service.search("cross-border e-commerce and overseas warehousing", top_k=10)
    notice = next(h for h in hits if "overseas warehousing" in h.chunk.text)
    assert holds_phrase("overseas warehouses", notice)
    assert holds_phrase("Overseas Warehouse", notice)
    assert not holds_phrase("overseas workers", notice)
