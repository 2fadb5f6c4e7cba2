"""Files to normalized text: .txt/.md, .pdf (with page numbers), .docx and .html.

The normalized text is the single reference for every character offset in the index, so
normalization happens here, once, and nothing downstream alters the text.

Every file is untrusted: it is opened without following a final symbolic link, read once
within the size limit, and any failure of a parser on it becomes a DocumentLoadError that
names the file, so one bad file never stops an ingestion.
"""

from __future__ import annotations

import copy
import errno
import hashlib
import io
import logging
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from bs4 import BeautifulSoup
    from bs4.element import Tag

from assistant.errors import DocumentLoadError
from assistant.ingest.markers import starts_with_marker

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".pdf", ".docx", ".html", ".htm"})

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_SPACES = re.compile(r"[ \t\u00a0\u2002\u2003\u2009\u3000]+")
_SENTENCE_END = tuple("。；！？：:.;!?”」）)")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")

# O_NOFOLLOW refuses a symbolic link as the last path component; O_NONBLOCK keeps a FIFO
# planted in the corpus from blocking the open (it is then refused as not a regular file).
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_BINARY", 0)
)
_LINK_ERRNOS = frozenset({errno.ELOOP, errno.EMLINK})
_READ_BLOCK = 256 * 1024
# A real DOCX has a few dozen parts; tens of thousands is a crafted archive.
_MAX_ZIP_MEMBERS = 10_000
# Encodings a Chinese or Western policy document is most likely to be in.
# charset_normalizer often ranks a regional code page (cp1257, cp1250) first on short
# Western text whose few accented letters fit either, so these win a near tie.
_LIKELY_ENCODINGS = {
    "cp1252": "cp1252",
    "big5": "Big5",
    "cp950": "Big5",
    "big5hkscs": "Big5",
    "gb18030": "GB18030",
    "gbk": "GB18030",
    "gb2312": "GB18030",
}
_NEAR_TIE = 0.1


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
    # Things the reader of the index should know, such as a guessed text encoding.
    warnings: list[str] = field(default_factory=list)

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def escape_controls(text: str) -> str:
    """`text` with control, format and line-separator characters written as escapes.

    File names and manifest values are data: printed raw, a newline in one forges a line
    of a report, and an escape sequence or a bidirectional override rewrites the terminal.
    """
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if _is_control(ch) else ch for ch in text
    )


def _is_control(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] == "C" or category in {"Zl", "Zp"}


def display_name(path: PurePath | str) -> str:
    """A file's name (a path's last part; a string whole) fit to print in a message."""
    return escape_controls(path.name if isinstance(path, PurePath) else path)


def open_regular_file(path: Path) -> BinaryIO:
    """Open `path` for reading if it is a regular file and not a symbolic link.

    Raises OSError: ELOOP (or EMLINK) for a link, EINVAL for a FIFO, device or folder.
    """
    fd = os.open(path, _OPEN_FLAGS)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _open_failure(name: str, exc: OSError) -> str:
    if exc.errno in _LINK_ERRNOS:
        return f"{name}: is a symbolic link, which is not followed; copy the file in instead"
    if exc.errno == errno.EINVAL:
        return f"{name}: not a regular file"
    return f"{name}: cannot read the file ({exc.strerror or type(exc).__name__})"


def _read_within_limit(path: Path, name: str, limits: LoadLimits) -> bytes:
    """The file's bytes, its size checked on the open file before anything is read."""
    try:
        with open_regular_file(path) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limits.max_file_bytes:
                raise DocumentLoadError(
                    f"{name}: {size} bytes exceeds the limit of {limits.max_file_bytes}"
                )
            # read(n) allocates n bytes up front, so ask for the stated size; a file that
            # grows while it is read is read on to one byte past the limit.
            data = handle.read(size + 1)
            if len(data) > size:
                data += handle.read(limits.max_file_bytes + 1 - len(data))
    except OSError as exc:
        raise DocumentLoadError(_open_failure(name, exc)) from exc
    if not data:
        raise DocumentLoadError(f"{name}: the file is empty")
    if len(data) > limits.max_file_bytes:
        raise DocumentLoadError(
            f"{name}: more than {limits.max_file_bytes} bytes exceeds the limit of "
            f"{limits.max_file_bytes}"
        )
    return data


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


