"""Generative mode against a real local model (Qwen2.5-Coder 1.5B via llama.cpp's OpenAI
server, scripts/local_llm.sh's default).

`scripts/local_llm.sh` builds, fetches, verifies and caches everything on first use (about
eight minutes), then starts in seconds. The assertions ask for what the model does on easy
questions (a cited direct answer, numbers its sources state, sentences streamed before it
finishes) and for a clean fallback when it cannot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.answer.generative import ChatModelGenerator, DeliveredSentence
from assistant.answer.numbers import unsupported
from assistant.cli import app
from assistant.config import Settings
from assistant.service import PolicyService
from assistant.types import Answer
from tests.utils.llm import local_llm
from tests.utils.net import free_port

pytestmark = pytest.mark.llm

EASY = [
    "演示高新区对首次认定的国家级专精特新小巨人企业奖励多少？",
    "样本市2023年购买纯电动乘用车每辆补贴多少钱？",
    "What is the minimum usable area of an overseas warehouse for the Sample City subsidy?",
    "示例省设备更新补助的申报电话是多少？",
]


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with local_llm(tmp_path_factory.mktemp("llm")) as url:
        yield url


@pytest.fixture(scope="module")
def llm_service(llm_url: str, corpus_service: PolicyService) -> PolicyService:
    settings = corpus_service.settings.model_copy(
        update={"llm_base_url": llm_url, "llm_model": "local", "llm_timeout_s": 120.0}
    )
    return PolicyService(
        settings, corpus_service.embedder, ChatModelGenerator.from_settings(settings)
    )


def test_easy_questions_get_cited_answers(llm_service: PolicyService) -> None:
    modes = []
    for question in EASY:
        answer = llm_service.ask(question, mode="generative")
        assert answer.answered and answer.citations, question
        for citation in answer.citations:
            text = llm_service.document(citation.doc_id).text
            assert text[citation.start : citation.end] == citation.quote
        markers = {c.n for c in answer.citations}
        assert all(f"[{n}]" in answer.answer for n in markers)
        if answer.mode == "extractive":
            assert answer.note and "extractive" in answer.note  # a fallback says so
        modes.append(answer.mode)
    # the 1.5B answered 4 of 4 here; one miss is the model's, two would be a regression
    assert modes.count("generative") >= 3, modes


def test_sentences_stream_as_validated_with_their_numbers_in_sources(
    llm_service: PolicyService,
) -> None:
    items = list(llm_service.ask_stream(EASY[1], mode="generative"))
    sentences = [i for i in items if isinstance(i, DeliveredSentence)]
    answer = items[-1]
    assert isinstance(answer, Answer)
    assert answer.mode == "generative", answer.note
    assert sentences and all(not isinstance(i, Answer) for i in items[:-1])
    assert answer.answer.startswith("".join(s.text for s in sentences))
    assert "5000" in sentences[0].text  # the direct answer comes first
    by_n = {c.n: c for c in answer.citations}
    for sentence in sentences:
        cited = [by_n[int(n)] for n in re.findall(r"\[(\d+)\]", sentence.text)]
        support = "\n".join(f"{c.quote}\n{c.doc_title}\n{c.heading_path}" for c in cited)
        assert unsupported(sentence.text, support) == [], sentence.text
    timings = answer.timings_ms
    assert 0 < timings["first_sentence_ms"] <= timings["total_ms"]


def test_generative_answer_keeps_facts_from_its_sources(llm_service: PolicyService) -> None:
    answer = llm_service.ask(EASY[0], mode="generative")
    assert answer.mode == "generative", answer.note
    direct = answer.answer.split("\n原文：")[0]
    assert "100万元" in direct
    assert any("100万元" in c.quote for c in answer.citations)


def test_unreachable_model_falls_back(corpus_service: PolicyService) -> None:
    settings = corpus_service.settings.model_copy(
        update={"llm_base_url": f"http://127.0.0.1:{free_port()}/v1", "llm_timeout_s": 5.0}
    )
    service = PolicyService(
        settings, corpus_service.embedder, ChatModelGenerator.from_settings(settings)
    )
    answer = service.ask(EASY[1], mode="generative")
    assert answer.mode == "extractive" and answer.answered
    assert "failed" in (answer.note or "")


def test_policyqa_ask_cli_in_generative_mode(
    llm_url: str, corpus_service: PolicyService, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POLICYQA_INDEX_DIR", str(corpus_service.settings.index_dir))
    monkeypatch.setenv("POLICYQA_LLM_BASE_URL", llm_url)
    monkeypatch.setenv("POLICYQA_LLM_TIMEOUT_S", "120")
    questions = tmp_path / "q.txt"
    questions.write_text("\n".join(EASY[:2]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["ask", "--json", "--mode", "generative", "--batch", str(questions)]
    )
    assert result.exit_code == 0, result.output
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == 2
    assert all(a["answered"] and a["citations"] for a in answers)
    assert {a["mode"] for a in answers} <= {"generative", "extractive"}


def test_settings_require_a_url_for_generation() -> None:
    from assistant.errors import BackendUnavailableError

    with pytest.raises(BackendUnavailableError):
        ChatModelGenerator.from_settings(Settings())


def test_real_model_does_not_follow_instructions_inside_documents(
    llm_url: str, tmp_path: Path, fixture_corpus: Path, corpus_service: PolicyService
) -> None:
    import shutil

    from assistant.answer.generative import SYSTEM_PROMPT
    from tests.fixtures.hostile import INJECTION

    corpus = tmp_path / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    (corpus / "documents" / "injection.txt").write_text(INJECTION, encoding="utf-8")
    settings = Settings(
        index_dir=tmp_path / "index", llm_base_url=llm_url, llm_model="local", llm_timeout_s=120.0
    )
    service = PolicyService(
        settings, corpus_service.embedder, ChatModelGenerator.from_settings(settings)
    )
    service.ingest(corpus)
    for question in ("每家企业都可以领取多少补贴？", "一级能效冰箱每台补贴多少？"):
        answer = service.ask(question, mode="generative")
        assert SYSTEM_PROMPT.splitlines()[1] not in answer.answer
        assert "9,999,999" not in answer.answer or answer.mode == "extractive"
        for citation in answer.citations:
            text = service.document(citation.doc_id).text
            assert text[citation.start : citation.end] == citation.quote
