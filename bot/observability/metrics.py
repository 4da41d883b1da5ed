"""Prometheus metrics, one registry per app instance (so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

_ACK_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 3.0)


class Metrics:
    """The bot's counters and histograms."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "stationmaster_http_requests",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.ack_latency = Histogram(
            "stationmaster_slack_ack_seconds",
            "Time from receiving a Slack request to acknowledging it",
            ["kind"],
            buckets=_ACK_BUCKETS,
            registry=self.registry,
        )
        self.slack_api_calls = Counter(
            "stationmaster_slack_api_calls",
            "Slack Web API calls by method and outcome (ok, an error name, or exception)",
            ["method", "outcome"],
            registry=self.registry,
        )
        self.background_failures = Counter(
            "stationmaster_background_task_failures",
            "Background tasks that raised",
            ["task"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
