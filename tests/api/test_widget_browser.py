"""The widget in a real headless Chromium (Debian's), driven by Playwright, against a live
server: streaming, sources, the clause viewer, keyboard use, live region, inert markup,
an axe-core accessibility check, and screenshots for the README."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page

from api.app import create_app
from assistant.config import Settings
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService
from tests.api.conftest import serving
from tests.conftest import REPO, USE_MODEL

pytestmark = pytest.mark.browser

AXE = REPO / ".cache" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "out" / "screenshots"
HOSTILE = (
    "第一条 演示区的防伪提示：<script>alert('x')</script> 与 <img src=x onerror=alert(2)> "
    "都只是文字，一级能效洗衣机每台补贴200元。\n"
)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory,
    fixture_corpus: Path,
    embedder: UniversalSentenceEncoder,
) -> Iterator[str]:
    corpus = tmp_path_factory.mktemp("widget") / "corpus"
    shutil.copytree(fixture_corpus, corpus)
    (corpus / "documents" / "hostile.txt").write_text(HOSTILE, encoding="utf-8")
    settings = Settings(
        index_dir=corpus.parent / "index", corpus_dir=corpus, rate_limit_per_minute=0
    )
    service = PolicyService(settings, embedder)
    service.ingest(corpus)
    with serving(create_app(settings, service)) as url:
        yield url


@pytest.fixture(scope="module")
def bundled_server(
    tmp_path_factory: pytest.TempPathFactory, embedder: UniversalSentenceEncoder
) -> Iterator[str]:
    """The bundled corpus, whose clauses and context spans are as long as real ones."""
    settings = Settings(
        index_dir=tmp_path_factory.mktemp("bundled-widget") / "index",
        corpus_dir=REPO / "corpus",
        embedding_model=USE_MODEL,
        rate_limit_per_minute=0,
    )
    service = PolicyService(settings, embedder)
    service.ingest(REPO / "corpus")
    with serving(create_app(settings, service)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()


def open_by_keyboard(page: Page) -> None:
    page.keyboard.press("Tab")  # the header link
    page.keyboard.press("Tab")
    launcher = page.locator("#policyqa-widget").locator(".launcher")
    for _ in range(6):
        if launcher.evaluate("b => b.getRootNode().activeElement === b"):
            break
        page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator("#policyqa-widget textarea").wait_for(state="visible")


def ask(page: Page, question: str) -> None:
    page.locator("#policyqa-widget textarea").fill(question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => { const r = document.querySelector('#policyqa-widget').shadowRoot;"
        " const m = r.querySelectorAll('.msg.bot'); const last = m[m.length - 1];"
        " return last && !last.hasAttribute('aria-busy') && r.querySelector('.chips .chip'); }",
        timeout=30000,
    )


def last_answer(page: Page) -> str:
    return str(page.locator("#policyqa-widget .msg.bot").last.inner_text())


def test_chinese_question_streams_with_sources_and_opens_the_clause(
    server: str, page: Page
) -> None:
    page.goto(server + "/")
    open_by_keyboard(page)
    widget = page.locator("#policyqa-widget")
    assert widget.locator("textarea").evaluate("t => t.getRootNode().activeElement === t")
    ask(page, "一级能效冰箱每台补贴多少？")
    assert "300元" in last_answer(page)
    assert "机器生成" in last_answer(page)
    live = widget.locator("[aria-live=polite]").inner_text()
    assert "回答完成" in live
    chip = widget.locator(".chips .chip").first
    assert "示例文件" in chip.inner_text()
    chip.click()
    mark = widget.locator(".viewer mark")
    mark.wait_for()
    quote = page.request.post(
        server + "/v1/ask", data={"question": "一级能效冰箱每台补贴多少？"}
    ).json()["citations"][0]["quote"]
    assert mark.inner_text() == quote
    assert "示例文件" in widget.locator(".viewer").inner_text()
    page.keyboard.press("Escape")  # back to the conversation
    assert widget.locator(".viewer").is_hidden()
    page.keyboard.press("Escape")  # closes the panel, focus returns to the launcher
    assert widget.locator(".panel").is_hidden()
    assert widget.locator(".launcher").evaluate("b => b.getRootNode().activeElement === b")


def test_english_question_and_language_switch(server: str, page: Page) -> None:
    page.goto(server + "/en")
    page.evaluate("() => window.PolicyQA.open()")
    widget = page.locator("#policyqa-widget")
    assert "Machine-generated" in widget.locator("header").inner_text()
    ask(page, "Demo Town overseas warehouse subsidy per year")
    assert "RMB 200,000" in last_answer(page)
    widget.locator("header button").first.click()  # 中文
    assert "机器生成" in widget.locator("header").inner_text()
    assert list(
        page.evaluate("() => Object.keys(window).filter(k => k.startsWith('PolicyQA'))")
    ) == ["PolicyQA"]


def test_document_markup_renders_inert(server: str, page: Page) -> None:
    page.goto(server + "/")
    page.evaluate("() => window.PolicyQA.open()")
    ask(page, "一级能效洗衣机每台补贴多少？防伪提示")
    widget = page.locator("#policyqa-widget")
    widget.locator(".chips .chip").first.click()
    widget.locator(".viewer mark").wait_for()
    shown = widget.locator(".panel").inner_text()
    assert "<script>alert('x')</script>" in shown or "<img src=x onerror=alert(2)>" in shown
    assert widget.locator("script, img").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_accessibility_has_no_serious_violations(server: str, browser: Browser) -> None:
    if not AXE.exists():
        subprocess.run(
            [
                "npm",
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(AXE.parents[2]),
                "axe-core@4.14.1",
            ],
            check=True,
            timeout=300,
        )
    # The page's CSP rightly refuses injected scripts; the audit context bypasses it.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    page.goto(server + "/")
    page.evaluate("() => window.PolicyQA.open()")
    ask(page, "一级能效冰箱每台补贴多少？")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    context.close()
    assert serious == []


@pytest.mark.parametrize(
    ("path", "width", "height", "name"),
    [
        ("/", 1280, 800, "desktop-zh"),
        ("/en", 1280, 800, "desktop-en"),
        ("/", 320, 640, "mobile-zh"),
        ("/en", 320, 640, "mobile-en"),
    ],
)
def test_screenshots_and_reflow(
    server: str, browser: Browser, path: str, width: int, height: int, name: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(server + path)
    page.evaluate("() => window.PolicyQA.open()")
    question = (
        "一级能效冰箱每台补贴多少？" if path == "/" else "Demo Town overseas warehouse subsidy"
    )
    ask(page, question)
    panel = page.locator("#policyqa-widget .panel")
    box = panel.bounding_box()
    assert box is not None and box["width"] <= width and box["x"] >= 0
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    assert scroll_width <= width  # no horizontal scrolling at this width
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"widget-{name}.png"))
    context.close()


ENTERPRISE = (
    "我们是样本市一家民营汽车零部件企业，规模以上，300名员工，出口额占营业收入40%，能申请哪些支持？"
)


def quote_is_in_view(page: Page) -> dict[str, float]:
    """Where the highlighted quote's first line sits against the viewport and the viewer."""
    return dict(
        page.locator("#policyqa-widget").evaluate(
            """host => {
              const r = host.shadowRoot, viewer = r.querySelector('.viewer');
              const line = r.querySelector('.viewer mark').getClientRects()[0];
              const box = viewer.getBoundingClientRect();
              return {top: line.top, bottom: line.bottom, viewerTop: box.top,
                      viewerBottom: box.bottom, viewport: window.innerHeight,
                      viewerScroll: viewer.scrollTop};
            }"""
        )
    )


