"""The `policyqa eval` command's body: build the systems, run, print, check floors."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.search.embedding import LangChainEmbeddings
from assistant.service import PolicyService
from evals.baselines import KeywordSystem, NaiveLangChainSystem
from evals.dataset import DEFAULT_DATASET, load_questions, stratified_subset
from evals.run import markdown, run_eval
from evals.systems import PolicyQASystem, System


def check_floors(summary: dict[str, object], floors_path: Path) -> list[str]:
    floors = json.loads(floors_path.read_text(encoding="utf-8"))
    measured = summary["systems"]["policyqa"]  # type: ignore[index]
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
) -> int:
    questions = load_questions(dataset or DEFAULT_DATASET)
    if per_kind:
        questions = stratified_subset(questions, per_kind)
    systems: list[System] = [PolicyQASystem(service, "extractive")]
    if mode == "generative":
        systems.append(PolicyQASystem(service, "generative"))
    if baselines:
        systems += [
            NaiveLangChainSystem(service.index, LangChainEmbeddings(service.embedder)),
            KeywordSystem(service.index),
        ]
    texts = {doc_id: d.text for doc_id, d in service.index.documents.items()}
    summary = run_eval(questions, systems, texts, out)
    print(markdown(summary))
    print(f"wrote {out}/report.jsonl, summary.json, summary.md")
    if thresholds:
        failures = check_floors(summary, thresholds)
        for failure in failures:
            print(f"REGRESSION: {failure}")
        return 1 if failures else 0
    return 0
