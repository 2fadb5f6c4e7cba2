"""Switching index versions releases the old ones: threads, open files, memory and disk,
and no version is deleted while a reader in any process still has it open."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from assistant.errors import IndexNotReadyError
from assistant.search.store import complete_versions, read_current, versions_dir
from assistant.service import PolicyService


def all_versions(index_dir: Path) -> list[str]:
    """Every version folder, complete or not: what garbage collection has left."""
    root = versions_dir(index_dir)
    return sorted(p.name for p in root.iterdir()) if root.exists() else []


QUESTION = "设备投资额不低于多少万元可以申请补助？"
SWITCHES = 10


@dataclass(frozen=True)
class Usage:
    threads: int
    python_threads: int
    open_files: int
    deleted_files: int
    rss_mb: float


def usage() -> Usage:
    gc.collect()
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue  # the descriptor listdir itself used
    return Usage(
        threads=int(status["Threads"]),
        python_threads=threading.active_count(),
        open_files=len(targets),
        deleted_files=sum(t.endswith("(deleted)") for t in targets),
        rss_mb=int(status["VmRSS"].split()[0]) / 1024,
    )


def change(corpus: Path, n: int) -> None:
    """A new clause in one document, so that the next build writes a new version."""
    path = corpus / "documents" / "zh-measures.txt"
    text = path.read_text("utf-8").split("\n第九条")[0]
    path.write_text(f"{text}\n第九条 第{n}次修订的补充条款。\n", encoding="utf-8")


def switch(service: PolicyService, corpus: Path, n: int) -> None:
    change(corpus, n)
    report = service.ingest(corpus)
    assert report.updated == ["zh-measures"]
    assert service.snapshot().version == report.version
    assert service.search(QUESTION, top_k=3)
    assert service.ask(QUESTION).citations


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_reindexing_again_and_again_releases_what_each_old_version_held(
    service: PolicyService, corpus: Path
) -> None:
    for n in range(2):  # the first switches load what every later one reuses
        switch(service, corpus, n)
    before = usage()
    for n in range(2, SWITCHES + 2):
        switch(service, corpus, n)
    after = usage()
    grown = f"after {SWITCHES} switches: {before} -> {after}"
    # A version never released holds about 7 threads, 15 descriptors (11 of them on deleted
    # files) and 7 MB; what remains is Chroma's own allocator settling, which levels off.
    assert after.threads <= before.threads + 3, grown
    assert after.python_threads <= before.python_threads + 1, grown
    assert after.open_files <= before.open_files + 10, grown
    # Relative, since pytest's own output capture holds deleted temporary files.
    assert after.deleted_files <= before.deleted_files + 2, grown
    assert after.rss_mb <= before.rss_mb + 60, grown
    keep = service.settings.keep_versions
    assert len(all_versions(service.settings.index_dir)) <= keep + 1


def test_a_version_in_use_is_kept_until_its_reader_lets_go(
    service: PolicyService, corpus: Path
) -> None:
    index_dir = service.settings.index_dir
    held = service.snapshot()  # a request still using the first version
    first = held.version
    for n in range(3):
        switch(service, corpus, n)
    assert first in all_versions(index_dir)
    assert service.retriever.search(held, QUESTION, 3)  # it still answers from it
    del held
    switch(service, corpus, 3)
    versions = all_versions(index_dir)
    assert first not in versions
    assert len(versions) <= service.settings.keep_versions
    assert complete_versions(index_dir)[-1] == read_current(index_dir)


READER = """
import sys
from pathlib import Path
from assistant.config import Settings
from assistant.search.store import open_current

class Model:
    model_id, dimension = sys.argv[2], int(sys.argv[3])

index = open_current(Settings(index_dir=Path(sys.argv[1])), Model())
print(index.version, flush=True)
sys.stdin.readline()
"""


def test_a_version_open_in_another_process_is_not_deleted_under_it(
    service: PolicyService, corpus: Path
) -> None:
    index_dir = service.settings.index_dir
    info = service.snapshot().info
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(index_dir), info.model_id, str(info.dimension)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        first = reader.stdout.readline().strip()
        assert first == info.version
        for n in range(3):
            switch(service, corpus, n)
        assert first in all_versions(index_dir)
        reader.stdin.write("done\n")
        reader.stdin.flush()
        assert reader.wait(timeout=60) == 0
    finally:
        if reader.poll() is None:
            reader.kill()
            reader.wait()
    switch(service, corpus, 3)
    assert first not in all_versions(index_dir)


def test_closing_the_service_releases_its_version_and_a_query_reopens_one(
    service: PolicyService,
) -> None:
    index = service.snapshot()
    service.close()
    assert index.closed
    with pytest.raises(IndexNotReadyError, match="closed"):
        service.retriever.search(index, QUESTION, 3)
    assert service.search(QUESTION, top_k=3)
    assert service.snapshot() is not index and not service.snapshot().closed
