"""Typed values that flow between the layers. No behaviour beyond small conveniences."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Level = Literal["national", "provincial", "municipal", "park", "unknown"]
Status = Literal["in_force", "superseded", "expired"]
Language = Literal["zh", "en"]

HEADING_SEPARATOR = " › "


def within_document(heading_path: str) -> str:
    """A heading path without its first step, the document's title: where in the document."""
    return heading_path.split(HEADING_SEPARATOR, 1)[-1]


class DocumentMeta(BaseModel):
    """One document's manifest entry (or what could be inferred for a file without one)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,79}$")
    title: str = Field(min_length=1)
    short_title: str | None = None
    issuer: str | None = None
    doc_number: str | None = None
    level: Level = "unknown"
    region: str | None = None
    language: Language = "zh"
    issued: dt.date | None = None
    effective: dt.date | None = None
    expires: dt.date | None = None
    status: Status = "in_force"
    supersedes: str | None = None
    source: str = Field(min_length=1)
    official: bool = False
    note: str | None = None
    in_manifest: bool = True

    @property
    def display_title(self) -> str:
        return self.short_title or self.title

    def public_dict(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["doc_id"] = data.pop("id")
        return data


@dataclass(frozen=True)
class Document:
    """A loaded document: its normalized text (the one all offsets refer to) and page map."""

    meta: DocumentMeta
    text: str
    # page_starts[i] is the offset in `text` where page i+1 begins; [0] for unpaged formats.
    page_starts: tuple[int, ...]
    content_hash: str
    # Offsets of lines the source marked as headings (HTML h1-h6, DOCX heading styles),
    # with their level (1 = top).
    heading_hints: dict[int, int] = field(default_factory=dict)

    @property
    def doc_id(self) -> str:
        return self.meta.id

    def page_at(self, offset: int) -> int:
        page = 1
        for index, start in enumerate(self.page_starts):
            if start <= offset:
                page = index + 1
            else:
                break
        return page


@dataclass(frozen=True)
class Chunk:
    """One clause (or one part of a long clause), with its provenance."""

    clause_id: str
    doc_id: str
    heading_path: str
    clause_number: str | None
    start: int
    end: int
    page: int
    text: str
    language: Language
    ordinal: int
    # What the embedder and the keyword index see: the heading path, then the text, so a
    # bare bullet is still findable by the section it belongs to.
    embed_text: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        return cls(**data)


@dataclass(frozen=True)
class SearchHit:
    chunk: Chunk
    score: float
    dense_score: float | None
    keyword_score: float | None
    doc_title: str
    official: bool
    status: Status

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "doc_id": c.doc_id,
            "doc_title": self.doc_title,
            "official": self.official,
            "status": self.status,
            "clause_id": c.clause_id,
            "heading_path": c.heading_path,
            "clause_number": c.clause_number,
            "page": c.page,
            "start": c.start,
            "end": c.end,
            "text": c.text,
            "score": round(self.score, 6),
            "dense_score": None if self.dense_score is None else round(self.dense_score, 6),
            "keyword_score": None if self.keyword_score is None else round(self.keyword_score, 6),
        }


@dataclass(frozen=True)
class IngestReport:
    version: str | None
    documents: int
    clauses: int
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    removed: list[str]
    failed: dict[str, str]
    warnings: list[str]
    seconds: float
    embedded_clauses: int

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    @property
    def clauses_per_second(self) -> float:
        return self.embedded_clauses / self.seconds if self.seconds > 0 else 0.0


Mode = Literal["extractive", "generative"]


@dataclass(frozen=True)
class Turn:
    """An earlier question in a conversation, and the clauses its answer cited."""

    question: str
    clause_ids: tuple[str, ...] = ()


class Citation(BaseModel):
    """A verbatim quote: always `document.text[start:end]`, built from clause provenance."""

    n: int
    doc_id: str
    doc_title: str
    official: bool
    status: Status
    clause_id: str
    heading_path: str
    clause_number: str | None
    page: int
    quote: str
    start: int
    end: int
    score: float


class WordingDiff(BaseModel):
    """One step of the diff from the claim to the source: equal, replace, insert or delete."""

    op: Literal["equal", "replace", "insert", "delete"]
    claim: str
    source: str


class WordingMatch(BaseModel):
    """Where a passage is found. A passage that runs on into the following clauses is cited
    one clause at a time: `citation` is its first piece, `continuation` the rest."""

    citation: Citation
    continuation: list[Citation] = Field(default_factory=list)
    similarity: float
    diff: list[WordingDiff]


class WordingVerdict(BaseModel):
    verdict: Literal["exact", "normalized", "near", "absent"]
    text: str
    matches: list[WordingMatch]
    explanation: str = ""


class Answer(BaseModel):
    """The typed result of a question: the answer text with [n] markers and its citations."""

    question: str
    answered: bool
    answer: str
    citations: list[Citation]
    mode: Mode
    language: Language
    # Why the requested mode was not used (e.g. the LLM failed and the extractive answer
    # stands in), or why the question was refused.
    note: str | None = None
    standalone_question: str | None = None
    suggested_documents: list[dict[str, str]] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # Set when the question described an enterprise and asked what applies to it: the
    # matcher's result, which the answer text summarizes.
    eligibility: EligibilityResult | None = None
    # Set when the question asked whether the text says a quoted passage: the wording
    # check's verdict, which the answer text gives in words.
    wording: WordingVerdict | None = None


ConditionField = Literal[
    "region",
    "above_designated_size",
    "sme",
    "ownership",
    "export_share",
    "employees",
    "annual_revenue_wan",
    "certifications",
    "industry",
    "registered_years",
    "annual_exports",
    "role",
    "action",
    "action_amount",
    "action_date",
    "area",
    "count",
    "attestation",
    "cumulative_cap",
    "rd_ratio",
    "action_detail",
    "action_kind",
    "action_months",
    "action_growth",
    "outside_group",
    "event_date",
    "application_window",
    "other",
]
# "other" is a condition the rules could not map to a profile fact: it is shown verbatim
# "to confirm" and keeps its measure from being reported as met.


class Condition(BaseModel):
    """One condition of a measure, with the span of text it was read from."""

    field: ConditionField
    operator: Literal[
        ">=",
        "<=",
        ">",
        "<",
        "==",
        "in",
        "not_in",
        "has",
        "between",
        "confirm",
        "within_months",
        "later_rounds",
    ]
    value: float | str | bool | list[str]
    unit: str | None = None
    text: str
    start: int
    end: int
    # What an action threshold or date window is about (an action code), and the clause
    # the condition was read from when it is not the granting clause itself.
    subject: str | None = None
    clause_id: str | None = None
    # A sentence elsewhere that sets this condition aside for some roles ("the 30%
    # export-share condition does not apply to platform operators"): a role condition
    # with its own span; when the profile meets it, this condition does not bind.
    waived_by: Condition | None = None
    # "Other eligible enterprises receive 30%": the conditions that name the group another
    # item is for; this one holds when the profile fails one of them.
    group: list[Condition] | None = None


class Amount(BaseModel):
    """An amount, cap, rate or deadline stated by a measure, with its span."""

    kind: Literal["amount", "cap", "rate", "deadline", "period"]
    value: float | str
    unit: str | None = None
    text: str
    start: int
    end: int


class Measure(BaseModel):
    """A granting clause and the conditions that govern it (its own and its scope's)."""

    clause_id: str
    doc_id: str
    benefit: str
    conditions: list[Condition]
    amounts: list[Amount]


Ownership = Literal["private", "state_owned", "foreign_invested", "collective", "other"]


class Action(BaseModel):
    """Something the enterprise did or plans (bought equipment, signed a loan…), with its
    amount in 万元, date, area or count where the profile gives them."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(max_length=50)
    amount_wan: float | None = Field(default=None, ge=0, le=1e12)
    date: dt.date | None = None
    area_sqm: float | None = Field(default=None, ge=0, le=1e9)
    count: int | None = Field(default=None, ge=0, le=10_000_000)
    # How long it runs or has run, in months: a loan's term, a warehouse's operation.
    months: float | None = Field(default=None, ge=0, le=2400)
    # What it was for, in the enterprise's words ("MES system", "设备联网"): matched
    # against a clause's list of eligible or excluded items.
    what: str | None = Field(default=None, max_length=200)
    # Its growth on the year before (R&D spending, quarterly output), as a share: 0.25 for
    # 25%; negative for a fall.
    growth: float | None = Field(default=None, ge=-1.0, le=100.0)


class Profile(BaseModel):
    """An enterprise, as eligibility matching sees it. Unknown fields stay None.

    industry: one code of the industries in `assistant/data/eligibility_vocabulary.json`
    (auto_parts, nev, battery, home_appliances, ic, chemicals, new_materials, textiles,
    machinery, steel, electronics, software, retail, ecommerce, photovoltaic); certifications: srdi (专精特新中小企业),
    little_giant (专精特新“小巨人”), high_tech (高新技术企业).
    """

    model_config = ConfigDict(extra="forbid")

    region: str | None = Field(default=None, max_length=100)
    industry: str | None = Field(default=None, max_length=50)
    employees: int | None = Field(default=None, ge=0, le=10_000_000)
    annual_revenue_wan: float | None = Field(default=None, ge=0, le=1e12)
    ownership: Ownership | None = None
    export_share: float | None = Field(default=None, ge=0.0, le=1.0)
    products: list[str] = Field(default_factory=list, max_length=20)
    certifications: list[str] = Field(default_factory=list, max_length=20)
    above_designated_size: bool | None = None
    registered_years: float | None = Field(default=None, ge=0, le=200)
    # Exports of the last year, in 万元 (RMB) or 万美元 (USD), as the clause's currency needs.
    annual_exports_wan: float | None = Field(default=None, ge=0, le=1e12)
    annual_exports_usd_wan: float | None = Field(default=None, ge=0, le=1e12)
    # Codes of `assistant.vocabulary.ROLES`, `ACTIONS` and `ATTESTATIONS`.
    roles: list[str] = Field(default_factory=list, max_length=20)
    actions: list[Action] = Field(default_factory=list, max_length=20)
    attestations: list[str] = Field(default_factory=list, max_length=30)
    served_enterprises: int | None = Field(default=None, ge=0, le=10_000_000)
    # Last year's R&D spending as a share of operating revenue (0.08 for 8%).
    rd_ratio: float | None = Field(default=None, ge=0.0, le=1.0)
    # The date the enterprise asks about: which version is in force, and "today" for windows.
    as_of: dt.date | None = None
    free_text: str | None = Field(default=None, max_length=4000)


class ConditionResult(BaseModel):
    field: str
    operator: str
    value: float | str | bool | list[str]
    status: Literal["met", "unmet", "unknown"]
    reason: str
    citation: Citation
    # False for a "to confirm" condition the rules could not map to a profile fact.
    structured: bool = True
    # For an unknown condition: the question whose answer would settle it.
    question: str | None = None


class Estimate(BaseModel):
    """An amount worked out from a clause's rate and cap and the profile's base."""

    base_wan: float
    rate_percent: float
    cap_wan: float | None
    amount_wan: float
    computation: str
    citations: list[Citation]


class MeasureResult(BaseModel):
    title: str
    status: Literal["met", "unknown", "unmet"]
    benefit: str
    citations: list[Citation]
    conditions: list[ConditionResult]
    amounts: list[Amount]
    deadlines: list[Amount]
    in_force: bool
    document_status: Status
    clause_id: str = ""
    estimate: Estimate | None = None
    # Where to apply: the document's clause naming the office or portal.
    apply_to: Citation | None = None


class EligibilityResult(BaseModel):
    profile: Profile
    measures: list[MeasureResult]
    note: str | None = None
    # Questions whose answers would settle the measures still "to confirm".
    follow_up_questions: list[str] = Field(default_factory=list)


Answer.model_rebuild()


@dataclass(frozen=True)
class ClauseView:
    """A clause in context: the clause, its neighbours, and its document."""

    chunk: Chunk
    document: DocumentMeta
    previous: Chunk | None
    next: Chunk | None


@dataclass(frozen=True)
class IndexStatus:
    """The live index as readiness reports it."""

    version: str
    documents: int
    clauses: int
    model_id: str
    dimension: int
    vector_backend: str
