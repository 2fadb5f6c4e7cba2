"""What a request may be before the app sees it: its rate per client, its size, how long it
takes to arrive, and the characters of its text. The ASGI middleware checks what arrives
whole; the server's protocol guards what arrives too slowly to ever be whole."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qsl

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState
from uvicorn.supervisors import Multiprocess

from api.asgi import HttpMiddleware
from api.errors import (
    HeadersTooLargeError,
    PayloadTooLargeError,
    RateLimitedError,
    RequestTimeoutError,
    error_body,
    error_response,
    security_headers,
)
from assistant.errors import BadInputError, PolicyQAError

UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics")
DEFAULT_BODY_TIMEOUT = 30.0
DEFAULT_REQUEST_HEAD_TIMEOUT = 10.0


def client_key(scope: Scope) -> str:
    """A hash of the client address: the limiter needs identity, not the address itself."""
    client = scope.get("client") or ("unknown", 0)
    return hashlib.sha256(str(client[0]).encode()).hexdigest()[:16]


class TokenBuckets:
    """`rate` requests per minute per client, with bursts up to `burst`."""

    def __init__(self, rate_per_minute: int, burst: int, max_clients: int = 100_000) -> None:
        self.rate = rate_per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, now: float | None = None) -> float:
        """0 if allowed, else the seconds until a request would be."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
            return wait


# -- text ------------------------------------------------------------------------------

