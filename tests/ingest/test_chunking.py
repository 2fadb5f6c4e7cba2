from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from assistant.ingest.chunking import ClauseChunker
from assistant.ingest.loaders import _TextBuilder
from assistant.ingest.markers import find_marker
from assistant.types import Document, DocumentMeta
from tests.conftest import REPO
from tests.fixtures.documents import EN_GUIDE, ZH_MEASURES


def make_document(
    text: str, doc_id: str = "doc-one", language: str = "zh", hints: dict[int, int] | None = None
) -> Document:
    builder = _TextBuilder()
    for line in text.splitlines():
        builder.add(line)
    loaded = builder.build()
    meta = DocumentMeta(id=doc_id, title="Doc", language=language, source="x.txt")  # type: ignore[arg-type]
    return Document(
        meta,
        loaded.text,
        loaded.page_starts,
        hashlib.sha256(loaded.text.encode()).hexdigest(),
        hints or {},
    )


def by_number(chunks: list, number: str):  # type: ignore[no-untyped-def]
    return [c for c in chunks if c.clause_number == number]


def test_chinese_nested_headings_give_paths_numbers_and_spans() -> None:
    document = make_document(ZH_MEASURES)
    chunks = ClauseChunker(max_chars=480).chunk(document)
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
        assert chunk.embed_text.endswith(chunk.text)

    (article3,) = by_number(chunks, "第三条")
    assert "不低于500万元" in article3.text
    assert article3.heading_path == "Doc › 第二章 支持措施 › 第三条 设备更新补助。对设备投资额…"

    (item,) = by_number(chunks, "（二）")
    assert item.text == "（二）上一年度营业收入2000万元以上；"
    assert item.heading_path.startswith("Doc › 第二章 支持措施 › 第四条 申报条件。")
    (article4,) = by_number(chunks, "第四条")
    assert article4.clause_id + ".2" == item.clause_id

    numbered = by_number(chunks, "2")
    assert numbered and "设备购置发票" in numbered[0].text
    assert "第五条" in numbered[0].heading_path


def test_front_matter_is_one_clause_before_the_first_heading() -> None:
    chunks = ClauseChunker().chunk(make_document(ZH_MEASURES))
    first = chunks[0]
    assert first.clause_id == "doc-one:0"
    assert first.text.startswith("【测试文件】") and "测示发〔2024〕1号" in first.text


def test_english_markdown_articles_and_bullets() -> None:
    document = make_document(EN_GUIDE, language="en")
    chunks = ClauseChunker().chunk(document)
    (article,) = by_number(chunks, "Article 3")
    assert article.heading_path == (
        "Doc › Demo Guide to Export Support › 2. Overseas warehouses › "
        "Article 3 Overseas warehouse subsid…"
    )
    assert "2,000 square metres" in article.text
    bullets = [c for c in chunks if c.text.startswith("- ")]
    assert [b.text for b in bullets] == [
        "- The warehouse must serve at least ten Demo Town exporters.",
        "- Applications close on 30 June 2024.",
    ]
    assert all(b.clause_number is None for b in bullets)


def test_the_notice_splits_inline_bullets_into_titled_measures() -> None:
    text = (REPO / "corpus/documents/notice-2022-industrial-economy.txt").read_text("utf-8")
    document = make_document(text, doc_id="notice", language="en")
    chunks = ClauseChunker().chunk(document)
    exports = [
        c for c in chunks if c.heading_path.endswith("Stabilize exports of industrial products")
    ]
    assert len(exports) == 1
    assert exports[0].text.startswith(
        "- Stabilize exports of industrial products\nImplement foreign"
    )
    assert "cross-border e-commerce" in exports[0].text
    assert (
        exports[0].heading_path
        == "Doc › Key Measures for Industrial Growth › Stabilize exports of industrial products"
    )


def test_a_line_that_only_announces_a_list_is_not_a_clause() -> None:
    text = (
        "Support\n"
        "To ensure effective implementation, the Notice outlines three safeguards "
        "that every department shall follow:\n"
        "- Promote appliance replacement.\nIt also proposes:\n"
        "- Establishing a coordination mechanism.\n"
        "第二条 申请本办法奖励的企业应当同时符合下列条件：\n（一）在本区注册。"
    )
    chunks = ClauseChunker().chunk(make_document(text, language="en"))
    texts = [c.text for c in chunks]
    assert "It also proposes:" not in texts
    assert "- Establishing a coordination mechanism." in texts
    # A long sentence ending in a colon says something; a numbered article's lead-in is its
    # address, and both stay.
    assert any("To ensure effective implementation" in t for t in texts)
    assert any(t.startswith("第二条") for t in texts)


