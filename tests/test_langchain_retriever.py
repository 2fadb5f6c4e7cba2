"""LangChain's own standard retriever tests, against a real index of the bundled corpus."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import cache
from pathlib import Path

from langchain_tests.integration_tests import RetrieversIntegrationTests

from assistant.config import Settings
from assistant.langchain_retriever import PolicyQARetriever
from assistant.search.embedding import UniversalSentenceEncoder
from assistant.service import PolicyService
from tests.conftest import REPO


@cache
def _service() -> PolicyService:
    # The standard suite builds retrievers from plain constructor params, outside pytest's
    # fixtures, so the index is built once here.
    root = Path(tempfile.mkdtemp(prefix="policyqa-lc-"))
    atexit.register(shutil.rmtree, root, True)
    index_dir = root / "index"
    service = PolicyService(Settings(index_dir=index_dir), UniversalSentenceEncoder())
    service.ingest(REPO / "corpus")
    return service


class TestPolicyQARetriever(RetrieversIntegrationTests):
    @property
    def retriever_constructor(self) -> type[PolicyQARetriever]:
        return PolicyQARetriever

    @property
    def retriever_constructor_params(self) -> dict[str, object]:
        return {"service": _service()}

    @property
    def retriever_query_example(self) -> str:
        return "overseas warehouse subsidy"


def test_documents_carry_provenance() -> None:
    retriever = PolicyQARetriever(service=_service(), k=2, filters={"language": "zh"})
    documents = retriever.invoke("新能源汽车购车补贴")
    assert len(documents) == 2
    for document in documents:
        meta = document.metadata
        text = _service().document(meta["doc_id"]).text
        assert text[meta["start"] : meta["end"]] == document.page_content
        assert document.id == meta["clause_id"]
        assert {"heading_path", "clause_number", "page", "official", "status"} <= set(meta)
