"""API fixtures: the real app over a copy of the fixture index, in-process or on a port, and
the headless Chromium the widget tests drive."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.limits import ServerConfig
from assistant.config import Settings
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService
from tests.conftest import private_index
from tests.utils.net import free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ADMIN_TOKEN = "test-admin-token-0123456789"
CHROMIUM = "/usr/bin/chromium"


def make_settings(
    tmp_path: Path,
    built_index: Path,
    fixture_corpus: Path,
    embedder: UniversalSentenceEncoder,
    **overrides: object,
) -> Settings:
    index_dir = tmp_path / "index"
    private_index(index_dir, built_index, fixture_corpus, embedder)
    values: dict[str, object] = {
        "index_dir": index_dir,
        "corpus_dir": fixture_corpus,
        "rate_limit_per_minute": 0,
        "admin_token": ADMIN_TOKEN,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def make_client(
    tmp_path: Path, built_index: Path, fixture_corpus: Path, embedder: UniversalSentenceEncoder
) -> Iterator[object]:
    clients: list[TestClient] = []

    def build(**overrides: object) -> TestClient:
        settings = make_settings(tmp_path, built_index, fixture_corpus, embedder, **overrides)
        app = create_app(settings, PolicyService(settings, embedder))
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client) -> TestClient:  # type: ignore[no-untyped-def]
    return make_client()  # type: ignore[no-any-return]


@contextmanager
def serving(app: FastAPI | ServerConfig) -> Iterator[str]:
    """The app on a free loopback port, run by the server `policyqa serve` runs (its guards
    included), for real HTTP clients. A ServerConfig chooses the server's own options."""
    config = (
        app
        if isinstance(app, ServerConfig)
        else ServerConfig(app, host="127.0.0.1", port=free_port(), log_level="error")
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://{config.host}:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def live_server(
    tmp_path: Path, built_index: Path, fixture_corpus: Path, embedder: UniversalSentenceEncoder
) -> Iterator[str]:
    settings = make_settings(tmp_path, built_index, fixture_corpus, embedder)
    with serving(create_app(settings, PolicyService(settings, embedder))) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Imported here: only the `browser` tests need Playwright, not every API test.
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing; scripts/dev.sh setup installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-quic",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
