"""What the matcher reads: claims after expiry, items beside items, the profile's own facts,
counts and ranges in words, and the enterprise's words for an attestation."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from assistant.answer.eligibility import LocalityMap, evaluate
from assistant.answer.numbers import extract
from assistant.answer.profile import profile_from_text
from assistant.answer.statements import EnterpriseStatements, attestation_patterns
from assistant.ingest.loaders import load_file
from assistant.ingest.measures import measures_of
from assistant.ingest.restrictions import read_clause
from assistant.service import PolicyService
from assistant.types import Action, Chunk, Condition, Profile
from tests.conftest import REPO

Q4 = "sc-q4-industrial-growth-2022"
HIRING = Profile(
    region="样本市",
    industry="chemicals",
    above_designated_size=True,
    roles=["manufacturer"],
    attestations=["no_major_accident", "no_prior_support"],
    as_of=dt.date(2023, 1, 16),
    free_text="2022年10月至12月新招用员工35人，均签订两年劳动合同，社会保险已缴纳满1个月以上。",
)


def test_a_claim_window_after_expiry_keeps_the_measures_open_until_it_closes(
    corpus_service: PolicyService,
) -> None:
    """The Q4 2022 measures expired on 31 December 2022; their claims are taken from 10
    January to 10 February 2023, and not after."""
    result = corpus_service.eligibility(HIRING, include_unmet=True, limit=10_000)
    hiring = next(m for m in result.measures if m.clause_id == f"{Q4}:4.1")
    assert hiring.in_force and hiring.document_status == "expired"
    assert hiring.status == "met", [(c.status, c.reason) for c in hiring.conditions]
    late = HIRING.model_copy(update={"as_of": dt.date(2023, 3, 1)})
    result = corpus_service.eligibility(late, include_unmet=True, limit=10_000)
    hiring = next(m for m in result.measures if m.clause_id == f"{Q4}:4.1")
    assert hiring.status == "unmet" and not hiring.in_force


def test_an_item_with_a_topic_of_its_own_does_not_lend_its_conditions_to_the_next(
    corpus_service: PolicyService,
) -> None:
    """ "（一）用工支持：…" and "（二）应急转贷：…" are two items: the hiring subsidy does not
    ask about emergency bridging loans or unpaid debts."""
    measures = {m.clause_id: m for m in measures_of(corpus_service.snapshot().chunks)}
    sources = {c.clause_id for c in measures[f"{Q4}:4.1"].conditions}
    assert f"{Q4}:4.2" not in sources and f"{Q4}:4.3" not in sources
    assert f"{Q4}:4.1" in sources


def test_the_profiles_codes_say_what_a_condition_in_words_asks() -> None:
    lease = Profile(
        roles=["manufacturer"],
        actions=[Action(kind="financial_lease", amount_wan=640, what="laser tube cutter")],
    )
    statements = EnterpriseStatements.of(lease)
    assert statements.known_to_hold("企业以融资租赁方式取得项目设备的")
    # Words the codes do not hold, or a negation, are never taken as read.
    assert not statements.known_to_hold("企业以融资租赁方式取得首台套设备的")
    assert not statements.known_to_hold("融资租赁设备不予支持")
    # Known words help a sentence, but a thing's standing must be said by the enterprise.
    store = Profile(
        actions=[
            Action(kind="ecommerce_store", what="new store on a third-party cross-border platform")
        ]
    )
    condition = (
        "An enterprise opening a new store on a recognized third-party cross-border "
        "e-commerce platform"
    )
    assert EnterpriseStatements.of(store).stating(condition) is None


def test_counts_and_ranges_an_enterprise_writes_in_words() -> None:
    said = extract("均签订两年劳动合同，社会保险已缴纳满1个月以上", counts_in_words=True)
    assert [(q.kind, q.value, q.bound) for q in said] == [
        ("duration", 2.0, None),
        ("duration", 1 / 12, "min"),
    ]
    # In a generated answer "一年最多" is idiom, not a figure the sources must state.
    assert extract("每家企业一年最多贴200万元") == extract("每家企业最多贴200万元")
    band = extract("增速在10%（含）至20%之间的")
    assert [(q.value, q.bound) for q in band] == [(10.0, "min"), (20.0, "below")]
    assert [q.value for q in extract("we manage four enterprises", counts_in_words=True)] == [4]
    statements = EnterpriseStatements.of(HIRING)
    condition = (
        "规模以上工业企业在2022年第四季度新招用员工并签订1年以上劳动合同、缴纳社会保险满1个月的"
    )
    assert statements.stating(condition) is not None  # two years ≥ one; "满1个月以上" ≥ 1 month
    short = EnterpriseStatements.of(
        HIRING.model_copy(
            update={
                "free_text": "2022年第四季度新招用员工35人，签订半年劳动合同，社会保险已缴纳满1个月以上。"
            }
        )
    )
    assert short.stating(condition) is None


def test_an_attestation_in_the_enterprises_words_and_not_where_it_is_denied() -> None:
    said = EnterpriseStatements("房东是当地一家物流园公司，跟我们没有任何关联关系。")
    pattern = re.compile("(?:没有|不存在)(?:任何)?关联")
    assert said.saying(pattern) is not None
    unsure = EnterpriseStatements(
        "Nothing said about transport testing or dangerous-goods packaging of the shipments."
    )
    assert unsure.saying(re.compile("dangerous-goods packaging")) is None


def test_a_role_exclusion_is_settled_by_the_role_and_a_leased_warehouse_by_an_unrelated_landlord() -> (
    None
):
    text = (
        "Freight forwarders, logistics agents and trading agents that do not produce or own "
        "the exported goods are not eligible for the rail freight support in Section 3."
    )
    conditions = read_clause(text, 0, "x:1", context="require")
    assert {c.field for c in conditions} == {"role"}
    assert all(c.operator == "not_in" for c in conditions)
    warehouse = read_clause(
        "Warehouses leased from a related party of the applicant are not supported.",
        0,
        "x:2",
        context="require",
    )
    assert [c.value for c in warehouse if c.field == "attestation"] == ["unrelated_party"]


def test_the_words_reader_on_traders_registration_years_and_dates() -> None:
    places = LocalityMap(["Sample Port City", "样本市"])
    trader = profile_from_text(
        "We're an export trading company registered in Sample Port City. We don't make "
        "anything ourselves; we buy scooters from factories in Sample City. It's 9 April 2024.",
        places,
    )
    assert "manufacturer" not in trader.roles
    assert trader.as_of == dt.date(2024, 4, 9)
    forwarder = profile_from_text("我们是一家货代公司，货都是客户工厂生产的。", places)
    assert forwarder.roles == ["forwarder"]
    maker = profile_from_text(
        "我们是样本市的纺织机械配件生产厂，2016年在县里注册。今天是2024年1月18日。"
        "2022年12月27日我们签了合同，买了3台全新五轴加工中心，不含税680万元，设备2023年1月到厂。",
        places,
    )
    assert maker.registered_years is not None and 7.0 <= maker.registered_years < 7.1
    bought = next(a for a in maker.actions if a.kind == "buy_equipment")
    assert bought.date == dt.date(2022, 12, 27)
    insured = profile_from_text(
        "We bought export credit insurance from Sinosure; the current policy runs from "
        "1 October 2023 to 30 September 2024.",
        places,
    )
    assert insured.actions[0].date == dt.date(2023, 10, 1)
    steel = profile_from_text("我们生产数控折弯机，项目不属于钢铁、水泥这类新增产能项目。", places)
    assert steel.industry != "steel"


def test_a_sample_notice_above_the_pages_main_is_kept_as_its_first_words() -> None:
    page = (
        REPO
        / "evals"
        / "new_documents"
        / "documents"
        / "sample-port-city-export-logistics-2023.html"
    )
    text = load_file(page).text
    assert text.startswith("[ILLUSTRATIVE SAMPLE]")
    assert "Sample Port City (样港市)" in text
    assert "Home" not in text.split("\n", 3)[:3]  # the navigation beside it stays out


SRDI = "demo-zone-srdi-sme-2023"


def _title_checks(service: PolicyService, profile: Profile) -> list[tuple[str, str]]:
    result = service.eligibility(profile, include_unmet=True, limit=10_000)
    measure = next(m for m in result.measures if m.clause_id == f"{SRDI}:4")
    return [(c.status, c.reason) for c in measure.conditions if c.field == "certifications"]


def test_a_title_the_clause_gives_a_level_is_met_only_at_that_level(
    corpus_service: PolicyService,
) -> None:
    """Article 4 rewards the province's SRDI title and Article 5 the city's: a city title is
    not the province's, and the bare code says neither."""
    base = Profile(region="演示高新区", certifications=["srdi"], as_of=dt.date(2023, 8, 1))
    city = base.model_copy(update={"free_text": "我们去年首次被认定为样本市专精特新中小企业。"})
    province = base.model_copy(update={"free_text": "我们今年首次被认定为示例省专精特新中小企业。"})
    held = _title_checks(corpus_service, province)
    assert [status for status, _ in held] == ["met"] and "示例省" in held[0][1]
    english = base.model_copy(
        update={
            "free_text": "In 2023 we were first recognised as an Example Province specialized "
            "and sophisticated SME."
        }
    )
    held = _title_checks(corpus_service, english)
    assert [status for status, _ in held] == ["met"] and "Example Province" in held[0][1]
    assert [status for status, _ in _title_checks(corpus_service, city)] == ["unknown"]
    assert [status for status, _ in _title_checks(corpus_service, base)] == ["unknown"]


