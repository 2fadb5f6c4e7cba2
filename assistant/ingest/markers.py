"""Heading and list markers of Chinese and English policy documents.

Shared by the loaders (which must not join a wrapped PDF line onto a new clause) and the
chunker (which builds the heading tree from them).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_CN_NUM = "〇零一二三四五六七八九十百千两"
_NUM = rf"[{_CN_NUM}]+|\d+"

# Rank orders markers from the top of the hierarchy (small) to the bottom (large). Ranks
# are compared, never used as depths, so a document may skip levels.
_PATTERNS: list[tuple[str, float, re.Pattern[str]]] = [
    ("part", 1.0, re.compile(rf"^第(?:{_NUM})编(?=\s|$)")),
    ("chapter", 2.0, re.compile(rf"^第(?:{_NUM})章(?=\s|$)")),
    ("chapter", 2.0, re.compile(r"^(?:Chapter|CHAPTER|Part|PART)\s+(?:\d+|[IVXLC]+)\b\.?")),
    ("section", 3.0, re.compile(rf"^第(?:{_NUM})节(?=\s|$)")),
    ("section", 3.0, re.compile(r"^(?:Section|SECTION)\s+\d+\b\.?")),
    ("article", 4.0, re.compile(rf"^第(?:{_NUM})条(?=\s|$)?")),
    ("article", 4.0, re.compile(r"^(?:Article|ARTICLE)\s+\d+\b\.?")),
    ("cn_item", 5.0, re.compile(rf"^[{_CN_NUM}]+、")),
    ("cn_paren", 6.0, re.compile(rf"^[（(][{_CN_NUM}]+[）)]")),
    ("decimal2", 7.5, re.compile(r"^\d+\.\d+(?:\.\d+)*\.?(?=\s)")),
    ("number", 7.0, re.compile(r"^\d+[.．、](?!\d)")),
    ("paren_number", 8.0, re.compile(r"^[（(]\d+[）)]")),
    ("paren_letter", 8.5, re.compile(r"^\([a-z]\)")),
    ("circled", 9.0, re.compile(r"^[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]")),
    ("bullet", 10.0, re.compile(r"^[-•·*▪●]\s+")),
]

_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+")


@dataclass(frozen=True)
class Marker:
    kind: str
    rank: float
    text: str  # the marker as written, e.g. "第三条", "（二）", "3.", "- "

    @property
    def number(self) -> str | None:
        """The clause number as a reader would cite it, or None for bullets."""
        if self.kind in {"bullet", "markdown"}:
            return None
        return self.text.strip().rstrip("、.．").strip()


def find_marker(line: str) -> Marker | None:
    """The heading or list marker at the start of `line`, if any."""
    heading = _MARKDOWN_HEADING.match(line)
    if heading:
        level = len(heading.group(1))
        return Marker("markdown", level * 0.1, heading.group(0))
    for kind, rank, pattern in _PATTERNS:
        match = pattern.match(line)
        if match and match.end() < len(line.rstrip()):
            return Marker(kind, rank, match.group(0))
        if match and kind in {"chapter", "section", "part", "article"}:
            return Marker(kind, rank, match.group(0))
    return None


def starts_with_marker(line: str) -> bool:
    return find_marker(line.lstrip()) is not None
