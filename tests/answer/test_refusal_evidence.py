"""A clause that holds the words a question names is evidence, however low the encoder
scores it; a question whose words no clause holds is still refused."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answer.refusal import (
    SupportJudge,
    asked_terms,
    content_terms,
    holds_phrase,
    key_phrase,
)
from assistant.search.glossary import Glossary
from assistant.search.keyword import KeywordIndex
from assistant.search.scope import QuestionScope
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


@pytest.mark.parametrize(
    "question",
    [
        "How much money per enterprise does the national Notice give for equipment upgrades?",
        "《通知》规定购买新能源汽车每辆补贴多少钱？",
    ],
)
def test_how_much_is_refused_where_no_clause_states_an_amount(
    corpus_service: PolicyService, question: str
) -> None:
    """The Notice's summary sets no amounts: its clause on the topic is no answer to how
    much, and the refusal points at the local documents that may set one."""
    answer = corpus_service.ask(question)
    assert not answer.answered, answer.answer
    assert answer.suggested_documents


def test_how_much_is_answered_where_a_clause_states_the_amount(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask("样本市购买纯电动乘用车每辆补贴多少钱？")
    assert answer.answered, answer.answer
    assert "元" in answer.citations[0].quote


def test_the_judge_names_a_missing_amount(corpus_service: PolicyService) -> None:
    from assistant.answer.messages import refusal_text

    index = corpus_service.snapshot()
    question = "How much is the subsidy for China-Europe freight trains?"
    hits = [h for h in corpus_service.search(question, top_k=10) if h.chunk.doc_id == NOTICE]
    scope = corpus_service.retriever.scope(index, question)
    assert hits and corpus_service.judge.judge(question, hits, scope, index.keyword).reason == (
        "no_amount"
    )
    assert "do not state an amount" in refusal_text("en", "no_amount", ["Sample City"])
    assert "具体金额" in refusal_text("zh", "no_amount", [])


def test_a_question_on_the_notice_alone_is_answered_from_its_terse_clauses(
    corpus_service: PolicyService,
) -> None:
    """Its clause on engine sizes scores under the scope threshold, and holds some of the
    question's words: the Notice answers."""
    question = "How does the Notice treat conventional small-engine vehicles compared with NEVs?"
    index = corpus_service.snapshot()
    scope = corpus_service.retriever.scope(index, question)
    hits = [h for h in corpus_service.search(question, top_k=5) if h.chunk.doc_id == NOTICE]
    assert hits[0].dense_score < corpus_service.judge.tuning.scope_threshold
    answer = corpus_service.ask(question)
    assert scope.notice_only and answer.answered, answer.answer
    assert answer.citations[0].doc_id == NOTICE and "engines" in answer.citations[0].quote


def test_the_notice_on_how_localities_carry_it_out_is_read_on_its_own_scale(
    corpus_service: PolicyService,
) -> None:
    """A question naming the Notice that speaks of local governments is searched in every
    document; when a Notice clause leads and holds what is asked, it answers, as for a
    question on the Notice alone."""
    answer = corpus_service.ask("《通知》对地方政府出台配套政策有什么要求？")
    assert answer.answered, answer.answer
    assert answer.citations[0].doc_id == NOTICE


def test_a_general_word_alone_does_not_make_a_notice_clause_evidence(
    corpus_service: PolicyService,
) -> None:
    # "company-specific measures" holds "companies", and nothing else asked about
    answer = corpus_service.ask(
        "What does the Notice say about carbon emission quotas for steel companies?"
    )
    assert not answer.answered
    assert "carbon" in answer.answer


def test_a_year_the_notice_never_mentions_is_not_in_it(corpus_service: PolicyService) -> None:
    answer = corpus_service.ask("What did the 2024 follow-up to the Notice change?")
    assert not answer.answered, answer.answer
    assert "2024" in answer.answer


