"""Killing ingestion at random points never damages the live index; queries during a
reindex all succeed, each from one version."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from assistant.search.store import read_current
from assistant.service import PolicyService

QUESTIONS = [
    "一级能效冰箱每台补贴多少？",
    "Demo Town overseas warehouse subsidy per year",
    "设备投资额不低于多少万元可以申请补助？",
]
KILLS = 8


def snapshot(service: PolicyService) -> list[list[tuple[str, str]]]:
    return [[(c.clause_id, c.quote) for c in service.ask(q).citations] for q in QUESTIONS]


def start_ingest(index_dir: Path, corpus: Path) -> subprocess.Popen[bytes]:
    code = (
        "from pathlib import Path; from assistant.config import Settings; "
        "from assistant.service import PolicyService; "
        f"PolicyService.create(Settings(index_dir=Path({str(index_dir)!r})))"
        f".ingest(Path({str(corpus)!r}), rebuild=True)"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("POLICYQA_")
        or k in {"POLICYQA_CHROMA_URL", "POLICYQA_CHROMA_TOKEN", "POLICYQA_EMBEDDING_MODEL"}
    }
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def test_sigkill_at_random_points_leaves_the_previous_index_answering(
    service: PolicyService, corpus: Path
) -> None:
    index_dir = service.settings.index_dir
    version = read_current(index_dir)
    before = snapshot(service)
    path = corpus / "documents" / "zh-measures.txt"
    path.write_text(path.read_text("utf-8").replace("500万元", "700万元"), encoding="utf-8")
    rng = random.Random(20261129)
    started = time.monotonic()
    probe = start_ingest(index_dir, corpus)
    probe.wait(timeout=300)  # one full run, to know how long a build takes
    full = time.monotonic() - started
    assert probe.returncode == 0
    built = read_current(index_dir)
    assert built != version
    rebuilt = snapshot(PolicyService(service.settings, service.embedder))
    assert rebuilt != before
    # put the original version back as the live one, then kill builds part-way, many times
    (index_dir / "CURRENT").write_text(str(version) + "\n")
    kill_points = sorted(rng.uniform(0.05, 0.95) * full for _ in range(KILLS))
    for delay in kill_points:
        process = start_ingest(index_dir, corpus)
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        live = read_current(index_dir)
        answers = snapshot(PolicyService(service.settings, service.embedder))
        if live == version:
            assert answers == before  # killed before the switch: the old index, intact
        else:
            # killed after the atomic switch (or it finished): a complete new version
            assert live is not None and answers == rebuilt
            (index_dir / "CURRENT").write_text(str(version) + "\n")
    # a restart completes the update
    final = start_ingest(index_dir, corpus)
    assert final.wait(timeout=300) == 0
    fresh = PolicyService(service.settings, service.embedder)
    assert read_current(index_dir) not in {version, None}
    assert any("700万元" in c.quote for c in fresh.ask(QUESTIONS[2]).citations)


def test_queries_during_a_reindex_never_fail_or_mix_versions(
    service: PolicyService, corpus: Path
) -> None:
    old_text = service.document("zh-appliances").text
    path = corpus / "documents" / "zh-measures.txt"
    path.write_text(path.read_text("utf-8").replace("500万元", "600万元"), encoding="utf-8")
    errors: list[BaseException] = []
    answers = []
    stop = threading.Event()

    def ask_repeatedly() -> None:
        while not stop.is_set():
            try:
                answer = service.ask(QUESTIONS[2])
                index = service.snapshot()
                answers.append((answer, index))
            except BaseException as exc:  # any failure is a test failure
                errors.append(exc)

    workers = [threading.Thread(target=ask_repeatedly) for _ in range(3)]
    for worker in workers:
        worker.start()
    service.ingest(corpus)
    time.sleep(0.5)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    assert not errors
    assert answers
    amounts = set()
    for answer, _ in answers:
        quoted = " ".join(c.quote for c in answer.citations)
        has_old, has_new = "不低于500万元" in quoted, "不低于600万元" in quoted
        assert not (has_old and has_new)  # never a mix of two versions in one answer
        amounts.add("old" if has_old else "new" if has_new else "neither")
    assert "new" in amounts
    assert service.document("zh-appliances").text == old_text
