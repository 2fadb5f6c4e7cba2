"""Generated sentences validated and delivered one by one, as the model streams them."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence

from langchain_core.language_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from assistant.answer.generative import ChatModelGenerator, DeliveredSentence, direct, validate
from assistant.answer.streaming import SentenceSplitter
from assistant.answer.subjects import SubjectFilter
from assistant.service import PolicyService
from assistant.types import Answer

QUESTION = "样本市2023年购买纯电动乘用车每辆补贴多少钱？"


class Scripted(ChatModelGenerator):
    """Streams a reply built from the prompt's own source numbers, a few characters at a
    time; waits on `gate` after the first sentence, so a test can look in between."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        super().__init__(FakeListChatModel(responses=["unused"]))
        self.gate = gate
        self.prompts: list[str] = []

    def stream(self, messages: Sequence[BaseMessage]) -> Iterator[str]:
        prompt = str(messages[-1].content)
        self.prompts.append(prompt)
        sources = re.findall(r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', prompt, re.S)
        n = next(n for n, text in sources if "5000元" in text)
        first = f"根据样本市的文件，购买纯电动乘用车每辆补贴5000元。[{n}]"
        yield from (first[i : i + 4] for i in range(0, len(first), 4))
        yield "每辆补贴"
        if self.gate is not None:
            self.gate.wait(timeout=30)
        yield f"300,000元。[{n}]"  # a number the source does not state: dropped
        yield f"该补贴适用于纯电动乘用车。[{n}]"


def test_splitter_waits_for_markers_after_the_end_mark() -> None:
    splitter = SentenceSplitter()
    assert splitter.feed("Each car gets 5,000 yuan.") == []
    assert splitter.feed(" [1") == []
    assert splitter.feed("] Apply by") == ["Each car gets 5,000 yuan. [1]"]
    assert splitter.feed(" 2.5 years.") == []
    assert splitter.flush() == ["Apply by 2.5 years."]


def test_the_preamble_before_the_answer_goes() -> None:
    assert direct("根据《样本市若干措施》的规定，每辆补贴5000元。[1]") == "每辆补贴5000元。[1]"
    assert direct("According to source 1, each car gets 5,000 yuan [1].") == (
        "Each car gets 5,000 yuan [1]."
    )


def test_sentences_arrive_before_the_model_finishes(corpus_service: PolicyService) -> None:
    gate = threading.Event()
    service = PolicyService(corpus_service.settings, corpus_service.embedder, Scripted(gate))
    stream = service.ask_stream(QUESTION, mode="generative")
    first = next(stream)
    # the model is still held at the gate: this sentence was delivered while it generated
    assert isinstance(first, DeliveredSentence) and not gate.is_set()
    assert first.text == "购买纯电动乘用车每辆补贴5000元。[1]"
    assert [c.n for c in first.citations] == [1] and "5000元" in first.citations[0].quote
    gate.set()
    rest = list(stream)
    answer = rest[-1]
    assert isinstance(answer, Answer) and answer.mode == "generative"
    later = [s.text for s in rest[:-1] if isinstance(s, DeliveredSentence)]
    assert later == ["该补贴适用于纯电动乘用车。[1]"]
    assert answer.answer.startswith(first.text + later[0] + "\n原文：\n- ")
    assert "300,000" not in answer.answer and "removed" in (answer.note or "")
    timings = answer.timings_ms
    assert 0 < timings["first_sentence_ms"] <= timings["total_ms"]


def test_a_fuel_car_clause_is_not_shown_for_an_electric_car_question(
    corpus_service: PolicyService,
) -> None:
    answer = corpus_service.ask(QUESTION)
    assert "燃油" not in answer.answer
    assert answer.answer.splitlines()[1].endswith("每辆补贴5000元。 [1]")
    model = Scripted()
    service = PolicyService(corpus_service.settings, corpus_service.embedder, model)
    service.ask(QUESTION, mode="generative")
    assert "燃油" not in model.prompts[0]


def test_subjects_exclude_only_within_a_facet() -> None:
    subjects = SubjectFilter()
    assert subjects.off_subject("纯电动车补贴", "燃油乘用车每辆补贴1500元")
    assert not subjects.off_subject("纯电动车补贴", "新能源乘用车每辆补贴3000元")
    assert not subjects.off_subject("出口信用保险", "进出口企业")
    assert not subjects.off_subject("海外仓补贴", "燃油乘用车")  # the question names no power


def test_a_sentence_cited_to_the_wrong_source_is_cited_to_the_right_one(
    corpus_service: PolicyService,
) -> None:
    hits = corpus_service.search(QUESTION, top_k=5)
    n = next(i for i, h in enumerate(hits, 1) if "5000元" in h.chunk.text)
    wrong = next(i for i, h in enumerate(hits, 1) if "5000元" not in h.chunk.text)
    # written without a marker, then cited once for two sentences, to the wrong clause
    raw = f"购买纯电动乘用车每辆补贴5000元。这一补贴按辆计算。[{wrong}]"
    result = validate(raw, "zh", hits, corpus_service.snapshot().documents)
    assert result is not None
    assert result.sentences[0] == "购买纯电动乘用车每辆补贴5000元。[1]"
    assert "5000元" in result.citations[0].quote
    assert result.citations[0].clause_id == hits[n - 1].chunk.clause_id


def test_a_number_no_source_states_is_never_delivered(corpus_service: PolicyService) -> None:
    hits = corpus_service.search(QUESTION, top_k=5)
    raw = "购买纯电动乘用车每辆补贴500,000元。[1]"
    assert validate(raw, "zh", hits, corpus_service.snapshot().documents) is None
    assert validate("具体来说：[1]", "zh", hits, corpus_service.snapshot().documents) is None
