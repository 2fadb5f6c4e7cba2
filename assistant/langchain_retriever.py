"""policyqa's hybrid retrieval as a LangChain `BaseRetriever`, for LangChain pipelines."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LangChainDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field

from assistant.service import PolicyService


class PolicyQARetriever(BaseRetriever):
    """Returns clauses as Documents whose metadata carries the full provenance."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    service: PolicyService
    k: int = Field(default=4, ge=1, le=1000)
    filters: dict[str, Any] | None = None

    def _get_relevant_documents(
        self,
        query: str,
        *,
        run_manager: CallbackManagerForRetrieverRun,
        k: int | None = None,
        filters: dict[str, Any] | None = None,
    ) -> list[LangChainDocument]:
        hits = self.service.search(query, top_k=k or self.k, filters=filters or self.filters)
        return [
            LangChainDocument(
                page_content=hit.chunk.text,
                id=hit.chunk.clause_id,
                metadata={key: value for key, value in hit.to_dict().items() if key != "text"},
            )
            for hit in hits
        ]
