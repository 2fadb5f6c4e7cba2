"""The golden question set: its schema, and that its answers really are in the bundled corpus."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from typing import Any

import pytest

from assistant.service import PolicyService
from tests.conftest import REPO

GOLDEN = REPO / "evals" / "datasets" / "golden.jsonl"

KINDS = {
    "factual",
    "eligibility",
    "amounts",
    "wording",
    "cross_language",
    "comparison",
    "unanswerable",
}
LANGUAGES = {"zh", "en"}
VERDICTS = {"exact", "normalized", "near", "absent"}
OWNERSHIPS = {"private", "state_owned", "foreign_invested", None}
MIN_PER_KIND = 20
MIN_TOTAL = 160
REQUIRED = {
    "id": str,
    "question": str,
    "language": str,
    "kind": str,
    "expected_clauses": list,
    "key_phrases": list,
    "answerable": bool,
}
PROFILE_KEYS = {
    "region",
    "industry",
    "employees",
    "annual_revenue_wan",
    "ownership",
    "export_share",
    "certifications",
    "above_designated_size",
}
_CJK = re.compile(r"[\u3400-\u9fff]")


def _load() -> list[dict[str, Any]]:
    items = []
    for n, line in enumerate(GOLDEN.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:  # pragma: no cover - reported as a failure
            pytest.fail(f"golden.jsonl line {n} is not valid JSON: {exc}")
    return items


ITEMS = _load()
WORDING = [item for item in ITEMS if item.get("kind") == "wording"]


def _norm(text: str) -> str:
    """Width, case and whitespace folded: what a 'normalized' wording may differ in."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


# -- (a) schema ------------------------------------------------------------------------------


def test_file_is_large_enough_and_ids_unique() -> None:
    assert len(ITEMS) >= MIN_TOTAL
    ids = [item.get("id") for item in ITEMS]
    duplicates = sorted(i for i, n in Counter(ids).items() if n > 1)
    assert not duplicates, f"duplicate ids: {duplicates}"
    assert all(isinstance(i, str) and re.fullmatch(r"g\d{3,}", i) for i in ids)


def test_every_kind_has_enough_questions() -> None:
    counts = Counter(item.get("kind") for item in ITEMS)
    short = {kind: counts[kind] for kind in KINDS if counts[kind] < MIN_PER_KIND}
    assert not short, f"kinds with fewer than {MIN_PER_KIND} questions: {short}"


def test_both_languages_are_used() -> None:
    counts = Counter(item.get("language") for item in ITEMS)
    assert counts["zh"] >= 40 and counts["en"] >= 40, counts


@pytest.mark.parametrize("item", ITEMS, ids=lambda item: str(item.get("id")))
def test_item_schema(item: dict[str, Any]) -> None:
    for field, typ in REQUIRED.items():
        assert field in item, f"missing {field}"
        assert isinstance(item[field], typ), f"{field} should be {typ.__name__}"
    assert item["question"].strip()
    assert item["kind"] in KINDS
    assert item["language"] in LANGUAGES
    has_cjk = bool(_CJK.search(item["question"]))
    if item["language"] == "zh":
        assert has_cjk, "a zh question should contain Chinese"
    clauses, phrases = item["expected_clauses"], item["key_phrases"]
    assert all(isinstance(c, str) and c for c in clauses)
    assert all(isinstance(p, str) and p.strip() for p in phrases)
    assert len(set(clauses)) == len(clauses)

    if item["kind"] == "unanswerable":
        assert item["answerable"] is False
        assert clauses == [] and phrases == []
    elif item["kind"] == "wording" and item.get("expected_verdict") == "absent":
        assert item["answerable"] is True
        assert clauses == [] and phrases == []
    else:
        assert item["answerable"] is True
        assert 1 <= len(clauses) <= 4
        assert 1 <= len(phrases) <= 4

    if item["kind"] == "eligibility":
        profile = item.get("profile")
        assert isinstance(profile, dict), "eligibility items need a profile"
        assert set(profile) == PROFILE_KEYS, sorted(set(profile) ^ PROFILE_KEYS)
        assert isinstance(profile["region"], str) and profile["region"]
        assert profile["employees"] is None or isinstance(profile["employees"], int)
        revenue = profile["annual_revenue_wan"]
        assert revenue is None or (isinstance(revenue, int | float) and revenue >= 0)
        assert profile["ownership"] in OWNERSHIPS
        share = profile["export_share"]
        assert share is None or (isinstance(share, int | float) and 0.0 <= share <= 1.0)
        assert isinstance(profile["certifications"], list)
        assert profile["above_designated_size"] in (True, False, None)

    if item["kind"] == "wording":
        assert isinstance(item.get("wording_text"), str) and item["wording_text"].strip()
        assert item.get("expected_verdict") in VERDICTS
        assert "doc_id" in item
        assert item["doc_id"] is None or isinstance(item["doc_id"], str)
        if item["expected_verdict"] != "absent":
            assert len(clauses) == 1 and len(phrases) == 1


