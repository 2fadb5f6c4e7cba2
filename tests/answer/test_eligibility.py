"""Eligibility: every condition accounted for, no false "met", estimates, the chat."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from rich.cells import cell_len
from typer.testing import CliRunner

from assistant.answer.eligibility import LocalityMap, evaluate, follow_up_questions
from assistant.answer.eligibility_text import eligibility_answer_text
from assistant.answer.estimate import rate_base
from assistant.answer.profile import asks_what_applies, profile_from_text
from assistant.cli import app, eligibility_table
from assistant.config import Settings
from assistant.ingest.conditions import industries_in
from assistant.ingest.restrictions import read_clause
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService
from assistant.types import Action, Condition, EligibilityResult, MeasureResult, Profile, Turn
from evals.eligibility import check, floors, load, score, split_of
from tests.conftest import REPO

ISSUE_EXAMPLE = (
    "我们是样本市一家民营汽车零部件企业，规模以上，300名员工，出口额占营业收入40%，能申请哪些支持？"
)
EXPORTER = Profile(
    region="样本市",
    industry="auto_parts",
    employees=300,
    annual_revenue_wan=20000,
    ownership="private",
    export_share=0.4,
    roles=["manufacturer"],
)
EQUIPMENT_BUYER = Profile(
    region="示例省",
    industry="auto_parts",
    ownership="private",
    above_designated_size=True,
    roles=["manufacturer"],
    actions=[Action(kind="buy_equipment", amount_wan=2000, date="2022-10-15")],
    attestations=[
        "legal_person",
        "tax_paid",
        "no_major_accident",
        "good_credit",
        "new_equipment",
        "no_prior_support",
    ],
)


@pytest.fixture(scope="module")
def new_documents_service(
    tmp_path_factory: pytest.TempPathFactory, embedder: UniversalSentenceEncoder
) -> PolicyService:
    """The bundled corpus plus the two evaluation documents, without manifest entries."""
    root = tmp_path_factory.mktemp("new-docs")
    corpus = root / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    for path in (REPO / "evals" / "new_documents" / "documents").iterdir():
        shutil.copy(path, corpus / "documents" / path.name)
    service = PolicyService(Settings(index_dir=root / "index"), embedder)
    service.ingest(corpus)
    return service


def measure(result: EligibilityResult, clause_id: str) -> MeasureResult:
    return next(m for m in result.measures if m.clause_id == clause_id)


def assert_met_means_all_met(result: EligibilityResult) -> None:
    for m in result.measures:
        if m.status == "met":
            assert all(c.status == "met" for c in m.conditions), m.clause_id
        if m.status == "unknown":
            assert any(c.status == "unknown" for c in m.conditions)
            assert all(c.status != "unmet" for c in m.conditions)
        if m.status == "unmet" and m.in_force:
            assert any(c.status == "unmet" for c in m.conditions)


def test_every_condition_is_cited_verbatim_and_met_needs_all(
    corpus_service: PolicyService,
) -> None:
    for profile in (EXPORTER, EQUIPMENT_BUYER, Profile(region="样本市")):
        result = corpus_service.eligibility(profile, include_unmet=True, limit=1000)
        assert_met_means_all_met(result)
        for m in result.measures:
            for c in [*m.citations, *(x.citation for x in m.conditions)]:
                assert corpus_service.document(c.doc_id).text[c.start : c.end] == c.quote


def test_unreadable_restrictions_stay_to_confirm_with_their_words(
    corpus_service: PolicyService,
) -> None:
    result = corpus_service.eligibility(EQUIPMENT_BUYER, include_unmet=True, limit=1000)
    growth = measure(result, "sc-q4-industrial-growth-2022:2.3.2")
    # A growth floor and its quarter are facts of the output, asked about when not given.
    floor = [c for c in growth.conditions if c.field in {"action_growth", "action_date"}]
    assert {c.citation.quote for c in floor} >= {"增长10%以上", "2022年第四季度"}
    assert all(c.structured and c.status == "unknown" and c.question for c in floor)
    first_sale = measure(result, "demo-zone-srdi-sme-2023:8")
    open_ = [c for c in first_sale.conditions if not c.structured]
    product = "专精特新中小企业研制的装备或关键零部件产品首次实现销售"
    assert any(c.citation.quote == product and c.status == "unknown" for c in open_)
    # The loan term is a profile fact now; a profile without a loan leaves it to ask.
    loan = measure(result, "ep-equipment-upgrade-2022:3.2")
    term = next(c for c in loan.conditions if c.citation.quote == "期限不少于1年")
    assert term.structured and term.status == "unknown" and term.question
    assert loan.status != "met"
    assert all(c.question for c in loan.conditions if c.status == "unknown")


def test_platform_operator_award_is_unmet_for_a_manufacturer(
    corpus_service: PolicyService,
) -> None:
    result = corpus_service.eligibility(EXPORTER, include_unmet=True, limit=1000)
    award = measure(result, "sc-export-stabilization-2023:1.4.3")
    assert award.status == "unmet"
    failed = [c for c in award.conditions if c.status == "unmet"]
    assert any(c.field == "role" and c.citation.quote == "platform operator" for c in failed)


def test_equipment_measure_checks_floor_and_date_and_estimates(
    corpus_service: PolicyService,
) -> None:
    result = corpus_service.eligibility(EQUIPMENT_BUYER, include_unmet=True, limit=1000)
    base, raised = (
        measure(result, "ep-equipment-upgrade-2022:2.1"),
        measure(result, "ep-equipment-upgrade-2022:2.2"),
    )
    assert base.status == "met" and raised.status == "met"
    quotes = {c.citation.quote for c in raised.conditions}
    assert {"不低于500万元", "2022年9月1日以后"} <= quotes  # 第四条's floor and date, checked
    assert raised.estimate is not None
    assert raised.estimate.amount_wan == 240
    assert raised.estimate.computation.startswith("2,000万")
    assert "400万" in raised.estimate.computation
    assert {c.quote for c in raised.estimate.citations} == {"12%", "400万元"}
    small = EQUIPMENT_BUYER.model_copy(
        update={"actions": [Action(kind="buy_equipment", amount_wan=400, date="2022-10-15")]}
    )
    below = measure(
        corpus_service.eligibility(small, include_unmet=True, limit=1000),
        "ep-equipment-upgrade-2022:2.1",
    )
    assert below.status == "unmet"
    assert any(
        c.status == "unmet" and c.citation.quote == "不低于500万元" for c in below.conditions
    )


def test_major_project_award_off_the_list_is_unmet_citing_the_floor(
    corpus_service: PolicyService,
) -> None:
    question = (
        "我们是示例省的制造业企业，有一个2500万元设备投资的重大项目，2023年3月开工，"
        "没有列入省年度重点建设项目计划，能申请重大项目奖励吗？"
    )
    result = corpus_service.eligibility(question=question, include_unmet=True, limit=1000)
    award = measure(result, "ep-equipment-upgrade-2022:4.3")
    assert award.status == "unmet"
    assert any(c.status == "unmet" and "5亿元以上" in c.citation.quote for c in award.conditions)


def test_superseded_documents_are_never_met_and_the_date_chooses_the_version(
    corpus_service: PolicyService,
) -> None:
    buyer = Profile(region="样本市", roles=["individual_consumer"])
    result = corpus_service.eligibility(buyer, include_unmet=True, limit=1000)
    old = [m for m in result.measures if m.document_status != "in_force"]
    assert old and all(m.status == "unmet" and not m.in_force for m in old)
    back_then = Profile.model_validate({**buyer.model_dump(), "as_of": "2023-01-15"})
    earlier = corpus_service.eligibility(back_then, include_unmet=True, limit=1000)
    assert any(
        m.in_force for m in earlier.measures if m.clause_id.startswith("sc-auto-consumption-2022")
    )
    assert not any(
        m.in_force for m in earlier.measures if m.clause_id.startswith("sc-auto-consumption-2023")
    )


def test_profile_from_words_zh_and_en() -> None:
    places = LocalityMap(
        [
            "样本市 (Sample City), 示例省",
            "示例省 (Example Province)",
            "演示高新技术产业开发区 (Demo Hi-tech Zone), 样本市, 示例省",
        ]
    )
    zh = profile_from_text(
        "我们是示例省一家规模以上的民营汽车零部件制造企业，独立法人，近三年无安全事故，"
        "2022年10月15日新购置生产设备2000万元，能申请哪些支持？",
        places,
    )
    assert (zh.region, zh.industry, zh.ownership, zh.above_designated_size) == (
        "示例省",
        "auto_parts",
        "private",
        True,
    )
    assert zh.roles == ["manufacturer"]
    assert {"legal_person", "no_major_accident"} <= set(zh.attestations)
    bought = next(a for a in zh.actions if a.kind == "buy_equipment")
    assert (bought.amount_wan, str(bought.date)) == (2000, "2022-10-15")
    en = profile_from_text(
        "We are a 200-employee foreign-invested SRDI battery maker in the Demo Hi-tech Zone, "
        "exporting 60% of revenue; 2022 exports were USD 30 million.",
        places,
    )
    assert (en.employees, en.ownership, en.export_share, en.industry) == (
        200,
        "foreign_invested",
        0.6,
        "battery",
    )
    assert en.annual_exports_usd_wan == 3000 and "srdi" in en.certifications
    zone = places.resolve(en.region)
    province_rule = Condition(
        field="region", operator="in", value=["示例省"], text="x", start=0, end=1
    )
    assert evaluate(province_rule, en, zone, places)[0] == "met"
    assert asks_what_applies(ISSUE_EXAMPLE)
    assert not asks_what_applies("样本市2023年购买新能源汽车每辆补贴多少？")


def test_the_chat_answers_an_enterprise_with_measures(corpus_service: PolicyService) -> None:
    answer = corpus_service.ask(ISSUE_EXAMPLE)
    assert answer.answered and answer.eligibility is not None
    assert answer.citations and "[1]" in answer.answer
    assert answer.eligibility.profile.export_share == 0.4
    assert answer.eligibility.follow_up_questions
    assert_met_means_all_met(answer.eligibility)
    shown = [m for m in answer.eligibility.measures if m.status in {"met", "unknown"}]
    assert shown and all(m.status != "unmet" for m in answer.eligibility.measures)
    follow_up = corpus_service.ask(
        "我们已认定为专精特新中小企业", history=[Turn(question=ISSUE_EXAMPLE)]
    )
    assert follow_up.eligibility is not None
    assert "srdi" in follow_up.eligibility.profile.certifications
    assert follow_up.eligibility.profile.export_share == 0.4
    other = corpus_service.ask("样本市2023年购买新能源汽车每辆补贴多少？")
    assert other.eligibility is None


def test_answers_to_the_follow_up_questions_build_up_the_profile(
    corpus_service: PolicyService,
) -> None:
    """A user answering the matcher's questions, one message at a time, is read together
    with the description they started from; a question about the answer is not."""
    earlier = [Turn(question=ISSUE_EXAMPLE), Turn(question="我们是专精特新中小企业")]
    bought = corpus_service.ask("我们2023年3月新购置生产设备800万元，已安装调试", history=earlier)
    assert bought.eligibility is not None
    profile = bought.eligibility.profile
    assert "srdi" in profile.certifications and profile.export_share == 0.4
    assert [(a.kind, a.amount_wan) for a in profile.actions] == [("buy_equipment", 800)]
    assert any(m.estimate is not None for m in bought.eligibility.measures)
    asked = corpus_service.ask("第五条的申报截止时间是什么？", history=earlier)
    assert asked.eligibility is None
    unrelated = corpus_service.ask(
        "我们2023年3月新购置生产设备800万元", history=[Turn(question="海外仓补贴标准是什么？")]
    )
    assert unrelated.eligibility is None


def test_new_documents_either_side_of_a_threshold(new_documents_service: PolicyService) -> None:
    cases = {c.id: c for c in load()}
    for case_id, clause_id, expected in [
        ("p05", "sample-county-equipment-renewal-2023:3", "met"),
        ("p06", "sample-county-equipment-renewal-2023:3", "unmet"),
        ("p08", "sample-port-city-export-logistics-2023:1.3.1", "unmet"),
        ("p09", "sample-port-city-export-logistics-2023:1.4.1", "unmet"),
    ]:
        result = new_documents_service.eligibility(
            cases[case_id].profile, include_unmet=True, limit=1000
        )
        assert measure(result, clause_id).status == expected, (case_id, clause_id)
        assert_met_means_all_met(result)


def test_test_profiles_meet_the_recorded_floors_and_none_is_falsely_met(
    new_documents_service: PolicyService,
) -> None:
    held_out = [c for c in load() if split_of(c) == "test"]
    assert len({c.language for c in held_out}) == 2
    for from_text in (False, True):
        on_test = score(new_documents_service, held_out, from_text)
        assert check(on_test.summary(), floors(from_text)) == [], from_text
        everywhere = score(new_documents_service, load(), from_text)
        assert everywhere.false_met == [] and everywhere.unlabelled_met == []
        assert everywhere.true_met >= 3


def test_an_exemption_waives_the_condition_it_names_for_the_roles_it_names() -> None:
    waiver = Condition(
        field="role",
        operator="in",
        value=["platform_operator"],
        text="The 30% export-share condition does not apply to platform operators",
        start=500,
        end=560,
    )
    share = Condition(
        field="export_share",
        operator=">=",
        value=0.3,
        text="not less than 30%",
        start=100,
        end=117,
        waived_by=waiver,
    )
    operator = Profile(roles=["platform_operator"], export_share=0.05)
    maker = Profile(roles=["manufacturer"], export_share=0.05)
    assert evaluate(share, operator, set())[0] == "met"
    assert evaluate(share, maker, set())[0] == "unmet"
    # A low share with no role said might still be waived: to confirm, never unmet or met.
    assert evaluate(share, Profile(export_share=0.05), set())[0] == "unknown"


def test_rd_ratio_arrears_loan_term_and_lists_are_structured() -> None:
    rd = read_clause(
        "（三）上一年度研究开发费用占营业收入的比重不低于3%；", 0, "x", context="require"
    )
    assert [(c.field, c.value) for c in rd] == [("rd_ratio", 0.03)]
    arrears = read_clause("无欠缴税款和社会保险费记录。", 0, "x", context="require")
    assert [(c.field, c.value) for c in arrears] == [("attestation", "no_arrears")]
    loan = read_clause(
        "申请贴息的单笔贷款金额应不低于300万元，贷款期限不少于1年。", 0, "x", context="grant"
    )
    assert ("action_amount", 300.0, "tech_loan") in {(c.field, c.value, c.subject) for c in loan}
    assert ("action_months", 12.0, "tech_loan") in {(c.field, c.value, c.subject) for c in loan}
    listed = read_clause(
        "- Eligible services are equipment networking, manufacturing execution systems and "
        "data security assessment.",
        0,
        "x",
        context="require",
    )
    assert [c.field for c in listed] == ["action_detail"]
    mes = Profile(actions=[Action(kind="digital_contract", what="an MES service contract")])
    office = Profile(actions=[Action(kind="digital_contract", what="office software")])
    assert evaluate(listed[0], mes, set())[0] == "met"
    assert evaluate(listed[0], office, set())[0] == "unknown"
    said = profile_from_text(
        "我们与银行签订技术改造项目贷款合同150万元，贷款期限2年，研发费用占营业收入8%。",
        LocalityMap([]),
    )
    assert said.rd_ratio == 0.08
    assert [(a.amount_wan, a.months) for a in said.actions if a.kind == "tech_loan"] == [
        (150.0, 24.0)
    ]


def test_document_conditions_naming_one_benefit_govern_only_it(
    new_documents_service: PolicyService,
) -> None:
    measures = {
        m.clause_id: m
        for m in new_documents_service.advisor.measures(new_documents_service.snapshot())
    }
    from_article_2 = {
        clause_id: {c.field for c in m.conditions if c.clause_id and c.clause_id.endswith(":2")}
        for clause_id, m in measures.items()
        if clause_id.startswith("sample-county-equipment-renewal-2023:")
    }
    # 第二条 is "申请设备购置补助的企业应同时满足": the equipment subsidy (第三条) and the
    # award added to it (第七条), not the loan interest (第四条) or leasing (第五条).
    assert {"annual_revenue_wan", "action_amount", "action_date"} <= from_article_2[
        "sample-county-equipment-renewal-2023:3"
    ]
    assert "annual_revenue_wan" in from_article_2["sample-county-equipment-renewal-2023:7"]
    assert not from_article_2["sample-county-equipment-renewal-2023:4"]
    assert not from_article_2["sample-county-equipment-renewal-2023:5"]


def test_other_enterprises_are_those_outside_the_group_before(
    new_documents_service: PolicyService,
) -> None:
    cases = {c.id: c for c in load()}
    other = "sc-export-stabilization-2023:1.7.2"
    for case_id, expected in [("f01", "unmet"), ("f02", "met"), ("p03", "met")]:
        result = new_documents_service.eligibility(
            cases[case_id].profile, include_unmet=True, limit=1000
        )
        assert measure(result, other).status == expected, case_id
        assert_met_means_all_met(result)


def test_cli_table_fits_one_screen_and_json_keeps_every_span(
    corpus_service: PolicyService,
) -> None:
    result = corpus_service.eligibility(question=ISSUE_EXAMPLE, include_unmet=True, limit=1000)
    table = eligibility_table(result)
    lines = table.splitlines()
    assert len(lines) <= 30
    assert all(cell_len(line) <= 120 for line in lines)
    assert lines[1].split()[:3] == ["STATUS", "CLAUSE", "MEASURE"]
    assert "--json" in lines[-1]
    shown = [line.split()[1] for line in lines[2:] if line.split()[:1] in (["MET"], ["CONFIRM"])]
    # Each row names its clause by number, even where the document's name is cut.
    assert shown and all(
        any(m.clause_id.endswith(c.split(":")[-1]) for m in result.measures) for c in shown
    )
    dumped = result.model_dump(mode="json")
    for m in dumped["measures"]:
        for c in m["conditions"]:
            assert {"status", "reason", "citation"} <= set(c)
            assert c["citation"]["end"] > c["citation"]["start"]
    # A profile with the date it asks about prints too (the date is shown as text).
    dated = corpus_service.eligibility(question=ISSUE_EXAMPLE + "今天是2023年8月15日。")
    assert '"as_of": "2023-08-15"' in eligibility_table(dated, width=400).splitlines()[0]


def test_cli_eligibility_human_and_json(tmp_path: Path, fixture_corpus: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", "--corpus", str(fixture_corpus)]).exit_code == 0
    profile = tmp_path / "profile.json"
    profile.write_text(
        json.dumps({"region": "示例区", "roles": ["manufacturer"]}, ensure_ascii=False), "utf-8"
    )
    human = runner.invoke(app, ["eligibility", "--profile", str(profile)])
    assert human.exit_code == 0, human.output
    assert "STATUS" in human.stdout and len(human.stdout.splitlines()) <= 30
    raw = runner.invoke(app, ["eligibility", "--profile", str(profile), "--json"])
    assert raw.exit_code == 0, raw.output
    data = json.loads(raw.stdout)
    assert data["measures"], "the fixture corpus has measures for this profile"
    for m in data["measures"]:
        assert m["conditions"] and all("start" in c["citation"] for c in m["conditions"])


def test_a_figure_no_rule_reads_is_kept_to_confirm_never_dropped() -> None:
    revenue = read_clause(
        "- its operating revenue in 2022 was RMB 5 million or more;", 0, "x", context="require"
    )
    assert [(c.field, c.operator, c.value) for c in revenue] == [
        ("annual_revenue_wan", ">=", 500.0)
    ]
    odd = read_clause(
        "- it shipped at least 300 containers through the port in 2023;", 0, "x", context="require"
    )
    assert [c.field for c in odd] == ["other"] and "300 containers" in odd[0].text


def test_what_is_paid_is_not_a_condition_but_a_cumulative_cap_is() -> None:
    benefit = (
        "A one-time subsidy of 10% of the actual lease cost is granted, capped at RMB 2 million."
    )
    assert read_clause(benefit, 0, "x", context="grant") == []
    assert read_clause("单个企业最高不超过300万元。", 0, "x", context="require") == []
    cumulative = read_clause("同一企业各项补助累计不超过500万元。", 0, "x", context="require")
    assert cumulative, "a cumulative cap restricts what else the enterprise has received"
    forwarders = read_clause(
        "Freight forwarders do not receive the subsidy themselves.", 0, "x", context="require"
    )
    assert [(c.field, c.operator, c.value) for c in forwarders] == [
        ("role", "not_in", ["forwarder"])
    ]


def test_an_admission_window_in_the_procedure_governs_every_measure(
    new_documents_service: PolicyService,
) -> None:
    """ "受理2022年1月1日以后取得的认定" sits among the application steps, yet limits what is
    accepted: no award of that document is met while it is unchecked."""
    result = new_documents_service.eligibility(
        Profile(
            region="演示高新区",
            certifications=["little_giant"],
            registered_years=5,
            rd_ratio=0.05,
            attestations=["legal_person", "no_major_accident", "good_credit", "no_arrears"],
        ),
        include_unmet=True,
        limit=1000,
    )
    award = measure(result, "demo-zone-srdi-sme-2023:3")
    assert award.status == "unknown"
    assert any("2022年1月1日以后" in c.citation.quote for c in award.conditions)

    def window_of(recognized: str) -> tuple[str, str]:
        profile = Profile(
            region="演示高新区",
            certifications=["little_giant"],
            registered_years=5,
            rd_ratio=0.05,
            attestations=["legal_person", "no_major_accident", "good_credit", "no_arrears"],
            free_text=f"我们{recognized}首次被认定为国家级专精特新“小巨人”企业。",
        )
        found = new_documents_service.eligibility(profile, include_unmet=True, limit=1000)
        award = measure(found, "demo-zone-srdi-sme-2023:3")
        window = next(c for c in award.conditions if c.field == "event_date")
        assert window.citation.quote.startswith("受理2022年1月1日以后")
        return award.status, window.status

    # The recognition is the event the award pays for: its date settles the window.
    assert window_of("2022年7月") == ("met", "met")
    assert window_of("2021年12月") == ("unmet", "unmet")


def test_the_words_give_the_date_asked_about_and_only_counts_of_enterprises_served() -> None:
    places = LocalityMap(["演示高新区", "样本市"])
    profile = profile_from_text(
        "我们与名单内服务商签订了设备联网服务合同16万元。现在是2023年8月15日，能申请哪些支持？",
        places,
    )
    assert profile.as_of is not None and profile.as_of.isoformat() == "2023-08-15"
    assert profile.served_enterprises is None
    warehouse = profile_from_text(
        "Our warehouse served 12 other Sample City exporters in 2023. What can we apply for?",
        places,
    )
    assert warehouse.served_enterprises == 12
    assert (
        profile_from_text("我们为样本市另外9家出口企业提供了服务", places).served_enterprises == 9
    )


def test_a_closed_application_window_rules_a_measure_out_on_the_date_given(
    corpus_service: PolicyService,
) -> None:
    """Recognized as a regional headquarters on 20 September 2023: the award is applied for
    within 6 months, so on 15 April 2024 it can no longer be had; on 1 February 2024 it can.
    A reinvestment made in 2023 is applied for in March-April 2024."""

    def award(as_of: str, clause: str) -> MeasureResult:
        profile = Profile(
            region="Example Province",
            ownership="foreign_invested",
            attestations=["legal_person", "good_credit"],
            actions=[
                Action(
                    kind="reinvestment",
                    date="2023-10-16",
                    what="USD 5.3 million of 2022 profits reinvested as a capital increase",
                )
            ],
            as_of=as_of,
            free_text=(
                "On 20 September 2023 the Example Province Department of Commerce recognized us "
                "as a regional headquarters. We manage 4 enterprises and our parent has total "
                "assets of USD 3 billion."
            ),
        )
        found = corpus_service.eligibility(profile, include_unmet=True, limit=1000)
        return measure(found, clause)

    late = award("2024-04-15", "ep-foreign-investment-services-2023:2.6")
    window = next(c for c in late.conditions if c.field == "application_window")
    assert (late.status, window.status) == ("unmet", "unmet")
    assert "2024-03-20" in window.reason and "6 months" in window.citation.quote
    early = award("2024-02-01", "ep-foreign-investment-services-2023:2.6")
    assert next(c for c in early.conditions if c.field == "application_window").status == "met"
    reinvested = award("2024-04-15", "ep-foreign-investment-services-2023:2.5.3")
    window = next(c for c in reinvested.conditions if c.field == "application_window")
    assert window.status == "met" and "30 April 2024" in window.citation.quote
    assert award("2025-06-01", "ep-foreign-investment-services-2023:2.5.3").status == "unmet"


def test_the_words_reader_takes_what_enterprises_say_in_their_own_phrasing() -> None:
    places = LocalityMap(["演示高新区", "Example Province", "Sample City"])
    zh = profile_from_text(
        "我们是2019年8月在演示高新区注册的化工新材料生产企业，2022年营业收入1.6亿元，"
        "研发费用1100万元，约占营业收入的6.9%。2021年12月首次被认定为示例省专精特新中小企业，"
        "目前还不是国家级专精特新“小巨人”企业。我们自己不运营跨境电商平台。"
        "公司近三年没有发生重大安全生产、环境污染和产品质量事故，这个项目没拿过省级财政资金。"
        "今天是2023年4月18日。",
        places,
    )
    assert zh.industry == "new_materials"  # the head of "化工新材料"
    assert zh.registered_years == pytest.approx(3.71, abs=0.01)
    assert zh.rd_ratio == pytest.approx(0.069)
    assert zh.certifications == ["srdi"]
    assert "platform_operator" not in zh.roles
    assert {"no_major_accident", "no_prior_support"} <= set(zh.attestations)
    en = profile_from_text(
        "We are a Korean-invested manufacturer of household air conditioners in Example "
        "Province, registered there since March 2019. We have never been listed as a seriously "
        "dishonest entity, none of our products are subject to export control, and none of "
        "these items has received other support. Our R&D expenses were RMB 6.1 million (7.1% "
        "of revenue). Today is 12 September 2023.",
        places,
    )
    assert (en.ownership, en.industry) == ("foreign_invested", "home_appliances")
    assert en.registered_years == pytest.approx(4.53, abs=0.01)
    assert en.rd_ratio == pytest.approx(0.071)
    assert {"good_credit", "export_licensed", "no_prior_support"} <= set(en.attestations)
    plain = profile_from_text("独立法人，照章纳税，没上过失信名单，安全生产无事故。", places)
    assert {"legal_person", "tax_paid", "good_credit", "no_major_accident"} <= set(
        plain.attestations
    )
    # Not yet counted above designated size is not above it.
    assert (
        profile_from_text("目前还没有纳入规模以上工业统计。", places).above_designated_size is False
    )


def test_the_words_reader_takes_numbers_and_dates_in_the_styles_people_write() -> None:
    places = LocalityMap(["样本市", "Sample City"])
    zh = profile_from_text(
        "我们是样本市的家电厂，员工三百人，2022年营业额8000万元，出口占比三成，"
        "2023年3月15号买了一台新设备，花了650万；2023年4月10日签了技改贷款合同500万元，"
        "贷款期限两年。今天2023年8月1日。",
        places,
    )
    assert (zh.employees, zh.annual_revenue_wan, zh.export_share) == (300, 8000.0, 0.3)
    assert zh.as_of is not None and zh.as_of.isoformat() == "2023-08-01"
    actions = {a.kind: a for a in zh.actions}
    assert actions["buy_equipment"].date is not None
    assert actions["buy_equipment"].date.isoformat() == "2023-03-15"
    assert actions["tech_loan"].months == 24.0
    en = profile_from_text(
        "Auto parts maker in Sample City. Headcount about 1,200; revenue of 120 million yuan. "
        "Took a technical transformation loan of 5 million yuan on 2023-04-10 for 24 months.",
        places,
    )
    assert (en.employees, en.annual_revenue_wan) == (1200, 12000.0)
    loan = next(a for a in en.actions if a.kind == "tech_loan")
    assert (loan.amount_wan, loan.months) == (500.0, 24.0)
    assert loan.date is not None and loan.date.isoformat() == "2023-04-10"
    # One channel's exports are not the firm's exports.
    channel = profile_from_text("2023年经样本市海关申报的跨境电商出口额是1380万元。", places)
    assert channel.annual_exports_wan is None


def test_an_estimate_needs_the_base_its_rate_is_a_share_of(
    corpus_service: PolicyService,
) -> None:
    """12% of the equipment investment is estimated; the interest subsidy's 50% is of the
    interest paid, and "不超过设备投资额的30%" limits what software may count: neither is
    worked out on the equipment amount."""
    buyer = EQUIPMENT_BUYER.model_copy(
        update={
            "actions": [
                Action(kind="buy_equipment", amount_wan=900, date="2022-10-15"),
                Action(kind="tech_loan", amount_wan=600, date="2022-10-01", months=24),
            ]
        }
    )
    found = corpus_service.eligibility(buyer, include_unmet=True, limit=1000)
    raised = measure(found, "ep-equipment-upgrade-2022:2.2").estimate
    assert raised is not None and raised.amount_wan == 108.0
    assert measure(found, "ep-equipment-upgrade-2022:3.2").estimate is None
    assert measure(found, "ep-equipment-upgrade-2022:2.3").estimate is None
    assert rate_base("按设备投资额的10%给予补助", 7, 10) == "设备投资额"
    assert rate_base("计入部分不超过设备投资额的30%", 13, 16) is None
    premium = "receive a subsidy of 50% of the premium actually paid"
    assert rate_base(premium, 21, 24) == "premium actually paid"


def test_a_date_a_window_opens_on_is_not_shown_as_a_deadline(
    corpus_service: PolicyService,
) -> None:
    found = corpus_service.eligibility(EQUIPMENT_BUYER, limit=1000)
    text, _ = eligibility_answer_text(found, "zh")
    line = next(x for x in text.splitlines() if "设备投资额的10%" in x or "第四条" in x)
    assert "2022年9月1日" not in line  # "…以后完成安装调试": when the window opens
    # The estimate is in the answer's language, though the profile came as JSON.
    assert "未超过" in line and "yuan" not in line


def test_a_limited_match_lists_what_the_full_match_lists_first(
    corpus_service: PolicyService,
) -> None:
    """Measures a first look rules out, or that could only come after `limit` open ones,
    are not worked out; what is listed is what matching every measure would list first."""
    index = corpus_service.snapshot()
    advisor = corpus_service.advisor
    no_region = Profile(industry="auto_parts", roles=["manufacturer"])
    for profile in (EXPORTER, EQUIPMENT_BUYER, no_region):
        for limit in (1, 3, 12):
            full = advisor.eligibility(index, profile, None, include_unmet=False, limit=10_000)
            limited = advisor.eligibility(index, profile, None, include_unmet=False, limit=limit)
            assert [m.model_dump() for m in limited.measures] == [
                m.model_dump() for m in full.measures[:limit]
            ]
            assert limited.follow_up_questions == follow_up_questions(full.measures[:limit])
    assert len(advisor.eligibility(index, no_region, None, False, 10_000).measures) > 12


def test_the_words_reader_takes_the_place_registered_in_not_one_denied_or_merely_named() -> None:
    places = LocalityMap(
        [
            "样本市 (Sample City), 示例省",
            "示例省 (Example Province)",
            "演示高新技术产业开发区 (Demo Hi-tech Zone), 样本市, 示例省",
            "样例县",
        ]
    )

    def region(text: str) -> str | None:
        return profile_from_text(text, places).region

    assert region("We are registered in Sample City (not in the Demo Hi-tech Zone).") == (
        "sample city"
    )
    # the city, not the province that holds it, however long its name
    assert region("Registered in Dongcheng District of Sample City, Example Province.") == (
        "sample city"
    )
    # where it is registered, not a place whose subsidy it mentions
    assert region(
        "We run a mill registered in Sample County (样例县). Project A received Example "
        "Province's provincial equipment upgrade subsidy."
    ) == ("样例县")
    assert region("我们是在样本市注册的企业，不在演示高新区。") == "样本市"
    assert region("我们在演示高新区注册3年") == "演示高新区"


def test_an_english_industry_name_is_a_whole_word() -> None:
    """ "Never listed as dishonest" does not name new energy vehicles (nev)."""
    places = LocalityMap(["样本市 (Sample City), 示例省"])
    text = "We make air fryers in Sample City. Never listed as dishonest."
    assert profile_from_text(text, places).industry != "nev"
    assert "nev" not in industries_in("It has never been listed as a dishonest entity.")
    assert "nev" in industries_in("Enterprises exporting NEVs")


def test_every_follow_up_question_is_in_words_the_enterprise_knows() -> None:
    """Each action the matcher reads asks about itself in both languages; a condition with
    no question of its own is asked about in its own words, never by a code name."""
    from assistant.answer.eligibility import question_for
    from assistant.vocabulary import ACTIONS

    assert all(a.question_en and a.question_zh for a in ACTIONS)
    contract = Condition(
        field="action_amount",
        operator=">=",
        value=20,
        subject="digital_contract",
        text="contract amount of at least RMB 200,000",
        start=0,
        end=1,
    )
    assert "MES" in question_for(contract, "en") and "MES" in question_for(contract, "zh")
    unnamed = contract.model_copy(update={"subject": "no_such_action"})
    for language in ("en", "zh"):
        assert "no_such_action" not in question_for(unnamed, language)
        assert "contract amount of at least RMB 200,000" in question_for(unnamed, language)


def test_a_measure_is_addressed_by_its_headings_numbers() -> None:
    """A reader finds "Article 5(2)" or "二（三）1" in the document; a bare "2" finds nothing."""
    from assistant.answer.eligibility_text import clause_address
    from assistant.types import HEADING_SEPARATOR, Citation

    def address(*headings: str, number: str | None = None) -> str:
        citation = Citation(
            n=1,
            doc_id="d",
            doc_title="T",
            official=False,
            status="in_force",
            clause_id="d:1",
            heading_path=HEADING_SEPARATOR.join(("T", *headings)),
            clause_number=number,
            page=1,
            quote="q",
            start=0,
            end=1,
            score=1.0,
        )
        return clause_address(citation)

    assert address("Article 5 Freight", "2. Rail", number="2") == "Article 5(2)"
    assert address("二、稳定增长", "（三）技术改造", "1. 设备补助", number="1") == "二（三）1"
    assert address("第二章 支持措施", "第九条", number="9") == "第九条"
    assert address("Article 6 Insurance", number="6") == "Article 6"
    assert address("三、保障", "（一）用工", number="（一）") == "三（一）"
    assert address("附件", number="7") == "7"


def test_the_industry_an_enterprise_names_among_batteries_and_solar_cells() -> None:
    """The whole name leads: a solar-cell maker is in photovoltaics, not batteries."""
    places = LocalityMap(["样本市 (Sample City), 示例省"])
    assert profile_from_text("我们是样本市一家新能源电池企业", places).industry == "battery"
    assert profile_from_text("我们在样本市生产光伏电池片", places).industry == "photovoltaic"
