"""The sim fleet: a small deploy target on loopback, for local mode, tests and benchmarks.

Each service runs a stable version and, during a rollout, a canary version that takes
``weight`` percent of the traffic. A traffic generator sends ``rps`` simulated requests a
second per service, split by weight, and counts them on ``/metrics`` in Prometheus' text format:

    http_requests_total{service, version, code}            code 200 or 500
    http_request_duration_seconds{service, version}        a histogram

A version's error rate and latency can be set while it runs (``POST /faults``), so a test can
make a canary fail its analysis. The control API is what the ``sim`` deploy adapter calls::

    GET  /services/{service}                      the state: stable, canary, weight
    POST /services/{service}/deploy   {version}   the canary, at weight 0
    POST /services/{service}/weight   {weight}    0-100
    POST /services/{service}/promote              the canary becomes stable, at 100%
    POST /services/{service}/rollback {to?}       the canary is removed: 100% stable (``to``)
    POST /services/{service}/switch               blue-green: the canary takes all at once
    POST /faults      {version, error_rate, latency_ms}
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

__all__ = ["Fault", "Fleet", "ServiceState", "running_fleet"]

TICK = 0.1
"""Seconds between traffic bursts."""


@dataclass
class Fault:
    error_rate: float = 0.0
    latency_ms: float = 20.0


@dataclass
class ServiceState:
    name: str
    stable: str
    canary: str | None = None
    weight: int = 0
    """Percent of the traffic the canary takes."""
    history: list[str] = field(default_factory=list)
    """Every control call, in order (``deploy v2``, ``weight 10``, ``rollback``…)."""
    stamps: list[float] = field(default_factory=list)
    """When each call of ``history`` was served (``time.monotonic``): benchmarks time them."""

    def as_json(self) -> dict[str, Any]:
        return {
            "service": self.name,
            "stable": self.stable,
            "canary": self.canary,
            "weight": self.weight,
        }


class Fleet:
    def __init__(
        self, *, services: Iterable[str], rps: float = 100.0, stable: str = "v1", seed: int = 7
    ) -> None:
        self.services = {name: ServiceState(name=name, stable=stable) for name in services}
        self.fail_next = 0
        """How many of the next control calls answer 500 (a broken deploy target)."""
        self.faults: dict[str, Fault] = {}
        self.rps = rps
        self._random = random.Random(seed)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "http_requests",
            "Simulated requests by service, version and status code.",
            ["service", "version", "code"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Simulated request latency by service and version.",
            ["service", "version"],
            registry=self.registry,
        )
        self.url = ""
        for state in self.services.values():
            self._count_from_zero(state.name, state.stable)

    def _count_from_zero(self, service: str, version: str) -> None:
        """Export a version's counters at 0 from its start, as an instrumented service does, so
        an error rate reads 0 (not "no data") before its first error."""
        for code in ("200", "500"):
            self.requests.labels(service, version, code)

    # traffic ----------------------------------------------------------------------------------

    def serve(self, seconds: float) -> None:
        """Send ``seconds`` worth of traffic to every service, split by weight."""
        for state in self.services.values():
            for _ in range(max(1, round(self.rps * seconds))):
                version = state.stable
                if state.canary is not None and self._random.random() * 100 < state.weight:
                    version = state.canary
                fault = self.faults.get(version, Fault())
                failed = self._random.random() < fault.error_rate
                self.requests.labels(state.name, version, "500" if failed else "200").inc()
                self.latency.labels(state.name, version).observe(fault.latency_ms / 1000)

    async def _traffic(self) -> None:
        while True:
            self.serve(TICK)
            await asyncio.sleep(TICK)

    # control ----------------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/services/{service}", self._state)
        app.router.add_post("/services/{service}/{action}", self._control)
        app.router.add_post("/faults", self._fault)
        return app

    async def _metrics(self, _: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    def _service(self, request: web.Request) -> ServiceState:
        state = self.services.get(request.match_info["service"])
        if state is None:
            raise web.HTTPNotFound(text=f"no service {request.match_info['service']}")
        return state

    async def _state(self, request: web.Request) -> web.Response:
        return web.json_response(self._service(request).as_json())

    async def _control(self, request: web.Request) -> web.Response:
        state = self._service(request)
        if self.fail_next > 0:
            self.fail_next -= 1
            raise web.HTTPInternalServerError(text="the sim fleet was told to fail this step")
        action = request.match_info["action"]
        body = await _json(request)
        if action == "deploy":
            version = str(body.get("version") or "")
            if not version:
                raise web.HTTPBadRequest(text="deploy needs a version")
            state.canary, state.weight = version, 0
            self._count_from_zero(state.name, version)
            state.history.append(f"deploy {version}")
        elif action == "weight":
            weight = body.get("weight")
            if not isinstance(weight, int) or not 0 <= weight <= 100 or state.canary is None:
                raise web.HTTPBadRequest(text="weight needs a canary and an integer 0-100")
            state.weight = weight
            state.history.append(f"weight {weight}")
        elif action in ("promote", "switch"):
            if state.canary is None:
                raise web.HTTPConflict(text=f"{action} needs a canary")
            state.stable, state.canary, state.weight = state.canary, None, 0
            state.history.append(action)
        elif action == "rollback":
            restore = str(body.get("to") or "")  # after a promote: the version to go back to
            state.canary, state.weight = None, 0
            if restore:
                state.stable = restore
            state.history.append(f"rollback to {restore}" if restore else "rollback")
        else:
            raise web.HTTPNotFound(text=f"no action {action}")
        state.stamps.append(time.monotonic())
        return web.json_response(state.as_json())

    async def _fault(self, request: web.Request) -> web.Response:
        body = await _json(request)
        version = str(body.get("version") or "")
        if not version:
            raise web.HTTPBadRequest(text="a fault needs a version")
        fault = Fault(
            error_rate=float(body.get("error_rate", 0.0)),
            latency_ms=float(body.get("latency_ms", 20.0)),
        )
        if not 0 <= fault.error_rate <= 1 or fault.latency_ms < 0:
            raise web.HTTPBadRequest(text="error_rate is 0-1 and latency_ms is not negative")
        self.faults[version] = fault
        return web.json_response({"version": version, **fault.__dict__})


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except ValueError:
        raise web.HTTPBadRequest(text="the body is not JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="the body is not a JSON object")
    return body


@asynccontextmanager
async def running_fleet(
    *,
    services: Iterable[str],
    rps: float = 100.0,
    stable: str = "v1",
    host: str = "127.0.0.1",
    port: int = 0,
) -> AsyncIterator[Fleet]:
    """Serve a fleet on loopback with its traffic running; ``fleet.url`` is its base URL."""
    fleet = Fleet(services=services, rps=rps, stable=stable)
    runner = web.AppRunner(fleet.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    fleet.url = f"http://{host}:{int(runner.addresses[0][1])}"
    traffic = asyncio.get_running_loop().create_task(fleet._traffic(), name="sim fleet traffic")
    try:
        yield fleet
    finally:
        traffic.cancel()
        with suppress(asyncio.CancelledError):
            await traffic
        await runner.cleanup()
