"""The widget with the real local model: the first validated sentence is on screen while
the model is still generating, and the whole answer keeps its quotes and sources."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage
from playwright.sync_api import Browser

from api.app import create_app
from assistant.answer.generative import ChatModelGenerator
from assistant.config import Settings
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService
from tests.api.conftest import serving
from tests.utils.llm import local_llm

pytestmark = [pytest.mark.browser, pytest.mark.llm]

# Two parts, so the answer has two sentences: a sentence is known to be complete when the
# next one starts (a last sentence, only when the model stops).
QUESTION = "一级能效冰箱每台补贴多少？补贴什么时候可以申领？"


class Clocked(ChatModelGenerator):
    """The real model, noting when its stream ends (wall clock, as the browser's)."""

    finished_at: float = 0.0

    def stream(self, messages: Sequence[BaseMessage]) -> Iterator[str]:
        yield from super().stream(messages)
        Clocked.finished_at = time.time()


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fixture_corpus: Path,
    embedder: UniversalSentenceEncoder,
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("widget-llm")
    corpus = folder / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    with local_llm(folder) as url:
        settings = Settings(
            index_dir=folder / "index",
            corpus_dir=corpus,
            rate_limit_per_minute=0,
            default_mode="generative",
            llm_base_url=url,
            llm_timeout_s=300.0,
        )
        generator = Clocked(ChatModelGenerator.from_settings(settings).model)
        service = PolicyService(settings, embedder, generator)
        service.ingest(corpus)
        with serving(create_app(settings, service)) as served:
            yield served


def test_first_sentence_shows_before_generation_ends(
    server: str,
    browser: Browser,
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(server + "/")
    page.evaluate("() => window.PolicyQA.open()")
    # Every change of the answer bubble, with the browser's clock and whether it is busy.
    page.evaluate(
        """() => {
          window.__seen = [];
          const root = document.querySelector('#policyqa-widget').shadowRoot;
          new MutationObserver(() => {
            const m = root.querySelectorAll('.msg.bot');
            const last = m[m.length - 1];
            if (last) window.__seen.push({t: Date.now(), busy: last.hasAttribute('aria-busy'),
                                          text: last.innerText});
          }).observe(root, {subtree: true, childList: true, characterData: true,
                            attributes: true});
        }"""
    )
    page.locator("#policyqa-widget textarea").fill(QUESTION)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const r = document.querySelector('#policyqa-widget').shadowRoot;"
        " const m = r.querySelectorAll('.msg.bot'); const last = m[m.length - 1];"
        " return last && !last.hasAttribute('aria-busy') && r.querySelector('.chips .chip'); }",
        timeout=420_000,  # a shared 2-core machine can be this slow
    )
    seen = page.evaluate("() => window.__seen")
    final = page.locator("#policyqa-widget .msg.bot").last.inner_text()
    context.close()
    assert "原文" in final and "300元" in final, final  # generated, then the quotes
    first = next(s for s in seen if s["busy"] and "300" in s["text"] and "[1]" in s["text"])
    assert "原文" not in first["text"]  # the sentence alone, before the quotes
    assert first["t"] / 1000 < Clocked.finished_at  # on screen while the model still wrote
