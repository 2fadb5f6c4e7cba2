"""The error hierarchy of the core. Each error carries a stable code and an HTTP status.

    PolicyQAError
    ├── BadInputError            400 bad_input
    │   └── QuestionTooLongError 413 question_too_long
    ├── UnauthorizedError        401 unauthorized
    ├── AdminDisabledError       403 admin_disabled
    ├── NotFoundError            404 not_found
    ├── DocumentLoadError        422 document_unreadable   (one file during ingestion)
    ├── IndexModelMismatchError  409 index_model_mismatch
    ├── IngestInProgressError    409 ingest_in_progress
    └── IndexNotReadyError       503 index_not_ready
        └── BackendUnavailableError 503 backend_unavailable

The API maps them to `{"error": code, "message": ...}` in one handler; the CLI prints the
message. Messages say what to do next.
"""

from __future__ import annotations


class PolicyQAError(Exception):
    code = "policyqa_error"
    http_status = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInputError(PolicyQAError):
    code = "bad_input"
    http_status = 400


class QuestionTooLongError(BadInputError):
    code = "question_too_long"
    http_status = 413


class UnauthorizedError(PolicyQAError):
    code = "unauthorized"
    http_status = 401


class AdminDisabledError(PolicyQAError):
    code = "admin_disabled"
    http_status = 403


class NotFoundError(PolicyQAError):
    code = "not_found"
    http_status = 404


class DocumentLoadError(PolicyQAError):
    code = "document_unreadable"
    http_status = 422


class IndexModelMismatchError(PolicyQAError):
    code = "index_model_mismatch"
    http_status = 409


class IngestInProgressError(PolicyQAError):
    code = "ingest_in_progress"
    http_status = 409


class IndexNotReadyError(PolicyQAError):
    code = "index_not_ready"
    http_status = 503


class BackendUnavailableError(IndexNotReadyError):
    code = "backend_unavailable"
    http_status = 503
