"""`policyqa eval`: run a question set through each system and report the metrics.

Writes to --out: `report.jsonl` (one line per question and system), `summary.json`
(`{"systems": {NAME: {metric: value}}, "by_kind": ...}`), and `summary.md`.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evals import metrics as m
from evals.dataset import KINDS, Question
from evals.systems import System, SystemResult

METRICS = (
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
    "latency_p50_ms",
    "latency_p95_ms",
)


def score_question(
    question: Question, result: SystemResult, texts: dict[str, str]
) -> dict[str, Any]:
    row: dict[str, Any] = {"id": question.id, "kind": question.kind}
    if question.answerable:
        expected = question.expected_clauses
        row.update(
            {
                "recall@1": m.recall_at_k_units(expected, result.ranked, 1),
                "recall@5": m.recall_at_k_units(expected, result.ranked, 5),
                "recall@10": m.recall_at_k_units(expected, result.ranked, 10),
                "recall@2000chars": m.recall_within_chars(
                    expected, result.ranked, result.lengths, 2000
                ),
                "cited@5": m.hit_at_k(expected, result.cited, 5),
                "mrr": m.reciprocal_rank_units(expected, result.ranked),
                "ndcg@10": m.ndcg_at_k_units(expected, result.ranked, 10),
                "false_refusal": m.false_refusal(True, result.answered),
                "key_phrase_coverage": m.key_phrase_coverage(question.key_phrases, result.answer),
            }
        )
    else:
        row["refusal_correct"] = m.refusal_correct(False, result.answered)
    if result.eligible is not None:
        precision, recall = m.precision_recall(question.expected_clauses, result.eligible)
        row["eligibility_precision"], row["eligibility_recall"] = precision, recall
    if result.verdict is not None:
        row["wording_correct"] = float(result.verdict == question.extra.get("expected_verdict"))
    row["verbatim_rate"] = m.verbatim_rate(result.quotes, texts)
    row["latency_ms"] = result.latency_ms
    return row


def aggregate(rows: Sequence[dict[str, Any]]) -> dict[str, float | None]:
    def mean(key: str) -> float | None:
        values = [r[key] for r in rows if key in r]
        return round(statistics.fmean(values), 4) if values else None

    latencies = [r["latency_ms"] for r in rows]
    quotes_rows = [r for r in rows if "verbatim_rate" in r]
    return {
        "questions": len(rows),
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
        "eligibility_precision": mean("eligibility_precision"),
        "eligibility_recall": mean("eligibility_recall"),
        "wording_accuracy": mean("wording_correct"),
        "latency_p50_ms": round(m.percentile(latencies, 50), 1),
        "latency_p95_ms": round(m.percentile(latencies, 95), 1),
    }


def run_eval(
    questions: Sequence[Question],
    systems: Sequence[System],
    texts: dict[str, str],
    out: Path | None = None,
) -> dict[str, Any]:
    rows_by_system: dict[str, list[dict[str, Any]]] = {}
    report_lines: list[str] = []
    for system in systems:
        rows = []
        for question in questions:
            result = system.run(question.question, question)
            row = score_question(question, result, texts)
            rows.append(row)
            report_lines.append(
                json.dumps(
                    {
                        "system": system.name,
                        **row,
                        "question": question.question,
                        "expected": question.expected_clauses,
                        "result": asdict(result),
                    },
                    ensure_ascii=False,
                )
            )
        rows_by_system[system.name] = rows
    summary: dict[str, Any] = {
        "systems": {name: aggregate(rows) for name, rows in rows_by_system.items()},
        "by_kind": {
            name: {
                kind: aggregate([r for r in rows if r["kind"] == kind])
                for kind in KINDS
                if any(r["kind"] == kind for r in rows)
            }
            for name, rows in rows_by_system.items()
        },
    }
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "report.jsonl").write_text("\n".join(report_lines) + "\n", encoding="utf-8")
        (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
        (out / "summary.md").write_text(markdown(summary), encoding="utf-8")
        chart(summary, out / "metrics.png")
    return summary


def _fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if value <= 1.0 else f"{value:.1f}"
    return str(value)


def markdown(summary: dict[str, Any]) -> str:
    systems = list(summary["systems"])
    lines = ["| metric | " + " | ".join(systems) + " |", "|---" * (len(systems) + 1) + "|"]
    for metric in ("questions", *METRICS):
        lines.append(
            f"| {metric} | "
            + " | ".join(_fmt(summary["systems"][s].get(metric)) for s in systems)
            + " |"
        )
    for name in systems:
        lines += [
            "",
            f"**{name}** by question kind",
            "",
            "| kind | n | recall@5 | cited@5 | mrr | refusal acc. | false refusal | key phrases |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for kind, agg in summary["by_kind"][name].items():
            lines.append(
                f"| {kind} | {agg['questions']} | {_fmt(agg['recall@5'])} | "
                f"{_fmt(agg['cited@5'])} | {_fmt(agg['mrr'])} | {_fmt(agg['refusal_accuracy'])} | "
                f"{_fmt(agg['false_refusal_rate'])} | {_fmt(agg['key_phrase_coverage'])} |"
            )
    return "\n".join(lines) + "\n"


def chart(summary: dict[str, Any], path: Path) -> None:
    """Main metrics by question kind, one bar per system."""
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
