"""Prometheus metrics: requests and latency by route, and answers by mode."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    """One registry per app, so tests and several apps in a process do not collide."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "policyqa_http_requests_total",
            "HTTP requests by route, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "policyqa_http_request_seconds",
            "HTTP request latency by route.",
            ["route", "method"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.answers = Counter(
            "policyqa_answers_total",
            "Answers by mode and whether the corpus supported one.",
            ["mode", "answered"],
            registry=self.registry,
        )
        self.answer_latency = Histogram(
            "policyqa_answer_seconds",
            "Time to compose an answer, by mode.",
            ["mode"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )
        self.rate_limited = Counter(
            "policyqa_rate_limited_total",
            "Requests refused by the rate limit.",
            registry=self.registry,
        )
