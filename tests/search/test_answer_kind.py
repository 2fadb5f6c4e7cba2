"""Which kind of fact a question asks for, and which a clause states."""

from __future__ import annotations

import pytest

from assistant.search.answer_kind import answers_kinds, asked_kinds, asks_for_amount, states


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("现在在样本市买一辆纯电动乘用车，市里补贴多少钱？", {"amount"}),
        ("What is the award rate for reinvested profits, and the cap?", {"amount"}),
        ("What freight subsidy per container does the Notice set?", {"amount"}),
        ("What date was the Notice released?", {"date"}),
        ("进了白名单以后几号之前报数据？", {"date"}),
        ("消费券领了以后多久内必须用掉？", {"duration"}),
        ("How many days of coal inventory must it keep?", {"duration"}),
        ("How many measures does the Notice contain?", {"count"}),
        ("What does the Notice say about exports?", set()),
        ("How much time do we have to apply?", set()),
    ],
)
def test_the_kind_of_fact_a_question_asks_for(question: str, kinds: set[str]) -> None:
    assert asked_kinds(question) == kinds


def test_the_kinds_of_fact_a_clause_states() -> None:
    assert states("amount", "capped at RMB 5 million per enterprise")
    assert states("amount", "每辆补贴5000元") and states("amount", "按投资额的20%给予补贴")
    assert not states("amount", "Continue implementing tax reduction for engines below 2.0L")
    assert states("date", "On November 21, the Ministry")
    assert states("date", "白名单企业应于每月5日前报送") and states("date", "2023年1月10日")
    assert states("duration", "自领取之日起20日内有效") and states("duration", "for three years")
    # a date's day and year are not a duration
    assert not states("duration", "2023年1月10日至2023年2月10日")


def test_a_clause_answers_the_share_of_kinds_it_states() -> None:
    kinds = asked_kinds("When does it open, and how much is the cap?")
    assert kinds == {"date", "amount"}
    assert answers_kinds(kinds, "From 1 March 2023; capped at RMB 500,000.") == 1.0
    assert answers_kinds(kinds, "Applications open on 1 March 2023.") == 0.5
    assert answers_kinds(frozenset(), "anything") == 0.0
    assert asks_for_amount("样本市补贴多少钱？") and not asks_for_amount("样本市有补贴吗？")