def test_the_srdi_title_written_out_in_english_is_read_and_a_little_giant_stays_one() -> None:
    places = LocalityMap(["Demo Hi-tech Zone (演示高新区), Example Province (示例省)"])
    written = {
        "We are an Example Province specialized and sophisticated SME, recognised in 2023.": [
            "srdi"
        ],
        "We are a specialised, refined, distinctive and innovative SME.": ["srdi"],
        "We were named a national specialized and sophisticated little giant in 2022.": [
            "little_giant"
        ],
        "We are not yet a specialized and sophisticated SME.": [],
    }
    for text, codes in written.items():
        assert profile_from_text(text, places).certifications == codes, text


def test_an_attestation_applied_for_or_bought_from_the_group_is_not_held() -> None:
    pending = EnterpriseStatements("已申报出口信用保险白名单，目前还在审核中。")
    assert pending.saying(re.compile("白名单")) is None
    held = EnterpriseStatements("我们已列入出口信用保险白名单。")
    assert held.saying(re.compile("白名单")) is not None
    pattern, contrary = attestation_patterns("new_equipment")
    sister = EnterpriseStatements("新设备是从集团的兄弟公司购买的，全新未使用。")
    assert sister.saying(pattern, contrary) is None
    unrelated = EnterpriseStatements("设备为全新设备，从非关联方供应商处购买。")
    assert unrelated.saying(pattern, contrary) is not None


