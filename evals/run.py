"""Scoring question sets through each system, and the reports.

`policyqa eval` writes to --out: `report.jsonl` (one line per protocol, question and
system), `summary.json`, `summary.md` and `metrics.png`. In summary.json, `systems` and
`by_kind` are the test split (what the floors in thresholds.json check); `protocols` holds
every protocol (`test`, `leave_one_document_out`, `new_documents`) with the constants each
used.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from evals import metrics as m
from evals.dataset import KINDS, NOTICE_DOC_ID, Question
from evals.generative import generative_row
from evals.systems import System, SystemResult

METRICS = (
    "first_hit",
    "recall@1",
    "recall@5",
    "recall@10",
    "recall@2000chars",
    "cited@5",
    "mrr",
    "ndcg@10",
    "refusal_accuracy",
    "false_refusal_rate",
    "verbatim_rate",
    "key_phrase_coverage",
    "cross_language_recall@5",
    "notice_first",
    "wording_accuracy",
    "chat_wording_accuracy",
    "latency_p50_ms",
    "latency_p95_ms",
)
# The rows of the table that sets the protocols side by side.
TABLE_ROWS = (
    ("questions scored", "questions"),
    ("right clause first (the first clause is one the question expects)", "first_hit"),
    ("expected clauses at rank one (recall@1)", "recall@1"),
    ("in the top five (recall@5)", "recall@5"),
    ("cross-language in the top five", "cross_language_recall@5"),
    ("false refusals (answerable refused)", "false_refusal_rate"),
    ("unanswerable refused", "refusal_accuracy"),
    ("Notice clause first (questions about the Notice)", "notice_first"),
    ("verbatim quotes", "verbatim_rate"),
    ("key-phrase coverage", "key_phrase_coverage"),
    ("wording verdict, passage read from the chat question", "chat_wording_accuracy"),
    ("generative: answered (answerable questions)", "answered_rate"),
    ("generative: faithful sentences", "faithfulness"),
    ("generative: sentences whose numbers are in their sources", "numbers_supported"),
    ("generative: sentences in their source's own words", "verbatim_sentences"),
    ("generative: key facts present and right", "key_fact_accuracy"),
    ("generative: key facts in the direct answer", "key_fact_accuracy_direct"),
    ("generative: extractive fallback", "fallback_rate"),
    ("generative: first sentence p50 (ms)", "first_sentence_p50_ms"),
    ("latency p50 (ms)", "latency_p50_ms"),
)
PROTOCOL_TITLES = {
    "test": "test split",
    "leave_one_document_out": "leave one document out",
    "new_documents": "new documents",
}
SYSTEM_TITLES = {
    "policyqa": "policyqa",
    "policyqa-generative": "policyqa (generative)",
    "naive-langchain": "LangChain",
    "keyword-bm25": "BM25",
}


def score_question(
    question: Question, result: SystemResult, texts: Mapping[str, str]
) -> dict[str, Any]:
    row: dict[str, Any] = {"id": question.id, "kind": question.kind, "source": question.source}
    expected = question.expected_clauses
    if question.answerable:
        row["false_refusal"] = m.false_refusal(True, result.answered)
        row["key_phrase_coverage"] = m.key_phrase_coverage(question.key_phrases, result.answer)
    if question.answerable and question.expected_clauses:
        # Ranking is scored only where there is a clause to find: "does the text really say
        # …?" about a passage found nowhere is answered "no", with no clause to rank first.
        row.update(
            {
                "first_hit": m.first_unit_hit(expected, result.ranked),
                # A question with two expected clauses scores at most 0.5 here.
                "recall@1": m.recall_at_k_units(expected, result.ranked, 1),
                "recall@5": m.recall_at_k_units(expected, result.ranked, 5),
                "recall@10": m.recall_at_k_units(expected, result.ranked, 10),
                "recall@2000chars": m.recall_within_chars(
                    expected, result.ranked, result.lengths, 2000
                ),
                "cited@5": m.hit_at_k(expected, result.cited, 5),
                "mrr": m.reciprocal_rank_units(expected, result.ranked),
                "ndcg@10": m.ndcg_at_k_units(expected, result.ranked, 10),
            }
        )
        if question.kind == "cross_language":
            row["cross_language_recall@5"] = row["recall@5"]
        if question.about_notice:
            notice = [c for c in expected if c.split(":", 1)[0] == NOTICE_DOC_ID]
            row["notice_first"] = m.first_unit_hit(notice, result.ranked)
    if not question.answerable:
        row["refusal_correct"] = m.refusal_correct(False, result.answered)
    if result.eligible is not None:
        precision, recall = m.precision_recall(question.expected_clauses, result.eligible)
        row["eligibility_precision"], row["eligibility_recall"] = precision, recall
    if result.verdict is not None:
        row["wording_correct"] = float(result.verdict == question.extra.get("expected_verdict"))
    if result.chat_verdict is not None:
        expected_verdict = question.extra.get("expected_verdict")
        row["chat_wording_correct"] = float(result.chat_verdict == expected_verdict)
    row["verbatim_rate"] = m.verbatim_rate(result.quotes, texts)
    row["latency_ms"] = result.latency_ms
    if result.requested_mode == "generative":
        row.update(
            generative_row(
                question,
                result.answer,
                result.mode or "",
                result.answered,
                result.citations,
                result.timings_ms,
            )
        )
    return row


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if key in r]
        return round(statistics.fmean(values), 4) if values else None

    latencies = [r["latency_ms"] for r in rows]
    quotes_rows = [r for r in rows if "verbatim_rate" in r]
    return {
        "questions": len(rows),
        "first_hit": mean("first_hit"),
        "recall@1": mean("recall@1"),
        "recall@5": mean("recall@5"),
        "recall@10": mean("recall@10"),
        "recall@2000chars": mean("recall@2000chars"),
        "cited@5": mean("cited@5"),
        "mrr": mean("mrr"),
        "ndcg@10": mean("ndcg@10"),
        "refusal_accuracy": mean("refusal_correct"),
        "false_refusal_rate": mean("false_refusal"),
        "verbatim_rate": min((r["verbatim_rate"] for r in quotes_rows), default=1.0),
        "key_phrase_coverage": mean("key_phrase_coverage"),
        "cross_language_recall@5": mean("cross_language_recall@5"),
        "cross_language_questions": sum(1 for r in rows if "cross_language_recall@5" in r),
        "notice_first": mean("notice_first"),
        "notice_questions": sum(1 for r in rows if "notice_first" in r),
        "eligibility_precision": mean("eligibility_precision"),
        "eligibility_recall": mean("eligibility_recall"),
        "wording_accuracy": mean("wording_correct"),
        "chat_wording_accuracy": mean("chat_wording_correct"),
        "latency_p50_ms": round(m.percentile(latencies, 50), 1),
        "latency_p95_ms": round(m.percentile(latencies, 95), 1),
        **_generative_aggregate(rows),
    }


def _generative_aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    """The generative mode's metrics; empty for a system that does not generate."""
    if not any("generative_mode" in r for r in rows):
        return {}
    sentences = [r for r in rows if "faithfulness" in r]
    weight = sum(r["sentences"] for r in sentences)

    def per_sentence(key: str) -> float | None:
        total = sum(r[key] * r["sentences"] for r in sentences)
        return round(total / weight, 4) if weight else None

    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if key in r]
        return round(statistics.fmean(values), 4) if values else None

    first = [r["first_sentence_ms"] for r in rows if "first_sentence_ms" in r]
    return {
        "answered_rate": mean("answered"),
        "faithfulness": per_sentence("faithfulness"),
        "numbers_supported": per_sentence("numbers_supported"),
        "verbatim_sentences": per_sentence("verbatim_sentences"),
        "key_fact_accuracy": mean("key_fact_accuracy"),
        "key_fact_accuracy_direct": mean("key_fact_accuracy_direct"),
        "fallback_rate": mean("fallback"),
        "answered_by_another_path": sum(1 for r in rows if "other_path" in r),
        "generated_sentences": weight,
        "cross_language_sentences": sum(r["cross_language_sentences"] for r in sentences),
        "first_sentence_p50_ms": round(m.percentile(first, 50), 1) if first else None,
        "first_sentence_p95_ms": round(m.percentile(first, 95), 1) if first else None,
    }


