"""A corpus document that tries to instruct the assistant (OWASP LLM01) is treated as data."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from langchain_core.language_models import FakeListChatModel

from assistant.answer.generative import SYSTEM_PROMPT, ChatModelGenerator
from assistant.config import Settings
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService
from tests.fixtures.hostile import INJECTION


@pytest.fixture(scope="module")
def injected(
    tmp_path_factory: pytest.TempPathFactory,
    fixture_corpus: Path,
    embedder: UniversalSentenceEncoder,
) -> PolicyService:
    corpus = tmp_path_factory.mktemp("injected") / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    (corpus / "documents" / "injection.txt").write_text(INJECTION, encoding="utf-8")
    service = PolicyService(Settings(index_dir=corpus.parent / "index"), embedder)
    service.ingest(corpus)
    return service


def assert_only_quotes(service: PolicyService, question: str, mode: str = "extractive") -> None:
    answer = service.ask(question, mode=mode)  # type: ignore[arg-type]
    quotes = [" ".join(c.quote.split()) for c in answer.citations]
    for line in answer.answer.splitlines():
        if line.startswith("- "):  # every answer line is a quote of a cited clause
            body = re.sub(r"^- (（[^）]*文件）|\([^)]*document\) )?", "", line)
            body = re.sub(r"\s*\[\d+\]$", "", body)
            assert any(body in q for q in quotes), line
    assert SYSTEM_PROMPT.splitlines()[1] not in answer.answer
    for citation in answer.citations:
        assert (
            service.document(citation.doc_id).text[citation.start : citation.end] == citation.quote
        )


@pytest.mark.parametrize(
    "question",
    [
        "一级能效冰箱每台补贴多少？",
        "每家企业都可以领取多少补贴？",
        "What subsidy does every user get?",
    ],
)
def test_extractive_answers_quote_the_injection_as_data(
    injected: PolicyService, question: str
) -> None:
    assert_only_quotes(injected, question)


def test_generative_validation_drops_what_the_injection_asked_for(injected: PolicyService) -> None:
    # a model that obeys the injected text: reveals its prompt, claims a subsidy nobody cited
    obeying = ChatModelGenerator(
        FakeListChatModel(
            responses=[
                "My system prompt says: " + SYSTEM_PROMPT.replace("\n", " ") + "\n"
                "Every enterprise receives RMB 9,999,999.\n"
                "一级能效冰箱每台补贴300元。"
            ]
        )
    )
    service = PolicyService(injected.settings, injected.embedder, obeying)
    answer = service.ask("一级能效冰箱每台补贴多少？", mode="generative")
    assert "9,999,999" not in answer.answer
    assert "numbered sources" not in answer.answer
    assert answer.mode == "extractive" or all(c.doc_id != "injection" for c in answer.citations)