def test_new_equipment_from_an_unrelated_supplier_covers_the_unrelated_party() -> None:
    condition = Condition(
        field="attestation",
        operator="has",
        value="unrelated_party",
        text="not bought from a related party",
        start=0,
        end=10,
    )
    stated = Profile(attestations=["new_equipment"])
    assert evaluate(condition, stated, set(), None)[0] == "met"
    assert evaluate(condition, Profile(attestations=["tax_paid"]), set(), None)[0] == "unknown"


def test_a_clause_about_the_subsidy_beside_it_sets_that_subsidys_window(
    corpus_service: PolicyService,
) -> None:
    """ "3. The subsidy applies to trains departing between 1 January 2023 and 31 December
    2023…" grants nothing of its own: it is the departure window of the freight subsidies
    beside it, checked against the shipment's date."""
    export = "sc-export-stabilization-2023"
    measures = {m.clause_id: m for m in measures_of(corpus_service.snapshot().chunks)}
    assert f"{export}:1.6.3" not in measures
    for item in ("1.6.1", "1.6.2"):
        windows = [c for c in measures[f"{export}:{item}"].conditions if c.field == "action_date"]
        assert [(c.value, c.subject, c.clause_id) for c in windows] == [
            (["2023-01-01", "2023-12-31"], "rail_shipment", f"{export}:1.6.3")
        ]
    # The award a clause states ("The award is 1% of the actual reinvested amount") is
    # still a measure.
    assert "ep-foreign-investment-services-2023:2.5.3" in measures


def test_whom_a_platform_serves_is_not_who_it_must_be() -> None:
    text = (
        "An industrial internet platform operator registered in the Demo Hi-tech Zone that "
        "serves at least 30 manufacturing enterprises in the zone in 2023 receives an award "
        "of 20% of its platform investment in 2023, capped at RMB 1 million."
    )
    conditions = read_clause(text, 0, "x:1", context="grant")
    assert {(c.field, str(c.value)) for c in conditions if c.field in {"role", "industry"}} == {
        ("role", "['platform_operator']")
    }
    assert [c.value for c in conditions if c.field == "count"] == [30.0]


