"""Schemathesis fuzzes every operation of the live /openapi.json with a bounded budget:
no 5xx, and every response matches the documented schema."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks

from tests.api.conftest import ADMIN_TOKEN


@pytest.fixture(scope="module")
def fuzz_server(
    tmp_path_factory: pytest.TempPathFactory,
    built_index,
    fixture_corpus,
    embedder,  # type: ignore[no-untyped-def]
) -> Iterator[str]:
    from api.app import create_app
    from assistant.service import PolicyService
    from tests.api.conftest import make_settings, serving

    settings = make_settings(
        tmp_path_factory.mktemp("fuzz"),
        built_index,
        fixture_corpus,
        embedder,
        admin_token=ADMIN_TOKEN,
    )
    with serving(create_app(settings, PolicyService(settings, embedder))) as url:
        yield url


# Schemathesis' own pytest plugin does not run under this pytest; its loaders and
# hypothesis strategies are driven directly instead, one operation at a time.
def test_no_server_errors_and_responses_match_the_schema(fuzz_server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_server}/openapi.json")
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path == "/v1/admin/reindex":
            continue  # rebuilding the index per example would only measure ingestion
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def run(case: schemathesis.Case) -> None:
            response = case.call(timeout=60)
            case.validate_response(
                response,
                checks=[
                    checks.not_a_server_error,
                    checks.response_schema_conformance,
                    checks.status_code_conformance,
                ],
            )

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 10
    assert not failures, "\n\n".join(failures)
