"""CC-CEDICT, read from the wheel as data: each word of a question bridged to the words
that translate it, kept only where the keyword index holds them."""

from __future__ import annotations

from assistant.answer.refusal import coverage
from assistant.search.dictionary import (
    BilingualDictionary,
    cedict_path,
    general_dictionary,
    word_forms,
)
from assistant.types import Chunk, SearchHit


def test_the_dictionary_is_the_wheels_data_file_read_both_ways() -> None:
    assert cedict_path().is_file()
    dictionary = general_dictionary()
    assert "辅导" in dictionary.chinese_for("tutoring")
    assert "协议" in dictionary.chinese_for("agreement")
    assert "仓库" in dictionary.chinese_for("warehouses")
    assert {"risk"} <= dictionary.english_for("风险")
    assert "export" in dictionary.translations("出口")
    assert dictionary.translations("the") == [] and dictionary.translations("firm") == []


def test_only_words_the_index_holds_are_bridged() -> None:
    dictionary = general_dictionary()
    held = {"辅导", "协议", "证券"}
    bridged = dictionary.bridge(
        "What does the zone pay for an IPO tutoring agreement?", held.__contains__
    )
    assert set(bridged) == {"辅导", "协议"}
    assert dictionary.bridge("上市辅导协议", {"tutor", "agreement"}.__contains__) == [
        "tutor",
        "agreement",
    ]
    assert dictionary.bridge("freight trains", lambda term: False) == []


def test_senses_that_are_references_or_explanations_translate_nothing() -> None:
    dictionary = BilingualDictionary.parse(
        [
            "# a comment",
            "證券 证券 [zheng4 quan4] /negotiable security (finance)/securities/",
            "說明 说明 [shuo1 ming2] /to explain in some detail what is meant/",
            "辦 办 [ban4] /to do/",  # one character: not a word to bridge
            "倉 仓 [cang1] /variant of 艙|舱/",
            "倉庫 仓库 [cang1 ku4] /see 倉儲|仓储/warehouse/",
        ]
    )
    assert dictionary.english_for("证券") == {"negotiable security", "securities"}
    assert dictionary.chinese_for("security") == []  # two-word senses are not looked up
    assert dictionary.english_for("说明") == set()
    assert dictionary.english_for("仓库") == {"warehouse"}
    assert dictionary.chinese_for("do") == []
    assert word_forms("warehouses")[:3] == ["warehouses", "warehouse", "warehous"]


def test_a_clause_in_the_other_language_covers_the_words_it_translates() -> None:
    text = "第十二条 上市培育：专精特新中小企业与证券公司签订上市辅导协议的，一次性奖励50万元。"
    chunk = Chunk(
        clause_id="doc:12",
        doc_id="doc",
        text=text,
        embed_text=text,
        heading_path="doc > 第十二条",
        clause_number="第十二条",
        start=0,
        end=len(text),
        page=1,
        language="zh",
        ordinal=0,
    )
    hit = SearchHit(
        chunk=chunk,
        score=1.0,
        dense_score=0.4,
        keyword_score=1.0,
        doc_title="doc",
        official=False,
        status="in_force",
    )
    assert coverage({"tutoring", "agreement"}, hit) == 1.0
    assert coverage({"tutoring", "carbon"}, hit) == 0.5
