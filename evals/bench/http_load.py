"""HTTP load on POST /v1/ask from a second process on loopback, beside an in-process baseline.

    python -m evals.bench.http_load [--duration 20] [--concurrency 8] [--workers 1]

Starts `policyqa serve` on a free loopback port (rate limit off) over the current index,
drives it with concurrent clients cycling through the golden questions for a fixed
duration, and prints requests/s, latency percentiles and errors. The baseline is the same
questions answered in process, one at a time: the cost of HTTP, JSON and concurrency is
the difference. The run stops by itself; only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from assistant.config import Settings
from assistant.service import PolicyService
from evals.bench.machine import describe
from evals.dataset import load_questions
from evals.metrics import percentile


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(port: int, workers: int, rate_limited: bool = False) -> subprocess.Popen[bytes]:
    """`policyqa serve` over the current index, ready to answer; without the rate limit
    unless asked, since a load test measures the server, not the limiter."""
    env = {**os.environ, "POLICYQA_LOG_LEVEL": "WARNING"}
    if not rate_limited:
        env["POLICYQA_RATE_LIMIT_PER_MINUTE"] = "0"
    command = [
        sys.executable,
        "-m",
        "assistant.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.terminate()
    raise SystemExit("the server did not become ready; is there an index? run `policyqa ingest`")


async def drive(
    url: str, questions: list[str], duration: float, concurrency: int
) -> tuple[list[float], int, int]:
    latencies: list[float] = []
    errors = 0
    statuses: dict[int, int] = {}
    stop_at = time.monotonic() + duration

    async def client(offset: int) -> None:
        nonlocal errors
        async with httpx.AsyncClient(timeout=60) as http:
            i = offset
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                try:
                    response = await http.post(
                        f"{url}/v1/ask", json={"question": questions[i % len(questions)]}
                    )
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    if response.status_code >= 500:
                        errors += 1
                except httpx.HTTPError:
                    errors += 1
                latencies.append((time.perf_counter() - started) * 1000)
                i += concurrency

    await asyncio.gather(*(client(k) for k in range(concurrency)))
    non_200 = sum(n for code, n in statuses.items() if code != 200)
    return latencies, errors, non_200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1])
    args = parser.parse_args()

    questions = [q.question for q in load_questions()]
    service = PolicyService.create(Settings())
    service.ask(questions[0])
    baseline = []
    for question in questions[:60]:
        started = time.perf_counter()
        service.ask(question)
        baseline.append((time.perf_counter() - started) * 1000)
    print(f"machine: {describe()}")
    print(
        f"index: {Path(service.settings.index_dir).resolve()} "
        f"({len(service.snapshot().chunks)} clauses); {len(questions)} questions cycled"
    )
    print(
        f"{'system':34}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'5xx':>6}{'non-200':>9}"
    )
    rate = 1000 / (sum(baseline) / len(baseline))
    print(
        f"{'in-process ask, serial (baseline)':34}{rate:>8.1f}{percentile(baseline, 50):>9.1f}"
        f"{percentile(baseline, 95):>9.1f}{percentile(baseline, 99):>9.1f}{0:>6}{0:>9}"
    )
    for workers in args.workers:
        port = free_port()
        server = start_server(port, workers)
        try:
            latencies, errors, non_200 = asyncio.run(
                drive(f"http://127.0.0.1:{port}", questions, args.duration, args.concurrency)
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
        label = f"HTTP /v1/ask, {workers} worker(s), c={args.concurrency}"
        print(
            f"{label:34}{len(latencies) / args.duration:>8.1f}"
            f"{percentile(latencies, 50):>9.1f}{percentile(latencies, 95):>9.1f}"
            f"{percentile(latencies, 99):>9.1f}{errors:>6}{non_200:>9}"
        )


if __name__ == "__main__":
    main()
