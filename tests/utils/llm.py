"""The real local model for the `llm` tests: scripts/local_llm.sh on a free port."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.utils.net import free_port

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "local_llm.sh"


@contextmanager
def local_llm(folder: Path) -> Iterator[str]:
    """Start the local model server (fetched, verified and cached on first use), yield its
    base URL, stop it. Its pid file lives in `folder`, so it never touches another's."""
    port = free_port()
    env = {**os.environ, "POLICYQA_LLM_PIDFILE": str(folder / "server.pid")}
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
    try:
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, timeout=60, check=False)