def test_dates_written_short_or_in_a_list_sharing_one_year() -> None:
    places = LocalityMap(["Sample City"])
    shipped = profile_from_text(
        "We are registered in Sample City. Our packs left on China-Europe freight trains on "
        "22 Aug, 9 Oct and 27 Nov 2023.",
        places,
    )
    rail = next(a for a in shipped.actions if a.kind == "rail_shipment")
    assert rail.date == dt.date(2023, 8, 22)
    abbreviated = profile_from_text(
        "Rail: containers left on China-Europe freight trains (departures 8 Nov 2023, "
        "20 Dec 2023).",
        places,
    )
    assert next(a for a in abbreviated.actions if a.kind == "rail_shipment").date == dt.date(
        2023, 11, 8
    )


DIGITAL = "demo-zone-digital-transformation-2023"


def test_a_benefit_had_once_asks_whether_it_was_had_and_lends_nothing_to_the_next_article(
    corpus_service: PolicyService,
) -> None:
    """ "4. Free diagnosis: one free diagnosis in 2023…; the report must be completed within
    30 days": whether the enterprise already had one is to confirm, the report's deadline is
    the provider's, and neither is a condition of "7. Cloud services"."""
    measures = {m.clause_id: m for m in measures_of(corpus_service.snapshot().chunks)}
    diagnosis = measures[f"{DIGITAL}:2.4"].conditions
    assert [c.value for c in diagnosis if c.clause_id == f"{DIGITAL}:2.4"] == ["first_use"]
    assert not any("report must" in c.text for c in diagnosis)
    assert not any(c.clause_id == f"{DIGITAL}:2.4" for c in measures[f"{DIGITAL}:2.7"].conditions)
    base = dict(
        region="Demo Hi-tech Zone",
        industry="machinery",
        employees=150,
        annual_revenue_wan=3800,
        registered_years=4,
        roles=["manufacturer"],
        attestations=["good_credit", "no_major_accident"],
        as_of=dt.date(2023, 8, 1),
    )
    had = Profile(**base, free_text="This year the zone already paid for a free diagnosis for us.")
    first = Profile(**base, free_text="A diagnosis would be our first one ever.")
    coded = Profile(**{**base, "attestations": [*base["attestations"], "first_use"]})

    def checked(profile: Profile) -> list[str]:
        result = corpus_service.eligibility(profile, include_unmet=True, limit=10_000)
        measure = next(m for m in result.measures if m.clause_id == f"{DIGITAL}:2.4")
        return [c.status for c in measure.conditions if c.value == "first_use"]

    assert checked(had) == ["unknown"]  # naming the diagnosis does not say it was not had
    assert checked(first) == checked(coded) == ["met"]


def test_which_figures_count_is_not_a_condition() -> None:
    assert read_clause("以统计部门核定的联网直报数据为准。", 0, "x:1", context="require") == []


def test_the_words_reader_on_leases_areas_machines_and_books() -> None:
    places = LocalityMap(["Sample City", "样港市"])
    warehouse = profile_from_text(
        "Since 1 July 2023 we have leased a warehouse in Duisburg with 2,400 m² of usable "
        "area, on a three-year lease.",
        places,
    ).actions[0]
    assert (warehouse.kind, warehouse.area_sqm, warehouse.months) == (
        "overseas_warehouse",
        2400.0,
        36.0,
    )
    leased = profile_from_text("在杜伊斯堡租了一个可用面积2600平米的海外仓，租期三年。", places)
    assert leased.actions[0].months == 36.0
    maker = profile_from_text(
        "我们生产数控折弯机和剪板机，财务自己单独核算。2022年11月25日新买的两条SMT贴片线安装调试完成，"
        "发票不含税3,260万元。",
        places,
    )
    assert maker.industry == "machinery"
    assert "independent_accounting" in maker.attestations
    assert [a.kind for a in maker.actions] == ["buy_equipment"]


def _read(text: str) -> list[Condition]:
    return read_clause(text, 0, "x", context="grant")


