"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import ServiceDep
from api.schemas import HealthResponse, ReadyResponse

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=HealthResponse, summary="The process is up")
def healthz() -> HealthResponse:
    return HealthResponse(status="ok")


@router.get(
    "/readyz", response_model=ReadyResponse, summary="The index is open and the model loaded"
)
def readyz(service: ServiceDep) -> ReadyResponse:
    index = service.status()  # raises IndexNotReadyError (503) when there is none
    return ReadyResponse(
        status="ready",
        index_version=index.version,
        documents=index.documents,
        clauses=index.clauses,
        model_id=index.model_id,
        dimension=index.dimension,
        vector_backend=index.vector_backend,
        worker_pid=os.getpid(),
    )


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
