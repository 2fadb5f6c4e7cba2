"""Check the evidence of the Notice questions and of the new-document questions.

Every answerable row of ``evals/datasets/notice.jsonl`` and ``evals/new_documents/questions.jsonl``
carries an ``evidence`` list: verbatim quotes from the normalized text of the document the
question is about (the text ``policyqa show <doc_id> --json`` prints). This script reads each
document with the same loader as ingestion and checks that

- every evidence quote is an exact substring of the document's normalized text;
- every key phrase is quoted verbatim in the row's evidence;
- answerable rows have evidence and expected clauses, unanswerable rows have neither;
- ids are unique and the kinds are the golden set's kinds.

With ``--index DIR`` (an index built from a corpus that includes both new documents, e.g.
``POLICYQA_INDEX_DIR``) it also recomputes, from the evidence, the clause ids that contain
each quote in that index and lists the rows whose ``expected_clauses`` differ: after a change
to chunking, that list is the relabelling to apply.

Run from the repository root:  .venv/bin/python evals/new_documents/check_evidence.py [--index DIR]
Exits non-zero when a check fails (a relabelling list alone is not a failure).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from assistant.ingest.loaders import load_file  # noqa: E402
from evals.dataset import KINDS  # noqa: E402

NOTICE_FILE = ROOT / "corpus" / "documents" / "notice-2022-industrial-economy.txt"
DATASETS = [ROOT / "evals" / "datasets" / "notice.jsonl", HERE / "questions.jsonl"]


def document_of(row: dict[str, Any]) -> Path:
    """The file a row is about: ``doc_file`` in ``documents/``, else the Notice."""
    if row.get("doc_file"):
        return HERE / "documents" / str(row["doc_file"])
    return NOTICE_FILE


def check_rows(path: Path, texts: dict[Path, str]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        where = f"{path.name}:{row['id']}"
        if row["id"] in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(row["id"])
        if row["kind"] not in KINDS:
            problems.append(f"{where}: unknown kind {row['kind']!r}")
        evidence = row.get("evidence", [])
        if not row["answerable"]:
            if evidence or row["expected_clauses"] or row["key_phrases"]:
                problems.append(f"{where}: unanswerable row with evidence, clauses or phrases")
            continue
        if not evidence or not row["expected_clauses"]:
            problems.append(f"{where}: answerable row without evidence or expected clauses")
        doc = document_of(row)
        if doc not in texts:
            texts[doc] = load_file(doc).text
        for quote in evidence:
            if quote not in texts[doc]:
                problems.append(f"{where}: evidence not in {doc.name}: {quote[:60]!r}")
        for phrase in row["key_phrases"]:
            if not any(phrase in quote for quote in evidence):
                problems.append(f"{where}: key phrase not quoted in the evidence: {phrase!r}")
    return problems


def current_chunks(index_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """The clauses of the index's current version, by document id."""
    version = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    by_doc: dict[str, list[dict[str, Any]]] = {}
    with (index_dir / "versions" / version / "chunks.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            chunk = json.loads(line)
            by_doc.setdefault(chunk["doc_id"], []).append(chunk)
    return by_doc


def clauses_for(quotes: list[str], text: str, chunks: list[dict[str, Any]]) -> list[str]:
    """For each quote, the first clause that contains all of it, else every clause it touches."""
    out: list[str] = []
    for quote in quotes:
        start = text.find(quote)
        if start < 0:
            continue
        end = start + len(quote)
        whole = [c["clause_id"] for c in chunks if c["start"] <= start and end <= c["end"]]
        ids = whole[:1] or [c["clause_id"] for c in chunks if c["start"] < end and start < c["end"]]
        out.extend(i for i in ids if i not in out)
    return out


def relabel(
    path: Path, texts: dict[Path, str], by_doc: dict[str, list[dict[str, Any]]], write: bool
) -> list[str]:
    """Rows whose expected clauses differ from what their evidence lies in; with `write`,
    the file is rewritten with the recomputed clauses."""
    changes: list[str] = []
    rows: list[dict[str, Any]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line) if line.strip() else None
        if not row:
            continue
        rows.append(row)
        if not row["answerable"]:
            continue
        doc = document_of(row)
        prefix = row["expected_clauses"][0].split(":")[0]
        found = clauses_for(row["evidence"], texts[doc], by_doc.get(prefix, []))
        if found != row["expected_clauses"]:
            changes.append(f"{path.name}:{row['id']}: {row['expected_clauses']} -> {found}")
            row["expected_clauses"] = found
    if write and changes:
        lines = [json.dumps(row, ensure_ascii=False) for row in rows]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return changes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, help="index folder to recompute clause ids from")
    parser.add_argument(
        "--write", action="store_true", help="with --index, rewrite the recomputed clause ids"
    )
    args = parser.parse_args()
    texts: dict[Path, str] = {}
    problems: list[str] = []
    for path in DATASETS:
        found = check_rows(path, texts)
        problems += found
        print(f"{'OK' if not found else 'FAIL'} {path.relative_to(ROOT)}")
    for problem in problems:
        print("  " + problem)
    if args.index:
        by_doc = current_chunks(args.index)
        changes = [c for path in DATASETS for c in relabel(path, texts, by_doc, args.write)]
        print(f"expected_clauses differing from {args.index}: {len(changes)}")
        for change in changes:
            print("  " + change)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
