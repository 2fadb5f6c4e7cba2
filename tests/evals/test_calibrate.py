"""Calibration: what it chooses, and that it reads only the questions it is given."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from assistant.config import Settings
from evals.calibrate import Constants, Searches, _best_threshold, calibrate
from evals.dataset import load_bundled_questions
from evals.protocols import Harness
from evals.splits import partition


def test_threshold_is_the_midpoint_of_the_best_interval() -> None:
    rows = [(0.7, True), (0.6, True), (0.5, True), (0.3, False), (0.2, False)]
    threshold, accuracy, answered, refused = _best_threshold(rows)
    assert 0.3 < threshold <= 0.5
    assert (accuracy, answered, refused) == (1.0, 1.0, 1.0)


def test_threshold_needs_questions() -> None:
    with pytest.raises(ValueError):
        _best_threshold([])


def test_constants_become_validated_settings() -> None:
    base = Settings(top_k=7)
    settings = Constants(0.1, 0.4, 0.45).settings(base)
    assert (settings.cross_language_bonus, settings.support_threshold) == (0.1, 0.4)
    assert settings.cross_language_support_threshold == 0.45
    assert settings.top_k == 7
    assert Constants.of(settings) == Constants(0.1, 0.4, 0.45)
    with pytest.raises(ValidationError):
        Constants(0.1, 1.5, 0.4).settings(base)


def test_calibration_searches_only_the_dev_questions(harness: Harness) -> None:
    split = partition(load_bundled_questions())
    searches = Searches(harness.settings, harness.cached, harness.index)
    calibration = calibrate(split.dev, searches)
    assert searches.questions and searches.questions <= {q.question for q in split.dev}
    assert calibration.constants.cross_language_bonus in {t.bonus for t in calibration.trials}
    assert "chosen support_threshold" in calibration.report()


def test_threshold_keeps_the_weakest_answered_question() -> None:
    # one best threshold: anything in (0.3, 0.5] answers 0.5 and refuses 0.3
    rows = [(0.6, True), (0.5, True), (0.3, False)]
    threshold, accuracy, _, _ = _best_threshold(rows)
    assert 0.3 < threshold <= 0.5 and accuracy == 1.0


def test_threshold_takes_the_widest_best_interval() -> None:
    # (0.2, 0.6] and (0.7, 0.8] score the same (0.75); the first is four times as wide
    rows = [(0.8, True), (0.7, False), (0.6, True), (0.2, False)]
    threshold, accuracy, answered, refused = _best_threshold(rows)
    assert threshold == 0.4
    assert (accuracy, answered, refused) == (0.75, 1.0, 0.5)
