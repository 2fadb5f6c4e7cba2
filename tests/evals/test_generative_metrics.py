"""The generative mode's metrics: faithfulness, key facts after units, fallback."""

from __future__ import annotations

from evals.dataset import Question
from evals.generative import generative_row, key_fact_found, sentence_faithful

QUOTE = {
    "n": 1,
    "quote": "单个项目最高补贴300万元。",
    "doc_title": "样本市措施",
    "heading_path": "一",
}


def question(*phrases: str) -> Question:
    return Question("q1", "最高补贴多少？", "zh", "amounts", ["d:1"], list(phrases), True)


def test_key_facts_match_after_units() -> None:
    assert key_fact_found("300万元", "The cap is RMB 3 million [1].")
    assert not key_fact_found("300万元", "The cap is 300,000 yuan [1].")
    assert key_fact_found("投资与技术改造处", "请联系投资与技术改造处[1]。")


def test_a_sentence_is_faithful_to_what_it_cites() -> None:
    assert sentence_faithful("单个项目最高补贴300万元[1]。", {1: QUOTE})["faithful"]
    assert not sentence_faithful("单个项目最高补贴30万元[1]。", {1: QUOTE})["numbers_ok"]
    assert not sentence_faithful("企业须在本市注册[1]。", {1: QUOTE})["faithful"]
    assert not sentence_faithful("单个项目最高补贴300万元。", {1: QUOTE})["faithful"]
    # the title the citation shows supports naming it; words found nowhere do not
    assert sentence_faithful("样本市措施单个项目最高补贴300万元[1]。", {1: QUOTE})["faithful"]
    assert not sentence_faithful("示例省措施对每家企业一年最多补300万元[1]。", {1: QUOTE})[
        "faithful"
    ]


def test_a_sentence_in_its_sources_own_words_is_counted_verbatim() -> None:
    assert sentence_faithful("单个项目最高补贴300万元[1]。", {1: QUOTE})["verbatim"]
    assert not sentence_faithful("每个项目最多补贴300万元[1]。", {1: QUOTE})["verbatim"]


def test_rows_count_a_fallback_only_where_the_model_was_asked() -> None:
    text = "单个项目最高补贴300万元[1]。\n原文：\n- 单个项目最高补贴300万元。 [1]"
    row = generative_row(question("300万元"), text, "generative", True, [QUOTE], {"generate_ms": 5})
    assert row["fallback"] == 0.0 and row["faithfulness"] == 1.0
    assert row["key_fact_accuracy"] == row["key_fact_accuracy_direct"] == 1.0
    extractive = "以下是…：\n- 单个项目最高补贴300万元。 [1]"
    assert (
        generative_row(question(), extractive, "extractive", True, [QUOTE], {"generate_ms": 5})[
            "fallback"
        ]
        == 1.0
    )
    assert "fallback" not in generative_row(question(), extractive, "extractive", True, [QUOTE], {})
