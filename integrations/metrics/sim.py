"""The sim fleet's own counters as a metrics source, so local mode runs analyses without Prometheus.

:class:`SimMetrics` scrapes ``GET {url}/metrics`` of the built-in fleet (:mod:`bot.sim.fleet`),
reads Prometheus's text format with ``prometheus_client``'s parser, and keeps every sample of
each scrape for ``keep``, timed on its ``clock``. :meth:`SimMetrics.measure` scrapes once, so its
newest point is now, and evaluates the query over what it kept: the subset of PromQL that
:mod:`integrations.metrics.promql` describes. Anything else is an
:class:`~bot.errors.IntegrationError` that names it and points at ``integrations.prometheus.url``.

A rate needs two scrapes inside its range, so run :meth:`SimMetrics.run` as a task: without it a
``rate(…[1m])`` measured once has no sample, which is no value (inconclusive), never a pass.
Requests go only to the fleet's loopback URL, each with a timeout; redirects are refused.
How a result becomes a :class:`~bot.domain.analysis.Measurement` is the rule of
:class:`integrations.metrics.base.MetricsSource`.
"""

from __future__ import annotations

import asyncio
import bisect
import ipaddress
import math
import time
from collections.abc import Callable, Sequence
from datetime import timedelta

import httpx
import structlog
from prometheus_client.parser import text_string_to_metric_families

from bot.domain.analysis import Measurement
from bot.errors import IntegrationError
from integrations.metrics.prometheus import URL_SETTING
from integrations.metrics.promql import Labels, Snapshot, Value, evaluate, key

__all__ = ["SimMetrics"]

METRICS_PATH = "/metrics"
SHOWN_SERIES = 3  # label sets quoted when a query returns several series

Clock = Callable[[], float]

_log = structlog.get_logger(__name__)


class SimMetrics:
    """The sim fleet at ``url`` (on loopback) as a :class:`MetricsSource`; see the module doc."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        url: str,
        *,
        clock: Clock = time.monotonic,
        timeout: float = 5.0,
        keep: timedelta | float = timedelta(minutes=10),
    ) -> None:
        self._keep = keep.total_seconds() if isinstance(keep, timedelta) else float(keep)
        if timeout <= 0 or self._keep <= 0:
            raise ValueError("timeout and keep must be > 0")
        try:
            base = httpx.URL(url.strip().rstrip("/"))
        except httpx.InvalidURL:
            base = httpx.URL()
        if (
            base.scheme not in ("http", "https")
            or not _loopback(base.host)
            or base.query
            or base.fragment
        ):
            raise IntegrationError(
                f"the sim fleet address '{url}' is not an http URL on loopback; the sim metrics "
                "source reads only the built-in fleet (e.g. http://127.0.0.1:8081), so set "
                f"{URL_SETTING} to query another server"
            )
        self._url = str(base)
        self._http = http
        self._clock = clock
        self._timeout = httpx.Timeout(timeout)
        self._snapshots: list[Snapshot] = []
        self._keys: dict[Labels, Labels] = {}  # one tuple per series, shared by its snapshots

    @property
    def url(self) -> str:
        """The fleet's base URL: what messages call it."""
        return self._url

    @property
    def snapshots(self) -> Sequence[Snapshot]:
        """The kept scrapes, oldest first."""
        return tuple(self._snapshots)

    async def measure(self, *, query: str) -> Measurement:
        """Scrape once, then evaluate the instant ``query`` now (see :class:`MetricsSource`)."""
        if not query.strip():
            raise IntegrationError("an analysis query is empty; write a PromQL expression")
        newest = await self.scrape()
        return _measurement(query, evaluate(query, history=self._snapshots, now=newest.at))

    async def scrape(self) -> Snapshot:
        """Read the fleet's ``/metrics`` once and keep it; scrapes older than ``keep`` go."""
        try:
            response = await self._http.get(
                self._url + METRICS_PATH,
                headers={"Accept": "text/plain", "User-Agent": "stationmaster"},
                timeout=self._timeout,
                follow_redirects=False,
            )
        except httpx.RequestError as exc:
            reason = f"{type(exc).__name__}: {str(exc) or 'no detail'}"
            raise IntegrationError(
                f"the sim fleet at {self._url} did not answer {METRICS_PATH} ({reason}); "
                "check that the fleet is running"
            ) from exc
        if response.status_code != 200:
            raise IntegrationError(
                f"the sim fleet at {self._url} answered {METRICS_PATH} with "
                f"{response.status_code} {response.reason_phrase}; check that it is the sim fleet"
            )
        snapshot = Snapshot(at=self._clock(), samples=self._samples(response.text))
        bisect.insort(self._snapshots, snapshot, key=lambda s: s.at)
        cutoff = self._snapshots[-1].at - self._keep
        stale = bisect.bisect_left(self._snapshots, cutoff, key=lambda s: s.at)
        del self._snapshots[:stale]
        return snapshot

    async def run(self, every: float = 1.0) -> None:
        """Scrape every ``every`` seconds until cancelled; a failed scrape is logged, not fatal."""
        while True:
            try:
                await self.scrape()
            except IntegrationError as exc:
                _log.warning("sim_metrics_scrape_failed", url=self._url, error=str(exc))
            await asyncio.sleep(every)

    def _samples(self, text: str) -> dict[Labels, float]:
        samples: dict[Labels, float] = {}
        try:
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    labels = key(sample.name, sample.labels)
                    samples[self._keys.setdefault(labels, labels)] = float(sample.value)
        except ValueError as exc:
            raise IntegrationError(
                f"the sim fleet at {self._url} answered {METRICS_PATH} with text that is not "
                f"Prometheus's exposition format ({exc}); check that it is the sim fleet"
            ) from exc
        return samples


def _measurement(query: str, value: Value) -> Measurement:
    if not isinstance(value, dict):
        return Measurement(value=_finite(value), series=1)
    if len(value) > 1:
        raise IntegrationError(
            f"the query `{query}` returned {len(value)} series ({_labels(value)}); "
            "wrap it in sum(…) or another aggregation"
        )
    if not value:
        return Measurement(value=None, series=0)
    return Measurement(value=_finite(next(iter(value.values()))), series=1)


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _labels(vector: dict[Labels, float]) -> str:
    shown = [
        "{" + ", ".join(f'{name}="{value}"' for name, value in labels) + "}"
        for labels in sorted(vector)[:SHOWN_SERIES]
    ]
    return ", ".join(shown) + (", …" if len(vector) > SHOWN_SERIES else "")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
