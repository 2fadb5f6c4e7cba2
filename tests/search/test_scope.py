"""What a question names: the national Notice, a locality, a document number, a year."""

from __future__ import annotations

from dataclasses import replace

from assistant.search.scope import ScopeReader, locality_names
from assistant.service import PolicyService

NOTICE = "notice-2022-industrial-economy"


def test_a_region_is_known_by_its_own_name_its_alias_and_its_zone_abbreviation() -> None:
    assert locality_names("样本市 (Sample City), 示例省") == {"样本市", "Sample City"}
    assert "演示高新区" in locality_names("演示高新技术产业开发区 (Demo Hi-tech Zone), 样本市")
    assert locality_names("China") == set()
    assert locality_names(None) == set()


def test_scope_is_read_from_the_documents_metadata(corpus_service: PolicyService) -> None:
    reader = ScopeReader(corpus_service.snapshot().documents)
    notice = reader.read("《通知》关于中欧班列是怎么说的？")
    assert notice.national and not notice.documents
    assert notice.weight(NOTICE, "national") == 1.0
    assert notice.remainder("《通知》关于中欧班列是怎么说的？").count("通知") == 0

    city = reader.read("样本市2023年购买纯电动乘用车每辆补贴多少钱？")
    assert not city.national
    assert "sc-auto-consumption-2023" in city.documents
    assert "ep-equipment-upgrade-2022" not in city.documents
    # the year adds to the city: the 2023 measures outrank the 2022 ones
    assert city.weight("sc-auto-consumption-2023", "municipal") > city.weight(
        "sc-auto-consumption-2022", "municipal"
    )
    # "国家级" is a local award's condition, not the national level
    award = reader.read("企业首次被认定为国家级专精特新“小巨人”，演示高新区奖励多少？")
    assert not award.national and "demo-zone-srdi-sme-2023" in award.documents

    number = reader.read("示工信发〔2022〕58号规定了什么？")
    assert number.documents == {"ep-equipment-upgrade-2022"}


def test_a_real_place_no_document_covers_is_reported(corpus_service: PolicyService) -> None:
    reader = ScopeReader(corpus_service.snapshot().documents)
    assert reader.read("广东省买新能源汽车有什么购车补贴？").unknown_places == ("广东省",)
    assert reader.read("What subsidies does Shanghai give?").unknown_places == ("上海市",)
    # a question about a corpus locality may name other places in passing
    assert reader.read("示例省对香港投资者有什么服务？").unknown_places == ()


def test_a_place_by_its_shape_alone_is_unknown_unless_a_document_covers_it(
    corpus_service: PolicyService,
) -> None:
    reader = ScopeReader(corpus_service.snapshot().documents)
    question = "模范市对市民购买新能源汽车有没有补贴？"
    assert reader.read(question).unknown_places == ("模范市",)
    assert reader.read("Does Model City subsidize electric cars?").unknown_places == ("Model City",)
    assert not corpus_service.ask(question).answered
    # Words shaped like a place that are not one, and the corpus's own places, stay known.
    for known in (
        "科创板上市企业有什么奖励？",
        "本市对新能源汽车有没有补贴？",
        "城市更新有没有补贴？",
        "样本市对汽车有补贴吗？",
        "In Sample City, is there a subsidy for freight?",
    ):
        assert reader.read(known).unknown_places == (), known


def test_answers_come_from_the_documents_the_question_names(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask("样本市2023年购买纯电动乘用车每辆补贴多少钱？")
    assert answer.answered
    assert {c.doc_id for c in answer.citations} <= {
        d for d in corpus_service.snapshot().documents if d.startswith("sc-")
    }
    assert answer.citations[0].doc_id == "sc-auto-consumption-2023"


def test_a_place_is_also_known_by_the_name_its_text_gives_it_in_brackets(
    corpus_service: PolicyService,
) -> None:
    """A document read without a manifest entry has as region only the name its text leads
    with; "Port Town (港口镇)" in its text lets a question use either name."""
    documents = dict(corpus_service.snapshot().documents)
    source = documents["sc-export-stabilization-2023"]
    text = "Port Town Export Measures\nPort Town (港口镇) supports exporters.\n" + source.text
    documents["port-town"] = replace(
        source, meta=source.meta.model_copy(update={"region": "Port Town"}), text=text
    )
    reader = ScopeReader(documents)
    assert reader.read("港口镇对出口企业有什么支持？").documents == {"port-town"}
    assert reader.read("What does Port Town give exporters?").documents == {"port-town"}


def test_a_place_shaped_name_may_be_the_other_name_of_a_document_that_gives_one(
    corpus_service: PolicyService,
) -> None:
    """A document whose text names its county only in Chinese may be what an English county
    name means: none is refused as an unknown place, while Chinese names still are."""
    documents = dict(corpus_service.snapshot().documents)
    source = documents["ep-equipment-upgrade-2022"]
    documents["county"] = replace(source, meta=source.meta.model_copy(update={"region": "样例县"}))
    reader = ScopeReader(documents)
    sample_county = reader.read("Does Sample County subsidize new equipment?")
    assert sample_county.unknown_places == ()
    # its English name, word for word through CC-CEDICT, points at it
    assert sample_county.documents == {"county"}
    assert reader.read("Does Shady County subsidize new equipment?").unknown_places == ()
    assert reader.read("模范县对设备更新有没有补贴？").unknown_places == ("模范县",)


def test_a_question_naming_the_notice_alone_is_answered_from_the_notice_alone(
    corpus_service: PolicyService,
) -> None:
    reader = ScopeReader(corpus_service.snapshot().documents)
    assert reader.read("《通知》规定购买新能源汽车每辆补贴多少钱？").notice_only
    assert reader.read("What does the Notice say about overseas warehouses?").notice_only
    # how places carry it out, or a place beside it, opens the local documents again
    assert not reader.read("各地是怎么落实《通知》的设备更新措施的？").notice_only
    assert not reader.read("《通知》提出支持海外仓，样本市是怎么落实的？").notice_only
    assert not reader.read("样本市2023年购买纯电动乘用车每辆补贴多少钱？").notice_only
    # a local amount is no answer to what the Notice sets
    answer = corpus_service.ask("《通知》规定购买新能源汽车每辆补贴多少钱？")
    assert {c.doc_id for c in answer.citations} <= {NOTICE}
    hits = corpus_service.search("What does the Notice say about overseas warehouses?", top_k=5)
    assert hits and {h.chunk.doc_id for h in hits} == {NOTICE}
    # a filter the caller chose stands
    assert reader.read("《通知》说了什么？").narrowed({"level": "municipal"}) == {
        "level": "municipal"
    }


def test_a_question_the_notice_does_not_answer_points_to_local_documents(
    service: PolicyService,
) -> None:
    settings = service.settings.model_copy(
        update={
            "support_threshold": 1.0,
            "scope_threshold": 1.0,
            "evidence_threshold": 1.0,
            "cross_language_threshold": 1.0,
        }
    )
    strict = PolicyService(settings, service.embedder)
    answer = strict.ask("《通知》规定的公共充电站补贴标准是多少？")
    assert not answer.answered and answer.note == "not_in_notice"
    assert answer.answer.startswith("《通知》中没有回答这个问题的条款")
    assert answer.suggested_documents
    levels = {strict.document(s["doc_id"]).meta.level for s in answer.suggested_documents}
    assert "national" not in levels
    # the local documents are written for the demo, and the refusal says so of each
    for suggestion in answer.suggested_documents:
        assert f"《{suggestion['title']}（虚构示例）》" in answer.answer