def test_a_required_kind_of_action_is_a_condition_settled_by_what_the_enterprise_did() -> None:
    """A loan "向银行业金融机构取得" is met by a bank loan, failed by a microlender's; a vehicle
    tax measure for new energy vehicles or small engines is met by an electric car, failed by
    a 2.5-litre petrol SUV, and a car only planned is not yet bought."""
    loan_clause = (
        "企业为设备更新和技术改造项目向银行业金融机构取得的贷款，按实际支付利息的50%给予贴息。"
    )
    loan = [c for c in _read(loan_clause) if c.field != "action"]
    assert [(c.field, c.value, c.subject) for c in loan] == [("action_kind", ["bank"], "tech_loan")]

    def loan_status(what: str) -> str:
        return evaluate(loan[0], Profile(actions=[Action(kind="tech_loan", what=what)]), set())[0]

    assert loan_status("与县农村商业银行签订的技改贷款") == "met"
    assert loan_status("向小额贷款公司借款，用于购置该生产线") == "unmet"
    assert loan_status("技改贷款300万元") == "unknown"
    reason = evaluate(loan[0], Profile(actions=[Action(kind="tech_loan", what="小贷")]), set())[1]
    assert "银行业金融机构" in reason and "bank" not in reason

    tax = (
        "Continue implementing tax reduction policies for vehicles with engines below 2.0L "
        "and extend purchase tax exemptions for new energy vehicles."
    )
    read = _read(tax)
    assert all(c.field != "other" for c in read), read
    kind = next(c for c in read if c.field == "action_kind")
    assert sorted(kind.value) == ["nev", "small_engine"] and kind.subject == "buy_vehicle"

    def car_status(condition: Condition, what: str) -> str:
        profile = Profile(actions=[Action(kind="buy_vehicle", what=what)])
        return evaluate(condition, profile, set())[0]

    assert car_status(kind, "three new battery-electric passenger cars") == "met"
    assert car_status(kind, "two 1.5-litre petrol sedans") == "met"
    assert car_status(kind, "以单位名义购买排量2.5升燃油SUV新车") == "unmet"
    assert car_status(kind, "planned electric cars for the sales team") == "unknown"
    action = next(c for c in read if c.field == "action")
    assert car_status(action, "planned electric cars for the sales team") == "unknown"
    # Exporting new energy vehicles is not buying one: no kind is asked of a purchase.
    exports = "Enterprises exporting new energy vehicles receive RMB 500 per container."
    assert all(c.field != "action_kind" for c in _read(exports))


def test_what_the_benefit_is_and_what_the_authority_aims_at_are_not_conditions() -> None:
    """The extent of a relief, the share of a fee paid, a free extra for whoever qualifies,
    a target and a scheme the authority sets up restrict nobody; being counted in the city's
    above-designated-size statistics is a size, and the industries a reinvestment goes to are
    industries."""
    for text, benefit in (
        ("“小巨人”企业租用标准厂房的，前3年租金减半收取，减免面积不超过5000平方米。", "减免面积"),
        (
            "For fairs on the list, 70% of the booth fee is subsidized, capped at RMB 50,000.",
            "booth",
        ),
        (
            "Online trade fairs organized by the bureau are free of charge for eligible firms.",
            "free",
        ),
        ("力争白名单企业在迎峰度冬期间不因能源供应原因停产，重点环节不出现断供。", "断供"),
        ("建立保供“白名单”制度，对纳入白名单的企业在电力、天然气上实行优先保障。", "制度"),
    ):
        texts = [c.text for c in _read(text) if c.field == "other"]
        assert not any(benefit in t for t in texts), (text, texts)
    whitelist = _read("建立保供“白名单”制度，对纳入白名单的企业在电力、天然气上实行优先保障。")
    assert [(c.field, c.value) for c in whitelist] == [("attestation", "whitelist")]
    size = _read("在样本市注册并纳入本市规模以上工业统计的企业，给予奖励。")
    assert sorted(c.field for c in size) == ["above_designated_size", "region"]
    invested = _read(
        "Where the reinvestment is in integrated circuits, power batteries, new energy vehicles "
        "or high-end equipment manufacturing, the award is 2%, capped at RMB 10 million."
    )
    industries = {tuple(sorted(c.value)) for c in invested if c.field == "industry"}
    assert industries == {("battery", "ic", "machinery", "nev")}
    assert all(c.field != "other" for c in invested)


def test_a_first_policy_a_growth_band_and_synonyms_in_the_enterprises_words() -> None:
    """ "Is a first-time policyholder" is asked of the enterprise and settled by its "first
    policy"; a growth band is settled by the growth it states (17.9% is in 10%–20%, not in
    20% or more); "社保" states "社会保险"."""
    clause = (
        "2. An enterprise that had no short-term export credit insurance policy in 2021 or 2022 "
        "is a first-time policyholder and receives 80% instead of 60%, with the same cap."
    )
    first = next(c for c in _read(clause) if c.field == "attestation")
    assert first.value == "first_policy"
    output = "我们2022年第四季度工业总产值9.2亿元，2021年第四季度是7.8亿元，同比增长17.9%。"
    statements = EnterpriseStatements(output)
    assert statements.stating("增速在10%（含）至20%之间的") is not None
    assert statements.stating("增速在20%（含）以上的") is None
    hires = EnterpriseStatements("10月新招120名员工，签2年劳动合同，社保已缴至少1个月。")
    assert hires.stating("新招用员工并签订1年以上劳动合同、缴纳社会保险满1个月的") is not None
    assert hires.stating("新招用员工并签订3年以上劳动合同") is None


