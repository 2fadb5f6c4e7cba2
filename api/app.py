"""create_app(): the FastAPI app. The model and index load once, in the lifespan."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.asgi import HttpMiddleware
from api.errors import (
    CorsRejectedError,
    ErrorResponse,
    HttpError,
    UnexpectedErrors,
    ValidationFailedError,
    as_error,
    error_response,
    security_headers,
)
from api.limits import LimitsMiddleware, TokenBuckets
from api.metrics import Metrics
from api.routes import admin, ask, checks, health, openai_compat, pages, sources
from assistant.config import Settings
from assistant.errors import IndexNotReadyError, PolicyQAError
from assistant.service import PolicyService

log = logging.getLogger("policyqa.api")

STATIC_DIR = Path(__file__).parent / "static"

ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorResponse, "description": text}
    for code, text in {
        400: "Bad input",
        404: "Unknown document or clause",
        408: "The request took too long to arrive",
        413: "Question or body too large",
        422: "Request does not match the schema",
        431: "Request headers too large",
        429: "Rate limited",
        503: "Index not ready or backend unavailable",
    }.items()
}


def create_app(settings: Settings | None = None, service: PolicyService | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.service is None:
            app.state.service = PolicyService.create(settings)
        try:
            app.state.service.warm_up()
        except IndexNotReadyError as exc:
            log.warning("starting without an index: %s", exc.message)
        yield
        app.state.service.close()

    app = FastAPI(
        title="policyqa",
        version="0.1.0",
        summary="Answers about industrial-policy documents, citing the exact clauses.",
        description=(
            "Every answer quotes the source text verbatim with its clause address. Apart "
            "from the national Notice, the bundled documents are illustrative samples."
        ),
        lifespan=lifespan,
        docs_url="/docs" if settings.docs_enabled else None,
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.service = service
    app.state.metrics = Metrics()

    _install_error_handlers(app)
    _install_middleware(app, settings)
    for router in (
        health.router,
        ask.router,
        checks.router,
        sources.router,
        openai_compat.router,
        admin.router,
        pages.router,
    ):
        app.include_router(router)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PolicyQAError)
    async def policyqa_error(request: Request, exc: PolicyQAError) -> Response:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
        return error_response(ValidationFailedError("; ".join(problems) or "invalid request"))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return error_response(HttpError(exc.status_code, str(exc.detail)), exc.headers)

    # Only for a failure in the middleware itself: UnexpectedErrors answers the app's own.
    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        return error_response(as_error(exc))


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    # Added innermost first. Each refusal a layer makes passes through the layers outside
    # it, so a 429 or a 500 still gets the CORS headers a browser needs to read it.
    app.add_middleware(UnexpectedErrors)
    buckets = (
        TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
        if settings.rate_limit_per_minute > 0
        else None
    )
    metrics: Metrics = app.state.metrics
    app.add_middleware(
        LimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        buckets=buckets,
        on_limited=metrics.rate_limited.inc,
    )
    app.add_middleware(
        JsonCORSMiddleware,
        allow_origins=settings.origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    app.add_middleware(
        EdgeMiddleware,
        metrics=metrics,
        headers=security_headers(" ".join(settings.origins) or "'none'"),
    )


class JsonCORSMiddleware(CORSMiddleware):
    """Starlette's CORS, with a refused preflight answered in the API's error shape."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code < 400:
            return response
        refused = bytes(response.body).decode().removeprefix("Disallowed CORS ")
        cors = {k: v for k, v in response.headers.items() if k.startswith("access-control-")}
        return error_response(
            CorsRejectedError(
                f"cross-origin request refused ({refused}); the portal's operator lists the "
                "allowed origins in POLICYQA_ALLOWED_ORIGINS"
            ),
            cors,
        )


class EdgeMiddleware(HttpMiddleware):
    """The outermost layer: it counts and times every response, gives each the security
    headers, and answers HEAD as GET without the body (FastAPI routes take only the
    methods they declare)."""

    def __init__(self, app: ASGIApp, metrics: Metrics, headers: list[tuple[bytes, bytes]]) -> None:
        super().__init__(app)
        self.metrics = metrics
        self.headers = headers

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method: str = scope["method"]
        # A copy: the server keeps its own scope, and must still know this is a HEAD.
        inner = {**scope, "method": "GET"} if method == "HEAD" else scope
        started = time.perf_counter()
        status = 500

        async def send_at_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and method == "HEAD":
                message = {**message, "body": b""}
            await send(message)

        try:
            await self.app(inner, receive, send_at_edge)
        finally:
            label = getattr(inner.get("route"), "path", "unmatched")
            self.metrics.requests.labels(label, method, str(status)).inc()
            self.metrics.latency.labels(label, method).observe(time.perf_counter() - started)
