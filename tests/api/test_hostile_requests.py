"""Hostile and malformed requests get a 4xx with a clear message, never a 5xx."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from api.limits import LimitsMiddleware
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


def post_raw(client: TestClient, path: str, body: bytes) -> Any:
    # httpx cannot encode a lone surrogate, so these bodies are written as JSON escapes.
    return client.post(path, content=body, headers={"content-type": "application/json"})


def test_lone_surrogates_and_control_characters_are_bad_input(client: TestClient) -> None:
    cases = [
        ("/v1/ask", b'{"question": "subsidy", "filters": {"doc_id": "\\ud800"}}', "filters.doc_id"),
        ("/v1/ask", b'{"question": "\\u8865\\u8d34\\udfff"}', "question"),
        ("/v1/ask/stream", b'{"question": "\\ud800"}', "question"),
        (
            "/v1/ask",
            b'{"question": "x", "filters": {"region": ["a", "b\\u0007"]}}',
            "filters.region[1]",
        ),
        (
            "/v1/ask",
            b'{"question": "x", "history": [{"question": "a\\udc00"}]}',
            "history[0].question",
        ),
        (
            "/v1/ask",
            b'{"question": "x", "history": [{"question": "a", "clause_ids": ["zh:1\\u0000"]}]}',
            "history[0].clause_ids[0]",
        ),
        (
            "/v1/chat/completions",
            b'{"messages": [{"role": "user", "content": "\\ud800"}, '
            b'{"role": "user", "content": "what subsidy?"}]}',
            "messages[0].content",
        ),
        (
            "/v1/chat/completions",
            b'{"messages": [{"role": "user", "content": [{"type": "text", "text": "a\\u001b"}]}]}',
            "messages[0].content[0].text",
        ),
        ("/v1/wording", b'{"text": "\\u6bcf\\u53f0\\u0001"}', "text"),
        ("/v1/wording", b'{"text": "abc", "doc_id": "\\ud800"}', "doc_id"),
        ("/v1/eligibility", b'{"question": "\\udbff"}', "question"),
        ("/v1/eligibility", b'{"profile": {"region": "a\\u007f"}}', "profile.region"),
        ("/v1/eligibility", b'{"profile": {"products": ["\\ud800"]}}', "profile.products[0]"),
    ]
    for path, body, field in cases:
        response = post_raw(client, path, body)
        assert response.status_code == 400, (path, field, response.status_code, response.text)
        error = response.json()
        assert error["error"] == "bad_input", (field, error)
        assert error["message"].startswith(field + " "), (field, error)
        assert "chroma" not in response.text.lower()
    for url, field in [
        ("/v1/documents/zh-appliances%07", "path"),
        ("/v1/clauses/zh%00:1", "path"),
        ("/v1/documents?region=%1b", "region"),
    ]:
        response = client.get(url)
        assert response.status_code == 400, (url, response.text)
        assert response.json()["error"] == "bad_input"
        assert field in response.json()["message"]


def test_line_breaks_and_tabs_are_text(client: TestClient) -> None:
    response = client.post(
        "/v1/wording", json={"text": "每台补贴\t500元\r\n", "doc_id": "zh-appliances"}
    )
    assert response.status_code == 200, response.text
    history = [{"question": "一级能效冰箱\n每台补贴多少？", "clause_ids": []}]
    response = client.post("/v1/ask", json={"question": "那空调呢？", "history": history})
    assert response.status_code == 200, response.text


def test_a_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    body = b'{"question": "' + b"x" * (70 * 1024) + b'"}'
    response = client.post(
        "/v1/ask",
        content=iter([body[:40_000], body[40_000:]]),  # no Content-Length: sent chunked
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"] == "payload_too_large"
    small = client.post(
        "/v1/ask",
        content=iter([b'{"question": ', '"一级能效冰箱每台补贴多少？"}'.encode()]),
        headers={"content-type": "application/json"},
    )
    assert small.status_code == 200, small.text


async def test_a_body_that_stops_arriving_is_408() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not see a body that never finished")

    calls = 0

    async def trickle() -> Message:
        nonlocal calls
        calls += 1
        if calls == 1:
            return {"type": "http.request", "body": b'{"question": "', "more_body": True}
        await asyncio.sleep(30)
        return {"type": "http.disconnect"}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    guard = LimitsMiddleware(app, max_body_bytes=1024, buckets=None, body_timeout=0.2)
    scope = {"type": "http", "method": "POST", "path": "/v1/ask", "headers": []}
    await asyncio.wait_for(guard(scope, trickle, send), timeout=5)
    assert sent[0]["status"] == 408
    assert json.loads(sent[1]["body"])["error"] == "request_timeout"
