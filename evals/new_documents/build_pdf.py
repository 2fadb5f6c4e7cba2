"""Regenerate the illustrative Chinese PDF of the new-document evaluation from its text source.

Why: the new-document evaluation needs a Chinese PDF whose articles wrap across PDF lines,
the way a real government notice laid out on A4 does, so that the PDF loader's line
rejoining is exercised on a document the system has never seen. The reviewable text lives
in ``sources/``; this script renders it deterministically into ``documents/`` and checks
that the text read back from the PDF equals the source, so the questions' evidence is
checked against a known ground truth.

Layout: the illustrative notice and the body are left-aligned; the title, the issuers, the
document number and the date are centred, as on a printed notice; each article starts with
a two-character indent and wraps per character at the right margin.

Run from the repository root:  python evals/new_documents/build_pdf.py
It needs reportlab and pypdf, prints one OK/FAIL line and exits non-zero on a mismatch.
An unchanged source gives a byte-identical file.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "sources"
DOCUMENTS = HERE / "documents"

JOBS = ["sample-county-equipment-renewal-2023"]

FONT = "STSong-Light"
FONT_SIZE = 11.0
TITLE_SIZE = 15.0
LEADING = 18.0
MARGIN = 72.0  # 1 inch on every side
INDENT_CHARS = 2
MIN_PAGES = 2
CENTRED_LINES = range(1, 5)  # title, issuers, document number, date (after the notice line)


def read_lines(doc_id: str) -> list[str]:
    """Return the source lines of ``doc_id`` without line terminators."""
    return (SOURCES / f"{doc_id}.txt").read_text(encoding="utf-8").splitlines()


def wrap(line: str, first_width: float, width: float, size: float) -> list[str]:
    """Split ``line`` into pieces: the first no wider than ``first_width`` points, the
    rest no wider than ``width``. Chinese text has no spaces, so it wraps per character.
    An empty line yields one empty piece so that it still takes a line."""
    pieces: list[str] = []
    current = ""
    limit = first_width
    for char in line:
        candidate = current + char
        if current and pdfmetrics.stringWidth(candidate, FONT, size) > limit:
            pieces.append(current)
            current = char
            limit = width
        else:
            current = candidate
    pieces.append(current)
    return pieces


def build_pdf(doc_id: str) -> Path:
    """Render the source of ``doc_id`` as an A4 PDF."""
    out = DOCUMENTS / f"{doc_id}.pdf"
    page_width, page_height = A4
    text_width = page_width - 2 * MARGIN
    indent = INDENT_CHARS * FONT_SIZE
    pdf = canvas.Canvas(str(out), pagesize=A4, invariant=1)
    pdf.setTitle(f"{doc_id} (illustrative sample)")
    pdf.setAuthor("policyqa demo: illustrative, fictional document")
    y = page_height - MARGIN

    def next_line() -> None:
        nonlocal y
        y -= LEADING
        if y < MARGIN:
            pdf.showPage()
            y = page_height - MARGIN

    for index, line in enumerate(read_lines(doc_id)):
        if index in CENTRED_LINES:
            size = TITLE_SIZE if index == 1 else FONT_SIZE
            pdf.setFont(FONT, size)
            pdf.drawCentredString(page_width / 2, y, line)
            next_line()
            continue
        pdf.setFont(FONT, FONT_SIZE)
        body = index > 0 and bool(line)
        first_width = text_width - indent if body else text_width
        for number, piece in enumerate(wrap(line, first_width, text_width, FONT_SIZE)):
            x = MARGIN + indent if body and number == 0 else MARGIN
            if piece:
                pdf.drawString(x, y, piece)
            next_line()
    pdf.showPage()
    pdf.save()
    return out


def first_difference(expected: str, actual: str) -> str:
    """Describe where two strings first differ."""
    for pos, (a, b) in enumerate(zip(expected, actual, strict=False)):
        if a != b:
            return f"at char {pos}: expected {expected[pos : pos + 30]!r}, got {actual[pos : pos + 30]!r}"
    return f"length differs: expected {len(expected)}, got {len(actual)}"


def verify_pdf(doc_id: str, path: Path) -> bool:
    """Check that the PDF text equals the source, once newlines and the spaces pypdf puts
    before an indented or centred line are removed."""
    reader = PdfReader(str(path))
    extracted = "\n".join(page.extract_text() for page in reader.pages)
    actual = "".join(line.strip(" ") for line in extracted.splitlines())
    expected = "".join(read_lines(doc_id))
    pages = len(reader.pages)
    ok = actual == expected and pages >= MIN_PAGES
    detail = "" if actual == expected else f"; text differs {first_difference(expected, actual)}"
    print(f"{'OK' if ok else 'FAIL'} {path.relative_to(HERE)}: {pages} pages{detail}")
    return ok


def main() -> int:
    """Build every PDF, verify it, and return a process exit code."""
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    results = [verify_pdf(doc_id, build_pdf(doc_id)) for doc_id in JOBS]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
