"""Wording verification for officials (and, with it, eligibility for enterprises)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import ServiceDep
from assistant.errors import BadInputError
from assistant.types import EligibilityResult, Profile, WordingVerdict

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


class EligibilityRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "question": "我们是样本市一家民营汽车零部件企业，300名员工，出口额占营业收入40%，"
                    "可以申请哪些支持？"
                },
                {
                    "profile": {
                        "region": "样本市",
                        "industry": "auto_parts",
                        "employees": 300,
                        "ownership": "private",
                        "export_share": 0.4,
                    }
                },
            ]
        },
    )

    profile: Profile | None = None
    question: str | None = Field(default=None, description="A description of the enterprise.")
    include_unmet: bool = Field(default=False, description="Also list ruled-out measures.")
    limit: int = Field(default=20, ge=1, le=100)


@router.post(
    "/eligibility",
    response_model=EligibilityResult,
    summary="Which measures apply to an enterprise?",
)
def eligibility(body: EligibilityRequest, service: ServiceDep) -> EligibilityResult:
    """Measures met, possibly met (`unknown`: the profile lacks something a condition needs),
    and on request ruled out (`unmet`), each with its granting clause and every condition
    cited verbatim. A question is read into a profile, returned so it can be corrected."""
    if body.profile is None and not body.question:
        raise BadInputError("give a profile or a question describing the enterprise")
    return service.eligibility(body.profile, body.question, body.include_unmet, body.limit)
