"""Measure the retrieval and refusal constants on the dev questions instead of guessing them.

    python -m evals.calibrate

Three settings are measured, on the dev half of the questions only (`evals/splits.py`);
the evaluation reports on the test half, which nothing here reads:
1. cross_language_bonus: the value (on a grid) that maximizes hit@5 over the answerable
   questions; ties go to the one finding more cross-language questions, then to the smaller
   bonus.
2. support_threshold and cross_language_support_threshold: with that bonus, the threshold on
   the best calibrated similarity that maximizes balanced accuracy (refusing unanswerable
   questions, answering answerable ones), separately for questions whose best hit is in
   their own language and in the other; the middle of the widest best interval is taken,
   so the choice is not pinned to one question's score.
The keyword weights are not measured; they keep their defaults. The chosen values are meant
to be the defaults in assistant/config.py.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.answer.refusal import SupportJudge, is_instruction, uncovered_places
from assistant.config import Settings
from assistant.search.embedding import Embedder, create_embedder
from assistant.search.store import IndexVersion
from assistant.service import PolicyService
from assistant.types import SearchHit
from evals import metrics as m
from evals.dataset import Question, load_bundled_questions, load_questions
from evals.splits import partition
from evals.systems import CachedEmbedder, SharedIndexService

BONUS_GRID = [round(0.02 * i, 2) for i in range(0, 13)]
# What `ask` retrieves by default, and so what its refusal judges.
TOP_K = 5


@dataclass(frozen=True)
class Constants:
    """The settings calibration chooses."""

    cross_language_bonus: float
    support_threshold: float
    cross_language_support_threshold: float

    @classmethod
    def of(cls, settings: Settings) -> Constants:
        return cls(
            settings.cross_language_bonus,
            settings.support_threshold,
            settings.cross_language_support_threshold,
        )

    def settings(self, base: Settings) -> Settings:
        """`base` with these values, validated like any other Settings."""
        return Settings(**{**base.model_dump(), **asdict(self)})

    def describe(self) -> str:
        return (
            f"cross-language bonus {self.cross_language_bonus:.2f}, support thresholds "
            f"{self.support_threshold:.3f} (same language) and "
            f"{self.cross_language_support_threshold:.3f} (cross language)"
        )


@dataclass(frozen=True)
class BonusTrial:
    bonus: float
    hit_rate: float
    cross_rate: float


@dataclass(frozen=True)
class ThresholdChoice:
    name: str
    value: float
    questions: int
    balanced_accuracy: float
    answered: float  # share of answerable questions at or above it
    refused: float  # share of unanswerable questions below it


@dataclass(frozen=True)
class Calibration:
    constants: Constants
    trials: list[BonusTrial]
    thresholds: list[ThresholdChoice]

    def report(self) -> str:
        lines = [
            f"cross_language_bonus={t.bonus:.2f}  hit@5={t.hit_rate:.3f}  "
            f"cross-language hit@5={t.cross_rate:.3f}"
            for t in self.trials
        ]
        best = next(t for t in self.trials if t.bonus == self.constants.cross_language_bonus)
        lines.append(
            f"\nchosen cross_language_bonus = {best.bonus:.2f} (hit@5 {best.hit_rate:.3f})"
        )
        lines += [
            f"chosen {c.name} = {c.value:.3f} over {c.questions} questions (answers "
            f"{c.answered:.1%} of answerable, refuses {c.refused:.1%} of unanswerable, "
            f"balanced accuracy {c.balanced_accuracy:.3f})"
            for c in self.thresholds
        ]
        return "\n".join(lines)


class Searches:
    """Each question's top clauses under each candidate bonus, retrieved once.

    The bonus changes the ranking, the thresholds do not: so every threshold, and every
    subset of questions calibrated on (the leave-one-document-out folds), reuses these.
    """

    def __init__(self, base: Settings, embedder: Embedder, index: IndexVersion) -> None:
        self.base = base
        self.embedder = (
            embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder)
        )
        self.index = index
        self._services: dict[float, PolicyService] = {}
        self._hits: dict[tuple[float, str], list[SearchHit]] = {}

    @property
    def questions(self) -> set[str]:
        """Every question searched so far."""
        return {question for _, question in self._hits}

    def hits(self, bonus: float, question: str) -> list[SearchHit]:
        key = (bonus, question)
        if key not in self._hits:
            service = self._services.get(bonus)
            if service is None:
                settings = self.base.model_copy(update={"cross_language_bonus": bonus})
                service = self._services[bonus] = SharedIndexService(
                    settings, self.embedder, self.index
                )
            self._hits[key] = service.search(question, top_k=TOP_K)
        return self._hits[key]


def calibrate(questions: Sequence[Question], searches: Searches) -> Calibration:
    """The constants that do best on `questions`, and how each was chosen."""
    answerable = [q for q in questions if q.answerable and q.expected_clauses]
    if not answerable:
        raise ValueError("calibration needs answerable questions with expected clauses")
    trials = [_try_bonus(bonus, answerable, searches) for bonus in BONUS_GRID]
    # hit rate first, then the cross-language questions; among ties the smaller bonus
    best = max(trials, key=lambda t: (round(t.hit_rate, 9), round(t.cross_rate, 9), -t.bonus))
    thresholds = _choose_thresholds(questions, best.bonus, searches)
    constants = Constants(best.bonus, thresholds[0].value, thresholds[1].value)
    return Calibration(constants, trials, thresholds)


def _try_bonus(bonus: float, answerable: Sequence[Question], searches: Searches) -> BonusTrial:
    found = {
        q.id: m.hit_at_k(
            q.expected_clauses,
            [h.chunk.clause_id for h in searches.hits(bonus, q.question)],
            TOP_K,
        )
        for q in answerable
    }
    cross = [found[q.id] for q in answerable if q.kind == "cross_language"]
    return BonusTrial(bonus, sum(found.values()) / len(found), sum(cross) / max(len(cross), 1))


def _choose_thresholds(
    questions: Sequence[Question], bonus: float, searches: Searches
) -> list[ThresholdChoice]:
    judge = SupportJudge(0.0, bonus)
    # Wording checks of absent passages are answerable (the answer is "no") but have no
    # clause to support them, and questions the service refuses before retrieval
    # (instructions, places the corpus does not cover) never reach the threshold.
    coverage = searches.index.coverage_text
    scored = [
        q
        for q in questions
        if (not q.answerable or q.expected_clauses)
        and not is_instruction(q.question)
        and not uncovered_places(q.question, coverage)
    ]
    rows: list[tuple[float, bool, bool]] = []
    for q in scored:
        support, cross = judge.best(q.question, searches.hits(bonus, q.question))
        rows.append((support, cross, q.answerable))
    overall = _best_threshold([(s, a) for s, _, a in rows])
    choices = []
    for name, cross in (("support_threshold", False), ("cross_language_support_threshold", True)):
        subset = [(s, a) for s, c, a in rows if c == cross]
        has_both = any(a for _, a in subset) and any(not a for _, a in subset)
        value, accuracy, tpr, tnr = _best_threshold(subset) if has_both else overall
        choices.append(ThresholdChoice(name, value, len(subset), accuracy, tpr, tnr))
    return choices


def _best_threshold(rows: list[tuple[float, bool]]) -> tuple[float, float, float, float]:
    """The middle of the widest interval of thresholds with the best balanced accuracy.

    A question is answered when its support is at or above the threshold, so accuracy is
    constant on each interval (one score, the next score]: the candidates are the scores,
    and a run of best candidates stands for the interval from the score below the run to
    its last one. Returns the threshold, its balanced accuracy and the shares of answerable
    questions answered and unanswerable ones refused.
    """
    if not rows:
        raise ValueError("no questions reach the support threshold to calibrate it on")
    positives = [s for s, a in rows if a]
    negatives = [s for s, a in rows if not a]
    candidates = sorted({round(s, 4) for s, _ in rows})
    scored = []
    for threshold in candidates:
        tpr = sum(s >= threshold for s in positives) / max(len(positives), 1)
        tnr = sum(s < threshold for s in negatives) / max(len(negatives), 1)
        scored.append(((tpr + tnr) / 2, tpr, tnr))
    top = max(accuracy for accuracy, _, _ in scored)
    runs: list[tuple[int, int]] = []  # first and last index of each run of best candidates
    for i, (accuracy, _, _) in enumerate(scored):
        if accuracy >= top - 1e-9:
            if runs and runs[-1][1] == i - 1:
                runs[-1] = (runs[-1][0], i)
            else:
                runs.append((i, i))

    def interval(run: tuple[int, int]) -> tuple[float, float]:
        first, last = run
        return (candidates[first - 1] if first > 0 else candidates[first]), candidates[last]

    low, high = max((interval(run) for run in runs), key=lambda span: span[1] - span[0])
    chosen = round((low + high) / 2, 3)
    if not low < chosen <= high:  # an interval narrower than the rounding
        chosen = high
    accuracy, tpr, tnr = scored[candidates.index(high)]
    return chosen, accuracy, tpr, tnr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--dataset",
        type=Path,
        default=None,
        help="a JSONL question set (default: the golden and Notice sets); only its dev "
        "questions are used",
    )
    args = parser.parse_args()
    questions = load_questions(args.dataset) if args.dataset else load_bundled_questions()
    dev = partition(questions).dev
    settings = Settings()
    embedder = create_embedder(settings)
    index = PolicyService(settings, embedder).index
    calibration = calibrate(dev, Searches(settings, embedder, index))
    print(f"calibrating on the {len(dev)} dev questions of {len(questions)}\n")
    print(calibration.report())
    print(f"\nshipped defaults: {Constants.of(settings).describe()}")


if __name__ == "__main__":
    main()
