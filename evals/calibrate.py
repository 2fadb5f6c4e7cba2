"""Measure the retrieval and refusal constants on the dev questions instead of guessing them.

    python -m evals.calibrate

Four settings are measured for the configured embedding model, on the dev half of the
questions only (`evals/splits.py`); the evaluation reports on the test half, which nothing
here reads:
1. keyword_weight and scope_weight: the fusion weights (on a grid) that put the expected
   clause first most often over the answerable questions; ties go to more in the top five,
   then to the smaller weights.
2. support_threshold, scope_threshold, evidence_threshold and cross_language_threshold:
   with those weights, the thresholds (on a grid) that
   maximizes balanced accuracy (answering answerable questions, refusing unanswerable ones)
   with the judge of `assistant/answer/refusal.py`; among the best pairs the median is
   taken, so the choice is not pinned to one question's score.
The chosen values are meant to be the model's entry in assistant/search/tuning.py.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.answer.refusal import (
    COVERAGE_THRESHOLD,
    MIN_COVERED_TERMS,
    SupportJudge,
    best_by_language,
    content_terms,
    coverage,
    holds_phrase,
    is_instruction,
    key_phrase,
)
from assistant.config import Settings
from assistant.search.embedding import Embedder, create_embedder
from assistant.search.store import IndexVersion
from assistant.search.tuning import Tuning, tuning_for
from assistant.service import PolicyService
from assistant.types import SearchHit
from evals import metrics as m
from evals.dataset import Question, load_bundled_questions, load_questions
from evals.splits import partition
from evals.systems import CachedEmbedder, SharedIndexService

KEYWORD_GRID = [0.0, 0.1, 0.25, 0.5, 0.75, 1.0]
SCOPE_GRID = [0.0, 0.15, 0.3, 0.5]
THRESHOLD_GRID = [round(0.26 + 0.02 * i, 2) for i in range(0, 23)]
# What `ask` retrieves by default, and so what its refusal judges.
TOP_K = 5


@dataclass(frozen=True)
class Constants(Tuning):
    """The settings calibration chooses: a model's Tuning, applied as Settings."""

    @classmethod
    def of(cls, settings: Settings, model_id: str) -> Constants:
        return cls(**asdict(tuning_for(settings, model_id)))

    def settings(self, base: Settings) -> Settings:
        """`base` with these values, validated like any other Settings."""
        return Settings(**{**base.model_dump(), **asdict(self)})

    def describe(self) -> str:
        return (
            f"keyword weight {self.keyword_weight:.2f}, scope weight {self.scope_weight:.2f}, "
            f"thresholds: support {self.support_threshold:.3f}, scope "
            f"{self.scope_threshold:.3f}, evidence {self.evidence_threshold:.3f}, "
            f"cross-language {self.cross_language_threshold:.3f}"
        )


@dataclass(frozen=True)
class FusionTrial:
    keyword_weight: float
    scope_weight: float
    first_rate: float
    top5_rate: float


@dataclass(frozen=True)
class ThresholdChoice:
    support_threshold: float
    scope_threshold: float
    evidence_threshold: float
    cross_language_threshold: float
    questions: int
    balanced_accuracy: float
    answered: float  # share of answerable questions answered
    refused: float  # share of unanswerable questions refused


@dataclass(frozen=True)
class Calibration:
    constants: Constants
    trials: list[FusionTrial]
    thresholds: ThresholdChoice

    def report(self) -> str:
        lines = [
            f"keyword_weight={t.keyword_weight:.2f} scope_weight={t.scope_weight:.2f}  "
            f"first={t.first_rate:.3f}  top five={t.top5_rate:.3f}"
            for t in self.trials
        ]
        c, t = self.constants, self.thresholds
        lines.append(
            f"\nchosen keyword_weight = {c.keyword_weight:.2f}, scope_weight = {c.scope_weight:.2f}"
        )
        lines.append(
            f"chosen support_threshold = {t.support_threshold:.3f}, scope_threshold = "
            f"{t.scope_threshold:.3f}, evidence_threshold = {t.evidence_threshold:.3f}, "
            f"cross_language_threshold = {t.cross_language_threshold:.3f} over {t.questions} "
            "questions (answers "
            f"{t.answered:.1%} of answerable, refuses {t.refused:.1%} of unanswerable, "
            f"balanced accuracy {t.balanced_accuracy:.3f})"
        )
        return "\n".join(lines)