def _decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """The text, and a warning when its encoding had to be guessed."""
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        pass
    text, encoding = _guess_encoding(data, name)
    return text, [
        f"{name}: not UTF-8; decoded as {encoding}, a guess: check its text, or save the "
        "file as UTF-8"
    ]


def _guess_encoding(data: bytes, name: str) -> tuple[str, str]:
    try:
        as_gb18030: str | None = data.decode("gb18030")
    except UnicodeDecodeError:
        as_gb18030 = None
    if as_gb18030 is not None and _reads_as_chinese(as_gb18030):
        return as_gb18030, "GB18030"
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    if not matches:
        if as_gb18030 is not None:
            return as_gb18030, "GB18030"
        raise DocumentLoadError(f"{name}: cannot detect the text encoding; save it as UTF-8")
    best = matches[0]
    for match in matches:
        if match.chaos > best.chaos + _NEAR_TIE:
            break
        likely = [
            _LIKELY_ENCODINGS[e] for e in match.could_be_from_charset if e in _LIKELY_ENCODINGS
        ]
        if likely:
            return str(match), likely[0]
    return str(best), best.encoding


def _reads_as_chinese(text: str) -> bool:
    """Whether text decoded as GB18030 reads as Chinese rather than as another encoding's
    bytes. GB18030 accepts almost any byte string; text written in it uses common (GB2312)
    characters nearly throughout, while Big5 or Latin text read as GB18030 turns into rare
    ideographs, kana and symbols."""
    foreign = [ch for ch in text[:20_000] if ord(ch) > 0x7F]
    common = sum(1 for ch in foreign if _common_chinese(ch))
    return common >= 0.9 * len(foreign)


def _common_chinese(ch: str) -> bool:
    if not (
        "\u4e00" <= ch <= "\u9fff"  # ideographs
        or "\u3000" <= ch <= "\u303f"  # CJK punctuation
        or "\uff00" <= ch <= "\uffef"  # full-width forms
        or "\u2010" <= ch <= "\u206f"  # quotes, dashes, ellipsis
        or "\u00a0" <= ch <= "\u00ff"
    ):
        return False
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def _load_plain(data: bytes, name: str) -> LoadedText:
    text, warnings = _decode_text(data, name)
    builder = _TextBuilder()
    for line in text.splitlines():
        builder.add(line)
    loaded = builder.build()
    loaded.warnings.extend(warnings)
    return loaded


def _display_width(line: str) -> int:
    return sum(2 if _CJK.match(ch) else 1 for ch in line)


def _pdf_errors() -> tuple[type[BaseException], ...]:
    from pypdf.errors import PyPdfError

    # What pypdf and the codecs under it raise on a malformed file, beyond its own errors.
    return (
        PyPdfError,
        ArithmeticError,
        LookupError,
        ValueError,
        TypeError,
        AttributeError,
        AssertionError,
        RecursionError,
        OSError,
        struct.error,
        zlib.error,
    )


def _load_pdf(data: bytes, name: str, limits: LoadLimits) -> LoadedText:
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentLoadError(f"{name}: the PDF is encrypted; provide a decrypted copy")
        if len(reader.pages) > limits.max_pages:
            raise DocumentLoadError(
                f"{name}: {len(reader.pages)} pages exceeds the limit of {limits.max_pages}"
            )
        page_lines: list[list[str]] = []
        total = 0
        for page in reader.pages:
            lines = [normalize_line(x) for x in (page.extract_text() or "").splitlines()]
            lines = [x for x in lines if x]
            total += sum(len(x) for x in lines)
            if total > limits.max_chars:
                raise DocumentLoadError(f"{name}: text exceeds {limits.max_chars} characters")
            page_lines.append(lines)
    except DocumentLoadError:
        raise
    except LimitReachedError as exc:
        raise DocumentLoadError(
            f"{name}: not a readable PDF: a stream inflates past the reader's limits "
            "(decompression bomb?)"
        ) from exc
    except _pdf_errors() as exc:
        raise DocumentLoadError(f"{name}: not a readable PDF ({type(exc).__name__})") from exc

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
        raise DocumentLoadError(f"{name}: the PDF has no text layer (scanned?); OCR it first")
    return loaded


