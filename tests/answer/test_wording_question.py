"""A chat question asking whether the text says a quoted passage gets the wording check's
verdict, in words, with the deciding clause quoted verbatim."""

from __future__ import annotations

import pytest

from assistant.answer.wording_question import quoted_claim
from assistant.service import PolicyService
from evals.dataset import load_questions

WORDING = [q for q in load_questions() if q.kind == "wording"]


@pytest.mark.parametrize(
    ("question", "claim"),
    [
        (
            "《示例省设备更新和重大项目若干措施》是否规定了“单个项目生产性设备投资额不高于500万元”？",
            "单个项目生产性设备投资额不高于500万元",
        ),
        (
            "样本市的文件里有没有“出口信用保险保费给予50%补贴”这句话？",
            "出口信用保险保费给予50%补贴",
        ),
        (
            "“购买纯电动乘用车的，每辆补贴5000元”是哪个文件规定的？",
            "购买纯电动乘用车的，每辆补贴5000元",
        ),
        (
            'Does the Notice really say "tax reduction policies for vehicles with engines below 2.0L"?',
            "tax reduction policies for vehicles with engines below 2.0L",
        ),
        (
            "Does the Notice say “support the construction of overseas warehouses”?",
            "support the construction of overseas warehouses",
        ),
        # a quote that names a topic, or a question that does not ask about wording
        ('What does the Notice say about "overseas warehouses"?', None),
        ("《通知》对“海外仓”有什么规定？", None),
        ("样本市对“专精特新小巨人企业”奖励多少钱？", None),
        ('What is "the amount actually paid in" for reinvestment in Example Province?', None),
        ("海外仓补贴有什么要求？", None),
    ],
)
def test_a_wording_question_is_told_from_a_question_that_quotes_a_topic(
    question: str, claim: str | None
) -> None:
    assert quoted_claim(question) == claim


@pytest.mark.parametrize("item", WORDING, ids=[q.id for q in WORDING])
def test_golden_wording_questions_asked_in_the_chat(corpus_service: PolicyService, item) -> None:  # type: ignore[no-untyped-def]
    answer = corpus_service.ask(item.question)
    assert answer.wording is not None
    assert answer.wording.verdict == item.extra["expected_verdict"]
    assert answer.answered
    expected_clauses = set(item.expected_clauses)
    if expected_clauses:  # the deciding clause is the one cited first
        assert answer.citations[0].clause_id in expected_clauses
    for c in answer.citations:
        assert corpus_service.document(c.doc_id).text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.answer


def test_a_changed_amount_is_a_no_with_the_source_wording_and_the_change(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask(
        "《样本市汽车和家电消费若干措施（2023年版）》是否规定了"
        "“购买纯电动、插电式混合动力（含增程式）乘用车的，每辆补贴8000元”？"
    )
    lines = answer.answer.splitlines()
    assert lines[0].startswith("否")
    # the edition named, not the one it replaced, and one match for one passage
    assert [c.clause_id for c in answer.citations] == ["sc-auto-consumption-2023:2.2.2.1"]
    assert "每辆补贴5000元" in answer.citations[0].quote
    change = next(line for line in lines if line.startswith("差异："))
    assert "8000" in change and "5000" in change
    assert "虚构示例" in answer.answer  # an illustrative document is marked as one


def test_a_near_quote_does_not_open_with_the_previous_sentences_full_stop(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask(
        'Does the Notice really say "The document outlines 17 targeted measures across six '
        'key areas"?'
    )
    assert answer.wording is not None and answer.wording.verdict == "near"
    quote = answer.citations[0].quote
    assert quote.startswith("The document outlines") and "five key areas" in quote
    assert (
        '"targeted measures across six key areas" (asked) → '
        '"targeted measures across five key areas" (source)'
    ) in answer.answer


def test_an_absent_passage_names_the_documents_it_was_checked_against(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask(
        'Does the Notice really say "Manufacturing SMEs receive a 50% reduction in corporate '
        'income tax for 2023."?'
    )
    assert answer.wording is not None and answer.wording.verdict == "absent"
    assert answer.answered and answer.citations == []
    assert answer.answer.startswith("No.")
    checked = next(line for line in answer.answer.splitlines() if line.startswith("Documents"))
    assert "Notice" in checked and "Sample City" not in checked


def test_a_question_quoting_a_topic_is_answered_from_the_clauses(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask('What does the Notice say about "overseas warehouses"?')
    assert answer.wording is None
    assert answer.answered and answer.citations


def test_a_passage_in_another_language_than_every_document_checked_is_not_judged(
    corpus_service: PolicyService,
) -> None:
    """The Notice is held as an English summary: a Chinese passage is not found in it word
    for word, which says nothing about the original's wording."""
    answer = corpus_service.ask("《通知》里有没有“对2.0升及以下排量乘用车减征车辆购置税”这句话？")
    assert answer.wording is not None and answer.wording.verdict == "absent"
    assert not answer.answered and answer.note == "other_language"
    assert answer.answer.startswith("无法判断") and "否" not in answer.answer.splitlines()[0]
    english = corpus_service.ask(
        'Does the Notice really say "Manufacturing SMEs receive a 50% reduction in corporate '
        'income tax for 2023."?'
    )
    assert english.answered and english.answer.startswith("No.")  # same language: a real no
