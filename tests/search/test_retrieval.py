from __future__ import annotations

import pytest

from assistant.config import Settings
from assistant.search.answer_kind import states
from assistant.search.retrieval import HybridRetriever
from assistant.service import PolicyService
from assistant.text import detect_language

CROSS_LANGUAGE = {
    # English question, Chinese answer (the PDF's clause on air conditioners)
    "How much is the subsidy for an energy-efficient air conditioner?": "zh-appliances:1.2.1",
    # Chinese question, English answer
    "跨境电商卖家平台费返还比例": "en-ecommerce:1.1",
}


def test_language_detection() -> None:
    assert detect_language("海外仓补贴标准") == "zh"
    assert detect_language("overseas warehouse subsidy") == "en"
    assert detect_language("NEV 购车补贴每辆多少") == "zh"


def test_cross_language_questions_keep_the_dense_answer(service: PolicyService) -> None:
    for question, clause_id in CROSS_LANGUAGE.items():
        assert service.search(question, top_k=1)[0].chunk.clause_id == clause_id, question


def test_the_glossary_gives_keyword_search_a_vote_across_languages(
    service: PolicyService,
) -> None:
    """A Chinese question shares no word with an English clause; bridged through the
    policy glossary (跨境电商 is cross-border e-commerce) BM25 matches it and votes."""
    hit = service.search("跨境电商卖家平台费返还比例", top_k=1)[0]
    assert hit.chunk.clause_id == "en-ecommerce:1.1"
    assert hit.keyword_score and hit.keyword_score > 0


def test_no_language_constant_in_fusion(service: PolicyService) -> None:
    """Without the keyword, scope, answer-kind and edition votes, the ranking is the dense
    similarity order:
    nothing is added for a clause's language."""
    dense_only = Settings(
        index_dir=service.settings.index_dir,
        keyword_weight=0.0,
        scope_weight=0.0,
        answer_kind_weight=0.0,
        dated_penalty=0.0,
    )
    retriever = HybridRetriever(dense_only, service.embedder)
    question = "How much is the subsidy for an energy-efficient air conditioner?"
    hits = retriever.search(service.snapshot(), question, top_k=10)
    similarities = [h.dense_score or 0.0 for h in hits]
    assert similarities == sorted(similarities, reverse=True)
    assert {h.chunk.language for h in hits} == {"zh", "en"}


def test_same_language_questions_still_use_keywords(service: PolicyService) -> None:
    hits = service.search("一级能效冰箱每台补贴", top_k=3)
    assert hits[0].chunk.clause_id == "zh-appliances:1.2.2"
    assert hits[0].keyword_score and hits[0].keyword_score > 0


def test_retriever_validates_its_arguments(service: PolicyService) -> None:
    with pytest.raises(ValueError):
        service.retriever.search(service.snapshot(), "补贴", top_k=0)


def test_a_repeated_question_is_embedded_once(service: PolicyService) -> None:
    calls: list[list[str]] = []
    embedder = service.retriever.embedder
    real = embedder.embed_queries

    def counting(texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(list(texts))
        return real(texts)

    embedder.embed_queries = counting  # type: ignore[method-assign]
    try:
        first = service.search("一级能效冰箱每台补贴多少？ (cache check)", top_k=3)
        again = service.search("一级能效冰箱每台补贴多少？ (cache check)", top_k=3)
    finally:
        del embedder.embed_queries  # type: ignore[method-assign]
    assert calls == [["一级能效冰箱每台补贴多少？ (cache check)"]]
    assert [h.chunk.clause_id for h in first] == [h.chunk.clause_id for h in again]


def _retriever(corpus_service: PolicyService, **weights: float) -> HybridRetriever:
    settings = corpus_service.settings.model_copy(update=weights)
    return HybridRetriever(settings, corpus_service.embedder)


def test_a_clause_stating_the_kind_of_fact_asked_moves_up(corpus_service: PolicyService) -> None:
    """ "多久" asks for a duration: the clause that gives the coupon's validity in days
    outranks the one on what happens to an unused coupon."""
    index = corpus_service.snapshot()
    question = "样本市2023年的汽车消费券领了以后多久内必须用掉？"

    def order(weight: float) -> list[str]:
        hits = _retriever(corpus_service, answer_kind_weight=weight).search(index, question, 10)
        return [h.chunk.clause_id.split(":")[1] for h in hits]

    validity, expiry = "2.2.4.1", "2.2.4.3"  # "20日内有效", "逾期未核销的消费券自动作废"
    plain, favoured = order(0.0), order(0.3)
    assert plain.index(expiry) < plain.index(validity)
    assert favoured.index(validity) < favoured.index(expiry)
    assert states("duration", "消费券自领取之日起20日内有效")


def test_the_edition_in_force_moves_up_unless_the_question_names_the_old_one(
    corpus_service: PolicyService,
) -> None:
    index = corpus_service.snapshot()
    question = "现在在样本市买一辆纯电动乘用车，市里补贴多少钱？"
    plain = _retriever(corpus_service, dated_penalty=0.0).search(index, question, 5)
    assert plain[0].chunk.doc_id == "sc-auto-consumption-2022"  # superseded
    current = _retriever(corpus_service, dated_penalty=1.0)
    assert current.search(index, question, 5)[0].chunk.doc_id == "sc-auto-consumption-2023"
    old = "2022年样本市买一辆纯电动乘用车，市里补贴多少钱？"
    assert current.search(index, old, 5)[0].chunk.doc_id == "sc-auto-consumption-2022"


def test_the_place_a_question_names_ranks_its_own_clauses_first(
    corpus_service: PolicyService,
) -> None:
    """The answer quotes only the named place's documents, so the ranking shows them first:
    Sample City's overseas-warehouse article is not ranked above the Demo Hi-tech Zone's
    clauses for a question about the zone."""
    index = corpus_service.snapshot()
    question = "Does the Demo Hi-tech Zone subsidize overseas warehouses?"
    scope = corpus_service.retriever.scope(index, question)
    assert scope.documents and all(d.startswith("demo-zone") for d in scope.documents)
    hits = corpus_service.retriever.search(index, question, 120)
    inside = [scope.admits(h.chunk.doc_id, index.level(h.chunk.doc_id)) for h in hits]
    assert inside[0] and False in inside  # other places' clauses are still listed, after
    assert inside == sorted(inside, reverse=True)
    unnamed = corpus_service.search("Which overseas warehouses are subsidized?", top_k=15)
    assert not unnamed[0].chunk.doc_id.startswith("demo-zone")