def _repacked_docx(data: bytes, name: str, limits: LoadLimits) -> io.BytesIO:
    """The DOCX's members, inflated under a running cap on their real size, in a new zip.

    A zip's directory states each member's size, and a hostile one understates it: the
    inflater then produces whatever the compressed stream holds, and python-docx reads
    each member whole. The copy it is handed holds only sizes that were counted.
    """
    budget = limits.max_docx_uncompressed_bytes
    repacked = io.BytesIO()
    try:
        with (
            zipfile.ZipFile(io.BytesIO(data)) as archive,
            zipfile.ZipFile(repacked, "w", zipfile.ZIP_STORED) as target,
        ):
            members = archive.infolist()
            if len(members) > _MAX_ZIP_MEMBERS:
                raise DocumentLoadError(
                    f"{name}: {len(members)} parts in one DOCX is over the limit of "
                    f"{_MAX_ZIP_MEMBERS} (zip bomb?)"
                )
            declared = sum(info.file_size for info in members)
            if declared > budget:
                raise DocumentLoadError(
                    f"{name}: unpacks to {declared} bytes, over the limit of {budget} (zip bomb?)"
                )
            seen: set[str] = set()
            for info in members:
                if info.filename in seen:
                    raise zipfile.BadZipFile(f"{info.filename!r} appears twice")
                seen.add(info.filename)
                budget -= _copy_member(archive, info, target, budget, name, limits)
    except zipfile.BadZipFile as exc:
        raise DocumentLoadError(f"{name}: not a valid DOCX (zip) file") from exc
    except (zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, zlib.error) as exc:
        # RuntimeError: an encrypted member; NotImplementedError: an unknown compression
        raise DocumentLoadError(
            f"{name}: not a readable DOCX (zip) file ({type(exc).__name__})"
        ) from exc
    repacked.seek(0)
    return repacked


def _copy_member(
    archive: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    target: zipfile.ZipFile,
    budget: int,
    name: str,
    limits: LoadLimits,
) -> int:
    """Copy one member, inflating at most one byte past `budget`; its real size."""
    probe = copy.copy(info)
    # zipfile stops at the stated size and checks the CRC there; reading on to the
    # budget finds a member that is larger than stated, and the CRC is checked below.
    probe.file_size = budget + 1
    probe.CRC = None  # type: ignore[assignment]
    size = crc = 0
    with archive.open(probe) as source, target.open(info.filename, "w") as sink:
        while block := source.read(_READ_BLOCK):
            size += len(block)
            if size > budget:
                raise DocumentLoadError(
                    f"{name}: unpacks to more than {limits.max_docx_uncompressed_bytes} bytes, "
                    "over the limit, though its zip directory says less (zip bomb?)"
                )
            crc = zlib.crc32(block, crc)
            sink.write(block)
    if size > info.file_size:
        raise DocumentLoadError(
            f"{name}: its zip directory understates the size of "
            f"{escape_controls(info.filename)} (zip bomb?)"
        )
    if size < info.file_size or crc != info.CRC:
        raise zipfile.BadZipFile(f"{info.filename!r} is damaged")
    return size


def _load_docx(data: bytes, name: str, limits: LoadLimits) -> LoadedText:
    package = _repacked_docx(data, name, limits)
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(package)
    except Exception as exc:  # python-docx raises a variety of parser errors
        raise DocumentLoadError(f"{name}: not a readable DOCX ({type(exc).__name__})") from exc
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


# What a web page wraps a policy in: site navigation, breadcrumbs, sidebars, footers and
# consent banners are not the policy, and as clauses they would be cited.
_FURNITURE_TAGS = ("nav", "aside", "footer")
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search"})
_FURNITURE_CLASS = re.compile(
    r"\b(cookie|consent|breadcrumbs?|site-(nav|header|footer|name|tools)|sidebar|skip-link|"
    r"share|print-tools)\b",
    re.IGNORECASE,
)


