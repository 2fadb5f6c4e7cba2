"""The `policyqa eval` command, which this package adds to the `policyqa` CLI through the
`policyqa.commands` entry point: run every protocol, print the table, check floors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from assistant.service import PolicyService
from evals.calibrate import Constants
from evals.dataset import NEW_DOCUMENTS_DIR, Question, load_bundled_questions, load_questions
from evals.protocols import (
    Harness,
    ProtocolResult,
    evaluate_test_split,
    leave_one_document_out,
    new_documents,
)
from evals.run import Scored, table, write

PROTOCOLS = ("test", "leave_one_document_out", "new_documents")
FLOOR_METRICS = (
    "recall@5",
    "recall@2000chars",
    "refusal_accuracy",
    "false_refusal_rate",
    "verbatim_rate",
    "wording_accuracy",
)


def check_floors(summary: dict[str, object], floors_path: Path, model: str) -> list[str]:
    """policyqa's metrics on the golden set's test questions against the floors recorded
    for the embedding model (each model's figures are its own)."""
    recorded = json.loads(floors_path.read_text(encoding="utf-8"))
    floors = recorded.get(model)
    if floors is None:
        return [f"{floors_path.name} records no floors for the embedding model {model!r}"]
    scope = summary.get("floor_check", summary)
    measured = scope["systems"]["policyqa"]  # type: ignore[index]
    failures = []
    for metric, floor in floors.items():
        value = measured.get(metric)
        if value is None or value < floor:
            failures.append(f"{metric} = {value} is below the floor {floor}")
    return failures


def run_from_cli(
    service: PolicyService,
    dataset: Path | None,
    mode: str,
    out: Path,
    per_kind: int | None,
    thresholds: Path | None,
    baselines: bool = True,
    *,
    protocols: Collection[str] = PROTOCOLS,
    new_documents_dir: Path = NEW_DOCUMENTS_DIR,
) -> int:
    questions = load_questions(dataset) if dataset else load_bundled_questions()
    summary, report = evaluate(
        Harness.of(service),
        questions,
        generative=mode == "generative",
        baselines=baselines,
        per_kind=per_kind,
        protocols=protocols,
        new_documents_dir=new_documents_dir,
    )
    written = write(out, summary, report)
    print(table(summary["protocols"]))
    print("\n".join(f"- {note}" for note in summary["notes"]))
    print(f"\nwrote {out}/{', '.join(written)}")
    if thresholds:
        failures = check_floors(summary, thresholds, service.settings.embedding_model)
        for failure in failures:
            print(f"REGRESSION ({summary['floor_check']['questions']}): {failure}")
        return 1 if failures else 0
    return 0


def evaluate(
    harness: Harness,
    questions: Sequence[Question],
    *,
    generative: bool = False,
    baselines: bool = True,
    per_kind: int | None = None,
    protocols: Collection[str] = PROTOCOLS,
    new_documents_dir: Path = NEW_DOCUMENTS_DIR,
    corpus_dir: Path | None = None,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every protocol asked for (the test split always: it tunes the constants the new
    documents are scored with): the summary and the per-question report."""
    unknown = set(protocols) - set(PROTOCOLS)
    if unknown:
        raise ValueError(f"unknown protocols {sorted(unknown)}; choose from {PROTOCOLS}")
    started = time.perf_counter()
    results: dict[str, ProtocolResult] = {}
    results["test"], calibration = evaluate_test_split(
        harness, questions, baselines=baselines, generative=generative, per_kind=per_kind
    )
    if "leave_one_document_out" in protocols:
        results["leave_one_document_out"] = leave_one_document_out(
            harness, questions, baselines=baselines, per_kind=per_kind
        )
    if "new_documents" in protocols:
        found = new_documents(
            harness,
            new_documents_dir,
            calibration.constants,
            corpus_dir=corpus_dir,
            baselines=baselines,
            per_kind=per_kind,
        )
        if found is not None:
            results["new_documents"] = found
    summary = build_summary(results, Constants.of(harness.settings, harness.embedder.model_id))
    summary["seconds"] = round(time.perf_counter() - started, 1)
    report = Scored()
    for result in results.values():
        report.extend(result.scored)
    return summary, report.report


def build_summary(results: dict[str, ProtocolResult], shipped: Constants) -> dict[str, Any]:
    protocols = {name: result.summary() for name, result in results.items()}
    test = protocols["test"]
    return {
        "systems": test["systems"],
        "by_kind": test["by_kind"],
        "floor_check": test["floor_check"],
        "protocols": protocols,
        "shipped_constants": asdict(shipped),
        "notes": notes(protocols, shipped, test["floor_check"]),
    }


def notes(protocols: dict[str, Any], shipped: Constants, floor_check: dict[str, Any]) -> list[str]:
    """What each column scored, with which constants, and how long it took."""
    test = protocols["test"]
    ours = floor_check["systems"]["policyqa"]
    dev = Constants(**test["constants"])
    lines = [
        f"test split: {test['systems']['policyqa']['questions']} questions scored; constants "
        f"tuned on the {test['dev_questions']} dev questions: {dev.describe()} "
        f"(shipped defaults: {shipped.describe()}); {test['seconds']} s",
    ]
    if test["unrecorded"]:
        lines.append(
            f"{len(test['unrecorded'])} questions are not recorded in "
            "evals/datasets/splits.json; their split was computed. Record it with "
            "`python -m evals.splits --write`"
        )
    lines.append(
        f"floors checked on {floor_check['questions']} ({ours['questions']} questions): "
        + ", ".join(f"{metric} {ours[metric]}" for metric in FLOOR_METRICS)
    )
    loo = protocols.get("leave_one_document_out")
    if loo:
        values = sorted({c["support_threshold"] for c in _fold_constants(loo)})
        lines.append(
            f"leave one document out: {len(loo['by_document'])} documents, "
            f"{loo['systems']['policyqa']['questions']} held-out rows pooled; support "
            f"threshold per document {', '.join(f'{v:.2f}' for v in values)}; "
            f"{loo['seconds']} s"
        )
    new = protocols.get("new_documents")
    if new:
        lines.append(
            f"new documents: {', '.join(new['documents']) or 'none indexed'} indexed with "
            f"the bundled corpus, metadata read from their text; "
            f"{new['systems']['policyqa']['questions']} questions; dev constants; "
            f"{new['seconds']} s"
        )
        fields = [ok for document in new["metadata"].values() for ok in document.values()]
        if fields:
            lines.append(
                f"new documents' metadata read from their text as expected: "
                f"{sum(fields)} of {len(fields)} fields (per field in summary.json)"
            )
        if new["failed"]:
            lines.append(f"new documents that failed to ingest: {new['failed']}")
        missing = new["unknown_clauses"]
        if missing:
            lines.append(
                f"{len(missing)} expected clauses are not in the new index (listed in "
                f"summary.json), for example {', '.join(missing[:3])}"
            )
    counts = [
        f"{name} {p['systems']['policyqa']['cross_language_questions']} cross-language, "
        f"{p['systems']['policyqa']['notice_questions']} about the Notice"
        for name, p in protocols.items()
    ]
    lines.append("questions in the subset rows: " + "; ".join(counts))
    return lines


def _fold_constants(loo: dict[str, Any]) -> list[dict[str, float]]:
    return [fold["constants"] for fold in loo["by_document"].values()]


def register(command: Callable[[str], Callable[[Callable[..., None]], object]]) -> None:
    """Add `policyqa eval` to the CLI (the entry point `policyqa.commands:eval`), through
    the CLI's own `command` decorator."""
    command("eval")(eval_command)


def eval_command(
    dataset: Annotated[Path | None, typer.Option(help="JSONL question set.")] = None,
    mode: Annotated[str, typer.Option(help="extractive or generative.")] = "extractive",
    out: Annotated[Path, typer.Option(help="Folder for report.jsonl, summary.*")] = Path(
        "out/eval"
    ),
    per_kind: Annotated[
        int | None,
        typer.Option("--per-kind", help="Only the first N questions of each kind (a fast subset)."),
    ] = None,
    thresholds: Annotated[
        Path | None,
        typer.Option(
            help="Fail if policyqa falls below the floors in this JSON file (golden test split)."
        ),
    ] = None,
    baselines: Annotated[
        bool, typer.Option(help="Also run the naive LangChain and keyword-only baselines.")
    ] = True,
    protocol: Annotated[
        list[str] | None,
        typer.Option(
            "--protocol",
            help="Only these (repeatable): test, leave_one_document_out, new_documents. The "
            "test split always runs: its dev half tunes the constants.",
        ),
    ] = None,
    new_documents: Annotated[
        Path | None,
        typer.Option(
            help="Documents not in the corpus, with questions.jsonl (default evals/new_documents)."
        ),
    ] = None,
) -> None:
    """Score policyqa and the baselines on the test split (constants tuned on dev), leaving
    each document out, and on documents the corpus does not hold."""
    # Imported here: the CLI loads this module while it is itself being imported.
    from assistant.cli import open_service

    unknown = set(protocol or ()) - set(PROTOCOLS)
    if unknown:
        raise typer.BadParameter(
            f"unknown protocol {sorted(unknown)}; choose from {', '.join(PROTOCOLS)}"
        )
    code = run_from_cli(
        open_service(),
        dataset,
        mode,
        out,
        per_kind,
        thresholds,
        baselines,
        protocols=protocol or PROTOCOLS,
        new_documents_dir=new_documents or NEW_DOCUMENTS_DIR,
    )
    raise typer.Exit(code)