def test_standing_and_registration_as_enterprises_write_them() -> None:
    """Plain ways of saying good standing, new equipment, no other funding, a listed provider
    and years registered are read from the enterprise's words."""
    localities = LocalityMap(["演示高新区"])
    cases = {
        "No dishonesty listing, and we are not in bankruptcy or liquidation.": {
            "good_credit",
            "not_insolvent",
        },
        "We bought new production equipment; the project has received no provincial funding.": {
            "new_equipment",
            "no_prior_support",
        },
        "We are not on the seriously-dishonest list.": {"good_credit"},
        "没有被列入严重失信主体名单，也没有欠缴税款和社会保险费。": {"good_credit", "no_arrears"},
        "我们和高新区服务商目录里的一家服务商签了MES实施合同。": {"listed_provider"},
        "We paid the premium to an insurer licensed for that business in China.": {
            "licensed_insurer"
        },
    }
    for text, codes in cases.items():
        assert codes <= set(profile_from_text(text, localities).attestations), text
    years = profile_from_text("今天是2023年4月12日。我们在演示高新区注册已经4年。", localities)
    assert years.registered_years == 4.0
    moved = profile_from_text(
        "今天是2023年6月8日。2022年6月5日把注册地迁到演示高新区。", localities
    )
    assert moved.registered_years is not None and 1.0 <= moved.registered_years < 1.1


def test_on_the_whitelist_only_when_the_enterprise_says_it_is_and_shares_from_amounts() -> None:
    """Applying for the whitelist, or not having checked, is not being on it; an export share
    and an R&D share are worked out from the amounts an enterprise gives."""
    localities = LocalityMap(["示例省", "Example Province"])
    for text, on_list in (
        ("1月份我们已经报了能源和原材料保供白名单，结果还没公布。", False),
        ("目前还没有进入省里的保供白名单。", False),
        ("I haven't checked whether we're on the supply-guarantee whitelist.", False),
        ("公司列入了2022年12月28日公布的首批示例省重点企业能源和原材料保供白名单。", True),
        ("We were put on the first batch of the province's supply-guarantee whitelist.", True),
    ):
        read = profile_from_text(text, localities).attestations
        assert ("whitelist" in read) is on_list, text
    english = "Operating revenue RMB 58 million, of which export revenue RMB 37.7 million."
    assert profile_from_text(english, localities).export_share == 0.65
    chinese = "2022年营业收入1.52亿元。2022年研发费用912万元，2021年是720万元。"
    assert profile_from_text(chinese, localities).rd_ratio == 0.06


def test_no_amount_is_estimated_for_a_base_under_the_measures_own_floor(
    corpus_service: PolicyService,
) -> None:
    """200万 of equipment gets no "200万 × 2%" under the major-project award, whose floor is
    5亿 of equipment investment; 600万 still gets its equipment-subsidy estimate."""

    def buyer(amount: float) -> Profile:
        return Profile(
            region="示例省",
            roles=["manufacturer"],
            actions=[Action(kind="buy_equipment", amount_wan=amount, date=dt.date(2023, 3, 1))],
            as_of=dt.date(2023, 5, 1),
        )

    small = corpus_service.eligibility(buyer(200), include_unmet=True, limit=10_000)
    award = next(m for m in small.measures if m.clause_id == "ep-equipment-upgrade-2022:4.3")
    assert award.estimate is None
    large = corpus_service.eligibility(buyer(600), include_unmet=True, limit=10_000)
    subsidy = next(m for m in large.measures if m.clause_id == "ep-equipment-upgrade-2022:2.1")
    assert subsidy.estimate is not None and subsidy.estimate.base_wan == 600


