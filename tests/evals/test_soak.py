"""A short run of the soak benchmark: 429 beyond the limit, no 5xx, memory does not grow."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.service import PolicyService
from evals.bench.soak import run


def test_short_soak_above_the_rate_limit(
    corpus_service: PolicyService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(Path(corpus_service.settings.index_dir)))
    statuses, start, end = run(duration=8.0, rate_limit=120, clients=4)
    assert statuses[429] > 0 and statuses[200] > 0
    assert not [code for code in statuses if code >= 500 or code < 0]
    assert end["VmRSS"] < start["VmRSS"] * 1.25 + 20 * 1024  # flat, allowing for noise
    assert os.environ["POLICYQA_INDEX_DIR"]
