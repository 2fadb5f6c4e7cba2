from __future__ import annotations

from assistant.answer.eligibility import LocalityMap, evaluate, profile_from_text
from assistant.service import PolicyService
from assistant.types import Condition, Profile

EXPORTER = Profile(
    region="样本市",
    industry="auto_parts",
    employees=300,
    annual_revenue_wan=20000,
    ownership="private",
    export_share=0.4,
)


def measure(result, clause_id: str):  # type: ignore[no-untyped-def]
    return next(m for m in result.measures if m.citations[0].clause_id == clause_id)


def test_a_qualifying_exporter_meets_the_export_measures(corpus_service: PolicyService) -> None:
    result = corpus_service.eligibility(EXPORTER, include_unmet=True, limit=100)
    premium = measure(result, "sc-export-stabilization-2023:1.7.2")
    assert premium.status == "met" and premium.in_force
    share = next(c for c in premium.conditions if c.field == "export_share")
    assert share.status == "met"
    assert share.citation.quote == "export revenue accounted for not less than 30%"
    for m in result.measures:
        for c in [*m.citations, *(x.citation for x in m.conditions)]:
            assert corpus_service.document(c.doc_id).text[c.start : c.end] == c.quote
    ranks = [{"met": 0, "unknown": 1, "unmet": 2}[m.status] for m in result.measures]
    assert ranks == sorted(ranks)


def test_a_missing_field_is_unknown_with_the_clause_that_needs_it(
    corpus_service: PolicyService,
) -> None:
    no_share = EXPORTER.model_copy(update={"export_share": None})
    result = corpus_service.eligibility(no_share, include_unmet=True, limit=100)
    premium = measure(result, "sc-export-stabilization-2023:1.7.2")
    assert premium.status == "unknown"  # never met without the export share
    share = next(c for c in premium.conditions if c.field == "export_share")
    assert share.status == "unknown"
    assert "not less than 30%" in share.citation.quote


def test_a_failed_condition_rules_a_measure_out(corpus_service: PolicyService) -> None:
    small_exporter = EXPORTER.model_copy(update={"export_share": 0.2})
    result = corpus_service.eligibility(small_exporter, include_unmet=True, limit=100)
    assert measure(result, "sc-export-stabilization-2023:1.7.2").status == "unmet"
    shown = corpus_service.eligibility(small_exporter, limit=100)
    assert all(m.status != "unmet" for m in shown.measures)


def test_superseded_documents_are_never_met(corpus_service: PolicyService) -> None:
    buyer = Profile(region="样本市")
    result = corpus_service.eligibility(buyer, include_unmet=True, limit=200)
    old = [m for m in result.measures if m.document_status != "in_force"]
    assert old and all(m.status == "unmet" and not m.in_force for m in old)


def test_question_is_read_into_a_profile(corpus_service: PolicyService) -> None:
    result = corpus_service.eligibility(
        question=(
            "我们是样本市一家民营汽车零部件企业，300名员工，年营业收入2亿元，出口额占营业收入40%，"
            "可以申请哪些出口方面的支持？"
        )
    )
    profile = result.profile
    assert (
        profile.region,
        profile.industry,
        profile.employees,
        profile.annual_revenue_wan,
        profile.ownership,
        profile.export_share,
    ) == ("样本市", "auto_parts", 300, 20000.0, "private", 0.4)
    assert result.note and result.measures
    assert all(m.citations[0].doc_id == "sc-export-stabilization-2023" for m in result.measures)


def test_english_description_and_locality_hierarchy() -> None:
    places = LocalityMap(
        [
            "样本市 (Sample City), 示例省",
            "示例省 (Example Province)",
            "演示高新技术产业开发区 (Demo Hi-tech Zone), 样本市, 示例省",
        ]
    )
    profile = profile_from_text(
        "We are a 200-employee foreign-invested SRDI battery maker in "
        "the Demo Hi-tech Zone, exporting 60% of revenue.",
        places,
    )
    assert (profile.employees, profile.ownership, profile.export_share, profile.industry) == (
        200,
        "foreign_invested",
        0.6,
        "battery",
    )
    assert "srdi" in profile.certifications
    zone = places.resolve(profile.region)
    assert {"示例省", "样本市", "demo hi-tech zone"} <= zone
    province_rule = Condition(
        field="region", operator="in", value=["示例省"], text="x", start=0, end=1
    )
    assert evaluate(province_rule, profile, zone, places)[0] == "met"
    city_rule = Condition(field="region", operator="in", value=["样本市"], text="x", start=0, end=1)
    province_firm = places.resolve("示例省")
    assert evaluate(city_rule, profile, province_firm, places)[0] == "unmet"