@pytest.mark.parametrize(
    ("question", "word"),
    [
        ("样本市有没有电动自行车以旧换新的补贴？", "自行车"),
        ("演示高新区对餐饮企业有什么扶持政策？", "餐饮企业"),
        ("What relief does Sample City offer hotels and restaurants?", "hotels"),
    ],
)
def test_support_for_what_no_document_of_the_place_mentions_is_refused(
    corpus_service: PolicyService, question: str, word: str
) -> None:
    answer = corpus_service.ask(question)
    assert not answer.answered and answer.note == "topic_not_covered"
    assert word in answer.answer


@pytest.mark.parametrize(
    "question",
    [
        "样本市对新能源汽车以旧换新有什么补贴？",
        "Does Sample City subsidize rail freight for lithium battery packs?",
        "演示高新区对专精特新企业有什么奖励？",
    ],
)
def test_support_for_what_the_place_does_cover_is_answered(
    corpus_service: PolicyService, question: str
) -> None:
    assert corpus_service.ask(question).answered


def test_coverage_counts_the_words_that_name_what_is_asked() -> None:
    """General words and the place's own name say nothing of what is asked: a clause need
    not hold them to cover the question."""
    scope = QuestionScope(names=("Sample Port City",))
    question = (
        "Can we get Sample Port City's warehouse support if we lease it from our own affiliate?"
    )
    assert asked_terms(question, scope) == {"warehouse", "lease", "affiliate"}
    assert asked_terms("What support is there?", QuestionScope()) == {"support"}
    # a glossary term is one term, held when the clause holds its concept in either language
    zone = QuestionScope(names=("Demo Hi-tech Zone",))
    question = "What does the Demo Hi-tech Zone give a company newly recognised as a little giant?"
    assert asked_terms(question, zone) == {"little giant", "recognised"}
    assert asked_terms("What subsidy is there for overseas warehouses?", QuestionScope()) == {
        "overseas warehouses"
    }


def test_a_refusal_does_not_list_the_words_of_a_term_the_glossary_bridges(
    corpus_service: PolicyService,
) -> None:
    index = corpus_service.snapshot()
    missing = corpus_service.judge.missing_terms(
        "Does a little giant get a cheaper mooring berth?", index.keyword
    )
    assert "mooring" in missing and "little" not in missing and "giant" not in missing


def test_a_cross_language_question_is_covered_through_the_glossary(
    corpus_service: PolicyService,
) -> None:
    """The zone's Chinese article on IPO tutoring covers the English question word for word
    (签订 sign, 证券公司 securities firm, 上市辅导协议 IPO tutoring agreement), though its
    similarity sits under every threshold."""
    index = corpus_service.snapshot()
    question = (
        "What does the Demo Hi-tech Zone pay an SRDI company that signs an IPO tutoring "
        "agreement with a securities firm?"
    )
    scope = corpus_service.retriever.scope(index, question)
    hits = [h for h in corpus_service.search(question, top_k=10) if "上市辅导协议" in h.chunk.text]
    assert hits
    strict = Tuning(0.0, 0.0, 1.0, 1.0, 0.0, cross_language_threshold=1.0)
    support = SupportJudge(strict).judge(question, hits, scope, index.keyword)
    assert support.answered and support.reason == "evidence"
    unrelated = "What does the Demo Hi-tech Zone pay for a moon landing permit?"
    assert not SupportJudge(strict).judge(unrelated, hits, scope, index.keyword).answered


def test_a_glossary_term_is_listed_as_missing_only_when_no_clause_holds_its_concept() -> None:
    glossary = Glossary.parse("小巨人\tlittle giant\n空运\tair freight\n")
    keyword = KeywordIndex.build(["国家级专精特新小巨人企业奖励100万元", "海运运费补贴"])
    judge = SupportJudge(Tuning(0.0, 0.0, 1.0, 1.0, 1.0, cross_language_threshold=1.0), glossary)
    missing = judge.missing_terms("Do little giants get air freight relief?", keyword)
    assert "little" not in missing and "giants" not in missing
    assert "air" in missing
