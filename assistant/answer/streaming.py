"""Cutting a model's token stream into whole sentences, each with the [n] markers written
after its end mark, as soon as a sentence can no longer grow.

Usage:
    >>> splitter = SentenceSplitter()
    >>> splitter.feed("每辆补贴5000元。[1")
    []
    >>> splitter.feed("]申报截止")
    ['每辆补贴5000元。[1]']
    >>> splitter.flush()
    ['申报截止']
"""

from __future__ import annotations

import re

# A sentence runs to its end mark and takes the [n] markers written after that mark. A
# full stop ends it only before a space (2.5 is a number), and not after an abbreviation
# ("No. 88 Shifan Road", "e.g.").
_NOT_AN_END = (
    "".join(
        f"(?<!{word})" for word in (r"\bNo", r"\bno", r"\bArt", r"\bSt", r"\bRd", r"\bMr", r"\bDr")
    )
    + r"(?<!\bCo)(?<!\bvs)(?<!e\.g)(?<!i\.e)(?<!\bNos)(?<!\betc)"
)
SENTENCE = re.compile(
    r"(?:[ \t]*\d{1,3}\.\s+)?"  # a list number ("2. ") opens its sentence, it ends none
    r"[^。！？!?\n]+?(?:(?:[。！？!?]+|" + _NOT_AN_END + r"\.(?=\s|$))"
    r"(?:\s*\[\d{1,3}\])*|\n|$)"
)
# What may still extend a sentence that looks finished: spaces, or a marker being written.
_PENDING = re.compile(r"\s*(?:\[\d{0,3})?")


class SentenceSplitter:
    """Accumulates streamed text and gives back each sentence once it is complete."""

    def __init__(self, max_chars: int = 2000) -> None:
        if max_chars < 1:
            raise ValueError("max_chars must be at least 1")
        # A model that never ends a sentence must not grow the buffer without bound.
        self.max_chars = max_chars
        self._buffer = ""

    def feed(self, text: str) -> list[str]:
        """The sentences `text` completes, in order."""
        self._buffer += text
        done: list[str] = []
        consumed = 0
        for match in SENTENCE.finditer(self._buffer):
            if not match.group(0):
                continue
            rest = self._buffer[match.end() :]
            if _PENDING.fullmatch(rest) and len(self._buffer) < self.max_chars:
                break  # the sentence may still take a marker, or the text may go on
            done.append(match.group(0).strip())
            consumed = match.end()
        self._buffer = self._buffer[consumed:]
        return [s for s in done if s]

    def flush(self) -> list[str]:
        """What remains when the stream ends."""
        rest, self._buffer = self._buffer, ""
        return [m.group(0).strip() for m in SENTENCE.finditer(rest) if m.group(0).strip()]
