"""Hostile and malformed requests get a 4xx with a clear message, never a 5xx."""

from __future__ import annotations

import json

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from api.schemas import AskRequest, ChatCompletionRequest


def test_malformed_bodies_and_questions(client: TestClient) -> None:
    cases = [
        client.post("/v1/ask", json={"question": "\x00\x01\x02\u200b"}),
        client.post(
            "/v1/ask",
            content=b'{"question": "\xff\xfe\xfa"}',
            headers={"content-type": "application/json"},
        ),
        client.post(
            "/v1/ask",
            content=b'{"question": ' + b"[" * 5000 + b"]" * 5000 + b"}",
            headers={"content-type": "application/json"},
        ),
        client.post(
            "/v1/ask", content=b"not json at all", headers={"content-type": "application/json"}
        ),
        client.post(
            "/v1/ask",
            content=b"question=hi",
            headers={"content-type": "application/x-www-form-urlencoded"},
        ),
        client.post("/v1/ask", json={"question": "补贴", "history": [{"question": "x"}] * 50}),
        client.post("/v1/ask", json={"question": "补贴", "unexpected": True}),
        client.post("/v1/wording", json={"text": ""}),
        client.post("/v1/eligibility", json={"profile": {"employees": -5}}),
        client.get("/v1/clauses/" + "x" * 5000),
    ]
    for response in cases:
        assert 400 <= response.status_code < 500, (response.status_code, response.text)
        body = response.json()
        assert body["error"] and body["message"]


def test_control_characters_are_stripped_not_fatal(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "一级能效\x00冰箱\x07每台补贴多少？"})
    assert response.status_code == 200
    assert "300元" in response.json()["answer"]


def test_huge_headers_are_refused_by_the_server(live_server: str) -> None:
    response = httpx.post(
        f"{live_server}/v1/ask",
        json={"question": "补贴"},
        headers={"X-Padding": "a" * 200_000},
        timeout=10,
    )
    assert 400 <= response.status_code < 500


def test_a_plain_text_body_with_json_content_is_not_a_server_error(client: TestClient) -> None:
    response = client.post(
        "/v1/ask", content=json.dumps({"question": "补贴"}), headers={"content-type": "text/plain"}
    )
    assert response.status_code == 422


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "question",
                "top_k",
                "filters",
                "language",
                "mode",
                "history",
                "model",
                "messages",
                "stream",
            ]
        ),
        json_values,
        max_size=6,
    )
)
def test_request_schemas_accept_or_reject_cleanly(payload: dict[str, object]) -> None:
    for schema in (AskRequest, ChatCompletionRequest):
        try:
            model = schema.model_validate(payload)
        except ValidationError as exc:  # rejected: with a located, readable reason
            assert all(error["loc"] or error["msg"] for error in exc.errors())
            continue
        assert json.loads(model.model_dump_json())  # accepted: and round-trips