def test_a_clause_that_only_sets_the_budget_is_not_a_measure(
    corpus_service: PolicyService,
) -> None:
    """ "年度预算为3000万元" beside a definition, "市财政安排…资金5000万元" and "subject to the
    total annual budget" beside a clawback grant nothing; a fund whose use is priced does."""
    granting = {m.clause_id for m in measures_of(corpus_service.snapshot().chunks)}
    export = "sc-export-stabilization-2023"
    supervision = next(
        c.clause_id
        for c in corpus_service.snapshot().chunks
        if c.doc_id == export and "total annual budget" in c.text
    )
    assert supervision not in granting
    assert "demo-zone-srdi-sme-2023:1" not in granting
    assert "sc-auto-consumption-2022:1.2" not in granting
    # The documents' other measures stand.
    assert {f"{Q4}:4.1", "sc-auto-consumption-2022:2.2.1"} <= granting
    assert any(g.startswith(f"{export}:") for g in granting)

    def clause(text: str) -> Chunk:
        return Chunk("d:1", "d", "T › 一", "1", 0, len(text), 1, text, "zh", 0, text)

    funded = "市应急转贷资金规模增至5亿元，对使用应急转贷资金的企业按50%给予贴息，最高20万元。"
    assert [m.clause_id for m in measures_of([clause(funded)])] == ["d:1"]
    assert measures_of([clause("市财政安排补贴资金5000万元，按申领顺序发放，用完即止。")]) == []


def test_growth_rates_quarters_and_how_long_a_warehouse_has_run() -> None:
    """A growth floor or band and a quarter are facts of the action they measure, not words
    to confirm; the enterprise's growth is read as said or worked out from two years'
    figures, never from a forecast; a warehouse's months run from the date it opened."""
    rd = _read("专精特新中小企业上一年度研究开发费用不低于500万元且同比增长20%以上的，给予奖励。")
    assert ("action_growth", ">=", 0.2, "rd_spending") in {
        (c.field, c.operator, c.value, c.subject) for c in rd
    }
    assert not [c for c in rd if c.field == "other"]
    output = read_clause("2022年第四季度工业总产值同比增长10%以上。", 0, "x", context="require")
    assert {(c.field, c.operator, str(c.value)) for c in output} >= {
        ("action_growth", ">=", "0.1"),
        ("action_date", "between", "['2022-10-01', '2022-12-31']"),
    }
    assert not [c for c in output if c.field == "other"]
    band = read_clause(
        "第四季度工业总产值同比增速在10%（含）至20%之间的。", 0, "x", context="require"
    )
    growth = sorted((c.operator, c.value) for c in band if c.field == "action_growth")
    assert growth == [("<", 0.2), (">=", 0.1)]

    places = LocalityMap(["样本市", "Demo Hi-tech Zone"])

    def spending(text: str) -> Action:
        profile = profile_from_text(text, places)
        return next(a for a in profile.actions if a.kind in {"rd_spending", "industrial_output"})

    both = spending("2022年研发费用620万（2021年是540万），大概占营收的4.6%。")
    assert (both.amount_wan, both.date) == (620, dt.date(2022, 12, 31))
    assert both.growth == pytest.approx(80 / 540, abs=1e-6)
    apart = spending("2022年营业收入1.6亿元，研发费用1100万元；2021年研发费用是950万元。")
    assert apart.amount_wan == 1100 and apart.growth == pytest.approx(150 / 950, abs=1e-6)
    english = spending("R&D spending was RMB 24 million in 2022 against RMB 21 million in 2021.")
    assert english.growth == pytest.approx(3 / 21, abs=1e-6)
    said = spending("2022年第四季度工业总产值6800万元，同比增长8.5%。")
    assert (said.growth, said.date) == (0.085, dt.date(2022, 12, 31))
    assert spending("今年第四季度工业总产值预计同比增长15%左右。").growth is None

    opened = Action(kind="overseas_warehouse", date=dt.date(2023, 7, 1))
    six_months = Condition(
        field="action_months",
        operator=">=",
        value=6.0,
        text="in operation for at least 6 months",
        start=0,
        end=34,
        subject="overseas_warehouse",
    )

    def status(as_of: dt.date, action: Action) -> str:
        return evaluate(six_months, Profile(actions=[action], as_of=as_of), set())[0]

    assert status(dt.date(2024, 1, 15), opened) == "met"
    assert status(dt.date(2023, 12, 1), opened) == "unmet"
    assert status(dt.date(2024, 1, 15), Action(kind="overseas_warehouse")) == "unknown"
    # A loan's term is not counted from its date: only what runs once begun is.
    loan = Condition.model_validate({**six_months.model_dump(), "subject": "tech_loan"})
    taken = Profile(actions=[Action(kind="tech_loan", date=dt.date(2022, 1, 1))])
    assert evaluate(loan, taken, set())[0] == "unknown"


