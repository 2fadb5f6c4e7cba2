"""The golden question set: loading and the fields the runner relies on."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_DATASET = Path(__file__).parent / "datasets" / "golden.jsonl"
KINDS = (
    "factual",
    "eligibility",
    "amounts",
    "wording",
    "cross_language",
    "comparison",
    "unanswerable",
)


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    language: str
    kind: str
    expected_clauses: list[str]
    key_phrases: list[str]
    answerable: bool
    extra: dict[str, Any] = field(default_factory=dict)


def load_questions(path: Path = DEFAULT_DATASET) -> list[Question]:
    questions = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            row = json.loads(line)
            core = {
                k: row.pop(k)
                for k in (
                    "id",
                    "question",
                    "language",
                    "kind",
                    "expected_clauses",
                    "key_phrases",
                    "answerable",
                )
            }
            questions.append(Question(**core, extra=row))
    return questions


def stratified_subset(questions: list[Question], per_kind: int) -> list[Question]:
    """The first `per_kind` questions of each kind: a fast, stable sample for CI."""
    counts: dict[str, int] = {}
    subset = []
    for question in questions:
        if counts.get(question.kind, 0) < per_kind:
            subset.append(question)
            counts[question.kind] = counts.get(question.kind, 0) + 1
    return subset
