"""Generated sentences validated and delivered one by one, as the model streams them."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence

from langchain_core.language_models import FakeListChatModel
from langchain_core.messages import BaseMessage

from assistant.answer.generative import (
    ChatModelGenerator,
    DeliveredSentence,
    GenerativeAnswerer,
    direct,
    validate,
)
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
        yield f"插电式混合动力乘用车也是每辆补贴5000元。[{n}]"


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
    assert later == ["插电式混合动力乘用车也是每辆补贴5000元。[1]"]
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


class Unmarked(Scripted):
    """Writes its sentences without any [n], as the 1.5B model sometimes does."""

    def stream(self, messages: Sequence[BaseMessage]) -> Iterator[str]:
        yield "购买纯电动乘用车每辆补贴5000元。"
        yield "插电式"
        if self.gate is not None:
            self.gate.wait(timeout=30)
        yield "混合动力乘用车也是每辆补贴5000元。"


def test_a_sentence_without_a_marker_goes_out_citing_the_source_that_supports_it(
    corpus_service: PolicyService,
) -> None:
    gate = threading.Event()
    service = PolicyService(corpus_service.settings, corpus_service.embedder, Unmarked(gate))
    stream = service.ask_stream(QUESTION, mode="generative")
    first = next(stream)
    assert isinstance(first, DeliveredSentence) and not gate.is_set()  # not held to the end
    assert first.text == "购买纯电动乘用车每辆补贴5000元。[1]"
    assert "5000元" in first.citations[0].quote
    gate.set()
    *_, answer = stream
    assert isinstance(answer, Answer) and answer.mode == "generative"


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


class Replying:
    """A generator that answers every prompt with one fixed reply, citing the source that
    holds `anchor`."""

    def __init__(self, reply: str, anchor: str) -> None:
        self.reply, self.anchor = reply, anchor

    def generate(self, messages: Sequence[BaseMessage]) -> str:
        return "".join(self.stream(messages))

    def stream(self, messages: Sequence[BaseMessage]) -> Iterator[str]:
        sources = re.findall(
            r'<source id="(\d+)"[^>]*>\n(.*?)\n</source>', str(messages[-1].content), re.S
        )
        n = next(n for n, text in sources if self.anchor in text)
        yield self.reply.format(n=n)


def test_a_sentence_in_the_sources_language_must_share_their_words(
    corpus_service: PolicyService,
) -> None:
    """Close in meaning is not enough in the sources' own language: that is where a wrong
    comparison hides. Across languages, where words cannot match, meaning is checked."""
    hits = corpus_service.search(QUESTION, top_k=5)
    documents = corpus_service.snapshot().documents

    def answer(reply: str) -> list[str]:
        generator = Replying(reply, "5000元")
        answerer = GenerativeAnswerer(generator, corpus_service.embedder, 0.3)
        result = answerer.answer(QUESTION, "zh", hits, documents)
        return [] if result is None else result.sentences

    # shares the car and the subsidy with its source, but claims what it never says
    assert answer("新旧两版对纯电动乘用车的补贴要求完全不同。[{n}]") == []
    assert answer("购买纯电动乘用车每辆补贴5000元。[{n}]") == [
        "购买纯电动乘用车每辆补贴5000元。[1]"
    ]
    english = answer("Each battery-electric passenger car bought gets a subsidy of 5000元 [{n}].")
    assert len(english) == 1 and "5000" in english[0]


def _hits_with(service: PolicyService, question: str, needle: str) -> tuple[list, int]:  # type: ignore[type-arg]
    hits = service.search(question, top_k=5)
    return hits, next(i for i, h in enumerate(hits, 1) if needle in h.chunk.text)


def test_a_sentence_in_the_askers_words_is_delivered_in_the_sources_words(
    corpus_service: PolicyService,
) -> None:
    """The model's number is right but its words are the question's: the piece of the
    source that states the number is delivered instead, verbatim."""
    question = "示例省技术改造贷款贴息每家企业一年最多贴多少？"
    hits, n = _hits_with(corpus_service, question, "200万元")
    result = validate(
        f"每家企业一年最多贴200万元[{n}]。", "zh", hits, corpus_service.snapshot().documents
    )
    assert result is not None
    assert result.sentences == ["单个企业年度贴息额最高不超过200万元[1]。"]
    assert "单个企业年度贴息额最高不超过200万元" in result.citations[0].quote
    # a number no source states is still dropped, never replaced
    wrong = validate(
        f"每家企业一年最多贴300万元[{n}]。", "zh", hits, corpus_service.snapshot().documents
    )
    assert wrong is None


def test_comparisons_verdicts_and_lead_ins_no_source_states_are_dropped(
    corpus_service: PolicyService,
) -> None:
    question = "家电以旧换新支持的品类，2023年版比2022年多了什么？"
    hits, n = _hits_with(corpus_service, question, "7类家电")
    documents = corpus_service.snapshot().documents
    for raw in (
        f"家电以旧换新支持的品类，2023年版比2022年多了空调。[{n}]",  # wrong, and unverifiable
        f"新旧两版支持的品类不同。[{n}]",
        f"是的，支持品类为冰箱、洗衣机、空调。[{n}]",
        f"支持品类如下：1.[{n}]",
    ):
        assert validate(raw, "zh", hits, documents) is None, raw
    kept = validate(
        f"支持品类为冰箱、洗衣机、空调、电视机、热水器、吸油烟机、洗碗机7类家电。[{n}]",
        "zh",
        hits,
        documents,
    )
    assert kept is not None and len(kept.sentences) == 1


def test_a_generative_answer_keeps_the_extractive_answers_other_quotes(
    corpus_service: PolicyService,
) -> None:
    service = PolicyService(corpus_service.settings, corpus_service.embedder, Scripted())
    answer = service.ask(QUESTION, mode="generative")
    extractive = corpus_service.ask(QUESTION, mode="extractive")
    assert answer.mode == "generative"
    body, quotes = answer.answer.split("\n原文：\n", 1)
    assert "5000元" in body
    # every clause the extractive answer quotes is quoted here too, verbatim, once
    assert {c.clause_id for c in extractive.citations} <= {c.clause_id for c in answer.citations}
    assert len({c.clause_id for c in answer.citations}) == len(answer.citations)
    assert [c.n for c in answer.citations] == list(range(1, len(answer.citations) + 1))
    for c in answer.citations:
        assert corpus_service.document(c.doc_id).text[c.start : c.end] == c.quote
        assert f"[{c.n}]" in quotes
    if len(answer.citations) > 1:
        assert "其他相关条款：" in quotes
