"""A bounded load at and above the rate limit: the server stays up, answers 429 beyond the
limit, never 5xx, and its memory stays flat.

    python -m evals.bench.soak [--duration 60] [--rate-limit 600] [--clients 6]

Starts `policyqa serve` on a free loopback port with the given per-client limit, drives it
from this process with concurrent clients asking golden questions as fast as they can (far
above the limit), and prints status counts and the server's resident memory (VmRSS) and peak
(VmHWM) at the start and at the end. Only 127.0.0.1 is contacted; the run stops by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter

import httpx

from evals.bench.http_load import free_port
from evals.bench.machine import describe
from evals.dataset import load_questions


def memory_kb(pid: int) -> dict[str, int]:
    values = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith(("VmRSS:", "VmHWM:")):
                key, value = line.split(":", 1)
                values[key] = int(value.split()[0])
    return values


async def soak(url: str, questions: list[str], duration: float, clients: int) -> Counter[int]:
    statuses: Counter[int] = Counter()
    stop_at = time.monotonic() + duration

    async def client(offset: int) -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            i = offset
            while time.monotonic() < stop_at:
                try:
                    response = await http.post(
                        f"{url}/v1/ask", json={"question": questions[i % len(questions)]}
                    )
                    statuses[response.status_code] += 1
                except httpx.HTTPError:
                    statuses[-1] += 1
                i += clients

    await asyncio.gather(*(client(k) for k in range(clients)))
    return statuses


def run(
    duration: float, rate_limit: int, clients: int
) -> tuple[Counter[int], dict[str, int], dict[str, int]]:
    port = free_port()
    env = {
        **os.environ,
        "POLICYQA_RATE_LIMIT_PER_MINUTE": str(rate_limit),
        "POLICYQA_RATE_LIMIT_BURST": "10",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start; is there an index?")
            time.sleep(0.5)
        questions = [q.question for q in load_questions()]
        asyncio.run(soak(url, questions, 3.0, clients))  # warm up
        start = memory_kb(server.pid)
        statuses = asyncio.run(soak(url, questions, duration, clients))
        end = memory_kb(server.pid)
        alive = httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        if not alive:
            statuses[-2] += 1
        return statuses, start, end
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--rate-limit", type=int, default=600)
    parser.add_argument("--clients", type=int, default=6)
    args = parser.parse_args()
    statuses, start, end = run(args.duration, args.rate_limit, args.clients)
    total = sum(statuses.values())
    print(f"machine: {describe()}")
    print(
        f"{total} requests in {args.duration:.0f} s from {args.clients} clients; limit "
        f"{args.rate_limit}/min per client address (all clients share 127.0.0.1)"
    )
    print("status counts: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print(
        f"5xx: {sum(v for k, v in statuses.items() if k >= 500)}; "
        f"transport errors: {statuses.get(-1, 0)}"
    )
    print(
        f"server RSS start {start['VmRSS'] / 1024:.0f} MiB, end {end['VmRSS'] / 1024:.0f} MiB; "
        f"peak start {start['VmHWM'] / 1024:.0f} MiB, end {end['VmHWM'] / 1024:.0f} MiB"
    )


if __name__ == "__main__":
    main()
