"""Text helpers shared by every layer (input checks, language, sentences, Chinese numerals);
a leaf: it depends on nothing but the error hierarchy."""

from __future__ import annotations

import re

from assistant.errors import BadInputError, QuestionTooLongError
from assistant.types import Language

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
# A sentence ends at Chinese or Latin sentence punctuation (with any closing quote or
# bracket after it), a line break, or the end of the text.
_SENTENCE = re.compile(r".+?(?:[。！？；!?;]+[”’」』）)]*|\.(?=\s)|\n|$)", re.S)
# Abbreviations a reader uses for a zone's full name.
_ZONE_SHORT = (("高新技术产业开发区", "高新区"), ("经济技术开发区", "经开区"))
_CN_DIGITS = {
    "零": 0,
    "一": 1,
    "两": 2,
    "二": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
    "十": 10,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
# Counts as English writes them in words, in order: "two-year lease", "five key areas".
ENGLISH_NUMBERS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]


def printable_text(text: str, what: str) -> str:
    """`text` without control characters; a lone surrogate is refused, not dropped.

    Clients can send any JSON string, and a lone surrogate cannot be encoded as UTF-8: let
    through, it fails deep inside a backend or a response encoder instead of here.
    """
    if any("\ud800" <= ch <= "\udfff" for ch in text):
        raise BadInputError(f"{what} contains an invalid character (a lone UTF-16 surrogate)")
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")


def detect_language(text: str) -> Language:
    """ "zh" when Chinese characters are at least as many as Latin words, else "en"."""
    cjk = len(_CJK.findall(text))
    return "zh" if cjk and cjk >= len(_LATIN_WORD.findall(text)) else "en"


def sentence_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentences (and lines) of text[start:end] as spans, without surrounding whitespace."""
    spans: list[tuple[int, int]] = []
    for match in _SENTENCE.finditer(text, start, end):
        s, e = match.start(), match.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
    return spans


def cn_count(text: str) -> float:
    """A count written in Chinese numerals (三, 十, 三百二十, 一千二) or digits."""
    if text.isdigit():
        return float(text)
    total, digit = 0, 0
    for char in text:
        if char in _CN_DIGITS and _CN_DIGITS[char] < 10:
            digit = _CN_DIGITS[char]
        elif char in _CN_UNITS:
            total += (digit or 1) * _CN_UNITS[char]
            digit = 0
        else:
            raise ValueError(f"not a Chinese count: {text!r}")
    # "一千二" is 1,200: a last digit after a unit counts in the next unit down.
    last_unit = next((_CN_UNITS[c] for c in reversed(text) if c in _CN_UNITS), 10)
    return float(
        total + (digit * last_unit // 10 if len(text) > 2 and text[-2] in _CN_UNITS else digit)
    )


class InputLimits:
    """The checks every question, passage and top_k go through before any work is done."""

    def __init__(self, max_chars: int, default_top_k: int, max_top_k: int) -> None:
        if max_chars < 1 or not 1 <= default_top_k <= max_top_k:
            raise ValueError("limits must be positive, with default_top_k within max_top_k")
        self.max_chars, self.default_top_k, self.max_top_k = max_chars, default_top_k, max_top_k

    def question(self, question: str) -> str:
        cleaned = printable_text(question, "the question").strip()
        if not cleaned:
            raise BadInputError("the question is empty; ask about a policy measure")
        if len(cleaned) > self.max_chars:
            raise QuestionTooLongError(
                f"the question has {len(cleaned)} characters; the limit is "
                f"{self.max_chars}. Shorten it."
            )
        return cleaned

    def top_k(self, top_k: int | None) -> int:
        value = self.default_top_k if top_k is None else top_k
        if not 1 <= value <= self.max_top_k:
            raise BadInputError(f"top_k must be between 1 and {self.max_top_k}")
        return value


def zone_abbreviation(name: str) -> str | None:
    """The usual short form of a development zone's name ("演示高新技术产业开发区" →
    "演示高新区"), or None when `name` is not one."""
    for full, short in _ZONE_SHORT:
        if name.endswith(full) and len(name) > len(full):
            return name[: -len(full)] + short
    return None