@pytest.mark.parametrize(
    ("width", "height", "name"), [(1280, 820, "clause-desktop"), (320, 640, "clause-mobile")]
)
def test_clause_viewer_shows_the_quote_without_scrolling(
    bundled_server: str, browser: Browser, width: int, height: int, name: str
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.goto(bundled_server + "/")
    page.evaluate("() => window.PolicyQA.open()")
    ask(page, "样本市对海外仓有什么支持？")
    widget = page.locator("#policyqa-widget")
    widget.locator(".chips .chip").first.click()
    widget.locator(".viewer mark").wait_for()
    # The clause takes the conversation's place rather than squeezing in under it.
    assert widget.locator(".log").is_hidden() and widget.locator("form").is_hidden()
    place = quote_is_in_view(page)
    # The viewer itself is not scrolled: the quote's first line is inside it and inside the
    # window as the clause opens, under the title and the illustrative badge.
    assert place["viewerScroll"] == 0
    assert place["viewerTop"] <= place["top"] and place["bottom"] <= place["viewerBottom"]
    assert place["top"] >= 0 and place["bottom"] <= place["viewport"]
    viewer = widget.locator(".viewer").inner_text()
    assert "示例文件" in viewer and "›" in viewer  # the badge and the heading path stay
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"widget-{name}.png"))
    context.close()


