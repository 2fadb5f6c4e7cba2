"""Numbers with units: what a generated sentence may state, given its sources."""

from __future__ import annotations

import pytest

from assistant.answer.numbers import extract, unsupported


@pytest.mark.parametrize(
    ("claim", "source"),
    [
        ("The cap is RMB 2 million [1].", "单个项目最高补贴200万元。"),
        ("每辆补贴5,000元。", "每辆补贴5000元。"),
        ("Each car gets 5,000 yuan.", "每辆补贴5000元。"),
        ("The award is 1 million yuan.", "一次性奖励100万元。"),
        ("The award is RMB 1.5 billion.", "总额15亿元。"),
        ("最高补贴300万元。", "最高补贴300万元。"),
        ("It rises by 3 percentage points.", "比重提高3个百分点。"),
        ("Exports must be at least 40% of revenue.", "出口额占营业收入40%以上。"),
        ("The area must be at least 2,000 square metres.", "使用面积不低于2000平方米。"),
        ("The second batch closes on 31 August 2023.", "2023年7月1日至2023年8月31日。"),
        ("The second batch runs from July 1, 2023.", "2023年7月1日至2023年8月31日。"),
        ("样本市2023年的补贴", "样本市汽车消费若干措施（2023年版）"),
        ("电话0000-12345678。", "咨询电话：0000-12345678。"),
        ("The investment may not exceed 5 million yuan.", "生产性设备投资额不高于500万元"),
    ],
)
def test_a_number_stated_in_its_sources_passes(claim: str, source: str) -> None:
    assert unsupported(claim, source) == []


@pytest.mark.parametrize(
    ("claim", "source", "caught"),
    [
        # what the 1.5B model wrote for 300万元
        ("The subsidy is 300,000 yuan [1].", "最高补贴300万元。", "300,000 yuan"),
        ("The cap is RMB 2 million.", "最高补贴20万元。", "RMB 2 million"),
        ("The award is 1亿元.", "奖励1000万元。", "1亿元"),
        ("It rises by 3%.", "比重提高3个百分点。", "3%"),
        # a share is never a bare count: what the 1.5B model cited for Sample City's 10%
        (
            "Sample City subsidizes 10% of the warehouse cost [1].",
            "A warehouse that serves at least 10 other exporting enterprises receives an award.",
            "10%",
        ),
        ("It rises by 3 percentage points.", "增长3%。", "3 percentage points"),
        ("面积不高于2000平方米。", "使用面积不低于2000平方米。", "2000平方米"),
        ("The area must be at most 2,000 square metres.", "面积不低于2000平方米", "2,000"),
        ("Exports must be below 40% of revenue.", "出口额占营业收入40%以上。", "40%"),
        ("The batch closes on 30 August 2023.", "2023年7月1日至2023年8月31日。", "30 August"),
        ("每辆补贴9999元。", "每辆补贴5000元。", "9999元"),
        ("Apply after 2023年8月31日.", "2023年8月31日前申报。", "2023年8月31日"),
    ],
)
def test_a_wrong_number_is_caught(claim: str, source: str, caught: str) -> None:
    wrong = unsupported(claim, source)
    assert wrong and caught in wrong[0].text


def test_units_normalize_to_one_value() -> None:
    [a] = extract("RMB 2 million")
    [b] = extract("200万元")
    [c] = extract("2,000,000 yuan")
    assert a.kind == b.kind == c.kind == "money"
    assert a.value == b.value == c.value == 2_000_000


def test_citation_markers_and_list_numbers_are_not_claims() -> None:
    assert extract("1. 购买新能源乘用车的，每辆补贴5000元。[2]") == extract("每辆补贴5000元。")


def test_thresholds_are_read_on_either_side() -> None:
    assert [q.bound for q in extract("不低于2000平方米；500万元以下；up to RMB 2 million")] == [
        "min",
        "max",
        "max",
    ]
