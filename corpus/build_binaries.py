"""Regenerate the binary corpus documents (PDF and DOCX) from their text sources.

Why: the policyqa corpus must exercise the PDF and DOCX loaders, but binary files
cannot be reviewed in a diff. The reviewable, editable text lives in
``corpus/sources/``; this script renders it deterministically into
``corpus/documents/`` and then checks that the text read back from each binary
matches its source, so the loaders are tested against a known ground truth.

Run from the repository root:  python corpus/build_binaries.py
"""

from __future__ import annotations

import datetime as dt
import io
import re
import sys
import zipfile
from pathlib import Path

import docx
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

CORPUS = Path(__file__).resolve().parent
SOURCES = CORPUS / "sources"
DOCUMENTS = CORPUS / "documents"

PDF_JOBS = ["sc-auto-consumption-2023"]
DOCX_JOBS = ["ep-energy-supply-2022"]

FONT = "STSong-Light"
FONT_SIZE = 11.0
LEADING = 18.0
MARGIN = 72.0  # 1 inch on every side
MIN_PDF_PAGES = 3

FIXED_DATE = dt.datetime(2023, 3, 20, 0, 0, 0)
CN_NUM = "一二三四五六七八九十"
HEADING_1 = re.compile(rf"^[{CN_NUM}]+、")
HEADING_2 = re.compile(rf"^（[{CN_NUM}]+）")
MAX_HEADING_CHARS = 20


def read_lines(doc_id: str) -> list[str]:
    """Return the source lines of ``doc_id`` without line terminators."""
    return (SOURCES / f"{doc_id}.txt").read_text(encoding="utf-8").splitlines()


def wrap(line: str, width: float) -> list[str]:
    """Split ``line`` into pieces no wider than ``width`` points.

    Chinese text has no spaces to break on, so wrapping is done per character.
    An empty line yields one empty piece so that it still takes a line.
    """
    pieces: list[str] = []
    current = ""
    for char in line:
        candidate = current + char
        if current and pdfmetrics.stringWidth(candidate, FONT, FONT_SIZE) > width:
            pieces.append(current)
            current = char
        else:
            current = candidate
    pieces.append(current)
    return pieces


def build_pdf(doc_id: str) -> Path:
    """Render the source of ``doc_id`` as an A4 PDF, one source line per new line."""
    out = DOCUMENTS / f"{doc_id}.pdf"
    page_width, page_height = A4
    text_width = page_width - 2 * MARGIN
    pdf = canvas.Canvas(str(out), pagesize=A4, invariant=1)
    pdf.setTitle(f"{doc_id} (illustrative sample)")
    pdf.setAuthor("policyqa demo corpus")
    pdf.setFont(FONT, FONT_SIZE)
    y = page_height - MARGIN
    for line in read_lines(doc_id):
        for piece in wrap(line, text_width):
            if y < MARGIN:
                pdf.showPage()
                pdf.setFont(FONT, FONT_SIZE)
                y = page_height - MARGIN
            if piece:
                pdf.drawString(MARGIN, y, piece)
            y -= LEADING
    pdf.showPage()
    pdf.save()
    return out


def heading_level(index: int, line: str) -> int | None:
    """Return the heading level for a source line, or None for body text.

    Line 1 (after the illustrative notice) is the title; short lines starting
    with ``一、`` or ``（一）`` are section headings.
    """
    if index == 1:
        return 0
    if len(line) <= MAX_HEADING_CHARS:
        if HEADING_1.match(line):
            return 1
        if HEADING_2.match(line):
            return 2
    return None


def build_docx(doc_id: str) -> Path:
    """Render the source of ``doc_id`` as a DOCX, one paragraph per source line."""
    out = DOCUMENTS / f"{doc_id}.docx"
    document = docx.Document()
    for index, line in enumerate(read_lines(doc_id)):
        level = heading_level(index, line)
        if level is None:
            document.add_paragraph(line)
        else:
            document.add_heading(line, level=level)
    props = document.core_properties
    props.title = f"{doc_id} (illustrative sample)"
    props.author = "policyqa demo corpus"
    props.last_modified_by = "policyqa demo corpus"
    props.created = FIXED_DATE
    props.modified = FIXED_DATE
    props.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    out.write_bytes(fixed_zip_timestamps(buffer.getvalue()))
    return out


def fixed_zip_timestamps(data: bytes) -> bytes:
    """Rewrite a ZIP archive with fixed member timestamps.

    python-docx stamps every member with the current time, which would make the
    DOCX differ on every run; rewriting the members keeps the output byte-stable.
    """
    stamp = FIXED_DATE.timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=stamp)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = info.external_attr
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def first_difference(expected: str, actual: str) -> str:
    """Describe where two strings first differ."""
    for pos, (a, b) in enumerate(zip(expected, actual, strict=False)):
        if a != b:
            want, got = expected[pos : pos + 30], actual[pos : pos + 30]
            return f"at char {pos}: expected {want!r}, got {got!r}"
    return f"length differs: expected {len(expected)}, got {len(actual)}"


def verify_pdf(doc_id: str, path: Path) -> bool:
    """Check that the PDF text, newlines removed, equals the source, newlines removed."""
    reader = PdfReader(str(path))
    actual = "".join(page.extract_text() for page in reader.pages).replace("\n", "")
    expected = "".join(read_lines(doc_id))
    pages = len(reader.pages)
    ok = actual == expected and pages >= MIN_PDF_PAGES
    detail = "" if actual == expected else f"; text differs {first_difference(expected, actual)}"
    print(f"{'OK' if ok else 'FAIL'} {path.relative_to(CORPUS)}: {pages} pages{detail}")
    return ok


def verify_docx(doc_id: str, path: Path) -> bool:
    """Check that the DOCX paragraphs equal the source lines, in order."""
    actual = [p.text for p in docx.Document(str(path)).paragraphs]
    expected = read_lines(doc_id)
    ok = actual == expected
    detail = ""
    if not ok:
        mismatch = next(
            (i for i, (a, b) in enumerate(zip(expected, actual, strict=False)) if a != b),
            min(len(expected), len(actual)),
        )
        detail = f"; first mismatch at paragraph {mismatch}"
    print(f"{'OK' if ok else 'FAIL'} {path.relative_to(CORPUS)}: {len(actual)} paragraphs{detail}")
    return ok


def main() -> int:
    """Build every binary document, verify it, and return a process exit code."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    results = [verify_pdf(doc_id, build_pdf(doc_id)) for doc_id in PDF_JOBS]
    results += [verify_docx(doc_id, build_docx(doc_id)) for doc_id in DOCX_JOBS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