def test_an_enterprise_is_answered_with_measures_and_a_follow_up_updates_them(
    bundled_server: str, browser: Browser
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 820})
    page = context.new_page()
    page.goto(bundled_server + "/")
    page.evaluate("() => window.PolicyQA.open()")
    ask(page, ENTERPRISE)
    first = last_answer(page)
    assert "识别出的企业信息" in first and "出口占营业收入 40%" in first
    assert "可能符合、需确认的措施" in first  # grouped, not a refusal
    assert "无法回答" not in first
    widget = page.locator("#policyqa-widget")
    # The questions that would settle the rest are offered as buttons.
    follow_ups = widget.locator(".msg.bot").last.locator(".follow-up")
    assert follow_ups.count() >= 1
    # Each question shows once, as its button, not again as a line of text above it.
    question = follow_ups.first.inner_text()
    assert first.count(question) == 1
    widget.locator(".msg.bot").last.evaluate("m => m.scrollIntoView({block: 'start'})")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "widget-eligibility.png"))
    # Its citations open the granting clauses as any answer's do.
    widget.locator(".msg.bot").last.locator(".ref").first.click()
    widget.locator(".viewer mark").wait_for()
    assert widget.locator(".viewer mark").inner_text().strip()
    page.keyboard.press("Escape")
    # Answering one of those questions updates the result: the equipment bought now gives
    # an estimate computed from the clause's rate.
    ask(page, "我们2023年3月新购置生产设备800万元，已安装调试")
    second = last_answer(page)
    assert "buy_equipment 800 万元" in second
    assert "800万元 ×" in second and "800万元 ×" not in first
    context.close()


def test_a_wording_question_gets_a_clear_no_with_the_source_wording(
    bundled_server: str, page: Page
) -> None:
    """An official checking a quoted passage in the chat sees the verdict, the source's own
    wording (its citation opens the clause) and what differs."""
    page.goto(bundled_server + "/")
    page.evaluate("() => window.PolicyQA.open()")
    ask(
        page,
        "《示例省设备更新和重大项目若干措施》是否规定了“单个项目生产性设备投资额不高于500万元”？",
    )
    answer = last_answer(page)  # after the machine-generated label and the sources
    assert "\n否。" in answer
    assert "查找范围：示例省设备更新和重大项目若干措施（虚构示例）\n" in answer  # the one named
    assert (
        "不低于500万元" in answer
        and "“资额不高于500万元”（所问）→“资额不低于500万元”（原文）" in answer
    )
    widget = page.locator("#policyqa-widget")
    widget.locator(".msg.bot").last.locator(".ref").first.click()
    widget.locator(".viewer mark").wait_for()
    assert "不低于500万元" in widget.locator(".viewer mark").inner_text()