# A lone surrogate is not text: it cannot be encoded, so it breaks whatever stores or
# searches it. Control characters other than line breaks and tabs have no place in a
# question, a filter or an id.
_SURROGATE = re.compile("[\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The service already drops control characters from a question, so these stay lenient.
_QUESTION_FIELDS = frozenset({"question"})


def text_problem(text: str, controls_allowed: bool = False) -> str | None:
    """What is wrong with a client's string, or None."""
    if match := _SURROGATE.search(text):
        return (
            f"contains a lone surrogate (U+{ord(match.group()):04X}) at character "
            f"{match.start()}, which is not text; send valid UTF-8"
        )
    if not controls_allowed and (match := _CONTROL.search(text)):
        return (
            f"contains the control character U+{ord(match.group()):04X} at character "
            f"{match.start()}; remove it"
        )
    return None


def _strings(value: object) -> Iterator[tuple[str, str, bool]]:
    """(field, string, is a key) for every string in a JSON value, in document order.
    Iterative: a body nested a thousand deep is the schema's to refuse, not a crash here."""
    stack: list[tuple[str, object]] = [("", value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            yield where or "body", item, False
        elif isinstance(item, dict):
            children: list[tuple[str, object]] = []
            for key, child in item.items():
                yield where or "body", key, True
                children.append((f"{where}.{key}" if where else key, child))
            stack.extend(reversed(children))
        elif isinstance(item, list):
            stack.extend(reversed([(f"{where}[{i}]", child) for i, child in enumerate(item)]))


def _json_body(scope: Scope, body: bytes) -> object:
    """The body as FastAPI will read it (JSON when untyped or typed JSON), else None."""
    headers = dict(scope.get("headers") or [])
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    if not body or (
        content_type and content_type != b"application/json" and not content_type.endswith(b"+json")
    ):
        return None
    try:
        return json.loads(body)
    except (ValueError, RecursionError):  # the app answers malformed JSON itself
        return None


def unsafe_text(scope: Scope, body: bytes) -> str | None:
    """The first string of the path, the query or the JSON body a client may not send,
    named by its field, or None."""
    if problem := text_problem(scope.get("path", "")):
        return f"the path {problem}"
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if problem := text_problem(name) or text_problem(value):
            return f"query parameter {name!r} {problem}"
    for field, text, is_key in _strings(_json_body(scope, body)):
        if problem := text_problem(text, controls_allowed=field in _QUESTION_FIELDS):
            return f"a key of {field} {problem}" if is_key else f"{field} {problem}"
    return None


# -- ASGI ------------------------------------------------------------------------------


class LimitsMiddleware(HttpMiddleware):
    """Refuses a request over the header, rate or body limits, one whose body stops
    arriving, or one carrying text a client may not send, before the app reads any of it."""

    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        buckets: TokenBuckets | None,
        on_limited: Callable[[], None] | None = None,
        max_header_bytes: int = 16 * 1024,
        body_timeout: float = DEFAULT_BODY_TIMEOUT,
    ) -> None:
        super().__init__(app)
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.buckets = buckets
        self.on_limited = on_limited
        self.body_timeout = body_timeout

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            self._check_head(scope)
            body = await self._read_body(receive)
            if body is None:  # the client left before sending it all
                return
            if problem := unsafe_text(scope, body):
                raise BadInputError(problem)
        except PolicyQAError as exc:
            await error_response(exc)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    def _check_head(self, scope: Scope) -> None:
        headers = scope.get("headers") or []
        if sum(len(k) + len(v) for k, v in headers) > self.max_header_bytes:
            raise HeadersTooLargeError(f"request headers exceed {self.max_header_bytes} bytes")
        if self.buckets is not None and scope.get("path", "").startswith("/v1/"):
            wait = self.buckets.take(client_key(scope))
            if wait > 0:
                if self.on_limited is not None:
                    self.on_limited()
                raise RateLimitedError(retry_after=wait)
        declared = dict(headers).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_body_bytes
            except ValueError:
                raise BadInputError("invalid Content-Length header") from None
            if too_big:
                raise self._too_large()

    async def _read_body(self, receive: Receive) -> bytes | None:
        """The whole body, read here rather than by the app: a chunked body has no declared
        length, and the framework would report an oversized one as a parsing error."""
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.body_timeout):
                while True:
                    message = await receive()
                    if message["type"] != "http.request":
                        return None
                    chunk: bytes = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body_bytes:
                        raise self._too_large()
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise RequestTimeoutError(
                f"the request body did not arrive within {self.body_timeout:g} s; send it again"
            ) from None

    def _too_large(self) -> PayloadTooLargeError:
        return PayloadTooLargeError(f"the request body exceeds {self.max_body_bytes} bytes")


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the client's later messages (a disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replay


# -- the server ------------------------------------------------------------------------


class ServerConfig(Config):
    """uvicorn's configuration with the proxies to trust and a deadline for request heads.

    `X-Forwarded-For` counts only from `forwarded_allow_ips` (comma-separated addresses or
    networks, or "*"); by default from none, since without a proxy in front the header is
    the client's own claim and would let it choose its rate-limit bucket.
    """

    def __init__(
        self,
        app: Any,
        *,
        forwarded_allow_ips: str | None = None,
        request_head_timeout: float = DEFAULT_REQUEST_HEAD_TIMEOUT,
        **options: Any,
    ) -> None:
        if request_head_timeout <= 0:
            raise ValueError("request_head_timeout must be positive")
        self.request_head_timeout = request_head_timeout
        proxies = (forwarded_allow_ips or "").strip()
        super().__init__(
            app,
            http=GuardedHttpProtocol,
            proxy_headers=bool(proxies),
            forwarded_allow_ips=proxies or None,
            **options,
        )


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's line and headers, and
    its own refusals in the API's error shape.

    uvicorn arms its keep-alive timer only after a response, and any byte received cancels
    it, so a client that sends part of a head would otherwise hold its connection forever.
    """

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.head_timeout: float = getattr(
            config, "request_head_timeout", DEFAULT_REQUEST_HEAD_TIMEOUT
        )
        self.head_deadline: asyncio.TimerHandle | None = None
        self.head_begun = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()  # a connection that never sends a byte is cut off too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.head_begun = True
        self._arm_head_deadline()

    def on_headers_complete(self) -> None:
        self._disarm_head_deadline()
        self.head_begun = False
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        self._refuse(BadInputError("the request is not valid HTTP/1.1"))

    def _arm_head_deadline(self) -> None:
        if self.head_deadline is None:
            self.head_deadline = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_timed_out(self) -> None:
        self.head_deadline = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined head behind a response still being sent: that response first.
            self._arm_head_deadline()
        elif self.head_begun:
            self._refuse(
                RequestTimeoutError(
                    f"the request line and headers did not arrive within {self.head_timeout:g} s"
                )
            )
        else:
            self.transport.close()

    def _refuse(self, error: PolicyQAError) -> None:
        body = error_body(error)
        headers = [
            *self.server_state.default_headers,
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
            *security_headers("'none'"),
        ]
        head = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        self.transport.write(STATUS_LINE[error.http_status] + head + b"\r\n" + body)
        self.transport.close()


def run_server(config: ServerConfig) -> None:
    """Serve until interrupted, in one process or `config.workers` sharing one socket: what
    uvicorn.run does, which builds its own configuration and so cannot take this one."""
    server = uvicorn.Server(config)
    with contextlib.suppress(KeyboardInterrupt):
        if config.workers > 1:
            Multiprocess(config, sockets=[config.bind_socket()]).run()
        else:
            server.run()
    if config.workers == 1 and not server.started:
        raise SystemExit(STARTUP_FAILURE)
