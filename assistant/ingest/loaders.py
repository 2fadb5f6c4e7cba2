"""Files to normalized text: .txt/.md, .pdf (with page numbers), .docx and .html.

The normalized text is the single reference for every character offset in the index, so
normalization happens here, once, and nothing downstream alters the text.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import DocumentLoadError
from assistant.ingest.markers import starts_with_marker

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[ \t\u00a0\u2002\u2003\u2009\u3000]+")
_SENTENCE_END = tuple("。；！？：:.;!?”」）)")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")


@dataclass(frozen=True)
class LoadLimits:
    max_file_bytes: int = 50 * 1024 * 1024
    max_pages: int = 2000
    max_chars: int = 5_000_000
    max_docx_uncompressed_bytes: int = 200 * 1024 * 1024


@dataclass
class LoadedText:
    text: str
    page_starts: tuple[int, ...] = (0,)
    heading_hints: dict[int, int] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def normalize_line(line: str) -> str:
    line = unicodedata.normalize("NFC", line).translate(_INVISIBLE)
    line = "".join(ch for ch in line if ch == "\t" or unicodedata.category(ch)[0] != "C")
    return _SPACES.sub(" ", line).strip()


class _TextBuilder:
    """Accumulates normalized lines, recording page starts and heading offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.page_starts: list[int] = []
        self.heading_hints: dict[int, int] = {}
        self._blank_pending = False
        self._page_pending = False

    def new_page(self) -> None:
        if self._page_pending:  # the previous page had no text; it still counts
            self.page_starts.append(self.length)
        self._page_pending = True

    def _mark_page(self) -> None:
        if self._page_pending:
            self.page_starts.append(self.length)
            self._page_pending = False

    def blank(self) -> None:
        self._blank_pending = self.length > 0

    def add(self, line: str, heading_level: int | None = None) -> None:
        line = normalize_line(line)
        if not line:
            self.blank()
            return
        if self.length > 0:
            separator = "\n\n" if self._blank_pending else "\n"
            self.parts.append(separator)
            self.length += len(separator)
        self._blank_pending = False
        self._mark_page()
        if heading_level is not None:
            self.heading_hints[self.length] = heading_level
        self.parts.append(line)
        self.length += len(line)

    def append_inline(self, fragment: str, glue: str) -> None:
        """Join a wrapped continuation onto the previous line."""
        fragment = normalize_line(fragment)
        if not fragment:
            return
        self.parts.append(glue)
        self.length += len(glue)
        self._mark_page()
        self.parts.append(fragment)
        self.length += len(fragment)

    def build(self) -> LoadedText:
        text = "".join(self.parts)
        starts = self.page_starts or [0]
        starts[0] = 0
        return LoadedText(text, tuple(starts), self.heading_hints)


def _decode_text(data: bytes, path: Path) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise DocumentLoadError(f"{path.name}: cannot detect the text encoding")
    return str(best)


def _load_plain(path: Path) -> LoadedText:
    builder = _TextBuilder()
    for line in _decode_text(path.read_bytes(), path).splitlines():
        builder.add(line)
    return builder.build()


def _display_width(line: str) -> int:
    return sum(2 if _CJK.match(ch) else 1 for ch in line)


def _load_pdf(path: Path, limits: LoadLimits) -> LoadedText:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            raise DocumentLoadError(f"{path.name}: the PDF is encrypted; provide a decrypted copy")
        if len(reader.pages) > limits.max_pages:
            raise DocumentLoadError(
                f"{path.name}: {len(reader.pages)} pages exceeds the limit of {limits.max_pages}"
            )
        page_lines: list[list[str]] = []
        total = 0
        for page in reader.pages:
            lines = [normalize_line(x) for x in (page.extract_text() or "").splitlines()]
            lines = [x for x in lines if x]
            total += sum(len(x) for x in lines)
            if total > limits.max_chars:
                raise DocumentLoadError(f"{path.name}: text exceeds {limits.max_chars} characters")
            page_lines.append(lines)
    except DocumentLoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, RecursionError, OSError) as exc:
        raise DocumentLoadError(f"{path.name}: not a readable PDF ({type(exc).__name__})") from exc

    builder = _TextBuilder()
    previous: str | None = None
    for lines in page_lines:
        builder.new_page()
        widest = max((_display_width(x) for x in lines), default=0)
        for line in lines:
            # pypdf returns visual lines; a line that filled the page width and did not end
            # a sentence was wrapped by the layout, so it is rejoined with the next one.
            wrapped = (
                previous is not None
                and not previous.endswith(_SENTENCE_END)
                and _display_width(previous) >= 0.85 * widest
                and not starts_with_marker(line)
            )
            if wrapped and previous is not None:
                # Chinese layouts wrap between any two characters, English ones at spaces.
                builder.append_inline(line, glue="" if _CJK.search(previous) else " ")
            else:
                builder.add(line)
            previous = line
            widest = max(widest, _display_width(line))
    loaded = builder.build()
    if not loaded.text.strip():
        raise DocumentLoadError(f"{path.name}: the PDF has no text layer (scanned?); OCR it first")
    return loaded