class Searches:
    """Each question's top clauses under each candidate pair of fusion weights, retrieved
    once: the thresholds do not change the ranking, so every threshold, and every subset of
    questions calibrated on (the leave-one-document-out folds), reuses these."""

    def __init__(self, base: Settings, embedder: Embedder, index: IndexVersion) -> None:
        self.base = base
        self.embedder = (
            embedder if isinstance(embedder, CachedEmbedder) else CachedEmbedder(embedder)
        )
        self.index = index
        self._services: dict[tuple[float, float], PolicyService] = {}
        self._hits: dict[tuple[float, float, str], list[SearchHit]] = {}

    @property
    def questions(self) -> set[str]:
        """Every question searched so far."""
        return {question for _, _, question in self._hits}

    def service(self, weights: tuple[float, float]) -> PolicyService:
        service = self._services.get(weights)
        if service is None:
            keyword_weight, scope_weight = weights
            settings = self.base.model_copy(
                update={"keyword_weight": keyword_weight, "scope_weight": scope_weight}
            )
            service = self._services[weights] = SharedIndexService(
                settings, self.embedder, self.index
            )
        return service

    def hits(self, weights: tuple[float, float], question: str) -> list[SearchHit]:
        key = (*weights, question)
        if key not in self._hits:
            self._hits[key] = self.service(weights).search(question, top_k=TOP_K)
        return self._hits[key]


def calibrate(questions: Sequence[Question], searches: Searches) -> Calibration:
    """The constants that do best on `questions`, and how each was chosen."""
    answerable = [q for q in questions if q.answerable and q.expected_clauses]
    if not answerable:
        raise ValueError("calibration needs answerable questions with expected clauses")
    trials = [
        _try_fusion((keyword_weight, scope_weight), answerable, searches)
        for keyword_weight in KEYWORD_GRID
        for scope_weight in SCOPE_GRID
    ]
    best = max(
        trials,
        key=lambda t: (
            round(t.first_rate, 9),
            round(t.top5_rate, 9),
            -t.keyword_weight,
            -t.scope_weight,
        ),
    )
    weights = (best.keyword_weight, best.scope_weight)
    choice = _choose_thresholds(questions, weights, searches)
    constants = Constants(
        best.keyword_weight,
        best.scope_weight,
        choice.support_threshold,
        choice.scope_threshold,
        choice.evidence_threshold,
        choice.cross_language_threshold,
    )
    return Calibration(constants, trials, choice)


def _try_fusion(
    weights: tuple[float, float], answerable: Sequence[Question], searches: Searches
) -> FusionTrial:
    first = top5 = 0.0
    for q in answerable:
        ranked = [h.chunk.clause_id for h in searches.hits(weights, q.question)]
        first += m.hit_at_k(q.expected_clauses, ranked, 1)
        top5 += m.hit_at_k(q.expected_clauses, ranked, TOP_K)
    return FusionTrial(*weights, first / len(answerable), top5 / len(answerable))


@dataclass(frozen=True)
class _Evidence:
    """What the judge reads from one question's hits, apart from the thresholds."""

    best: float
    named: bool  # the best clause is in the document the question names
    key_phrase: bool
    covered: bool
    same: float  # the best similarity in the question's language
    other: float  # and in the other language

    def answered(self, support: float, scope: float, evidence: float, cross: float) -> bool:
        threshold = scope if self.named else support
        return (
            self.key_phrase
            or self.same >= threshold
            or self.other >= min(threshold, cross)
            or (self.covered and self.best >= evidence)
        )


