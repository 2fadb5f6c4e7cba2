"""How the API refuses: every error, whoever raises it, becomes `{"error": code, "message"}`
here, and every response carries the same security headers.

The codes are the core's (`assistant.errors`) plus those only HTTP has:

    PolicyQAError                  (assistant.errors)
    ├── CorsRejectedError        403 cors_rejected
    ├── RequestTimeoutError      408 request_timeout
    ├── PayloadTooLargeError     413 payload_too_large
    ├── ValidationFailedError    422 validation_error
    ├── RateLimitedError         429 rate_limited
    ├── HeadersTooLargeError     431 headers_too_large
    ├── HttpError                any status Starlette raises (404 not_found, 405 ...)
    └── InternalError            500 internal_error
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping

from pydantic import BaseModel
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from api.asgi import HttpMiddleware
from assistant.errors import PolicyQAError

log = logging.getLogger("policyqa.api")


class CorsRejectedError(PolicyQAError):
    code = "cors_rejected"
    http_status = 403


class RequestTimeoutError(PolicyQAError):
    code = "request_timeout"
    http_status = 408


class PayloadTooLargeError(PolicyQAError):
    code = "payload_too_large"
    http_status = 413


class ValidationFailedError(PolicyQAError):
    code = "validation_error"
    http_status = 422


class RateLimitedError(PolicyQAError):
    code = "rate_limited"
    http_status = 429

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many requests; retry in {self.retry_after} s")


class HeadersTooLargeError(PolicyQAError):
    code = "headers_too_large"
    http_status = 431


class InternalError(PolicyQAError):
    code = "internal_error"
    http_status = 500


_FRAMEWORK_CODES = {404: "not_found", 405: "method_not_allowed", 415: "unsupported_media_type"}


class HttpError(PolicyQAError):
    """A status raised by the framework itself (no route, wrong method, ...)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.http_status = status
        self.code = _FRAMEWORK_CODES.get(status, "http_error")


def as_error(exc: BaseException) -> PolicyQAError:
    """The error to tell the client: the core's own, or a generic one that hides the details
    of an unexpected failure (which is logged here, with its traceback)."""
    if isinstance(exc, PolicyQAError):
        return exc
    log.error("unexpected error", exc_info=exc)
    return InternalError("an unexpected error occurred; it has been logged")


class ErrorResponse(BaseModel):
    """The one error shape: the body of every refusal and of every stream's error event,
    and what the OpenAPI schema documents for them."""

    error: str
    message: str


def error_payload(exc: PolicyQAError) -> dict[str, str]:
    return ErrorResponse(error=exc.code, message=exc.message).model_dump()


def openai_error_payload(exc: PolicyQAError) -> dict[str, dict[str, str]]:
    """The same error in the OpenAI dialect, for the OpenAI-compatible stream: its SDKs
    read `error` as an object and raise with its message."""
    payload = error_payload(exc)
    code = payload["error"]
    return {"error": {"code": code, "type": code, "message": payload["message"]}}


def error_body(exc: PolicyQAError) -> bytes:
    payload = error_payload(exc)
    try:
        return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    except UnicodeEncodeError:  # a message that quotes a client's lone surrogate
        return json.dumps(payload, separators=(",", ":")).encode()


def error_response(exc: PolicyQAError, headers: Mapping[str, str] | None = None) -> Response:
    extra = dict(headers or {})
    if isinstance(exc, RateLimitedError):
        extra["Retry-After"] = str(exc.retry_after)
    return Response(
        error_body(exc), status_code=exc.http_status, headers=extra, media_type="application/json"
    )


def security_headers(frame_ancestors: str) -> list[tuple[bytes, bytes]]:
    """Headers for every response; `frame_ancestors` are the origins that may embed a page."""
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (
            b"content-security-policy",
            (
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                f"script-src 'self'; connect-src 'self'; frame-ancestors {frame_ancestors}; "
                "base-uri 'none'; form-action 'self'"
            ).encode(),
        ),
    ]


class UnexpectedErrors(HttpMiddleware):
    """Answers an unexpected failure with a 500 in the error shape. It sits inside the CORS
    and security-header layers, so a browser can read that 500 too; Starlette's own last
    resort sits outside every middleware."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            if started:  # too late for a status: the server cuts the response short
                raise
            await error_response(as_error(exc))(scope, receive, send)