def test_wording_verdicts_are_balanced() -> None:
    counts = Counter(item.get("expected_verdict") for item in WORDING)
    for verdict in VERDICTS:
        assert counts[verdict] >= len(WORDING) // 5, counts


def test_cross_language_goes_both_ways() -> None:
    counts = Counter(item["language"] for item in ITEMS if item["kind"] == "cross_language")
    assert counts["zh"] >= 8 and counts["en"] >= 8, counts


# -- (b) against the real index of the bundled corpus -----------------------------------------


@pytest.fixture(scope="module")
def corpus_clauses(corpus_service: PolicyService) -> dict[str, Any]:
    ids = {c.clause_id: c for c in corpus_service.snapshot().chunks}
    assert ids, "the bundled corpus produced no clauses"
    return ids


@pytest.fixture(scope="module")
def doc_ids(corpus_clauses: dict[str, Any]) -> set[str]:
    return {chunk.doc_id for chunk in corpus_clauses.values()}


def test_expected_clauses_exist(corpus_clauses: dict[str, Any]) -> None:
    missing = [
        (item["id"], clause_id)
        for item in ITEMS
        for clause_id in item["expected_clauses"]
        if clause_id not in corpus_clauses
    ]
    assert not missing, f"expected clauses not in the index: {missing}"


def test_key_phrases_occur_in_expected_clauses(corpus_clauses: dict[str, Any]) -> None:
    bad = []
    for item in ITEMS:
        texts = [corpus_clauses[c].text for c in item["expected_clauses"] if c in corpus_clauses]
        for phrase in item["key_phrases"]:
            if not any(phrase in text for text in texts):
                bad.append((item["id"], phrase))
    assert not bad, f"key phrases found in none of their expected clauses: {bad}"


def test_wording_doc_ids_are_real(corpus_clauses: dict[str, Any], doc_ids: set[str]) -> None:
    for item in WORDING:
        doc = item["doc_id"]
        if doc is None:
            continue
        assert doc in doc_ids, (item["id"], doc)
        for clause_id in item["expected_clauses"]:
            assert corpus_clauses[clause_id].doc_id == doc, (item["id"], clause_id)


# -- (c) wording verdicts agree with the corpus text ------------------------------------------


@pytest.mark.parametrize("item", WORDING, ids=lambda item: str(item["id"]))
def test_wording_verdict_matches_corpus(
    item: dict[str, Any], corpus_clauses: dict[str, Any]
) -> None:
    text, verdict = item["wording_text"], item["expected_verdict"]
    all_texts = [chunk.text for chunk in corpus_clauses.values()]
    expected = [corpus_clauses[c].text for c in item["expected_clauses"]]
    verbatim_anywhere = any(text in t for t in all_texts)
    if verdict == "exact":
        assert 15 <= len(text) <= 80, len(text)
        assert any(text in t for t in expected), "exact passage is not in its clause"
    elif verdict == "normalized":
        assert not verbatim_anywhere, "a normalized passage must differ from the verbatim text"
        assert any(_norm(text) in _norm(t) for t in expected), (
            "a normalized passage must match its clause once width, case and spacing are folded"
        )
    elif verdict == "near":
        assert not verbatim_anywhere, "a near passage must not occur verbatim"
        assert not any(_norm(text) in _norm(t) for t in all_texts), (
            "a near passage must change the meaning, not only the formatting"
        )
    else:  # absent
        assert not verbatim_anywhere, "an absent passage occurs in the corpus"
        assert not any(_norm(text) in _norm(t) for t in all_texts)
