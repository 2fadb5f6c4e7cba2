from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.conditions import extract_amounts, extract_conditions, to_wan
from assistant.types import Amount, Condition


def only(text: str, field: str):  # type: ignore[no-untyped-def]
    found = [c for c in extract_conditions(text, base=100) if c.field == field]
    assert len(found) == 1, found
    condition = found[0]
    assert text[condition.start - 100 : condition.end - 100] == condition.text
    return condition


def test_export_share_threshold_zh_and_en() -> None:
    c = only("申报企业出口额占营业收入比重不低于30%，且在样本市注册。", "export_share")
    assert (c.operator, c.value) == (">=", 0.3)
    assert c.text == "出口额占营业收入比重不低于30%"
    c = only("Export revenue must be not less than 30% of operating revenue.", "export_share")
    assert (c.operator, c.value) == (">=", 0.3)


def test_revenue_with_yi_and_wan_units() -> None:
    c = only("上一年度营业收入2亿元以上的企业", "annual_revenue_wan")
    assert (c.operator, c.value, c.unit) == (">=", 20000.0, "万元")
    c = only("年营业收入2000万元以下的小微企业", "annual_revenue_wan")
    assert (c.operator, c.value) == ("<=", 2000.0)
    c = only("companies with a revenue of at least RMB 5 million last year", "annual_revenue_wan")
    assert (c.operator, c.value) == (">=", 500.0)


def test_employees_and_registration() -> None:
    c = only("从业人员300人以下的中小企业", "employees")
    assert (c.operator, c.value) == ("<=", 300.0)
    c = only("SMEs with fewer than 500 employees", "employees")
    assert (c.operator, c.value) == ("<=", 500.0)
    c = only("在演示高新区依法注册、具有独立法人资格，且注册满1年；", "registered_years")
    assert (c.operator, c.value) == (">=", 1.0)
    c = only("在演示高新区依法注册、具有独立法人资格", "region")
    assert c.value == ["演示高新区"]
    c = only("The applicant is registered in Sample City and files taxes there.", "region")
    assert c.value == ["Sample City"]


def test_size_ownership_and_certifications() -> None:
    assert only("仅面向规模以上工业企业", "above_designated_size").value is True
    assert only("above-designated-size industrial enterprises", "above_designated_size").value
    assert only("外商投资企业再投资奖励", "ownership").value == "foreign_invested"
    assert (
        only("首次被认定为国家级专精特新“小巨人”企业的", "certifications").value == "little_giant"
    )


def test_industry_inclusion_and_exclusion() -> None:
    included = only("重点支持汽车零部件、动力电池和集成电路行业的设备更新。", "industry")
    assert included.operator == "in" and set(included.value) >= {"auto_parts", "battery", "ic"}
    excluded = only("钢铁行业不享受本条补助。", "industry")
    assert (excluded.operator, excluded.value) == ("not_in", ["steel"])


def test_amounts_caps_rates_and_dates() -> None:
    text = "按设备投资额的10%给予补助，单个企业最高不超过300万元，申报截止日期为2023年6月30日。"
    amounts = extract_amounts(text)
    kinds = {(a.kind, a.value) for a in amounts}
    assert (
        ("rate", 10.0) in kinds and ("cap", 300.0) in kinds and ("deadline", "2023-06-30") in kinds
    )
    for amount in amounts:
        assert text[amount.start : amount.end] == amount.text
    en = extract_amounts(
        "a subsidy of RMB 3,000 per FEU, capped at RMB 3 million, "
        "from 1 January 2023 to 31 December 2023"
    )
    assert ("amount", 0.3) in {(a.kind, a.value) for a in en}
    assert ("cap", 300.0) in {(a.kind, a.value) for a in en}
    assert {a.value for a in en if a.kind in {"period", "deadline"}} == {"2023-01-01", "2023-12-31"}


@pytest.mark.parametrize(
    ("value", "unit", "wan"),
    [(2, "亿元", 20000), (5000, "元", 0.5), (3, "million", 300), (500, "万元", 500)],
)
def test_units_to_wan(value: float, unit: str, wan: float) -> None:
    assert to_wan(value, unit) == pytest.approx(wan)


