"""The blind set's answers really are in the bundled corpus, where its rows say."""

from __future__ import annotations

from collections import Counter

from assistant.service import PolicyService
from evals.dataset import BLIND_DATASET, KINDS, load_questions

QUESTIONS = load_questions(BLIND_DATASET)


def test_the_set_mixes_kinds_languages_and_unanswerable_questions() -> None:
    assert {q.kind for q in QUESTIONS} <= set(KINDS)
    assert Counter(q.language for q in QUESTIONS).keys() == {"zh", "en"}
    unanswerable = [q for q in QUESTIONS if not q.answerable]
    assert len(unanswerable) >= 10
    assert all(not q.expected_clauses and not q.key_phrases for q in unanswerable)
    assert sum(1 for q in QUESTIONS if q.about_notice) >= 10


def test_expected_clauses_exist_and_hold_the_key_phrases(corpus_service: PolicyService) -> None:
    chunks = {c.clause_id: c for c in corpus_service.snapshot().chunks}
    for question in QUESTIONS:
        assert all(c in chunks for c in question.expected_clauses), question.id
        texts = [chunks[c].text for c in question.expected_clauses]
        for phrase in question.key_phrases:
            assert any(phrase in text for text in texts), (question.id, phrase)
