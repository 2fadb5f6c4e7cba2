"""POST /v1/admin/reindex: rebuild from the corpus folder while queries keep being served."""

from __future__ import annotations

import dataclasses
import hmac

from fastapi import APIRouter, Header
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.schemas import ReindexResponse
from assistant.config import Settings
from assistant.errors import AdminDisabledError, UnauthorizedError

router = APIRouter(prefix="/v1/admin", tags=["admin"])


def check_token(settings: Settings, authorization: str | None) -> None:
    if settings.admin_token is None:
        raise AdminDisabledError("admin endpoints are disabled; set POLICYQA_ADMIN_TOKEN")
    expected = f"Bearer {settings.admin_token.get_secret_value()}".encode()
    given = (authorization or "").encode()
    if not hmac.compare_digest(given, expected):
        raise UnauthorizedError("missing or wrong bearer token")


@router.post(
    "/reindex",
    response_model=ReindexResponse,
    summary="Rebuild the index",
    responses={
        401: {"description": "Missing or wrong token"},
        403: {"description": "Admin endpoints are disabled"},
        409: {"description": "Another ingestion is running"},
    },
)
async def reindex(
    service: ServiceDep, settings: SettingsDep, authorization: str | None = Header(default=None)
) -> BaseModel:
    check_token(settings, authorization)
    report = await run_in_threadpool(service.ingest, settings.corpus_dir)
    report = dataclasses.replace(report, seconds=round(report.seconds, 3))
    return ReindexResponse.model_validate(report, from_attributes=True)