def _check_zip(path: Path, limits: LoadLimits) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            size = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise DocumentLoadError(f"{path.name}: not a valid DOCX (zip) file") from exc
    if size > limits.max_docx_uncompressed_bytes:
        raise DocumentLoadError(
            f"{path.name}: unpacks to {size} bytes, over the limit of "
            f"{limits.max_docx_uncompressed_bytes} (zip bomb?)"
        )


def _load_docx(path: Path, limits: LoadLimits) -> LoadedText:
    _check_zip(path, limits)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises a variety of parser errors
        raise DocumentLoadError(f"{path.name}: not a readable DOCX ({type(exc).__name__})") from exc
    builder = _TextBuilder()
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            style = (block.style.name if block.style is not None else "") or ""
            level: int | None = None
            if style == "Title":
                level = 1
            elif style.startswith("Heading"):
                digits = "".join(ch for ch in style if ch.isdigit())
                level = int(digits) + 1 if digits else 2
            builder.add(block.text, level)
        elif isinstance(block, Table):
            for row in block.rows:
                builder.add(" | ".join(cell.text.strip() for cell in row.cells))
    return builder.build()


_BLOCK_TAGS = frozenset(
    [
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "td",
        "th",
        "dt",
        "dd",
        "pre",
        "blockquote",
        "caption",
        "figcaption",
        "div",
        "address",
    ]
)


def _load_html(path: Path) -> LoadedText:
    from bs4 import BeautifulSoup
    from bs4.element import Tag

    soup = BeautifulSoup(_decode_text(path.read_bytes(), path), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head", "iframe", "object"]):
        tag.decompose()
    builder = _TextBuilder()
    root = soup.body or soup
    for element in root.find_all(_BLOCK_TAGS):
        if not isinstance(element, Tag) or element.find(_BLOCK_TAGS) is not None:
            continue
        text = element.get_text()
        if element.name in {"h1", "h2", "h3", "h4", "h5", "h6"}:
            builder.add(text, int(element.name[1]))
        elif element.name == "li":
            parent = element.parent
            if isinstance(parent, Tag) and parent.name == "ol":
                position = 1 + sum(
                    1 for sib in element.find_previous_siblings("li") if sib.parent is parent
                )
                builder.add(f"{position}. {text}" if not starts_with_marker(text) else text)
            else:
                builder.add(f"- {text}")
        else:
            builder.add(text)
    return builder.build()


def load_file(path: Path, limits: LoadLimits | None = None) -> LoadedText:
    """Read one file into normalized text; raise DocumentLoadError with a clear reason."""
    limits = limits or LoadLimits()
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentLoadError(f"{path.name}: unsupported file type {suffix!r} ({supported})")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise DocumentLoadError(f"{path.name}: cannot read the file ({exc.strerror})") from exc
    if size == 0:
        raise DocumentLoadError(f"{path.name}: the file is empty")
    if size > limits.max_file_bytes:
        raise DocumentLoadError(
            f"{path.name}: {size} bytes exceeds the limit of {limits.max_file_bytes}"
        )
    if suffix == ".pdf":
        loaded = _load_pdf(path, limits)
    elif suffix == ".docx":
        loaded = _load_docx(path, limits)
    elif suffix in {".html", ".htm"}:
        loaded = _load_html(path)
    else:
        loaded = _load_plain(path)
    if not loaded.text.strip():
        raise DocumentLoadError(f"{path.name}: no text could be extracted")
    if len(loaded.text) > limits.max_chars:
        raise DocumentLoadError(f"{path.name}: text exceeds {limits.max_chars} characters")
    return loaded