def test_an_article_raising_its_own_rate_keeps_its_own_conditions(
    corpus_service: PolicyService,
) -> None:
    """第八条's second line ("…的产品，奖励比例提高至20%") varies 第八条 itself: the first-sale
    award does not take 第七条's R&D floor and growth."""
    measures = {m.clause_id: m for m in measures_of(corpus_service.snapshot().chunks)}
    first_sale = measures[f"{SRDI}:8"]
    assert not [c for c in first_sale.conditions if c.subject == "rd_spending"]
    assert ("action", "first_sale") in {(c.field, str(c.value)) for c in first_sale.conditions}
    rd = measures[f"{SRDI}:7"]
    assert {"action_amount", "action_growth"} <= {
        c.field for c in rd.conditions if c.subject == "rd_spending"
    }


def test_a_list_the_provider_is_not_on_an_action_in_free_text_and_a_year_of_recognition() -> None:
    """ "这家公司不在县工信局公布的服务机构名单里" denies the listed provider; an action the
    JSON leaves out but the enterprise's own words state is done, unless only planned; a
    recognition dated by its year alone falls in that year."""
    places = LocalityMap(["样例县", "演示高新区"])
    unlisted = profile_from_text(
        "2023年9月我们找了一家咨询公司做智能制造诊断，这家公司不在县工信局公布的服务机构名单里。",
        places,
    )
    assert "listed_provider" not in unlisted.attestations
    listed = profile_from_text("11月委托县工信局公布的服务机构做了智能制造诊断。", places)
    assert "listed_provider" in listed.attestations

    did = Condition(
        field="action", operator="has", value="smart_diagnosis", text="智能制造诊断", start=0, end=6
    )
    done = Profile(free_text="11月委托县工信局公布的服务机构做了智能制造诊断，诊断费6万元。")
    planned = Profile(free_text="我们计划明年做智能制造诊断。")
    assert evaluate(did, done, set())[0] == "met"
    assert evaluate(did, planned, set())[0] == "unknown"
    assert evaluate(did, Profile(), set())[0] == "unknown"

    statements = EnterpriseStatements("2022年首次被认定为国家级专精特新小巨人企业，员工150人。")
    assert statements.recognized_on("little_giant") == [20220000]


def test_a_rate_on_the_increase_is_estimated_from_the_growth_given(
    corpus_service: PolicyService,
) -> None:
    """ "按研究开发费用增量部分的10%": 900万 with 28.6% growth is 700万 the year before, so
    200万 × 10% = 20万 under the 50万 cap; the 20% growth floor is not the rate paid. Without a
    growth there is no increase, and no estimate."""
    grown = Profile(
        region="演示高新区",
        certifications=["srdi"],
        actions=[
            Action(kind="rd_spending", amount_wan=900, growth=2 / 7, date=dt.date(2022, 12, 31))
        ],
        as_of=dt.date(2023, 4, 20),
    )
    result = corpus_service.eligibility(grown, include_unmet=True, limit=10_000)
    award = next(m for m in result.measures if m.clause_id == f"{SRDI}:7")
    assert award.estimate is not None
    assert (award.estimate.base_wan, award.estimate.rate_percent) == (200, 10)
    assert (award.estimate.amount_wan, award.estimate.cap_wan) == (20, 50)
    assert award.estimate.computation.startswith("900万 yuan − 700万 yuan = 200万 yuan")
    flat = grown.model_copy(update={"actions": [Action(kind="rd_spending", amount_wan=900)]})
    result = corpus_service.eligibility(flat, include_unmet=True, limit=10_000)
    assert next(m for m in result.measures if m.clause_id == f"{SRDI}:7").estimate is None


def test_a_premium_paid_on_exports_is_not_the_exports() -> None:
    """ "出口信用保险保费60万元" is a premium, not exports of 60万: read as exports it would
    meet every "exports under …" floor."""
    places = LocalityMap(["样本市"])
    premium = profile_from_text("我们是样本市企业，2023年9月支付出口信用保险保费60万元。", places)
    assert premium.annual_exports_wan is None and premium.annual_exports_usd_wan is None
    both = profile_from_text("2022年出口额3200万美元，支付出口信用保险保费60万元。", places)
    assert both.annual_exports_usd_wan == 3200
    english = profile_from_text(
        "Our export credit insurance premium was RMB 0.6 million; exports were USD 12 million.",
        places,
    )
    assert english.annual_exports_usd_wan == 1200 and english.annual_exports_wan is None
