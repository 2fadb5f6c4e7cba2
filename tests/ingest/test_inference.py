"""Metadata read from a document's own text, for files the manifest does not list: past
the disclaimer and the page furniture, as a person would read it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from assistant.config import Settings
from assistant.ingest.inference import read_metadata
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService

ZH_COUNTY = """【示例文件】本文件为演示编写的虚构示例，并非正式政策。
样例县推动制造业设备更新和技术改造若干措施
样例县工业和信息化局　样例县财政局　样工信发〔2023〕7号
第一条 对年营业收入2000万元以上的工业企业，按设备投资额的10%给予补助，最高300万元。
第二条 本措施自2023年5月1日起施行。
样例县工业和信息化局
2023年4月20日
"""

EN_PAGE = """Skip to content
Home › Policies › Trade
[ILLUSTRATIVE] A fictional page written for the demo; not an official policy.
We use cookies to improve this site. Accept all cookies
Sample Port City Measures to Support Export Credit Insurance
Issued by: Sample Port City Commerce Bureau
Document No. SPC-2023-14
Issued on 15 March 2023
1. Exporters registered in the city with annual exports under USD 50 million receive a 50% premium subsidy.
Contact us | Sitemap | © Sample Port City
"""


def test_a_chinese_county_document_past_its_disclaimer() -> None:
    meta = read_metadata(ZH_COUNTY)
    assert meta.title == "样例县推动制造业设备更新和技术改造若干措施"
    assert meta.issuer == "样例县工业和信息化局 样例县财政局"
    assert meta.doc_number == "样工信发〔2023〕7号"
    assert meta.issued == dt.date(2023, 4, 20)
    assert meta.region == "样例县" and meta.level == "municipal"


def test_an_english_page_past_its_navigation() -> None:
    meta = read_metadata(EN_PAGE)
    assert meta.title == "Sample Port City Measures to Support Export Credit Insurance"
    assert meta.issuer == "Sample Port City Commerce Bureau"
    assert meta.doc_number == "SPC-2023-14"
    assert meta.issued == dt.date(2023, 3, 15)
    assert meta.region == "Sample Port City" and meta.level == "municipal"


def test_a_top_heading_is_the_title_and_a_self_naming_text_is_found() -> None:
    page = "Menu\nDemo Zone Cloud Vouchers\nThe zone gives vouchers.\n"
    assert read_metadata(page, {page.index("Demo"): 1}).title == "Demo Zone Cloud Vouchers"
    summary = (
        "Jointly Issued by the Ministry of Industry and Information Technology\n"
        "Overview\n"
        "The ministry issued the “Notice on Supporting Demo Industries” (hereinafter the Notice).\n"
    )
    meta = read_metadata(summary)
    assert meta.title == "Notice on Supporting Demo Industries"
    assert meta.level == "national" and meta.region is None


def test_what_the_text_does_not_say_stays_unknown() -> None:
    meta = read_metadata("补贴说明\n第一条 对出口企业给予信用保险保费补贴。\n")
    assert meta.title == "补贴说明"
    assert (meta.issuer, meta.doc_number, meta.issued, meta.region) == (None, None, None, None)
    assert meta.level == "unknown"
    assert read_metadata("").title is None


def test_unlisted_documents_anywhere_in_the_corpus_are_titled_placed_and_found(
    tmp_path: Path, corpus: Path, embedder: UniversalSentenceEncoder
) -> None:
    (corpus / "documents" / "county-equipment.txt").write_text(ZH_COUNTY, encoding="utf-8")
    (corpus / "loose-page.html").write_text(
        "<html><body><nav>Home | Policies</nav><p>[ILLUSTRATIVE] A fictional page for the "
        "demo.</p><h1>Sample Port City Measures to Support Export Credit Insurance</h1>"
        f"<p>{EN_PAGE.splitlines()[8]}</p></body></html>",
        encoding="utf-8",
    )
    service = PolicyService(Settings(index_dir=tmp_path / "index"), embedder)
    report = service.ingest(corpus)
    assert "loose-page.html" in " ".join(report.warnings), "a file outside documents/ is read"
    county = service.document("county-equipment").meta
    assert county.title == "样例县推动制造业设备更新和技术改造若干措施"
    assert county.region == "样例县" and county.official is False
    page = service.document("loose-page").meta
    assert page.title == "Sample Port City Measures to Support Export Credit Insurance"

    # Found by its own words; ranking it first over a similar measure of another place
    # is the job of retrieval's named-scope handling.
    zh = service.ask("样例县设备更新补助按设备投资额的多少比例给予？最高多少？")
    assert zh.answered and "county-equipment" in {c.doc_id for c in zh.citations}
    en = service.ask("What premium subsidy does Sample Port City give exporters?")
    assert en.answered and "loose-page" in {c.doc_id for c in en.citations}


def test_validity_is_read_where_the_text_states_it() -> None:
    zh = read_metadata(
        "样例县若干措施\n第一条 申报时间为2023年7月1日至2023年8月31日。\n"
        "第二条 本措施自2023年7月1日起施行，有效期至2027年12月31日。\n"
    )
    assert (zh.effective, zh.expires) == (dt.date(2023, 7, 1), dt.date(2027, 12, 31))
    en = read_metadata(
        "Sample Port City Measures\n9. These measures take effect on 1 October 2023 and "
        "remain valid until 31 December 2027.\n"
    )
    assert (en.effective, en.expires) == (dt.date(2023, 10, 1), dt.date(2027, 12, 31))
    assert read_metadata("Measures\nApply between 1 May 2023 and 30 June 2023.\n").expires is None
