"""Bridging Chinese and English for keyword search and evidence: a policy glossary.

BM25 matches words, so an English question about a Chinese clause shares none with it and
the keyword vote is lost exactly where the dense encoder is weakest. The glossary
(`data/glossary.tsv`, general industrial-policy vocabulary) maps a term found in a text to
its terms in the other language, which are added to the keyword query and counted as
covering the question's word in a clause.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Concept:
    chinese: tuple[str, ...]
    english: tuple[str, ...]


def _inflected(word: str) -> str:
    """A pattern for the word in any of its regular forms: "trade" also as trades, traded,
    trading; "subsidy" as subsidies; "sign" as signs, signed, signing."""
    if re.fullmatch(r"[a-z]{3,}", word) is None:
        return re.escape(word)  # an acronym or a figure is written one way
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|ing)"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return re.escape(word[:-1]) + "(?:y|ies|ied|ying)"
    return re.escape(word) + "(?:s|es|ed|ing)?"


def _english_pattern(term: str) -> re.Pattern[str]:
    # Whole words, any case, any regular form of each: "overseas warehouses" and "trading
    # in" hold the terms "overseas warehouse" and "trade in".
    words = [_inflected(w) for w in re.split(r"[\s-]+", term.strip())]
    return re.compile(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?![\w-])", re.I)


class Glossary:
    """Concepts with their Chinese and English terms; finds the concepts a text names."""

    def __init__(self, concepts: tuple[Concept, ...]) -> None:
        if not concepts:
            raise ValueError("a glossary needs at least one concept")
        self.concepts = concepts
        self._english = [
            (index, _english_pattern(term))
            for index, concept in enumerate(concepts)
            for term in concept.english
        ]

    @classmethod
    def parse(cls, text: str) -> Glossary:
        concepts = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split("\t")
            if len(parts) != 2:
                raise ValueError(f"glossary line {number}: want 'chinese<TAB>english'")
            chinese, english = (tuple(t.strip() for t in p.split("|") if t.strip()) for p in parts)
            if not chinese or not english:
                raise ValueError(f"glossary line {number}: a side is empty")
            concepts.append(Concept(chinese, english))
        return cls(tuple(concepts))

    def concepts_in(self, text: str) -> set[int]:
        """The concepts whose terms, in either language, the text holds."""
        found = {i for i, c in enumerate(self.concepts) if any(t in text for t in c.chinese)}
        found |= {i for i, pattern in self._english if pattern.search(text)}
        return found

    def terms_in(self, text: str) -> list[str]:
        """The glossary terms the text holds, as it writes them, longest first; a term
        inside a longer one ("overseas" in "overseas warehouses") is part of that one."""
        found = [t for c in self.concepts for t in c.chinese if t in text]
        found += [m.group(0) for _, pattern in self._english for m in pattern.finditer(text)]
        terms: list[str] = []
        for term in sorted(dict.fromkeys(found), key=len, reverse=True):
            if not any(term.lower() in kept.lower() for kept in terms):
                terms.append(term)
        return terms

    def without_terms(self, text: str, concepts: set[int] | None = None) -> str:
        """The text with every glossary term taken out (or those of `concepts`): what it
        says beyond them."""
        for index, concept in enumerate(self.concepts):
            if concepts is None or index in concepts:
                for term in sorted(concept.chinese, key=len, reverse=True):
                    text = text.replace(term, " ")
        for index, pattern in self._english:
            if concepts is None or index in concepts:
                text = pattern.sub(" ", text)
        return text

    def bridge(self, text: str) -> list[str]:
        """The other-language terms of the concepts the text names: what a clause in the
        other language would say instead."""
        chinese_text = bool(_CJK.search(text))
        english_text = bool(re.search(r"[A-Za-z]{2,}", text))
        terms: list[str] = []
        for index in sorted(self.concepts_in(text)):
            concept = self.concepts[index]
            if english_text:
                terms.extend(concept.chinese)
            if chinese_text:
                terms.extend(concept.english)
        return terms


@lru_cache(maxsize=1)
def policy_glossary() -> Glossary:
    text = resources.files("assistant.search").joinpath("data/glossary.tsv").read_text("utf-8")
    return Glossary.parse(text)
