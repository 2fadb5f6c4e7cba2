"""The open index of the bundled corpus that every evaluation test shares."""

from __future__ import annotations

import pytest

from assistant.service import PolicyService
from evals.protocols import Harness


@pytest.fixture(scope="session")
def harness(corpus_service: PolicyService) -> Harness:
    """Shared so the baselines are built, and each question embedded, once per session."""
    return Harness.of(corpus_service)
