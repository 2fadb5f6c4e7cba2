"""The policy glossary that bridges Chinese and English for keyword search and evidence."""

from __future__ import annotations

import pytest

from assistant.search.glossary import Glossary, policy_glossary


def test_terms_are_bridged_both_ways() -> None:
    glossary = policy_glossary()
    assert "China-Europe freight train" in glossary.bridge("《通知》关于中欧班列是怎么说的？")
    assert "海外仓" in glossary.bridge("What does Sample City give for overseas warehouses?")
    # a text in one language gets only the other language's terms
    assert "中欧班列" not in glossary.bridge("中欧班列")


def test_english_terms_match_whole_words_in_any_case_and_any_regular_form() -> None:
    glossary = Glossary.parse("海外仓\toverseas warehouse\n以旧换新\ttrade in\n补贴\tsubsidy\n")
    assert glossary.concepts_in("Overseas Warehouses abroad") == {0}
    assert glossary.concepts_in("overseas warehousing") == {0}
    assert glossary.concepts_in("overseas warehousemen") == set()
    assert glossary.concepts_in("trading in an old fridge") == {1}
    assert glossary.concepts_in("two subsidies") == {2}
    assert glossary.concepts_in("tradition in") == set()
    assert glossary.without_terms("the overseas warehouse and 海外仓 fees").split() == [
        "the",
        "and",
        "fees",
    ]


@pytest.mark.parametrize(
    "text", ["", "# only a comment\n", "海外仓 overseas warehouse\n", "海外仓\t\n"]
)
def test_a_malformed_glossary_is_an_error(text: str) -> None:
    with pytest.raises(ValueError):
        Glossary.parse(text)