def test_long_clause_splits_at_sentences_with_overlap() -> None:
    document = make_document(ZH_MEASURES)
    chunks = ClauseChunker(max_chars=120, overlap_sentences=1).chunk(document)
    parts = [c for c in chunks if c.clause_number == "第六条"]
    assert len(parts) >= 2
    assert [p.clause_id for p in parts] == [
        f"{parts[0].clause_id[:-3]}_p{i}" for i in range(1, len(parts) + 1)
    ]
    for part in parts:
        assert len(part.text) <= 120
        assert part.text.endswith(("。", "；")), part.text
    # consecutive parts share their boundary sentence
    assert parts[1].start < parts[0].end


def test_clause_ids_are_stable_and_url_safe() -> None:
    first = ClauseChunker().chunk(make_document(ZH_MEASURES))
    again = ClauseChunker().chunk(make_document(ZH_MEASURES))
    assert [c.clause_id for c in first] == [c.clause_id for c in again]
    assert len({c.clause_id for c in first}) == len(first)
    allowed = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:")
    assert all(set(c.clause_id) <= allowed for c in first)


def test_heading_hints_from_the_source_format_open_sections() -> None:
    text = "Title of the measures\nIntro line one.\nFees\nSellers get a refund."
    builder = _TextBuilder()
    builder.add("Title of the measures", 1)
    builder.add("Intro line one.")
    builder.add("Fees", 2)
    builder.add("Sellers get a refund.")
    loaded = builder.build()
    assert loaded.text == text
    meta = DocumentMeta(id="hinted", title="T", language="en", source="x.html")
    document = Document(meta, loaded.text, loaded.page_starts, "h", loaded.heading_hints)
    chunks = ClauseChunker().chunk(document)
    assert [c.heading_path for c in chunks] == [
        "T › Title of the measures",
        "T › Title of the measures › Fees",
    ]


def test_invalid_settings_are_rejected_at_construction() -> None:
    with pytest.raises(ValueError):
        ClauseChunker(max_chars=10)
    with pytest.raises(ValueError):
        ClauseChunker(overlap_sentences=-1)


_line = st.one_of(
    st.text(
        alphabet="第一二三条章节（）()、.1234567890-•。；！？ 补贴企业ABCabc：:",
        min_size=0,
        max_size=60,
    ),
    st.sampled_from(
        ["第一章 总则", "第二条 内容。", "（一）项目；", "1. 材料", "- item", "Article 3 Fee"]
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_line, min_size=1, max_size=30), st.integers(min_value=40, max_value=300))
def test_any_text_gives_exact_spans_and_unique_ids(lines: list[str], max_chars: int) -> None:
    document = make_document("\n".join(lines))
    chunks = ClauseChunker(max_chars=max_chars).chunk(document)
    assert len({c.clause_id for c in chunks}) == len(chunks)
    for chunk in chunks:
        assert chunk.text == document.text[chunk.start : chunk.end]
        assert chunk.text.strip()
    spans = [(c.start, c.end) for c in chunks]
    offset = 0
    for line in document.text.split("\n"):
        start, offset = offset, offset + len(line) + 1
        if line.endswith("。") and find_marker(line) is None and any(ch.isalnum() for ch in line):
            # a sentence of body text is never dropped
            assert any(a <= start and start + len(line) <= b for a, b in spans), line


def test_a_sentence_longer_than_the_limit_is_cut_between_words() -> None:
    words = " ".join(f"warehousing{i}" for i in range(40))
    document = make_document(f"Article 1 Support\n{words} end.\n", language="en")
    chunks = ClauseChunker(max_chars=120, overlap_sentences=0).chunk(document)
    assert len(chunks) > 1
    for chunk in chunks:
        assert document.text[chunk.start : chunk.end] == chunk.text
        for word in chunk.text.split():
            assert word in {"Article", "1", "Support", "end."} or (
                word.startswith("warehousing") and word[len("warehousing") :].isdigit()
            ), word
