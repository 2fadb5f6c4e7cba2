"""The dev/test split: stratified, recorded, and never moved by new questions."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from evals.dataset import BLIND_DATASET, NEAR_MISS_DATASET, Question, load_bundled_questions
from evals.splits import SplitRecord, assign, document_folds, partition, stratum

QUESTIONS = load_bundled_questions()


def _question(qid: str, kind: str = "factual", language: str = "zh", doc: str = "a") -> Question:
    clauses = [f"{doc}:1"] if doc else []
    return Question(qid, f"question {qid}", language, kind, clauses, [], bool(doc), {}, "x.jsonl")


def _balanced(questions: list[Question], splits: dict[str, str], key: object) -> list[object]:
    counts: Counter[tuple[object, str]] = Counter()
    for q in questions:
        counts[(key(q), splits[q.id])] += 1  # type: ignore[operator]
    groups = {g for g, _ in counts}
    return [g for g in groups if abs(counts[(g, "dev")] - counts[(g, "test")]) > 1]


def test_every_stratum_is_halved_to_within_one_question() -> None:
    for source in {q.source for q in QUESTIONS}:
        rows = [q for q in QUESTIONS if q.source == source]
        splits = assign(rows)
        assert _balanced(rows, splits, lambda q: "all") == []
        assert _balanced(rows, splits, lambda q: q.kind) == []
        assert _balanced(rows, splits, lambda q: (q.kind, q.language)) == []
        assert _balanced(rows, splits, stratum) == []


def test_assignment_depends_on_the_seed_not_on_the_order() -> None:
    rows = [q for q in QUESTIONS if q.source == "golden.jsonl"]
    assert assign(rows) == assign(list(reversed(rows)))
    assert assign(rows) != assign(rows, seed="another seed")


def test_every_bundled_question_is_recorded() -> None:
    """A question whose split is computed at run time could move when others are added:
    record it (`python -m evals.splits --write`) so it never does."""
    record = SplitRecord.load()
    unrecorded = [f"{q.source}:{q.id}" for q in record.unrecorded(QUESTIONS)]
    assert unrecorded == [], "run `python -m evals.splits --write` and commit splits.json"


def test_recorded_ids_are_questions() -> None:
    """A stale id could otherwise hand its split to a new question that reuses it."""
    present = {(q.source, q.id) for q in QUESTIONS}
    record = SplitRecord.load()
    stale = [(source, qid) for source, rows in record.assigned.items() for qid in rows]
    assert [item for item in stale if item not in present] == []


def test_recording_new_questions_never_moves_recorded_ones(tmp_path: Path) -> None:
    first = [_question(f"q{i:03d}", kind=("factual", "amounts")[i % 2]) for i in range(20)]
    record = SplitRecord()
    record.record(first)
    before = dict(record.assigned["x.jsonl"])
    more = [_question(f"q{i:03d}", kind="amounts") for i in range(20, 31)]
    edited = [replace(q, kind="wording") for q in first]  # edits do not move a row either
    assert record.record(edited + more) == more
    record.save(tmp_path / "splits.json")
    reloaded = SplitRecord.load(tmp_path / "splits.json")
    assert {q: reloaded.assigned["x.jsonl"][q] for q in before} == before
    assert Counter(reloaded.assigned["x.jsonl"][q.id] for q in more) in (
        Counter(dev=5, test=6),
        Counter(dev=6, test=5),
    )


def test_dev_and_test_partition_the_questions() -> None:
    split = partition(QUESTIONS)
    dev, test = {q.id for q in split.dev}, {q.id for q in split.test}
    assert not dev & test
    assert dev | test == {q.id for q in QUESTIONS}
    whole = {BLIND_DATASET.name, NEAR_MISS_DATASET.name}
    halved = [q for q in QUESTIONS if q.source not in whole]
    halved_dev = [q for q in halved if q.id in dev]
    assert abs(2 * len(halved_dev) - len(halved)) <= len({q.source for q in halved})


def test_the_blind_set_is_held_out_whole() -> None:
    """Written after the constants were tuned, from the corpus text alone: nothing of it
    may tune anything."""
    blind = {q.id for q in QUESTIONS if q.source == BLIND_DATASET.name}
    assert len(blind) >= 40
    assert blind <= {q.id for q in partition(QUESTIONS).test}


def test_the_near_misses_tune_and_never_report() -> None:
    """The near-miss set was scored once and then tuned on: all of it is dev."""
    near = {q.id for q in QUESTIONS if q.source == NEAR_MISS_DATASET.name}
    assert len(near) >= 40
    assert near <= {q.id for q in partition(QUESTIONS).dev}


@pytest.mark.parametrize("share", [0.4, 0.5])
def test_the_dev_share_is_kept(share: float) -> None:
    rows = [_question(f"q{i:03d}", doc=f"d{i % 3}") for i in range(50)]
    dev = sum(1 for s in assign(rows, dev_share=share).values() if s == "dev")
    assert dev == int(50 * share)


def test_each_question_is_held_out_with_its_documents() -> None:
    rows = [
        _question("q1", doc="a"),
        _question("q2", doc="b"),
        replace(_question("q3", doc="a"), expected_clauses=["a:1", "b:2"]),
        *[_question(f"u{i}", kind="unanswerable", doc="") for i in range(7)],
    ]
    folds = document_folds(rows, ["a", "b", "c"])
    assert [q.id for q in folds["a"] if not q.id.startswith("u")] == ["q1", "q3"]
    assert [q.id for q in folds["b"] if not q.id.startswith("u")] == ["q2", "q3"]
    # questions about no document are dealt out evenly, each held out once
    loose = Counter(d for d, qs in folds.items() for q in qs if q.id.startswith("u"))
    assert sorted(loose.values()) == [2, 2, 3]
