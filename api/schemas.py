"""Request and response schemas of the HTTP API (the core's types stay in assistant/)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from typing import TYPE_CHECKING, Annotated, Any, Literal, get_type_hints

from pydantic import AliasGenerator, BaseModel, ConfigDict, Field, create_model

from assistant.search.store import FILTER_FIELDS
from assistant.types import Answer, Chunk, Citation, DocumentMeta, IngestReport, Language, Mode

# The filters the index accepts, as a Literal so the schema lists them; mypy cannot read a
# Literal built from a constant.
FilterField = Literal[FILTER_FIELDS]  # type: ignore[valid-type]
FilterValue = str | bool | Annotated[list[str], Field(min_length=1, max_length=50)]


def view_of(source: type, name: str, leave_out: Collection[str]) -> type[BaseModel]:
    """A model of a core dataclass as the API shows it: its fields and their types, in its
    order, less the internals in `leave_out`. Built at run time, so mypy knows it only as
    some BaseModel."""
    types = get_type_hints(source)
    shown: dict[str, Any] = {
        f.name: (types[f.name], ...) for f in fields(source) if f.name not in leave_out
    }
    return create_model(name, **shown)


class HistoryTurn(BaseModel):
    """An earlier question of the conversation and the clauses its answer cited."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(max_length=4000)
    clause_ids: list[str] = Field(default_factory=list, max_length=20)


class AskRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": "样本市2023年购买新能源汽车每辆补贴多少？", "top_k": 5},
                {
                    "question": "What support is there for overseas warehouses?",
                    "filters": {"status": "in_force"},
                    "language": "en",
                },
            ]
        },
    )

    question: str = Field(description="The question, in Chinese or English.")
    top_k: int | None = Field(default=None, ge=1, le=50, description="Clauses to retrieve.")
    filters: dict[FilterField, FilterValue] | None = None
    language: Language | None = Field(
        default=None, description="Language of the lead-in; detected from the question if unset."
    )
    mode: Mode | None = None
    history: list[HistoryTurn] = Field(default_factory=list, max_length=10)


class AskResponse(Answer):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "样本市2023年购买纯电动乘用车每辆补贴多少钱？",
                    "answered": True,
                    "answer": "以下是文件中与问题最相关的条款原文（摘自1个条款）：\n- 1. 购买纯电动、插电式混合动力"
                    "（含增程式）乘用车的，每辆补贴5000元。 [1]",
                    "citations": [
                        {
                            "n": 1,
                            "doc_id": "sc-auto-consumption-2023",
                            "doc_title": "样本市汽车和家电消费若干措施（2023年版）",
                            "official": False,
                            "status": "in_force",
                            "clause_id": "sc-auto-consumption-2023:2.2.2.1",
                            "heading_path": "… › 二、新能源汽车购车补贴 › （二）补贴标准。",
                            "clause_number": "1",
                            "page": 1,
                            "quote": "1. 购买纯电动、插电式混合动力（含增程式）乘用车的，每辆补贴5000元。",
                            "start": 1200,
                            "end": 1236,
                            "score": 0.032,
                        }
                    ],
                    "mode": "extractive",
                    "language": "zh",
                    "timings_ms": {"total_ms": 12.0},
                }
            ]
        }
    )


class DocumentSummary(DocumentMeta):
    """A document's manifest entry as clients see it: its `id` is `doc_id`, and what only
    ingestion reads (manifest bookkeeping, a manifest's own extra keys) stays out."""

    model_config = ConfigDict(
        extra="ignore",
        alias_generator=AliasGenerator(
            serialization_alias=lambda name: "doc_id" if name == "id" else name
        ),
        # Every field is always in the response, defaulted or not.
        json_schema_serialization_defaults_required=True,
    )

    in_manifest: bool = Field(default=True, exclude=True)


class DocumentDetail(DocumentSummary):
    text: str = Field(description="The normalized text that every offset refers to.")
    page_starts: list[int]
    clause_ids: list[str]


# A clause's document travels beside it; the rest is what the index keeps for itself.
if TYPE_CHECKING:
    ClauseRef = BaseModel
else:
    ClauseRef = view_of(Chunk, "ClauseRef", {"doc_id", "language", "ordinal", "embed_text"})


class ClauseResponse(BaseModel):
    clause: ClauseRef
    document: DocumentSummary
    previous: ClauseRef | None
    next: ClauseRef | None
    context: str = Field(description="The clause with its neighbours, as one span of the text.")
    context_start: int
    context_end: int


class HealthResponse(BaseModel):
    status: Literal["ok"]


class ReadyResponse(BaseModel):
    status: Literal["ready"]
    index_version: str
    documents: int
    clauses: int
    model_id: str
    dimension: int
    vector_backend: str
    worker_pid: int


# The warnings and the throughput are for the CLI's report.
ReindexResponse = view_of(IngestReport, "ReindexResponse", {"warnings", "embedded_clauses"})


# -- OpenAI-compatible ------------------------------------------------------------------


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": "policyqa",
                    "messages": [
                        {
                            "role": "user",
                            "content": "What does Sample City give for overseas warehouses?",
                        }
                    ],
                }
            ]
        },
    )

    model: str = "policyqa"
    messages: list[ChatMessage] = Field(min_length=1, max_length=50)
    stream: bool = False
    temperature: float | None = None
    max_tokens: int | None = None


class ChatChoiceMessage(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str


class ChatChoice(BaseModel):
    index: int = 0
    message: ChatChoiceMessage
    finish_reason: Literal["stop"] = "stop"


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletionResponse(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage = Field(default_factory=Usage)
    citations: list[Citation] = Field(description="The sources behind the [n] markers.")
    answered: bool


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "policyqa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]
