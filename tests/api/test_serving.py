"""`policyqa serve`'s server: which proxies it trusts, how long a client may take to send a
request head, and its own protocol errors in the API's error shape. Loopback only."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from api.app import create_app
from api.limits import ServerConfig
from assistant import cli
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService
from tests.api.conftest import make_settings, serving
from tests.utils.net import free_port


@pytest.fixture
def make_server(
    tmp_path: Path, built_index: Path, fixture_corpus: Path, embedder: UniversalSentenceEncoder
) -> Iterator[object]:
    def build(settings: dict[str, object], **server: object) -> ServerConfig:
        values = make_settings(tmp_path, built_index, fixture_corpus, embedder, **settings)
        app = create_app(values, PolicyService(values, embedder))
        return ServerConfig(
            app,
            host="127.0.0.1",
            port=free_port(),
            log_level="error",
            **server,  # type: ignore[arg-type]
        )

    yield build


def test_serve_trusts_no_proxy_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[ServerConfig] = []
    monkeypatch.setattr("api.limits.run_server", started.append)
    runner = CliRunner()
    assert runner.invoke(cli.app, ["serve"]).exit_code == 0
    assert started[-1].proxy_headers is False
    assert 0 < started[-1].request_head_timeout <= 30
    result = runner.invoke(
        cli.app,
        ["serve", "--forwarded-allow-ips", "10.0.0.5,10.0.1.0/24", "--request-head-timeout", "4"],
    )
    assert result.exit_code == 0, result.output
    assert started[-1].proxy_headers is True
    assert started[-1].forwarded_allow_ips == "10.0.0.5,10.0.1.0/24"
    assert started[-1].request_head_timeout == 4


def statuses_from(url: str, forwarded_for: list[str]) -> list[int]:
    return [
        httpx.get(f"{url}/v1/models", headers={"X-Forwarded-For": ip}, timeout=10).status_code
        for ip in forwarded_for
    ]


def test_forwarded_for_counts_only_from_a_trusted_proxy(make_server) -> None:  # type: ignore[no-untyped-def]
    limited = {"rate_limit_per_minute": 1, "rate_limit_burst": 1}
    clients = ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    with serving(make_server(limited)) as url:
        # The header is the client's own claim: every request is the same loopback client.
        assert statuses_from(url, clients) == [200, 429, 429]
    with serving(make_server(limited, forwarded_allow_ips="127.0.0.1")) as url:
        assert statuses_from(url, clients) == [200, 200, 200]
        assert statuses_from(url, clients[:1]) == [429]


def read_until_closed(sock: socket.socket, limit_s: float) -> tuple[bytes, float]:
    started = time.monotonic()
    sock.settimeout(limit_s)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        pass
    except ConnectionResetError:
        pass
    return received, time.monotonic() - started


def test_slow_clients_are_cut_off_after_the_head_timeout(make_server) -> None:  # type: ignore[no-untyped-def]
    with serving(make_server({}, request_head_timeout=1.0)) as url:
        port = int(url.rsplit(":", 1)[1])
        partial = [socket.create_connection(("127.0.0.1", port)) for _ in range(5)]
        silent = socket.create_connection(("127.0.0.1", port))
        try:
            for sock in partial:
                sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            for sock in partial:
                received, waited = read_until_closed(sock, limit_s=8)
                assert waited < 6, "the connection was still open"
                head, _, body = received.partition(b"\r\n\r\n")
                assert head.startswith(b"HTTP/1.1 408"), received
                assert b"content-type: application/json" in head.lower()
                assert json.loads(body)["error"] == "request_timeout"
            received, waited = read_until_closed(silent, limit_s=8)
            assert waited < 6 and received == b""
        finally:
            for sock in [*partial, silent]:
                sock.close()
        # A client that sends its request in time is served, and can reuse the connection.
        with httpx.Client(base_url=url, timeout=10) as client:
            assert client.get("/healthz").status_code == 200
            time.sleep(0.5)
            assert client.get("/healthz").status_code == 200


def test_protocol_errors_are_json(make_server) -> None:  # type: ignore[no-untyped-def]
    with serving(make_server({})) as url:
        port = int(url.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"NOT AN HTTP REQUEST\x00\r\n\r\n")
            received, _ = read_until_closed(sock, limit_s=8)
    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400"), received
    assert b"content-type: application/json" in head.lower()
    assert b"x-content-type-options: nosniff" in head.lower()
    error = json.loads(body)
    assert error["error"] == "bad_input" and error["message"]
