"""Scoring the generative mode: is each delivered sentence faithful to what it cites, are
the expected facts there and right, how often the extractive answer stood in, and how soon
the first sentence came.

Faithfulness is checked here independently of the validation that chose the sentences
(assistant/answer/generative.py): numbers against the cited quotes as delivered (after
units, numbers.py), and content by character bigrams (Chinese) or words (English) of the
sentence found in those quotes or the titles and sections the citations show. A sentence in another language than its quotes cannot be
compared word for word; for it only the numbers are checked, and it is counted apart.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.answer.numbers import extract, unsupported
from evals.dataset import Question

# what follows the generated sentences in a generative answer (generative.AnswerAssembler)
_QUOTES_HEADING = re.compile(r"\n(?:原文：|Quoted from the sources:)\n")
_MARKER = re.compile(r"\[(\d{1,3})\]")
# Every delivered sentence ends with its markers (and perhaps its end mark after them), so
# the answer splits back into exactly the sentences that were validated.
DELIVERED = re.compile(r".+?(?:\[\d{1,3}\])+[。．.！？!?]?", re.S)
_CJK = re.compile(r"[\u3400-\u9fff]")
_WORD = re.compile(r"[a-z]{3,}")
_STOP = frozenset(
    {"the", "and", "for", "with", "that", "this", "from", "are", "was", "were", "has", "have"}
    | {"its", "their", "which", "will", "per", "each", "can", "may", "not", "all", "any"}
)
SUPPORTED_SHARE = 0.6


def direct_part(answer: str, mode: str) -> str:
    """The sentences that answer: the generated ones, or an extractive answer's lead quote."""
    if mode == "generative":
        return _QUOTES_HEADING.split(answer, maxsplit=1)[0]
    bullets = [line for line in answer.splitlines() if line.startswith("- ")]
    return bullets[0] if bullets else answer


def _units(text: str) -> set[str]:
    text = _MARKER.sub("", text).lower()
    if _CJK.search(text):
        chars = [c for c in text if _CJK.match(c)]
        return {a + b for a, b in itertools.pairwise(chars)}
    return {w for w in _WORD.findall(text) if w not in _STOP}


def sentence_faithful(sentence: str, citations: Mapping[int, Mapping[str, Any]]) -> dict[str, Any]:
    """Whether one delivered sentence is supported by the quotes it cites."""
    cited = [citations[int(n)] for n in _MARKER.findall(sentence) if int(n) in citations]
    claim = _MARKER.sub("", sentence)
    if not cited:
        return {"faithful": False, "numbers_ok": False, "cross_language": False, "verbatim": False}
    quotes = "\n".join(str(c["quote"]) for c in cited)
    labels = "\n".join(f"{c['doc_title']}\n{c['heading_path']}" for c in cited)
    numbers_ok = not unsupported(claim, f"{quotes}\n{labels}")
    cross = bool(_CJK.search(claim)) != bool(_CJK.search(quotes))
    # the validator may deliver a source's own words in place of the model's (generative.py)
    pieces = [p.strip() for p in re.split(r"[；;]", claim.strip().rstrip("。.").strip())]
    verbatim = all(p and any(p in str(c["quote"]) for c in cited) for p in pieces)
    if cross:
        return {
            "faithful": numbers_ok,
            "numbers_ok": numbers_ok,
            "cross_language": True,
            "verbatim": verbatim,
        }
    units = _units(claim)
    # a citation shows its document's title and section with the quote: naming them is
    # supported ("示例省…" from 《示例省设备更新和重大项目若干措施》)
    share = len(units & _units(f"{labels}\n{quotes}")) / len(units) if units else 0.0
    return {
        "faithful": numbers_ok and share >= SUPPORTED_SHARE,
        "numbers_ok": numbers_ok,
        "cross_language": False,
        "verbatim": verbatim,
    }


def key_fact_found(phrase: str, text: str) -> bool:
    """The expected fact in the text: its numbers (after units) and, for a fact without
    numbers, its words."""
    wanted = extract(phrase)
    if wanted:
        stated = extract(text)
        return all(any(q.matches(s) or s.matches(q) for s in stated) for q in wanted)
    return re.sub(r"\s+", "", phrase).lower() in re.sub(r"\s+", "", text).lower()


def generative_row(
    question: Question,
    answer: str,
    mode: str,
    answered: bool,
    citations: Sequence[Mapping[str, Any]],
    timings_ms: Mapping[str, float],
) -> dict[str, Any]:
    """The generative metrics of one question, to merge into its report row.

    The fallback rate counts the answers the model was asked for (the service timed a
    generation); a question another path answers (a refusal, an eligibility profile) is
    counted apart, as `other_path`."""
    row: dict[str, Any] = {"generative_mode": 1.0}
    if question.answerable:
        row["answered"] = float(answered)
    if not answered:
        return row
    if "generate_ms" in timings_ms:
        row["fallback"] = float(mode != "generative")
    else:
        row["other_path"] = 1.0
    if question.answerable and question.key_phrases:
        direct = direct_part(answer, mode)
        row["key_fact_accuracy"] = sum(
            key_fact_found(p, answer) for p in question.key_phrases
        ) / len(question.key_phrases)
        row["key_fact_accuracy_direct"] = sum(
            key_fact_found(p, direct) for p in question.key_phrases
        ) / len(question.key_phrases)
    if mode != "generative":
        return row
    by_n = {int(c["n"]): c for c in citations}
    sentences = [m.group(0).strip() for m in DELIVERED.finditer(direct_part(answer, mode))]
    checks = [sentence_faithful(s, by_n) for s in sentences if s]
    if checks:
        row["faithfulness"] = sum(c["faithful"] for c in checks) / len(checks)
        row["numbers_supported"] = sum(c["numbers_ok"] for c in checks) / len(checks)
        row["verbatim_sentences"] = sum(c["verbatim"] for c in checks) / len(checks)
        row["sentences"] = len(checks)
        row["cross_language_sentences"] = sum(c["cross_language"] for c in checks)
    if "first_sentence_ms" in timings_ms:
        row["first_sentence_ms"] = timings_ms["first_sentence_ms"]
    return row
