"""Which questions may tune the constants (dev) and which only report them (test), and the
folds of the leave-one-document-out evaluation.

    python -m evals.splits [--write]

The split is stratified: questions are ordered by kind, language and the documents their
expected clauses are in, then by a seeded hash of their id, and every second one goes to
dev. Each stratum, at every level (kind; kind and language; kind, language and documents),
is so split as evenly as its size allows. Half of the questions tune: what calibration sets
is three scalars, but the support thresholds turn on the unanswerable questions, the rarest
kind, and the test half needs as many of them to check refusal.

The assignment is recorded in `datasets/splits.json` by dataset file and id, so it never
moves silently: a question keeps its recorded split when questions are added, reordered or
edited. Rows not recorded yet are split the same way among themselves; `--write` records
them, and never changes a recorded row.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Literal, cast

from evals.dataset import DATASETS_DIR, Question, load_bundled_questions

Split = Literal["dev", "test"]
SPLITS_PATH = DATASETS_DIR / "splits.json"
SEED = "policyqa-split-1"
DEV_SHARE = 0.5


def _hash(seed: str, question_id: str) -> str:
    return hashlib.sha256(f"{seed}:{question_id}".encode()).hexdigest()


def stratum(question: Question) -> tuple[str, str, str]:
    """Kind, language and documents: a wording check of a passage found nowhere still
    names the document it was checked against."""
    documents = question.documents or [str(question.extra.get("doc_id") or "")]
    return question.kind, question.language, "+".join(documents)


def assign(
    questions: Iterable[Question], seed: str = SEED, dev_share: float = DEV_SHARE
) -> dict[str, Split]:
    """Systematic sampling over the stratified order: any run of consecutive questions in
    it, and so every stratum, gets its share of dev to within one question."""
    share = Fraction(str(dev_share)).limit_denominator(1000)
    ordered = sorted(questions, key=lambda q: (*stratum(q), _hash(seed, q.id)))
    return {
        q.id: "dev" if math.floor((i + 1) * share) > math.floor(i * share) else "test"
        for i, q in enumerate(ordered)
    }


@dataclass
class SplitRecord:
    """The recorded split: dataset file name → question id → dev or test."""

    seed: str = SEED
    dev_share: float = DEV_SHARE
    assigned: dict[str, dict[str, Split]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path = SPLITS_PATH) -> SplitRecord:
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        assigned = {
            name: {qid: cast(Split, split) for qid, split in rows.items()}
            for name, rows in data["datasets"].items()
        }
        return cls(data["seed"], float(data["dev_share"]), assigned)

    def save(self, path: Path = SPLITS_PATH) -> None:
        data = {
            "about": "dev tunes the constants (evals/calibrate.py), test reports; "
            "written by `python -m evals.splits --write`, which never moves a recorded row",
            "seed": self.seed,
            "dev_share": self.dev_share,
            "strata": ["kind", "language", "documents"],
            "datasets": {
                name: dict(sorted(rows.items())) for name, rows in sorted(self.assigned.items())
            },
        }
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

    def recorded(self, question: Question) -> Split | None:
        return self.assigned.get(question.source, {}).get(question.id)

    def unrecorded(self, questions: Iterable[Question]) -> list[Question]:
        return [q for q in questions if self.recorded(q) is None]

    def splits(self, questions: Sequence[Question]) -> dict[str, Split]:
        """Every question's split: the recorded one, else the one `record` would write."""
        result = {q.id: split for q in questions if (split := self.recorded(q)) is not None}
        by_source: dict[str, list[Question]] = defaultdict(list)
        for question in self.unrecorded(questions):
            by_source[question.source].append(question)
        for rows in by_source.values():
            result.update(assign(rows, self.seed, self.dev_share))
        return result

    def record(self, questions: Sequence[Question]) -> list[Question]:
        """Record the questions not recorded yet; returns them."""
        new = self.unrecorded(questions)
        splits = self.splits(new)
        for question in new:
            self.assigned.setdefault(question.source, {})[question.id] = splits[question.id]
        return new


@dataclass(frozen=True)
class Partition:
    dev: list[Question]
    test: list[Question]
    unrecorded: list[Question]


def partition(questions: Sequence[Question], record: SplitRecord | None = None) -> Partition:
    record = record or SplitRecord.load()
    splits = record.splits(questions)
    return Partition(
        dev=[q for q in questions if splits[q.id] == "dev"],
        test=[q for q in questions if splits[q.id] == "test"],
        unrecorded=record.unrecorded(questions),
    )


def document_folds(
    questions: Sequence[Question], doc_ids: Sequence[str], seed: str = SEED
) -> dict[str, list[Question]]:
    """The questions held out with each document: those with an expected clause in it (a
    question about two documents is held out with each). A question about no document (an
    unanswerable one, a passage found nowhere) is dealt to the folds in turn, in seeded hash
    order, so that every question is held out at least once and refusals are measured on
    questions the constants were not tuned on."""
    folds: dict[str, list[Question]] = {doc_id: [] for doc_id in doc_ids}
    loose = []
    for question in questions:
        named = [d for d in question.documents if d in folds]
        if not named and question.extra.get("doc_id") in folds:
            named = [str(question.extra["doc_id"])]
        for doc_id in named:
            folds[doc_id].append(question)
        if not named:
            loose.append(question)
    ordered = sorted(loose, key=lambda q: _hash(seed, q.id))
    for i, question in enumerate(ordered):
        folds[doc_ids[i % len(doc_ids)]].append(question)
    return folds


def describe(questions: Sequence[Question], record: SplitRecord) -> str:
    splits = record.splits(questions)
    counts = Counter((q.kind, q.language, splits[q.id]) for q in questions)
    lines = ["| kind | language | dev | test |", "|---|---|---|---|"]
    for kind, language in sorted({(q.kind, q.language) for q in questions}):
        lines.append(
            f"| {kind} | {language} | {counts[(kind, language, 'dev')]} | "
            f"{counts[(kind, language, 'test')]} |"
        )
    dev = sum(1 for s in splits.values() if s == "dev")
    lines.append(f"| all | | {dev} | {len(splits) - dev} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--write", action="store_true", help="record the questions not yet in splits.json"
    )
    args = parser.parse_args()
    questions = load_bundled_questions()
    record = SplitRecord.load()
    print(describe(questions, record))
    unrecorded = record.unrecorded(questions)
    if args.write:
        record.record(questions)
        record.save()
        print(f"recorded {len(unrecorded)} questions in {SPLITS_PATH}")
    elif unrecorded:
        print(f"{len(unrecorded)} questions are not recorded yet; record them with --write")


if __name__ == "__main__":
    main()
