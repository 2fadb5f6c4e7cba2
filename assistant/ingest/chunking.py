"""Policy text to clause chunks that follow the document's heading tree.

A document is read as a sequence of line segments. Marker lines (第X章, 第X条, 一、, （一）,
1., (1), Article N, bullets), headings the source format marked (HTML/DOCX) and short
titled lines open nodes; other lines are the body of the node they follow. Each node with
content becomes one clause; a clause longer than the limit is split at sentence boundaries
with overlap. Clause ids come from the document id and the node's position in the tree, so
they survive re-ingestion of unchanged text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

from assistant.ingest.markers import Marker, find_marker
from assistant.text import sentence_spans
from assistant.types import HEADING_SEPARATOR, Chunk, Document

# A new list item that a layout squeezed onto the end of the previous sentence's line:
# "... a greater role. - Expand market potential ..."
_INLINE_BULLET = re.compile(r"(?<=[.!?;。；！？])\s+(?=-\s+\S)")
_TITLE_END = tuple("。；！？：:.;!?，,、")
_CJK = re.compile(r"[\u3400-\u9fff]")
_LETTER = re.compile(r"[A-Za-z\u3400-\u9fff]")

TITLE_RANK = 0.9
PARAGRAPH_RANK = 100.0
# The widest a line may be and still only announce the list after it.
LEAD_IN_WIDTH = 40


@dataclass
class _Segment:
    start: int
    end: int
    text: str


@dataclass
class _Node:
    rank: float
    start: int
    end: int
    path: tuple[int, ...]
    label: str | None
    number: str | None
    parent: _Node | None
    kind: str  # "heading" | "title" | "marker" | "bullet" | "paragraph"
    line_is_content: bool
    has_body: bool = False
    accepts_body: bool = True
    children: int = 0
    labels: list[str] = field(default_factory=list)


def _display_len(text: str) -> int:
    return sum(2 if _CJK.match(ch) else 1 for ch in text)


def is_title_like(text: str) -> bool:
    text = text.strip()
    return (
        bool(text)
        and _display_len(text) <= 80
        and not text.endswith(_TITLE_END)
        and _LETTER.search(text) is not None
    )


def is_lead_in(text: str) -> bool:
    """A short line that only announces what follows ("It also proposes:", "具体如下：")."""
    stripped = text.strip()
    return stripped.endswith((":", "：")) and _display_len(stripped) <= LEAD_IN_WIDTH


def is_heading_like(text: str) -> bool:
    """A marker's text that names a section ("新能源汽车下乡。") rather than states a rule."""
    text = text.strip()
    if is_title_like(text):
        return True
    body = text.rstrip("。.")
    return (
        bool(body)
        and _display_len(body) <= 40
        and not any(p in body for p in "，,；;：:。")
        and _LETTER.search(body) is not None
    )


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if _display_len(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _display_len(out + ch) > limit - 1:
            break
        out += ch
    return out.rstrip() + "…"


def _segments(text: str) -> list[_Segment]:
    segments: list[_Segment] = []
    offset = 0
    for line in text.split("\n"):
        line_start = offset
        offset += len(line) + 1
        if not line.strip():
            continue
        cuts = [m.end() for m in _INLINE_BULLET.finditer(line)]
        bounds = [0, *cuts, len(line)]
        for a, b in pairwise(bounds):
            piece = line[a:b]
            stripped = piece.rstrip()
            lead = len(piece) - len(piece.lstrip())
            if stripped.strip():
                segments.append(
                    _Segment(
                        line_start + a + lead, line_start + a + len(stripped), stripped.strip()
                    )
                )
    return segments


def _label(text: str, marker: Marker | None) -> str:
    if marker is None:
        return _shorten(text, 60)
    rest = text[len(marker.text) :].strip() if text.startswith(marker.text) else text
    if marker.kind == "markdown":
        return _shorten(rest, 60)
    if marker.kind == "bullet":
        return _shorten(rest, 48)
    head = marker.text.strip()
    after = text[len(marker.text) :] if text.startswith(marker.text) else ""
    glue = " " if marker.text.endswith(" ") or after.startswith(" ") else ""
    if not rest:
        return head
    return head + glue + _shorten(rest, 60 if is_title_like(rest) else 26)


_SOFT_BREAK = re.compile(r"[，,、：:）)]|\s")


def _soft_cut(text: str, start: int, limit: int) -> int:
    """Where to cut text[start:] at or before `limit`: after the last comma, colon or space
    in the second half of the window, else at the limit itself."""
    window = text[start:limit]
    breaks = [m.end() for m in _SOFT_BREAK.finditer(window)]
    usable = [b for b in breaks if b >= len(window) // 2]
    return start + (usable[-1] if usable else len(window))


class ClauseChunker:
    """Turns a Document into clause Chunks with ids, heading paths, spans and pages."""

    def __init__(self, max_chars: int = 480, overlap_sentences: int = 1) -> None:
        if max_chars < 40:
            raise ValueError("max_chars must be at least 40")
        if overlap_sentences < 0:
            raise ValueError("overlap_sentences must not be negative")
        self.max_chars = max_chars
        self.overlap_sentences = overlap_sentences

    def chunk(self, document: Document) -> list[Chunk]:
        nodes = self._parse(document)
        chunks: list[Chunk] = []
        for node in nodes:
            if not self._has_content(node, document.text):
                continue
            chunks.extend(self._emit(document, node, len(chunks)))
        return chunks

    # -- parsing -------------------------------------------------------------------------

    def _parse(self, document: Document) -> list[_Node]:
        return _Parser(document).run()

    @staticmethod
    def _has_content(node: _Node, text: str) -> bool:
        if node.kind == "paragraph" and is_lead_in(text[node.start : node.end]):
            # "It also proposes:" only introduces the items after it: cited on its own it
            # answers nothing, and its vector, mostly heading path, outranks real clauses.
            return False
        if node.has_body:
            return True
        if node.kind in {"heading", "title"}:
            return False
        # A numbered heading whose items carry the content has nothing of its own to cite.
        return not (node.kind == "marker" and not node.line_is_content and node.children)

    # -- emitting ------------------------------------------------------------------------

    def _emit(self, document: Document, node: _Node, ordinal: int) -> list[Chunk]:
        text = document.text
        base_id = f"{document.doc_id}:{'.'.join(str(p) for p in node.path) or '0'}"
        heading_path = HEADING_SEPARATOR.join(node.labels)
        spans = self._split(text, node.start, node.end)
        chunks = []
        for part, (start, end) in enumerate(spans, start=1):
            clause_id = base_id if len(spans) == 1 else f"{base_id}_p{part}"
            body = text[start:end]
            chunks.append(
                Chunk(
                    clause_id=clause_id,
                    doc_id=document.doc_id,
                    heading_path=heading_path,
                    clause_number=node.number,
                    start=start,
                    end=end,
                    page=document.page_at(start),
                    text=body,
                    language=document.meta.language,
                    ordinal=ordinal + part - 1,
                    embed_text=f"{heading_path}\n{body}",
                )
            )
        return chunks

    def _split(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        if end - start <= self.max_chars:
            return [(start, end)]
        sentences = sentence_spans(text, start, end)
        # A single sentence longer than the limit is cut rather than dropped: at the last
        # comma or space before the limit, so no word is split in two.
        pieces: list[tuple[int, int]] = []
        for s, e in sentences:
            while e - s > self.max_chars:
                cut = _soft_cut(text, s, s + self.max_chars)
                pieces.append((s, cut))
                s = cut
                while s < e and text[s].isspace():
                    s += 1
            pieces.append((s, e))

        def extend(first: int) -> int:
            last = first
            while (
                last + 1 < len(pieces) and pieces[last + 1][1] - pieces[first][0] <= self.max_chars
            ):
                last += 1
            return last

        spans: list[tuple[int, int]] = []
        first = 0
        while True:
            last = extend(first)
            spans.append((pieces[first][0], pieces[last][1]))
            if last + 1 >= len(pieces):
                return spans
            # Repeat the last sentences of this part at the start of the next, but only
            # where the next part still reaches further than this one.
            overlapped = max(first + 1, last + 1 - self.overlap_sentences)
            first = overlapped if extend(overlapped) > last else last + 1


class _Parser:
    """One document's lines → a tree of nodes: one method per kind of line (a heading the
    loader marked, a list item, a numbered marker, a title line, a body line)."""

    def __init__(self, document: Document) -> None:
        self.document = document
        self.segments = _segments(document.text)
        self.root = _Node(-1.0, 0, 0, (), None, None, None, "root", False)
        self.root.labels = [document.meta.display_title]
        self.stack: list[_Node] = [self.root]
        self.nodes: list[_Node] = []

    def run(self) -> list[_Node]:
        for i, seg in enumerate(self.segments):
            marker = find_marker(seg.text)
            if seg.start in self.document.heading_hints:
                self._heading(seg, marker)
            elif marker is not None and marker.kind == "bullet":
                self._bullet(i, seg, marker)
            elif marker is not None:
                rest = seg.text[len(marker.text) :]
                content = bool(rest.strip()) and not is_heading_like(rest)
                self._open(marker.rank, seg, "marker", marker, content, _label(seg.text, marker))
            elif self._is_title(i) and i + 1 < len(self.segments):
                self._open(TITLE_RANK, seg, "title", None, False, _label(seg.text, None))
            else:
                self._body(seg)
        return self.nodes

    def _open(
        self,
        rank: float,
        seg: _Segment,
        kind: str,
        marker: Marker | None,
        line_is_content: bool,
        label: str | None,
    ) -> _Node:
        while self.stack[-1] is not self.root and self.stack[-1].rank >= rank:
            self.stack.pop()
        parent = self.stack[-1]
        parent.children += 1
        node = _Node(
            rank=rank,
            start=seg.start,
            end=seg.end,
            path=(*parent.path, parent.children),
            label=label,
            number=marker.number if marker else None,
            parent=parent,
            kind=kind,
            line_is_content=line_is_content,
        )
        node.labels = [*parent.labels, label] if label else list(parent.labels)
        self.stack.append(node)
        self.nodes.append(node)
        return node

    def _heading(self, seg: _Segment, marker: Marker | None) -> None:
        level = self.document.heading_hints[seg.start]
        self._open(0.1 * level, seg, "heading", marker, False, _label(seg.text, marker))

    def _bullet(self, i: int, seg: _Segment, marker: Marker) -> None:
        """Each item of a list is a clause of its own, even after a lead-in ("… the
        following initiatives:"): packed together, one vector would blur several measures,
        and a quote could not point at the one asked about."""
        segments = self.segments
        nxt = segments[i + 1] if i + 1 < len(segments) else None
        rest = seg.text[len(marker.text) :]
        # A titled item heads the lines under it; the last item of a plain list (its
        # previous line an item too) does not take the paragraph after the list.
        previous_marker = find_marker(segments[i - 1].text) if i > 0 else None
        in_plain_list = previous_marker is not None and previous_marker.kind == "bullet"
        titled = (
            is_title_like(rest)
            and nxt is not None
            and find_marker(nxt.text) is None
            and not in_plain_list
        )
        node = self._open(marker.rank, seg, "bullet", marker, not titled, _label(seg.text, marker))
        node.accepts_body = titled

    def _title_like_at(self, i: int) -> bool:
        if i < 0 or i >= len(self.segments):
            return False
        seg = self.segments[i]
        return (
            seg.start not in self.document.heading_hints
            and find_marker(seg.text) is None
            and is_title_like(seg.text)
        )

    def _is_title(self, i: int) -> bool:
        """A title-like line between lines that are not: a title, not a list of short lines."""
        return (
            self._title_like_at(i)
            and not self._title_like_at(i - 1)
            and not self._title_like_at(i + 1)
        )

    def _body(self, seg: _Segment) -> None:
        """A body line joins the open node that takes one, else starts a paragraph."""
        target = self.stack[-1]
        if not target.accepts_body:
            while target is not self.root and not target.accepts_body:
                self.stack.pop()
                target = self.stack[-1]
            paragraph = self._open(PARAGRAPH_RANK, seg, "paragraph", None, True, None)
            paragraph.has_body = True
            return
        if target is self.root:
            target = self._open(PARAGRAPH_RANK, seg, "paragraph", None, True, None)
            target.path = (0,)
            self.root.children -= 1
        target.end = seg.end
        target.has_body = True