def _evidence(question: str, searches: Searches, weights: tuple[float, float]) -> _Evidence | None:
    service = searches.service(weights)
    index = searches.index
    scope = service.retriever.scope(index, question)
    judge: SupportJudge = service.judge
    hits = scope.within(searches.hits(weights, question), index.level)
    documents = index.documents
    if judge.refused_before_thresholds(
        question, hits, scope, index.level, lambda doc_id: documents[doc_id].text, documents
    ):
        return None  # refused before any threshold is read
    best = max((h.dense_score or 0.0 for h in hits), default=0.0)
    named = (
        bool(hits) and scope.weight(hits[0].chunk.doc_id, index.level(hits[0].chunk.doc_id)) >= 1
    )
    phrase = key_phrase(scope.remainder(question))
    held = phrase is not None and any(holds_phrase(phrase, h, judge.glossary) for h in hits)
    terms = content_terms(question)
    covered = len(terms) >= MIN_COVERED_TERMS and any(
        coverage(terms, h, judge.glossary) >= COVERAGE_THRESHOLD for h in hits
    )
    return _Evidence(best, named, held, covered, *best_by_language(question, hits))


def _choose_thresholds(
    questions: Sequence[Question], weights: tuple[float, float], searches: Searches
) -> ThresholdChoice:
    # Wording checks of absent passages are answerable (the answer is "no") but have no
    # clause to support them, and instructions are refused before retrieval.
    rows: list[tuple[_Evidence, bool]] = []
    for q in questions:
        if (q.answerable and not q.expected_clauses) or is_instruction(q.question):
            continue
        read = _evidence(q.question, searches, weights)
        if read is not None:
            rows.append((read, q.answerable))
    if not rows:
        raise ValueError("no questions reach the thresholds to calibrate them on")
    positives = [e for e, answerable in rows if answerable]
    negatives = [e for e, answerable in rows if not answerable]
    # First the three thresholds every question meets, as if all were one language; then,
    # with them fixed, the cross-language one, which may only lower the bar for the
    # questions whose best clause is in the other language. Fitted jointly, the few
    # unanswerable questions of the dev split pull support and scope up to refuse one more
    # of them, at the cost of several answerable ones.
    first = [
        (
            *_rates(positives, negatives, (alone, named, worded, 1.0)),
            (alone, named, worded, 1.0),
        )
        for alone in THRESHOLD_GRID
        for named in THRESHOLD_GRID
        for worded in THRESHOLD_GRID
        if worded <= min(alone, named)
    ]
    support, scope, evidence, _ = _median_of_best(first)
    second = [
        (
            *_rates(positives, negatives, (support, scope, evidence, cross)),
            (support, scope, evidence, cross),
        )
        for cross in THRESHOLD_GRID
        if evidence <= cross <= min(support, scope)
    ]
    chosen = _median_of_best(second)
    accuracy, tpr, tnr, _ = next(row for row in second if row[3] == chosen)
    return ThresholdChoice(*chosen, len(rows), accuracy, tpr, tnr)


Thresholds = tuple[float, float, float, float]  # support, scope, evidence, cross-language


def _rates(
    positives: Sequence[_Evidence], negatives: Sequence[_Evidence], thresholds: Thresholds
) -> tuple[float, float, float]:
    """Balanced accuracy, the share of answerable questions answered and the share of
    unanswerable ones refused, at these thresholds."""
    tpr = sum(e.answered(*thresholds) for e in positives) / max(len(positives), 1)
    tnr = sum(not e.answered(*thresholds) for e in negatives) / max(len(negatives), 1)
    return (tpr + tnr) / 2, tpr, tnr


def _median_of_best(scored: Sequence[tuple[float, float, float, Thresholds]]) -> Thresholds:
    """Among the rows of best balanced accuracy, the median, one threshold at a time: not
    pinned to one question's score."""
    top = max(row[0] for row in scored)
    best = [row[3] for row in scored if row[0] >= top - 1e-9]
    for position in range(4):
        value = statistics.median_low(sorted({t[position] for t in best}))
        best = [t for t in best if t[position] == value]
    return best[0]


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
    index = PolicyService(settings, embedder).snapshot()
    calibration = calibrate(dev, Searches(settings, embedder, index))
    print(f"calibrating on the {len(dev)} dev questions of {len(questions)}\n")
    print(calibration.report())
    print(f"\nshipped defaults: {Constants.of(settings, embedder.model_id).describe()}")


if __name__ == "__main__":
    main()
