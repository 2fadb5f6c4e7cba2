"""/v1/ask latency while one client abuses /v1/wording within its rate limit.

    python -m evals.bench.wording_abuse [--duration 30] [--abusers 6]

Starts `policyqa serve` (one worker, the default rate limit) over the current index. A probe
asks golden questions one at a time, first alone (the baseline), then while one abusive
client sends 2,000-character passages of common English words to /v1/wording from several
connections at once, as fast as the limit lets it through. Both phases run in this one
process, so the ratio of the two p95s is the cost of the abuse. The probe spreads its
requests over the loopback addresses 127.0.0.2-9 so that its own rate limit never shapes
its latency; the abuser is 127.0.0.1. The run stops by itself; only loopback is contacted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import time

import httpx

from evals.bench.http_load import free_port, start_server
from evals.bench.machine import describe
from evals.dataset import load_questions
from evals.metrics import percentile

PROBE_ADDRESSES = [f"127.0.0.{n}" for n in range(2, 10)]
WORDS = [
    "support",
    "export",
    "enterprise",
    "overseas",
    "warehouse",
    "subsidy",
    "credit",
    "insurance",
    "freight",
    "train",
    "logistics",
    "measures",
    "industrial",
    "policy",
    "local",
    "government",
]


def abusive_passage(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(400))[:2000]


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def probe(url: str, questions: list[str], stop_at: float) -> tuple[list[float], int]:
    clients = [
        httpx.AsyncClient(timeout=60, transport=httpx.AsyncHTTPTransport(local_address=address))
        for address in PROBE_ADDRESSES
    ]
    latencies: list[float] = []
    failures = 0
    i = 0
    try:
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            response = await clients[i % len(clients)].post(
                f"{url}/v1/ask", json={"question": questions[i % len(questions)]}
            )
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code != 200
            i += 1
            # A person reads between questions; back-to-back probes would measure
            # throughput, not the latency one user sees.
            await asyncio.sleep(0.05)
    finally:
        for client in clients:
            await client.aclose()
    return latencies, failures


async def abuse(url: str, stop_at: float, connections: int) -> dict[int, int]:
    statuses: dict[int, int] = {}
    rng = random.Random(7)

    async def one() -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            while time.monotonic() < stop_at:
                response = await http.post(f"{url}/v1/wording", json={"text": abusive_passage(rng)})
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                if response.status_code == 429:
                    await asyncio.sleep(float(response.headers.get("retry-after", "1")))

    await asyncio.gather(*(one() for _ in range(connections)))
    return statuses


async def run(url: str, pid: int, questions: list[str], duration: float, abusers: int) -> None:
    cpu = cpu_seconds(pid)
    idle, idle_failures = await probe(url, questions, time.monotonic() + duration)
    idle_cpu, cpu = cpu_seconds(pid) - cpu, cpu_seconds(pid)
    stop_at = time.monotonic() + duration
    (busy, busy_failures), statuses = await asyncio.gather(
        probe(url, questions, stop_at), abuse(url, stop_at, abusers)
    )
    busy_cpu = cpu_seconds(pid) - cpu
    print(f"{'phase':44}{'asks':>6}{'p50 ms':>9}{'p95 ms':>9}{'failed':>8}{'server CPU s':>14}")
    for label, latencies, failures, used in (
        ("/v1/ask alone (baseline)", idle, idle_failures, idle_cpu),
        (f"/v1/ask while {abusers} connections abuse /v1/wording", busy, busy_failures, busy_cpu),
    ):
        print(
            f"{label:44}{len(latencies):>6}{percentile(latencies, 50):>9.1f}"
            f"{percentile(latencies, 95):>9.1f}{failures:>8}{used:>14.1f}"
        )
    ratio = percentile(busy, 95) / percentile(idle, 95)
    print(f"p95 under abuse / p95 alone: {ratio:.2f}x")
    print(f"wording requests by status: {dict(sorted(statuses.items()))}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per phase")
    parser.add_argument("--abusers", type=int, default=6, help="abusive connections")
    args = parser.parse_args()
    questions = [q.question for q in load_questions() if q.kind != "unanswerable"]
    port = free_port()
    server = start_server(port, workers=1, rate_limited=True)
    try:
        print(f"machine: {describe()}")
        url = f"http://127.0.0.1:{port}"
        asyncio.run(run(url, server.pid, questions, args.duration, args.abusers))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
