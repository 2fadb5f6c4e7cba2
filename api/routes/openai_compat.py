"""OpenAI-compatible chat completions, so chat front ends and SDKs can use policyqa."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import iterate_in_threadpool

from api.deps import ServiceDep, SettingsDep
from api.errors import as_error, openai_error_payload
from api.routes.ask import answer_question, stream_answer
from api.schemas import (
    AskRequest,
    ChatChoice,
    ChatChoiceMessage,
    ChatCompletionRequest,
    ChatCompletionResponse,
    HistoryTurn,
    ModelCard,
    ModelList,
)
from assistant.answer.generative import DeliveredSentence
from assistant.errors import BadInputError
from assistant.types import HEADING_SEPARATOR, Answer, Mode, within_document

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

MODELS: dict[str, Mode | None] = {
    "policyqa": None,
    "policyqa-extractive": "extractive",
    "policyqa-generative": "generative",
}
CREATED = 1_700_000_000


def _text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "".join(str(part.get("text", "")) for part in content if part.get("type") == "text")


def to_ask_request(body: ChatCompletionRequest) -> AskRequest:
    if body.model not in MODELS:
        raise BadInputError(f"unknown model {body.model!r}; use one of: {', '.join(MODELS)}")
    users = [_text(m.content) for m in body.messages if m.role == "user"]
    if not users or not users[-1].strip():
        raise BadInputError("the last user message is empty; ask a question")
    history = [HistoryTurn(question=q[:4000]) for q in users[:-1][-5:] if q.strip()]
    mode = MODELS[body.model]
    return AskRequest(question=users[-1], mode=mode, history=history)


def with_sources(answer: Answer) -> str:
    if not answer.citations:
        return answer.answer
    lines = [answer.answer, "", "Sources:" if answer.language == "en" else "来源："]
    for c in answer.citations:
        flags = (
            "" if c.official else (" [illustrative]" if answer.language == "en" else "［示例文件］")
        )
        lines.append(
            f"[{c.n}] {c.doc_title}{HEADING_SEPARATOR}{within_document(c.heading_path)} "
            f"({c.clause_id}){flags}"
        )
    return "\n".join(lines)


@router.get("/models", response_model=ModelList, summary="Models (OpenAI-compatible)")
def list_models() -> ModelList:
    return ModelList(data=[ModelCard(id=name, created=CREATED) for name in MODELS])


@router.post(
    "/chat/completions",
    response_model=ChatCompletionResponse,
    summary="Chat completions (OpenAI-compatible)",
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def chat_completions(
    body: ChatCompletionRequest, request: Request, service: ServiceDep, settings: SettingsDep
) -> Any:
    ask = to_ask_request(body)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        from starlette.concurrency import run_in_threadpool

        answer = await run_in_threadpool(answer_question, request, service, settings, ask)
        return ChatCompletionResponse(
            id=completion_id,
            created=created,
            model=body.model,
            choices=[ChatChoice(message=ChatChoiceMessage(content=with_sources(answer)))],
            citations=answer.citations,
            answered=answer.answered,
        )
    completion = _CompletionStream(completion_id, created, body.model)
    return StreamingResponse(
        iterate_in_threadpool(completion.events(stream_answer(request, service, settings, ask))),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


class _CompletionStream:
    """One streamed completion in OpenAI's chunk format: the role first, each validated
    sentence as it comes, then the rest of the text with the sources, and [DONE]."""

    def __init__(self, completion_id: str, created: int, model: str) -> None:
        self.completion_id, self.created, self.model = completion_id, created, model

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": self.completion_id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def events(self, items: Iterator[DeliveredSentence | Answer]) -> Iterator[str]:
        streamed, cited = "", -1
        try:
            for item in items:
                if not streamed and cited < 0:  # the role opens the reply, as OpenAI's does
                    cited = 0
                    yield self.chunk({"role": "assistant", "content": ""})
                if isinstance(item, Answer):
                    answer = item
                    break
                # a generated sentence, sent as soon as it is validated; `citations` rides
                # on the chunk whenever the answer cites a new source
                extra: dict[str, Any] = {}
                if len(item.citations) != cited:
                    cited = len(item.citations)
                    extra = {"citations": [c.model_dump(mode="json") for c in item.citations]}
                streamed += item.text
                yield self.chunk({"content": item.text}, **extra)
            else:
                raise RuntimeError("the answer stream ended without an answer")
        except Exception as exc:  # the status line is sent: the error travels as an event
            yield f"data: {json.dumps(openai_error_payload(as_error(exc)))}\n\n"
            yield "data: [DONE]\n\n"
            return
        yield from self._rest(answer, streamed)

    def _rest(self, answer: Answer, streamed: str) -> Iterator[str]:
        """What the stream has not sent yet (the quotes and the source list), line by line,
        with the citations on its first chunk."""
        text = with_sources(answer)
        rest = text[len(streamed) :] if text.startswith(streamed) else ""
        citations = [c.model_dump(mode="json") for c in answer.citations]
        lines = rest.splitlines(keepends=True) or [""]
        yield self.chunk({"content": lines[0]}, citations=citations, answered=answer.answered)
        for line in lines[1:]:
            yield self.chunk({"content": line})
        yield self.chunk({}, "stop")
        yield "data: [DONE]\n\n"
