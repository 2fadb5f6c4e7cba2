"""POST /v1/ask and its Server-Sent Events twin, POST /v1/ask/stream."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.errors import as_error, error_payload
from api.limits import client_key
from api.metrics import Metrics
from api.schemas import AskRequest, AskResponse
from assistant.answer.generative import DeliveredSentence
from assistant.config import Settings
from assistant.service import PolicyService
from assistant.types import Answer, Turn

router = APIRouter(prefix="/v1", tags=["answers"])
log = logging.getLogger("policyqa.api")


def answer_question(
    request: Request, service: PolicyService, settings: Settings, body: AskRequest
) -> Answer:
    started = time.perf_counter()
    answer = service.ask(body.question, **_ask_arguments(body))
    _record(request, settings, answer, started)
    return answer


def stream_answer(
    request: Request, service: PolicyService, settings: Settings, body: AskRequest
) -> Iterator[DeliveredSentence | Answer]:
    """Each generated sentence as soon as it passes validation, then the whole Answer."""
    started = time.perf_counter()
    for item in service.ask_stream(body.question, **_ask_arguments(body)):
        if isinstance(item, Answer):
            _record(request, settings, item, started)
        yield item


def _ask_arguments(body: AskRequest) -> dict[str, Any]:
    return {
        "top_k": body.top_k,
        "filters": {str(k): v for k, v in body.filters.items()} if body.filters else None,
        "language": body.language,
        "mode": body.mode,
        "history": [Turn(t.question, tuple(t.clause_ids)) for t in body.history],
    }


def _record(request: Request, settings: Settings, answer: Answer, started: float) -> None:
    metrics: Metrics = request.app.state.metrics
    metrics.answers.labels(answer.mode, str(answer.answered).lower()).inc()
    metrics.answer_latency.labels(answer.mode).observe(time.perf_counter() - started)
    # Question text is personal data on a public portal: logged only when configured, and
    # the client only as a hash.
    log.info(
        "answer client=%s mode=%s answered=%s citations=%d%s",
        client_key(request.scope),
        answer.mode,
        answer.answered,
        len(answer.citations),
        f" question={answer.question!r}" if settings.log_questions else "",
    )


@router.post("/ask", response_model=AskResponse, summary="Answer a question with citations")
def ask(body: AskRequest, request: Request, service: ServiceDep, settings: SettingsDep) -> Answer:
    """Answers from the corpus only. `answered` is false when the corpus does not support an
    answer; every citation's `quote` is the document text between `start` and `end`."""
    return answer_question(request, service, settings, body)


def _event(name: str, data: Any) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def answer_events(answer_source: Iterator[DeliveredSentence | Answer]) -> Iterator[str]:
    """`citations` first, then the answer text in `delta`s, then `done` with the whole
    typed result; or one `error` event. A generated answer streams each sentence as soon
    as it is validated, preceded by `citations` again whenever it cites a new source; the
    quoted clauses follow when generation ends."""
    streamed, cited = "", -1
    try:
        for item in answer_source:
            if isinstance(item, Answer):
                answer = item
                break
            if len(item.citations) != cited:
                cited = len(item.citations)
                citations = [c.model_dump(mode="json") for c in item.citations]
                yield _event("citations", {"citations": citations, "answered": True})
            streamed += item.text
            yield _event("delta", {"text": item.text})
        else:
            raise RuntimeError("the answer stream ended without an answer")
    except Exception as exc:  # the status line is sent: the error travels as an event
        yield _event("error", error_payload(as_error(exc)))
        return
    payload = answer.model_dump(mode="json")
    rest = answer.answer
    if streamed and answer.answer.startswith(streamed):
        rest = answer.answer[len(streamed) :]
    elif streamed:  # cannot happen with the service's answers; `done` carries the whole text
        rest = ""
    yield _event(
        "citations",
        {
            "citations": payload["citations"],
            "answered": answer.answered,
            "standalone_question": answer.standalone_question,
        },
    )
    for line in rest.splitlines(keepends=True):
        yield _event("delta", {"text": line})
    yield _event("done", payload)


@router.post(
    "/ask/stream",
    summary="Answer as Server-Sent Events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "events: citations, delta…, done (or error)",
        }
    },
)
async def ask_stream(
    body: AskRequest, request: Request, service: ServiceDep, settings: SettingsDep
) -> StreamingResponse:
    events = iterate_in_threadpool(answer_events(stream_answer(request, service, settings, body)))
    return StreamingResponse(
        events,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
