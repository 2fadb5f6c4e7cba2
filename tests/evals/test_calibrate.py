"""Calibration: what it chooses, and that it reads only the questions it is given."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.config import Settings
from assistant.search.tuning import TUNED, USE_MODEL_ID, Tuning
from evals.calibrate import Constants, Searches, _Evidence, calibrate
from evals.dataset import load_bundled_questions
from evals.protocols import Harness
from evals.splits import partition


def test_constants_become_validated_settings() -> None:
    base = Settings(top_k=7)
    constants = Constants(0.25, 0.3, 0.45, 0.4, 0.3, 0.35)
    settings = constants.settings(base)
    assert (settings.keyword_weight, settings.scope_weight) == (0.25, 0.3)
    assert (settings.support_threshold, settings.scope_threshold) == (0.45, 0.4)
    assert (settings.evidence_threshold, settings.cross_language_threshold) == (0.3, 0.35)
    assert settings.top_k == 7
    assert Constants.of(settings, USE_MODEL_ID) == constants
    with pytest.raises(ValueError):
        Constants(0.1, 0.3, 1.5, 0.4, 0.3, 0.3)
    with pytest.raises(ValidationError):
        Settings(support_threshold=1.5)


def test_unset_constants_are_the_models_own() -> None:
    shipped = Constants.of(Settings(), USE_MODEL_ID)
    assert Tuning(**shipped.__dict__) == TUNED[USE_MODEL_ID]
    # an unknown model gets the fallback, with any setting still overriding it
    assert Constants.of(Settings(support_threshold=0.5), "other").support_threshold == 0.5


def test_evidence_answers_by_key_phrase_similarity_or_covered_words() -> None:
    def read(
        best: float, named: bool, phrase: bool, covered: bool, other: float = 0.0
    ) -> _Evidence:
        return _Evidence(
            best, named, phrase, covered, same=best if best > other else 0.0, other=other
        )

    low = read(0.2, named=False, phrase=False, covered=False)
    assert not low.answered(0.4, 0.4, 0.3, 0.4)
    assert read(0.2, False, True, False).answered(0.4, 0.4, 0.3, 0.4)
    assert read(0.35, False, False, True).answered(0.4, 0.4, 0.3, 0.4)
    assert not read(0.35, False, False, False).answered(0.4, 0.4, 0.3, 0.3)
    # in the document the question names, the scope threshold applies
    assert read(0.35, True, False, False).answered(0.4, 0.3, 0.3, 0.4)
    # across languages, the lower cross-language threshold applies, and only there
    assert read(0.35, False, False, False, other=0.35).answered(0.4, 0.4, 0.3, 0.34)
    assert not read(0.35, True, False, False, other=0.35).answered(0.4, 0.4, 0.3, 0.36)
    assert not read(0.35, False, False, False).answered(0.4, 0.4, 0.3, 0.34)
    # a clause in the other language is read on its scale even when one in the question's
    # own language scores higher, under its bar
    both = _Evidence(0.38, False, False, False, same=0.38, other=0.36)
    assert both.answered(0.4, 0.4, 0.3, 0.34)
    assert not both.answered(0.4, 0.4, 0.3, 0.37)


def test_calibration_searches_only_the_dev_questions(harness: Harness) -> None:
    split = partition(load_bundled_questions())
    searches = Searches(harness.settings, harness.cached, harness.index)
    calibration = calibrate(split.dev, searches)
    assert searches.questions and searches.questions <= {q.question for q in split.dev}
    chosen = calibration.constants
    assert (chosen.keyword_weight, chosen.scope_weight) in {
        (t.keyword_weight, t.scope_weight) for t in calibration.trials
    }
    best = max(t.first_rate for t in calibration.trials)
    assert any(
        t.first_rate == best
        for t in calibration.trials
        if (t.keyword_weight, t.scope_weight) == (chosen.keyword_weight, chosen.scope_weight)
    )
    assert 0.5 <= calibration.thresholds.balanced_accuracy <= 1.0
    assert "chosen support_threshold" in calibration.report()
