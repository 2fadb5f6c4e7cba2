"""The words eligibility reads, as data: industries, roles, actions, attestations.

They live in `data/eligibility_vocabulary.json`. Both sides use one table: the condition
rules (a clause names a role or an action) and the profile reader (an enterprise says it is
one or did one). Patterns are regular expressions, matched case-insensitively; Chinese and
English side by side. Adding a word to the file changes what both sides understand, with no
change to the rule code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data" / "eligibility_vocabulary.json"


@dataclass(frozen=True)
class Term:
    """One code with the phrases that name it in a clause and in a description, and the
    question the chat asks to find out (English, Chinese)."""

    code: str
    clause: tuple[str, ...]
    profile: tuple[str, ...]
    question_en: str = ""
    question_zh: str = ""
    # Plain words an enterprise holding the code is taken to say of itself, when its own
    # words are held against a condition no rule structured.
    words: tuple[str, ...] = ()
    # How an enterprise says the opposite of an attestation ("从兄弟公司购置"), or that its
    # action is of another kind ("小额贷款公司", "petrol").
    contrary: tuple[str, ...] = ()
    # For a kind of action ("bank", "nev"): the action it is a kind of ("tech_loan").
    of: str = ""
    # For an action that runs once begun (a warehouse in operation): its date is when it
    # began, so the months it has run are counted from it to the day asked about.
    runs_from_date: bool = False


def _terms(rows: list[dict[str, Any]]) -> tuple[Term, ...]:
    return tuple(
        Term(
            code=row["code"],
            clause=tuple(row.get("clause", ())),
            profile=tuple(row.get("profile", ())),
            question_en=row.get("question_en", ""),
            question_zh=row.get("question_zh", ""),
            words=tuple(row.get("words", ())),
            contrary=tuple(row.get("contrary", ())),
            of=row.get("of", ""),
            runs_from_date=bool(row.get("runs_from_date", False)),
        )
        for row in rows
    )


_DATA: dict[str, Any] = json.loads(DATA.read_text("utf-8"))

INDUSTRIES: dict[str, tuple[str, ...]] = {
    code: tuple(names) for code, names in _DATA["industries"].items()
}


def name_pattern(name: str) -> str:
    """A vocabulary name as a regex: an English name is a whole word ("nev" is not in
    "never"), plural or not; a Chinese one is found anywhere."""
    escaped = re.escape(name.lower())
    return rf"(?<![a-z]){escaped}(?:e?s)?(?![a-z])" if name.isascii() else escaped


# One pattern per industry, for "does this text name it?".
INDUSTRY_PATTERNS: dict[str, re.Pattern[str]] = {
    code: re.compile("|".join(name_pattern(n) for n in names)) for code, names in INDUSTRIES.items()
}
# Industries whose firms make things: a profile in one of them is a manufacturer unless it
# says otherwise.
MANUFACTURING = frozenset(_DATA["manufacturing"])
ROLES = _terms(_DATA["roles"])
ACTIONS = _terms(_DATA["actions"])
ATTESTATIONS = _terms(_DATA["attestations"])
# For a word a condition uses, other words an enterprise says the same with ("社保").
SYNONYMS: dict[str, tuple[str, ...]] = {
    word: tuple(others) for word, others in _DATA.get("synonyms", {}).items()
}
# Kinds of an action a clause may require: a loan from a bank, a new energy vehicle.
KINDS = _terms(_DATA.get("kinds", []))
RUNS_FROM_DATE = frozenset(term.code for term in ACTIONS if term.runs_from_date)
# Plain words each profile fact ("above_designated_size") is taken to state.
FACT_WORDS: dict[str, tuple[str, ...]] = {
    name: tuple(words) for name, words in _DATA.get("facts", {}).items()
}

__all__ = [
    "ACTIONS",
    "ATTESTATIONS",
    "DATA",
    "FACT_WORDS",
    "INDUSTRIES",
    "INDUSTRY_PATTERNS",
    "KINDS",
    "MANUFACTURING",
    "ROLES",
    "RUNS_FROM_DATE",
    "SYNONYMS",
    "Term",
    "name_pattern",
]
