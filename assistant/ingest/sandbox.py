"""File loading in a separate, killable process with time and memory limits.

A parser on a hostile file can run for minutes or take gigabytes, and Python cannot stop a
thread; it can kill a process. One worker serves a whole build, is replaced when it is
killed, and is gone when the build ends, however it ends.

    with LoaderSandbox(LoadLimits(), seconds=120) as sandbox:
        loaded = sandbox.load(Path("corpus/documents/notice.html"))

The worker imports the loaders and nothing else (no embedding model, no vector store), and
talks JSON over its stdin and stdout, so nothing it sends can run code in this process.
"""

from __future__ import annotations

import json
import logging
import math
import os
import resource
import select
import signal
import struct
import subprocess
import sys
import time
import warnings
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from assistant.errors import DocumentLoadError
from assistant.ingest.loaders import (
    LoadedText,
    LoadLimits,
    display_name,
    escape_controls,
    load_file,
)

# A parser needs a multiple of its input in memory (BeautifulSoup builds one Python object
# per tag); the floor covers the interpreter and the parsing libraries with ample room.
MEMORY_FLOOR_BYTES = 2 * 1024**3
MEMORY_PER_INPUT_BYTE = 40

_HEADER = struct.Struct("!Q")
# The longest reply is the text of one document, checked against max_chars by the loader.
_MAX_FRAME = 1 << 30
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])
_WORKER = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from assistant.ingest.sandbox import serve; serve(int(sys.argv[2]))"
)


def worker_command(memory_bytes: int) -> list[str]:
    # -I: neither PYTHONPATH nor the working directory can put other modules in its way.
    return [sys.executable, "-I", "-c", _WORKER, _PACKAGE_ROOT, str(memory_bytes)]


def memory_limit(limits: LoadLimits) -> int:
    """The address-space limit of a worker reading files within `limits`."""
    return max(MEMORY_FLOOR_BYTES, MEMORY_PER_INPUT_BYTE * limits.max_file_bytes)