@settings(max_examples=200, deadline=None)
@given(
    st.text(
        alphabet="规模以上工业企业出口额占营业收入比重不低于30%万元亿元人以下0123456789年月日，。 RMBmillion",
        max_size=120,
    ),
    st.integers(min_value=0, max_value=10_000),
)
def test_every_extracted_span_is_the_text_it_claims(text: str, base: int) -> None:
    items: list[Condition | Amount] = [
        *extract_conditions(text, base),
        *extract_amounts(text, base),
    ]
    for item in items:
        assert text[item.start - base : item.end - base] == item.text


def test_every_restriction_becomes_a_condition_structured_or_to_confirm() -> None:
    from assistant.ingest.restrictions import read_clause

    text = (
        "省级设备更新改造补助仅面向规模以上工业企业，单个项目生产性设备投资额不低于500万元，"
        "且设备于2022年9月1日以后完成安装调试，贷款期限不少于1年。"
    )
    found = read_clause(text, 10, "doc:2.1", context="require")
    fields = {(c.field, c.operator, str(c.value), c.subject) for c in found}
    assert ("above_designated_size", "==", "True", None) in fields
    assert ("action_amount", ">=", "500.0", "buy_equipment") in fields
    assert ("action_date", ">=", "2022-09-01", "buy_equipment") in fields
    # A loan term is a fact of the loan, and nothing is left to confirm.
    assert ("action_months", ">=", "12.0", "tech_loan") in fields
    assert [c.text for c in found if c.field == "other"] == []
    for c in found:
        assert text[c.start - 10 : c.end - 10] == c.text and c.clause_id == "doc:2.1"


def test_grant_part_is_the_benefit_and_what_precedes_it_the_condition() -> None:
    from assistant.ingest.restrictions import read_clause

    text = (
        "A cross-border e-commerce platform operator registered in Sample City that serves at "
        "least 50 local exporting enterprises in 2023 receives a one-time award of RMB 500,000."
    )
    found = read_clause(text, 0, "doc:1", context="grant")
    fields = {c.field for c in found}
    assert {"role", "region", "count"} <= fields
    assert not any("500,000" in c.text for c in found)
    window = read_clause(
        "Eligible enterprises receive a subsidy of 60% of the short-term export credit insurance "
        "premium actually paid for policies running between 1 October 2023 and 30 September 2024.",
        0,
        "doc:2",
        context="grant",
    )
    dates = [c for c in window if c.field == "action_date"]
    assert dates and dates[0].value == ["2023-10-01", "2024-09-30"]
    assert dates[0].subject == "credit_insurance"


def test_exclusion_items_and_cumulative_caps_are_conditions() -> None:
    from assistant.ingest.measures import measures_of
    from assistant.types import Chunk

    def chunk(clause_id: str, text: str, start: int) -> Chunk:
        return Chunk(
            clause_id, "d", "d › x", None, start, start + len(text), 1, text, "zh", 0, text
        )

    texts = [
        ("d:1", "第一条 本措施适用于在样例县行政区域内依法登记注册的制造业企业。"),
        ("d:2", "第二条 按设备投资额的10%给予补助，单个项目最高不超过300万元。"),
        (
            "d:3",
            "第三条 不予支持情形。有下列情形之一的，不予支持：购置二手设备的；项目属于钢铁行业的。",
        ),
        ("d:4", "第四条 累计上限。同一企业获得的各项支持资金累计不超过500万元。"),
    ]
    chunks, offset = [], 0
    for clause_id, text in texts:
        chunks.append(chunk(clause_id, text, offset))
        offset += len(text) + 1
    (measure,) = measures_of(chunks)
    fields = {(c.field, str(c.value)) for c in measure.conditions}
    assert ("attestation", "new_equipment") in fields
    assert ("industry", "['steel']") in fields
    assert ("cumulative_cap", "no_prior_support") in fields
    assert ("role", "['manufacturer']") in fields