@dataclass
class Scored:
    """Per-question rows by system, and the report lines that go with them."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    report: list[dict[str, Any]] = field(default_factory=list)

    def extend(self, other: Scored) -> None:
        for name, rows in other.rows.items():
            self.rows.setdefault(name, []).extend(rows)
        self.report.extend(other.report)

    def summary(self) -> dict[str, Any]:
        return {
            "systems": {name: aggregate(rows) for name, rows in self.rows.items()},
            "by_kind": {
                name: {
                    kind: aggregate([r for r in rows if r["kind"] == kind])
                    for kind in KINDS
                    if any(r["kind"] == kind for r in rows)
                }
                for name, rows in self.rows.items()
            },
        }


def score(
    questions: Sequence[Question],
    systems: Sequence[System],
    texts: Mapping[str, str],
    tags: Mapping[str, Any] | None = None,
) -> Scored:
    """Every question through every system; `tags` (a protocol, a fold) go on every row."""
    scored = Scored()
    for system in systems:
        rows = scored.rows.setdefault(system.name, [])
        for question in questions:
            result = system.run(question.question, question)
            row = {**(tags or {}), **score_question(question, result, texts)}
            rows.append(row)
            scored.report.append(
                {
                    "system": system.name,
                    **row,
                    "question": question.question,
                    "expected": question.expected_clauses,
                    "result": asdict(result),
                }
            )
    return scored


def run_eval(
    questions: Sequence[Question],
    systems: Sequence[System],
    texts: Mapping[str, str],
    out: Path | None = None,
) -> dict[str, Any]:
    """One question set through the systems: its summary, written to `out` if given."""
    scored = score(questions, systems, texts)
    summary = scored.summary()
    if out is not None:
        write(out, summary, scored.report)
    return summary


def write(out: Path, summary: dict[str, Any], report: Sequence[dict[str, Any]]) -> list[str]:
    """Write the report files; the names written, or why one was not."""
    out.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(line, ensure_ascii=False) for line in report]
    (out / "report.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "summary.md").write_text(markdown(summary), encoding="utf-8")
    written = ["report.jsonl", "summary.json", "summary.md"]
    try:
        chart(summary, out / "metrics.png")
    except ModuleNotFoundError:  # the chart is a convenience; the numbers are all above
        return [*written, "(no metrics.png: install matplotlib, e.g. pip install -e '.[charts]')"]
    return [*written, "metrics.png"]


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def table(protocols: Mapping[str, Mapping[str, Any]]) -> str:
    """The protocols side by side: a column per protocol and system."""
    columns = [
        (protocol, system)
        for protocol, results in protocols.items()
        for system in results["systems"]
    ]
    header = [f"{PROTOCOL_TITLES.get(p, p)}: {SYSTEM_TITLES.get(s, s)}" for p, s in columns]
    lines = ["| | " + " | ".join(header) + " |", "|---" * (len(columns) + 1) + "|"]
    for label, metric in TABLE_ROWS:
        cells = [_fmt(protocols[p]["systems"][s].get(metric)) for p, s in columns]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def metric_table(systems: Mapping[str, Mapping[str, Any]]) -> str:
    names = list(systems)
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    for metric in ("questions", *METRICS):
        cells = [_fmt(systems[s].get(metric)) for s in names]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def kind_table(by_kind: Mapping[str, Mapping[str, Any]]) -> str:
    lines = [
        "| kind | n | recall@5 | cited@5 | mrr | refusal acc. | false refusal | key phrases |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for kind, agg in by_kind.items():
        lines.append(
            f"| {kind} | {agg['questions']} | {_fmt(agg['recall@5'])} | "
            f"{_fmt(agg['cited@5'])} | {_fmt(agg['mrr'])} | {_fmt(agg['refusal_accuracy'])} | "
            f"{_fmt(agg['false_refusal_rate'])} | {_fmt(agg['key_phrase_coverage'])} |"
        )
    return "\n".join(lines)


def markdown(summary: Mapping[str, Any]) -> str:
    protocols = summary.get("protocols") or {"test": summary}
    parts = [table(protocols)]
    notes = summary.get("notes") or []
    if notes:
        parts.append("\n".join(f"- {note}" for note in notes))
    floor_check = summary.get("floor_check")
    if floor_check:
        parts += [
            f"## {floor_check['questions']} (the floors)",
            metric_table(floor_check["systems"]),
        ]
    for name, results in protocols.items():
        parts += [f"## {PROTOCOL_TITLES.get(name, name)}", metric_table(results["systems"])]
        for system, by_kind in (results.get("by_kind") or {}).items():
            parts += [f"**{system}** by question kind", kind_table(by_kind)]
        folds = results.get("by_document")
        if folds:
            parts.append(fold_table(folds))
    return "\n\n".join(parts) + "\n"


def fold_table(folds: Mapping[str, Mapping[str, Any]]) -> str:
    lines = [
        "| held-out document | questions | weights (keyword / scope) | thresholds (support / "
        "scope / evidence / cross-language) | policyqa recall@5 | "
        "false refusals | refused unanswerable |",
        "|---|---|---|---|---|---|---|",
    ]
    for doc_id, fold in folds.items():
        c, ours = fold["constants"], fold["systems"].get("policyqa", {})
        lines.append(
            f"| {doc_id} | {fold['held_out']} | {c['keyword_weight']:.2f} / "
            f"{c['scope_weight']:.2f} | {c['support_threshold']:.2f} / "
            f"{c['scope_threshold']:.2f} / {c['evidence_threshold']:.2f} / "
            f"{c['cross_language_threshold']:.2f} | "
            f"{_fmt(ours.get('recall@5'))} | {_fmt(ours.get('false_refusal_rate'))} | "
            f"{_fmt(ours.get('refusal_accuracy'))} |"
        )
    return "\n".join(lines)


def chart(summary: Mapping[str, Any], path: Path) -> None:
    """Main metrics of the test split by question kind, one bar per system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    systems = list(summary["systems"])
    panels = [
        ("recall@5", "recall@5 (answerable kinds)"),
        ("key_phrase_coverage", "key-phrase coverage"),
        ("refusal_accuracy", "refusal accuracy (unanswerable)"),
    ]
    kinds = [k for k in KINDS if k != "unanswerable"]
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    width = 0.8 / max(len(systems), 1)
    for axis, (metric, title) in zip(axes, panels, strict=True):
        labels = ["unanswerable"] if metric == "refusal_accuracy" else kinds
        for i, system in enumerate(systems):
            values = [
                summary["by_kind"][system].get(kind, {}).get(metric) or 0.0 for kind in labels
            ]
            axis.bar([x + i * width for x in range(len(labels))], values, width, label=system)
        axis.set_title(title)
        axis.set_xticks([x + width * (len(systems) - 1) / 2 for x in range(len(labels))])
        axis.set_xticklabels(labels, rotation=30, ha="right")
        axis.set_ylim(0, 1)
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
