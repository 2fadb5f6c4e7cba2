"""The chat answers "does the text really say “…”?" with the wording check on every face:
/v1/ask, its stream, and /v1/chat/completions through the official openai client."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from openai import OpenAI

QUESTION = "文件里是否规定了“购买一级能效空调的，每台补贴800元”？"


def test_ask_and_its_stream_carry_the_wording_verdict(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()
    body = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert body["answered"] and body["wording"]["verdict"] == "near"
    assert body["answer"].startswith("否。")
    assert body["citations"] and "空调" in body["citations"][0]["quote"]
    with client.stream("POST", "/v1/ask/stream", json={"question": QUESTION}) as response:
        text = "".join(response.iter_text())
    done = text.split("event: done\ndata: ", 1)[1].split("\n\n", 1)[0]
    assert json.loads(done)["wording"]["verdict"] == "near"
    other = client.post("/v1/ask", json={"question": "一级能效空调每台补贴多少？"}).json()
    assert other.get("wording") is None


def test_chat_completions_give_the_verdict(live_server: str) -> None:
    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="policyqa", messages=[{"role": "user", "content": QUESTION}]
    )
    content = reply.choices[0].message.content or ""
    assert content.startswith("否。") and "差异：" in content
