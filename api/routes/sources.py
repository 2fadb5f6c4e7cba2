"""Browse the sources: documents, a document's text, a clause in its context."""

from __future__ import annotations

from fastapi import APIRouter, Query

from api.deps import ServiceDep
from api.schemas import ClauseRef, ClauseResponse, DocumentDetail, DocumentSummary
from assistant.types import Chunk, DocumentMeta, Language, Level, Status

router = APIRouter(prefix="/v1", tags=["sources"])


def summary(meta: DocumentMeta) -> DocumentSummary:
    return DocumentSummary.model_validate(meta.model_dump())


def clause_ref(chunk: Chunk) -> ClauseRef:
    return ClauseRef.model_validate(chunk, from_attributes=True)


@router.get("/documents", response_model=list[DocumentSummary], summary="List documents")
def list_documents(
    service: ServiceDep,
    level: Level | None = None,
    status: Status | None = None,
    language: Language | None = None,
    official: bool | None = None,
    region: str | None = Query(default=None, max_length=200),
) -> list[DocumentSummary]:
    filters = {
        k: v
        for k, v in {
            "level": level,
            "status": status,
            "language": language,
            "official": official,
        }.items()
        if v is not None
    }
    metas = service.documents(filters)
    if region:
        metas = [m for m in metas if region.lower() in (m.region or "").lower()]
    return [summary(m) for m in metas]


@router.get("/documents/{doc_id}", response_model=DocumentDetail, summary="A document and its text")
def get_document(doc_id: str, service: ServiceDep) -> DocumentDetail:
    document, clause_ids = service.document_clauses(doc_id)
    return DocumentDetail(
        **summary(document.meta).model_dump(),
        text=document.text,
        page_starts=list(document.page_starts),
        clause_ids=clause_ids,
    )


@router.get("/clauses/{clause_id}", response_model=ClauseResponse, summary="A clause in context")
def get_clause(clause_id: str, service: ServiceDep) -> ClauseResponse:
    view = service.clause(clause_id)
    text = service.document(view.chunk.doc_id).text
    start = view.previous.start if view.previous else view.chunk.start
    end = view.next.end if view.next else view.chunk.end
    start, end = min(start, view.chunk.start), max(end, view.chunk.end)
    return ClauseResponse(
        clause=clause_ref(view.chunk),
        document=summary(view.document),
        previous=clause_ref(view.previous) if view.previous else None,
        next=clause_ref(view.next) if view.next else None,
        context=text[start:end],
        context_start=start,
        context_end=end,
    )
