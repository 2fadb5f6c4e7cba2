"""Keyword search: BM25 (bm25s) over jieba-segmented Chinese and lower-cased, stemmed
English."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

_WORD = re.compile(r"[\w\u3400-\u9fff]+", re.UNICODE)
_HAS_CJK = re.compile(r"[\u3400-\u9fff]")
STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "for",
        "from",
        "has",
        "have",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "were",
        "will",
        "with",
        "what",
        "which",
        "who",
        "how",
        "does",
        "do",
        "can",
        "our",
        "we",
        "us",
        "you",
        "your",
        "i",
        "me",
        "my",
        "的",
        "了",
        "和",
        "是",
        "在",
        "对",
        "与",
        "及",
        "等",
        "或",
        "为",
        "以",
        "于",
        "其",
        "之",
        "将",
        "把",
        "被",
        "由",
        "从",
        "向",
        "这",
        "那",
        "有",
        "我们",
        "我",
        "你",
        "吗",
        "呢",
        "吧",
        "什么",
        "哪些",
        "如何",
        "怎么",
    ]
)

_jieba_lock = threading.Lock()
_jieba_ready: set[str] = set()


def configure_jieba(cache_dir: Path) -> None:
    """Point jieba's dictionary cache inside the index folder, once per process."""
    import jieba

    with _jieba_lock:
        key = str(cache_dir)
        if key in _jieba_ready:
            return
        cache_dir.mkdir(parents=True, exist_ok=True)
        jieba.setLogLevel(logging.WARNING)
        # jieba joins tmp_dir and cache_file itself, so the file name stays relative.
        jieba.dt.tmp_dir = str(cache_dir.resolve())
        jieba.dt.cache_file = "jieba.cache"
        jieba.initialize()
        _jieba_ready.add(key)


_stemmer_lock = threading.Lock()


@lru_cache(maxsize=1)
def _english_stemmer() -> object:
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """An English word's Snowball stem, lower-cased ("Trains" and "train", "supplies" and
    "supply" meet); anything else as it is. The stemmer object is not thread-safe, hence the lock."""
    lowered = word.lower()
    if not _ENGLISH.fullmatch(lowered):
        return word
    with _stemmer_lock:
        return str(_english_stemmer().stemWord(lowered))  # type: ignore[attr-defined]


_ENGLISH = re.compile(r"[a-z]{3,}")


def tokenize(text: str, stemmed: bool = True) -> list[str]:
    """Jieba's search segmentation for Chinese, lower-cased words for English, stop words
    dropped; English words stemmed unless asked for as written."""
    import jieba

    tokens: list[str] = []
    for word in _WORD.findall(text.lower()):
        if _HAS_CJK.search(word):
            tokens.extend(t for t in jieba.lcut_for_search(word) if t.strip())
        else:
            tokens.append(word)
    kept = [t for t in tokens if t not in STOPWORDS]
    return [stem(t) for t in kept] if stemmed else kept


class KeywordIndex:
    """BM25 over a fixed list of texts; scores every text for a query so filters can mask."""

    def __init__(self, retriever: object, size: int) -> None:
        self._retriever = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> KeywordIndex:
        import bm25s

        # bm25s sets its own logger to DEBUG, which prints a line on every build.
        logging.getLogger("bm25s").setLevel(logging.WARNING)
        retriever = bm25s.BM25()
        corpus = [tokenize(t) or ["\u2205"] for t in texts]
        if corpus:
            retriever.index(corpus, show_progress=False)
        return cls(retriever, len(corpus))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        if self.size:
            self._retriever.save(str(directory), show_progress=False)  # type: ignore[attr-defined]
        (directory / "size").write_text(str(self.size))

    @classmethod
    def load(cls, directory: Path) -> KeywordIndex:
        import bm25s

        size = int((directory / "size").read_text())
        retriever = bm25s.BM25.load(str(directory)) if size else bm25s.BM25()
        return cls(retriever, size)

    def knows(self, term: str) -> bool:
        """Whether any indexed text holds the word, in any of its English forms."""
        if not self.size:
            return False
        return stem(term) in self._retriever.vocab_dict  # type: ignore[attr-defined]

    def scores(self, query: str) -> npt.NDArray[np.float32]:
        tokens = tokenize(query)
        if not tokens or not self.size:
            return np.zeros(self.size, dtype=np.float32)
        vocab = self._retriever.vocab_dict  # type: ignore[attr-defined]
        known = [t for t in tokens if t in vocab]
        if not known:
            return np.zeros(self.size, dtype=np.float32)
        result = self._retriever.get_scores(known)  # type: ignore[attr-defined]
        return np.asarray(result, dtype=np.float32)
