"""The SSE events of a streamed generative answer: each sentence as it is validated."""

from __future__ import annotations

import json
from collections.abc import Iterator

from api.routes.ask import answer_events
from assistant.answer.generative import DeliveredSentence
from assistant.types import Answer, Citation

CITATION = Citation(
    n=1,
    doc_id="d",
    doc_title="样本市若干措施",
    official=False,
    status="in_force",
    clause_id="d:1",
    heading_path="一、补贴",
    clause_number="1",
    page=1,
    quote="购买纯电动乘用车的，每辆补贴5000元。",
    start=0,
    end=19,
    score=0.9,
)


def parse(events: list[str]) -> list[tuple[str, dict[str, object]]]:
    out = []
    for block in events:
        name, data = block.strip().split("\n")
        out.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return out


def test_sentences_stream_first_then_the_quotes_then_done() -> None:
    sentence = "每辆补贴5000元。[1]"
    text = f"{sentence}\n原文：\n- {CITATION.quote} [1]"
    answer = Answer(
        question="q",
        answered=True,
        answer=text,
        citations=[CITATION],
        mode="generative",
        language="zh",
    )
    events = parse(list(answer_events(iter([DeliveredSentence(sentence, [CITATION]), answer]))))
    names = [name for name, _ in events]
    assert names[:2] == ["citations", "delta"] and names[-1] == "done"
    assert events[1][1]["text"] == sentence
    streamed = "".join(str(data["text"]) for name, data in events if name == "delta")
    assert streamed == text


def test_an_error_after_a_sentence_is_an_error_event() -> None:
    def broken() -> Iterator[DeliveredSentence | Answer]:
        yield DeliveredSentence("每辆补贴5000元。[1]", [CITATION])
        raise TimeoutError("model timed out")

    names = [name for name, _ in parse(list(answer_events(broken())))]
    assert names == ["citations", "delta", "error"]