def _content_root(soup: BeautifulSoup) -> Tag:
    """The page's main content, without its furniture: <main> or <article> when the page
    marks one, else the body with its navigation, sidebars and footers taken out."""
    from bs4.element import Tag

    found = soup.find("main") or soup.find("article") or soup.body
    root: Tag = found if isinstance(found, Tag) else soup
    doomed = [tag for tag in root.find_all(_FURNITURE_TAGS) if isinstance(tag, Tag)]
    if root is soup.body or root is soup:
        doomed += [tag for tag in root.find_all("header", recursive=False) if isinstance(tag, Tag)]
    for tag in root.find_all(True):
        if not isinstance(tag, Tag) or tag.attrs is None:
            continue
        role = str(tag.get("role") or "").lower()
        classes: object = tag.get("class") or []
        listed = classes if isinstance(classes, list) else [str(classes)]
        names = " ".join([*map(str, listed), str(tag.get("id") or "")])
        if role in _FURNITURE_ROLES or _FURNITURE_CLASS.search(names):
            doomed.append(tag)
    for tag in doomed:
        if not tag.decomposed:
            tag.decompose()
    return root


_SAMPLE_NOTICE = re.compile(
    r"示例文件|虚构|演示而编写|并非.{0,12}正式|illustrative sample|fictional sample|"
    r"not an official",
    re.IGNORECASE,
)


def _notices_outside(soup: BeautifulSoup, root: Tag) -> list[str]:
    from bs4.element import Tag

    body = soup.body
    if body is None or root is body or root is soup:
        return []
    inside = {id(tag) for tag in root.find_all(True)} | {id(root)}
    found = []
    for element in body.find_all(_BLOCK_TAGS):
        if not isinstance(element, Tag) or id(element) in inside:
            continue
        if element.find(_BLOCK_TAGS) is not None:
            continue
        text = element.get_text()
        if _SAMPLE_NOTICE.search(text):
            found.append(text)
    return found


def _load_html(data: bytes, name: str) -> LoadedText:
    from bs4 import BeautifulSoup
    from bs4.element import Tag

    text, warnings = _decode_text(data, name)
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head", "iframe", "object"]):
        tag.decompose()
    builder = _TextBuilder()
    root = _content_root(soup)
    # A page's notice that it is a sample, above its <main>, is the document's own label:
    # kept, first, so the text says so wherever it is quoted.
    for notice in _notices_outside(soup, root):
        builder.add(notice)
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
    loaded = builder.build()
    loaded.warnings.extend(warnings)
    return loaded


def load_file(path: Path, limits: LoadLimits | None = None) -> LoadedText:
    """Read one file into normalized text; raise DocumentLoadError with a clear reason.

    A MemoryError is let through: after a failed allocation the process may be in any
    state, and whoever runs the loader decides what to do with it.
    """
    limits = limits or LoadLimits()
    name = display_name(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise DocumentLoadError(f"{name}: unsupported file type {suffix!r} ({supported})")
    data = _read_within_limit(path, name, limits)
    try:
        if suffix == ".pdf":
            loaded = _load_pdf(data, name, limits)
        elif suffix == ".docx":
            loaded = _load_docx(data, name, limits)
        elif suffix in {".html", ".htm"}:
            loaded = _load_html(data, name)
        else:
            loaded = _load_plain(data, name)
    except (DocumentLoadError, MemoryError):
        raise
    except Exception as exc:  # a parser's failure on one file is that file's failure
        log.debug("reading %s failed", name, exc_info=True)
        raise DocumentLoadError(f"{name}: could not be read ({type(exc).__name__})") from exc
    if not loaded.text.strip():
        raise DocumentLoadError(f"{name}: no text could be extracted")
    if len(loaded.text) > limits.max_chars:
        raise DocumentLoadError(f"{name}: text exceeds {limits.max_chars} characters")
    return loaded
