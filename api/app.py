"""create_app(): the FastAPI app. The model and index load once, in the lifespan."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.limits import LimitsMiddleware, TokenBuckets
from api.metrics import Metrics
from api.routes import admin, ask, checks, health, openai_compat, pages, sources
from api.schemas import ErrorResponse
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
            # Open the index and warm the encoder now, so the first question is not slow.
            app.state.service.search("warm up", top_k=1)
        except IndexNotReadyError as exc:
            log.warning("starting without an index: %s", exc.message)
        yield

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


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse({"error": code, "message": message}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PolicyQAError)
    async def policyqa_error(request: Request, exc: PolicyQAError) -> JSONResponse:
        return _error(exc.http_status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for error in exc.errors()[:5]:
            where = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
            problems.append(f"{where or 'body'}: {error.get('msg', 'invalid')}")
        return _error(422, "validation_error", "; ".join(problems) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}
        return _error(
            exc.status_code,
            codes.get(exc.status_code, "http_error"),
            str(exc.detail),
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return _error(500, "internal_error", "an unexpected error occurred; it has been logged")


def _install_middleware(app: FastAPI, settings: Settings) -> None:
    metrics: Metrics = app.state.metrics
    frame_ancestors = " ".join(settings.origins) or "'none'"

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        label = getattr(route, "path", "unmatched")
        metrics.requests.labels(label, request.method, str(response.status_code)).inc()
        metrics.latency.labels(label, request.method).observe(time.perf_counter() - started)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            f"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            f"script-src 'self'; connect-src 'self'; frame-ancestors {frame_ancestors}; "
            "base-uri 'none'; form-action 'self'",
        )
        return response

    # Outermost first: limits run before anything reads a body.
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.origins,
        allow_methods=["GET", "POST"],
        allow_headers=["Content-Type", "Authorization"],
        expose_headers=["Retry-After"],
        max_age=600,
    )
    buckets = (
        TokenBuckets(settings.rate_limit_per_minute, settings.rate_limit_burst)
        if settings.rate_limit_per_minute > 0
        else None
    )
    app.add_middleware(
        LimitsMiddleware,
        max_body_bytes=settings.max_body_bytes,
        max_header_bytes=settings.max_header_bytes,
        buckets=buckets,
        on_limited=metrics.rate_limited.inc,
    )
