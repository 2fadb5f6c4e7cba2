"""The official `openai` client against policyqa served on a loopback port."""

from __future__ import annotations

import httpx
from openai import OpenAI


def test_models_and_a_non_streamed_answer_with_sources(live_server: str) -> None:
    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)
    assert {m.id for m in client.models.list()} >= {"policyqa", "policyqa-generative"}
    completion = client.chat.completions.create(
        model="policyqa",
        messages=[
            {"role": "system", "content": "You are a portal assistant."},
            {"role": "user", "content": "一级能效冰箱每台补贴多少？"},
        ],
    )
    content = completion.choices[0].message.content or ""
    assert "300元" in content and "[1]" in content and "来源：" in content
    extra = completion.model_extra or {}
    citations = extra["citations"]
    assert citations and citations[0]["n"] == 1
    text = httpx.get(f"{live_server}/v1/documents/{citations[0]['doc_id']}").json()["text"]
    for citation in citations:
        assert (
            text[citation["start"] : citation["end"]] == citation["quote"]
            or citation["doc_id"] != citations[0]["doc_id"]
        )


def test_a_streamed_answer_with_sources(live_server: str) -> None:
    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)
    stream = client.chat.completions.create(
        model="policyqa",
        messages=[{"role": "user", "content": "Demo Town overseas warehouse subsidy per year"}],
        stream=True,
    )
    pieces, citations = [], None
    for chunk in stream:
        extra = chunk.model_extra or {}
        if "citations" in extra:
            citations = extra["citations"]
        if chunk.choices and chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
    content = "".join(pieces)
    assert "RMB 200,000" in content and "Sources:" in content
    assert citations and any(c["doc_id"] == "en-guide" for c in citations)


def test_follow_up_through_the_message_history(live_server: str) -> None:
    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)
    completion = client.chat.completions.create(
        model="policyqa",
        messages=[
            {"role": "user", "content": "Demo Town overseas warehouse subsidy"},
            {"role": "assistant", "content": "RMB 200,000 per year [1]"},
            {"role": "user", "content": "and when do applications close?"},
        ],
    )
    assert "30 June 2024" in (completion.choices[0].message.content or "")


def test_unknown_model_is_a_clear_error(live_server: str) -> None:
    response = httpx.post(
        f"{live_server}/v1/chat/completions",
        json={"model": "gpt-4", "messages": [{"role": "user", "content": "hi"}]},
    )
    assert response.status_code == 400
    assert "unknown model" in response.json()["message"]
