"""Per-client rate limiting and request-size limits, as plain ASGI middleware."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections import OrderedDict

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNLIMITED_PATHS = ("/healthz", "/readyz", "/metrics")


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


async def _send_json(
    send: Send, status: int, body: dict[str, str], headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class LimitsMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        max_body_bytes: int,
        buckets: TokenBuckets | None,
        on_limited: object = None,
        max_header_bytes: int = 16 * 1024,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.buckets = buckets
        self.on_limited = on_limited

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        header_bytes = sum(len(k) + len(v) for k, v in scope.get("headers") or [])
        if header_bytes > self.max_header_bytes:
            await _send_json(
                send,
                431,
                {
                    "error": "headers_too_large",
                    "message": f"request headers exceed {self.max_header_bytes} bytes",
                },
            )
            return
        if self.buckets is not None and path.startswith("/v1/"):
            wait = self.buckets.take(client_key(scope))
            if wait > 0:
                if callable(self.on_limited):
                    self.on_limited()
                await _send_json(
                    send,
                    429,
                    {
                        "error": "rate_limited",
                        "message": f"too many requests; retry in {math.ceil(wait)} s",
                    },
                    [(b"retry-after", str(math.ceil(wait)).encode())],
                )
                return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None:
            try:
                too_big = int(declared) > self.max_body_bytes
            except ValueError:
                await _send_json(
                    send, 400, {"error": "bad_input", "message": "invalid Content-Length header"}
                )
                return
            if too_big:
                await _send_json(send, 413, self._too_large())
                return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await _send_json(send, 413, self._too_large())

    def _too_large(self) -> dict[str, str]:
        return {
            "error": "payload_too_large",
            "message": f"the request body exceeds {self.max_body_bytes} bytes",
        }


class _BodyTooLarge(Exception):
    pass
