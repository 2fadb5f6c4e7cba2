"""Every response, whether the app or a guard in front of it answers, has the same error
shape, the same security headers and, for an allowed origin, the CORS headers."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from assistant.service import PolicyService

PORTAL = "https://portal.example"


def assert_readable_by_the_portal(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["access-control-allow-origin"] == PORTAL
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors" in headers["content-security-policy"]


def test_guard_refusals_carry_cors_and_security_headers(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(
        allowed_origins=PORTAL, rate_limit_per_minute=1, rate_limit_burst=1, max_body_bytes=2048
    )
    origin = {"Origin": PORTAL}
    assert client.get("/v1/documents", headers=origin).status_code == 200
    limited = client.get("/v1/documents", headers=origin)
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert_readable_by_the_portal(limited)
    assert int(limited.headers["retry-after"]) >= 1
    exposed = limited.headers["access-control-expose-headers"].lower()
    assert "retry-after" in exposed
    metrics = client.get("/metrics").text
    assert (
        'policyqa_http_requests_total{method="GET",route="unmatched",status="429"} 1.0' in metrics
    )

    client = make_client(allowed_origins=PORTAL, max_body_bytes=2048)
    too_big = client.post(
        "/v1/ask",
        content=b'{"question": "' + b"x" * 4000 + b'"}',
        headers={**origin, "content-type": "application/json"},
    )
    assert too_big.status_code == 413 and too_big.json()["error"] == "payload_too_large"
    assert_readable_by_the_portal(too_big)
    huge_headers = client.get("/v1/documents", headers={**origin, "X-Padding": "a" * 20_000})
    assert huge_headers.status_code == 431 and huge_headers.json()["error"] == "headers_too_large"
    assert_readable_by_the_portal(huge_headers)


def test_a_refused_preflight_is_a_json_error(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(allowed_origins=PORTAL)
    denied = client.options(
        "/v1/ask",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert denied.status_code == 403
    assert denied.headers["content-type"] == "application/json"
    assert denied.json()["error"] == "cors_rejected" and "origin" in denied.json()["message"]
    assert "access-control-allow-origin" not in denied.headers
    assert denied.headers["x-content-type-options"] == "nosniff"
    allowed = client.options(
        "/v1/ask", headers={"Origin": PORTAL, "Access-Control-Request-Method": "POST"}
    )
    assert allowed.status_code == 200
    assert_readable_by_the_portal(allowed)


def test_an_unexpected_error_is_json_with_the_same_headers(  # type: ignore[no-untyped-def]
    make_client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = make_client(allowed_origins=PORTAL)

    def broken(self: PolicyService, filters: object = None) -> object:
        raise RuntimeError("disk on fire at /srv/secret/path")

    monkeypatch.setattr(PolicyService, "documents", broken)
    response = client.get("/v1/documents", headers={"Origin": PORTAL})
    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert "secret" not in response.text
    assert_readable_by_the_portal(response)


def test_stream_errors_use_the_same_shape(client: TestClient) -> None:
    ask = client.post("/v1/ask/stream", json={"question": "补贴" * 3000})
    data = json.loads(ask.text.split("data: ", 1)[1])
    assert data == {"error": "question_too_long", "message": data["message"]}

    chat = client.post(
        "/v1/chat/completions",
        json={"messages": [{"role": "user", "content": "补贴" * 3000}], "stream": True},
    )
    events = [line[len("data: ") :] for line in chat.text.splitlines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    # The OpenAI-compatible stream speaks OpenAI's dialect of the same error, which its
    # SDKs read as an object.
    error = json.loads(events[0])["error"]
    assert error["code"] == "question_too_long" and error["message"] == data["message"]


def test_head_is_get_without_a_body(client: TestClient) -> None:
    for path in ("/healthz", "/v1/documents", "/v1/documents/zh-appliances", "/"):
        got = client.get(path)
        head = client.head(path)
        assert head.status_code == 200, (path, head.text)
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-length"] == got.headers["content-length"]
        assert head.headers["x-content-type-options"] == "nosniff"
    not_a_get = client.head("/v1/ask")
    assert not_a_get.status_code == 405 and not_a_get.content == b""
