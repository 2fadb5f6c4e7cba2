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
    index = service.index  # raises IndexNotReadyError (503) when there is none
    return ReadyResponse(
        status="ready",
        index_version=index.version,
        documents=len(index.documents),
        clauses=len(index.chunks),
        model_id=index.info.model_id,
        dimension=index.info.dimension,
        vector_backend=index.info.vector_backend,
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
