"""The chat recognises an enterprise asking what applies, on every face: /v1/ask, its
stream, and /v1/chat/completions through the official openai client."""

from __future__ import annotations

import json
from collections.abc import Callable

from fastapi.testclient import TestClient
from openai import OpenAI

QUESTION = (
    "我们是样本市一家民营汽车零部件企业，规模以上，300名员工，出口额占营业收入40%，能申请哪些支持？"
)


def test_ask_and_its_stream_carry_the_eligibility_result(
    make_client: Callable[..., TestClient],
) -> None:
    client = make_client()
    body = client.post("/v1/ask", json={"question": QUESTION}).json()
    assert body["eligibility"]["profile"]["export_share"] == 0.4
    assert "识别出的企业信息" in body["answer"]
    assert body["note"] != "unsupported"
    with client.stream("POST", "/v1/ask/stream", json={"question": QUESTION}) as response:
        text = "".join(response.iter_text())
    done = text.split("event: done\ndata: ", 1)[1].split("\n\n", 1)[0]
    assert json.loads(done)["eligibility"]["profile"]["employees"] == 300
    other = client.post("/v1/ask", json={"question": "What is the weather like?"}).json()
    assert other.get("eligibility") is None
    # Figures out of any range are left unread, not a server error.
    wild = client.post(
        "/v1/ask",
        json={
            "question": "我们是样本市一家企业，员工99999999999人，出口占营收150%，能申请哪些支持？"
        },
    )
    assert wild.status_code == 200
    read = wild.json()["eligibility"]["profile"]
    assert read["employees"] is None and read["export_share"] is None


def test_chat_completions_answer_an_enterprise_with_the_matcher(live_server: str) -> None:
    client = OpenAI(base_url=f"{live_server}/v1", api_key="unused", max_retries=0)
    reply = client.chat.completions.create(
        model="policyqa", messages=[{"role": "user", "content": QUESTION}]
    )
    content = reply.choices[0].message.content or ""
    assert "识别出的企业信息" in content and "出口占营业收入 40%" in content
