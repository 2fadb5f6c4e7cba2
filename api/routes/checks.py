"""Wording verification for officials (and, with it, eligibility for enterprises)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServiceDep
from assistant.types import WordingVerdict

router = APIRouter(prefix="/v1", tags=["checks"])


class WordingRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": "Support cross-border e-commerce and overseas warehousing to strengthen "
                    "import competitiveness.",
                    "doc_id": "notice-2022-industrial-economy",
                }
            ]
        },
    )

    text: str = Field(description="The passage to check, as quoted.")
    doc_id: str | None = Field(default=None, max_length=80)


@router.post("/wording", response_model=WordingVerdict, summary="Does the text really say X?")
def wording(body: WordingRequest, service: ServiceDep) -> WordingVerdict:
    """`exact`, `normalized` (whitespace, punctuation width, case), `near` (with a diff of
    what differs) or `absent`, with the matching clauses as verbatim citations."""
    return service.verify_wording(body.text, body.doc_id)