class LoaderSandbox:
    """Loads files one at a time in a worker process, stopping any that overruns.

    Over `seconds` of wall-clock or CPU time, the worker is killed and the file fails with
    "reading took longer than N s"; over `memory_bytes` of address space, the file fails
    with "reading used more than N MB". Either way the next file gets a fresh worker.
    Not for use from several threads at once.
    """

    def __init__(self, limits: LoadLimits, seconds: float, memory_bytes: int | None = None) -> None:
        if seconds <= 0:
            raise ValueError("seconds must be positive")
        self.limits = limits
        self.seconds = seconds
        self.memory_bytes = memory_bytes or memory_limit(limits)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> LoaderSandbox:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @property
    def pid(self) -> int | None:
        """The running worker's process id; None before the first file or after a kill."""
        return self._process.pid if self._process is not None else None

    def load(self, path: Path) -> LoadedText:
        request = {"path": str(path), "limits": asdict(self.limits), "seconds": self.seconds}
        frame = json.dumps(request).encode()
        try:
            replies = self._send(frame)
        except BrokenPipeError:
            self._stop()  # the idle worker was killed from outside; one fresh try
            replies = self._send(frame)
        deadline = time.monotonic() + self.seconds
        try:
            reply = _read_frame(replies, deadline)
            if reply is None:
                raise DocumentLoadError(self._died(path, self._stop()))
            return self._answer(path, json.loads(reply))
        except TimeoutError:
            self._stop()
            raise DocumentLoadError(self._too_slow(path)) from None
        except (_MalformedReplyError, ValueError):
            self._stop()  # out of step with this process; the next file gets a fresh one
            raise DocumentLoadError(
                f"{display_name(path)}: the file reader sent a malformed reply"
            ) from None

    def close(self) -> None:
        self._stop()

    def _send(self, frame: bytes) -> IO[bytes]:
        """Hand a request to the worker, starting one if needed; its reply stream."""
        process = self._worker()
        assert process.stdin is not None and process.stdout is not None  # both are pipes
        _write_frame(process.stdin, frame)
        return process.stdout

    def _worker(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            self._stop()
            self._process = subprocess.Popen(
                worker_command(self.memory_bytes),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
                close_fds=True,
            )
        return self._process

    def _stop(self) -> int | None:
        """Kill and reap the worker; its exit status, or None when there was none."""
        process, self._process = self._process, None
        if process is None:
            return None
        if process.poll() is None:
            process.kill()
        status = process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        return status

    def _answer(self, path: Path, reply: Any) -> LoadedText:
        if not isinstance(reply, dict):
            raise _MalformedReplyError
        if "text" in reply:
            return _loaded_from_json(reply)
        if reply.get("memory"):
            self._stop()  # its heap may be in any state after a failed allocation
            raise DocumentLoadError(self._too_big(path))
        # The worker parses hostile input, so even its messages are treated as data.
        message = escape_controls(str(reply.get("error") or ""))[:1000]
        raise DocumentLoadError(message or f"{display_name(path)}: could not be read")

    def _too_slow(self, path: Path) -> str:
        return f"{display_name(path)}: reading took longer than {self.seconds:g} s"

    def _too_big(self, path: Path) -> str:
        return f"{display_name(path)}: reading used more than {self.memory_bytes // 1024**2} MB"

    def _died(self, path: Path, status: int | None) -> str:
        if status == -signal.SIGXCPU:
            return self._too_slow(path)
        how = _signal_name(-status) if status is not None and status < 0 else f"exit {status}"
        return (
            f"{display_name(path)}: the reader stopped unexpectedly ({how}); the file may be "
            f"malformed, or need more than {self.memory_bytes // 1024**2} MB to read"
        )


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


class _MalformedReplyError(Exception):
    pass


def _loaded_to_json(loaded: LoadedText) -> dict[str, Any]:
    return {
        "text": loaded.text,
        "page_starts": list(loaded.page_starts),
        "heading_hints": {str(k): v for k, v in loaded.heading_hints.items()},
        "warnings": list(loaded.warnings),
    }


def _loaded_from_json(reply: dict[str, Any]) -> LoadedText:
    text, starts = reply.get("text"), reply.get("page_starts")
    hints, warned = reply.get("heading_hints"), reply.get("warnings")
    if not (
        isinstance(text, str)
        and isinstance(starts, list)
        and all(type(s) is int for s in starts)
        and isinstance(hints, dict)
        and all(k.isdigit() and type(v) is int for k, v in hints.items())
        and isinstance(warned, list)
        and all(isinstance(w, str) for w in warned)
    ):
        raise _MalformedReplyError
    return LoadedText(
        text,
        tuple(starts),
        {int(k): v for k, v in hints.items()},
        [escape_controls(w)[:1000] for w in warned],
    )


def _write_frame(stream: IO[bytes], payload: bytes) -> None:
    data = memoryview(_HEADER.pack(len(payload)) + payload)
    while data:
        data = data[os.write(stream.fileno(), data) :]


def _read_exactly(stream: IO[bytes], size: int, deadline: float | None) -> bytes | None:
    parts: list[bytes] = []
    while size:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([stream], [], [], left)[0]:
                raise TimeoutError
        part = os.read(stream.fileno(), min(size, 1 << 20))
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _read_frame(stream: IO[bytes], deadline: float | None = None) -> bytes | None:
    """One length-prefixed message; None at end of stream."""
    header = _read_exactly(stream, _HEADER.size, deadline)
    if header is None:
        return None
    (size,) = _HEADER.unpack(header)
    if size > _MAX_FRAME:
        raise _MalformedReplyError
    return _read_exactly(stream, size, deadline)


# -- the worker ---------------------------------------------------------------------------


def serve(memory_bytes: int) -> None:
    """The worker's loop: one request in, one reply out, until its input closes."""
    requests, replies = _private_streams()
    _confine(memory_bytes)
    while (frame := _read_frame(requests)) is not None:
        request = json.loads(frame)
        _limit_cpu(float(request["seconds"]))
        reply = _load(Path(request["path"]), LoadLimits(**request["limits"]))
        _write_frame(replies, json.dumps(reply, ensure_ascii=False).encode())
        if reply.get("memory"):
            return


def _private_streams() -> tuple[IO[bytes], IO[bytes]]:
    """The protocol's own copies of stdin and stdout; a parser's prints go to stderr."""
    requests = os.fdopen(os.dup(0), "rb", buffering=0)
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    return requests, replies


def _confine(memory_bytes: int) -> None:
    # Ctrl-C reaches the whole process group; the parent decides when the worker stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _die_with_parent()
    # Warnings and log records from parsers are noise here: failures come back as reasons.
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)


def _die_with_parent() -> None:
    """On Linux, a killed parent takes the worker with it instead of leaving it parsing."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent was already gone
        os._exit(1)


def _limit_cpu(seconds: float) -> None:
    """CPU time for this file: a backstop should the parent not be there to kill it."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = math.ceil(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _load(path: Path, limits: LoadLimits) -> dict[str, Any]:
    try:
        loaded = load_file(path, limits)
    except DocumentLoadError as exc:
        return {"error": exc.message}
    except MemoryError:
        return {"memory": True}
    except Exception as exc:  # any parser failure is this file's failure, not the build's
        reason = escape_controls(f"{type(exc).__name__}: {exc}")[:300]
        return {"error": f"{display_name(path)}: could not be read ({reason})"}
    return _loaded_to_json(loaded)
