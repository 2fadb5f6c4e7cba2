from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import DocumentLoadError
from assistant.ingest.loaders import display_name, escape_controls, load_file
from tests.fixtures import hostile
from tests.fixtures.documents import DOCX_PARAGRAPHS, PDF_PAGES, write_docx, write_pdf


def test_pdf_keeps_chinese_text_exactly_and_knows_each_page(tmp_path: Path) -> None:
    path = tmp_path / "paged.pdf"
    write_pdf(path, PDF_PAGES)
    loaded = load_file(path)
    assert loaded.text.split("\n") == [line for page in PDF_PAGES for line in page]
    assert len(loaded.page_starts) == 3
    for number, page in enumerate(PDF_PAGES, start=1):
        offset = loaded.text.index(page[0])
        assert loaded.page_starts[number - 1] == offset


def test_pdf_rejoins_lines_the_layout_wrapped(tmp_path: Path) -> None:
    long_line = (
        "对设备投资额不低于500万元的技术改造项目按设备投资额的百分之十给予补助"
        "单个企业最高不超过三百万元"
    )
    half = len(long_line) // 2
    path = tmp_path / "wrapped.pdf"
    write_pdf(path, [[long_line[:half], long_line[half:], "一、短句。"]])
    loaded = load_file(path)
    assert loaded.text == long_line + "\n一、短句。"


def test_docx_paragraphs_and_heading_styles(tmp_path: Path) -> None:
    path = tmp_path / "plan.docx"
    write_docx(path, DOCX_PARAGRAPHS)
    loaded = load_file(path)
    assert loaded.text.split("\n") == [text for _, text in DOCX_PARAGRAPHS]
    heading_lines = {
        loaded.text[o:].split("\n")[0]: level for o, level in loaded.heading_hints.items()
    }
    assert heading_lines == {
        "示例区能源保供工作方案": 1,
        "一、重点企业白名单": 2,
        "二、原材料保供": 2,
    }


def test_html_drops_scripts_and_marks_headings(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><script>evil()</script></head><body><h2>Article 1 Fees</h2>"
        "<p>Refund of <b>30%</b>.</p><ol><li>First.</li><li>Second.</li></ol>"
        "<ul><li>Bullet.</li></ul><script>more()</script></body></html>",
        encoding="utf-8",
    )
    loaded = load_file(path)
    assert loaded.text == "Article 1 Fees\nRefund of 30%.\n1. First.\n2. Second.\n- Bullet."
    assert loaded.heading_hints == {0: 2}


def test_gb18030_text_is_detected_and_decoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("第一条 对规模以上工业企业给予补助。".encode("gb18030"))
    assert load_file(path).text == "第一条 对规模以上工业企业给予补助。"


@pytest.mark.parametrize(
    ("make", "text", "encoding"),
    [
        (hostile.big5_text, hostile.BIG5_TEXT, "Big5"),
        (hostile.cp1252_text, hostile.CP1252_TEXT, "cp1252"),
        (
            hostile.gbk_text,
            "第一条 对规模以上工业企业设备更新给予补助，最高100万元。",
            "GB18030",
        ),
    ],
    ids=["big5", "cp1252", "gbk"],
)
def test_legacy_encodings_are_decoded_and_flagged(
    tmp_path: Path,
    make,
    text: str,
    encoding: str,  # type: ignore[no-untyped-def]
) -> None:
    loaded = load_file(make(tmp_path / "legacy.txt"))
    assert loaded.text == text
    assert len(loaded.warnings) == 1
    assert "legacy.txt" in loaded.warnings[0] and encoding in loaded.warnings[0]
    assert "UTF-8" in loaded.warnings[0]


def test_utf8_text_has_no_warning(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_text("第一条 内容。", encoding="utf-8")
    assert load_file(path).warnings == []


def test_html_in_a_legacy_encoding_is_flagged(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_bytes(f"<p>{hostile.BIG5_TEXT}</p>".encode("big5"))
    loaded = load_file(path)
    assert loaded.text == hostile.BIG5_TEXT and "Big5" in loaded.warnings[0]


def test_file_names_are_escaped_in_messages(tmp_path: Path) -> None:
    path = tmp_path / "evil\nwarning: forged\x1b[31m.txt"
    path.write_bytes(b"")
    with pytest.raises(DocumentLoadError) as info:
        load_file(path)
    message = info.value.message
    assert "\n" not in message and "\x1b" not in message
    assert "evil\\nwarning: forged\\x1b[31m.txt" in message


def test_display_name_escapes_what_a_terminal_would_act_on() -> None:
    assert display_name(Path("dir/a\u202eb\u2028c\td.txt")) == "a\\u202eb\\u2028c\\td.txt"
    assert display_name("documents/[bold]x[/].txt") == "documents/[bold]x[/].txt"
    assert escape_controls("第一条\r\n") == "第一条\\r\\n"


def test_normalization_strips_invisible_characters_and_full_width_spaces(tmp_path: Path) -> None:
    path = tmp_path / "messy.txt"
    path.write_text(
        "\ufeff第一条\u3000内容\u200b。  \r\n\r\n\r\n\t第二条 内容。\n", encoding="utf-8"
    )
    assert load_file(path).text == "第一条 内容。\n\n第二条 内容。"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty"),
        ("notes.xlsx", b"PK\x03\x04", "unsupported file type"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("fake.docx", b"not a zip at all", "not a valid DOCX"),
    ],
)
def test_bad_files_fail_with_a_reason(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentLoadError) as info:
        load_file(path)
    assert reason in info.value.message
    assert name in info.value.message


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    plain = tmp_path / "plain.pdf"
    write_pdf(plain, PDF_PAGES[:1])
    writer = PdfWriter()
    for page in PdfReader(str(plain)).pages:
        writer.add_page(page)
    writer.encrypt("secret")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as handle:
        writer.write(handle)
    with pytest.raises(DocumentLoadError, match="encrypted"):
        load_file(locked)
