"""Keyword search finds a word in any of its English forms, and Chinese as segmented."""

from __future__ import annotations

from assistant.search.keyword import KeywordIndex, stem, tokenize


def test_english_words_meet_in_their_stems() -> None:
    assert tokenize("China-Europe freight trains") == tokenize("China-Europe freight train")
    assert tokenize("supplies ensured") == tokenize("supply ensure")
    assert stem("subsidies") == stem("subsidy") and stem("Warehouses") == stem("warehouse")
    assert tokenize("Overseas warehouses", stemmed=False) == ["overseas", "warehouses"]
    # numbers, short words and Chinese are left as they are
    assert stem("2023") == "2023" and stem("us") == "us"
    assert "补贴" in tokenize("设备更新补贴")


def test_the_index_knows_and_scores_a_word_in_another_form() -> None:
    index = KeywordIndex.build(
        [
            "Support cross-border e-commerce and overseas warehousing.",
            "Accelerate the use of China-Europe freight trains.",
            "设备更新改造补助",
        ]
    )
    assert index.knows("train") and index.knows("Supported") and index.knows("补助")
    assert not index.knows("carbon")
    scores = index.scores("freight train subsidies")
    assert scores.argmax() == 1 and scores[0] == 0.0
