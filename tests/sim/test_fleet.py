"""The sim fleet over loopback HTTP: the control API moves traffic between versions, faults
make a version fail, and /metrics counts requests by service, version and code."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.sim.fleet import Fleet, running_fleet


@pytest.fixture
async def fleet() -> AsyncIterator[Fleet]:
    async with running_fleet(services=["checkout", "search"], rps=1000) as running:
        yield running


async def call(fleet: Fleet, method: str, path: str, body: object = None) -> tuple[int, object]:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, f"{fleet.url}{path}", json=body) as response,
    ):
        text = await response.text()
        try:
            return response.status, await response.json(content_type=None)
        except ValueError:
            return response.status, text


def counts(fleet: Fleet, service: str) -> dict[tuple[str, str], float]:
    found: dict[tuple[str, str], float] = {}
    for family in fleet.registry.collect():
        for sample in family.samples:
            if sample.name == "http_requests_total" and sample.labels["service"] == service:
                key = (sample.labels["version"], sample.labels["code"])
                found[key] = sample.value
    return found


async def test_a_canary_takes_its_weight_and_promote_makes_it_stable(fleet: Fleet) -> None:
    assert await call(fleet, "POST", "/services/checkout/deploy", {"version": "v2"}) == (
        200, {"service": "checkout", "stable": "v1", "canary": "v2", "weight": 0},
    )  # fmt: skip
    await call(fleet, "POST", "/services/checkout/weight", {"weight": 20})
    before = counts(fleet, "checkout")
    fleet.serve(10)
    after = counts(fleet, "checkout")
    canary = after[("v2", "200")] - before.get(("v2", "200"), 0)
    stable = after[("v1", "200")] - before.get(("v1", "200"), 0)
    assert 0.15 < canary / (canary + stable) < 0.25

    status, state = await call(fleet, "POST", "/services/checkout/promote")
    assert (status, state) == (
        200, {"service": "checkout", "stable": "v2", "canary": None, "weight": 0},
    )  # fmt: skip
    assert fleet.services["checkout"].history == ["deploy v2", "weight 20", "promote"]
    assert (await call(fleet, "GET", "/services/search"))[1] == {
        "service": "search", "stable": "v1", "canary": None, "weight": 0,
    }  # fmt: skip


async def test_a_faulty_version_fails_and_rollback_restores_stable(fleet: Fleet) -> None:
    await call(fleet, "POST", "/services/checkout/deploy", {"version": "v2"})
    await call(fleet, "POST", "/services/checkout/weight", {"weight": 50})
    assert (await call(fleet, "POST", "/faults", {"version": "v2", "error_rate": 0.2}))[0] == 200
    fleet.serve(10)
    seen = counts(fleet, "checkout")
    rate = seen[("v2", "500")] / (seen[("v2", "500")] + seen[("v2", "200")])
    assert 0.15 < rate < 0.25
    assert seen[("v1", "500")] == 0  # exported from the start, so its error rate reads 0
    status, state = await call(fleet, "POST", "/services/checkout/rollback")
    assert state == {"service": "checkout", "stable": "v1", "canary": None, "weight": 0}
    assert status == 200


async def test_metrics_are_prometheus_text(fleet: Fleet) -> None:
    fleet.serve(1)
    async with aiohttp.ClientSession() as http, http.get(f"{fleet.url}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain")
        text = await response.text()
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"http_requests", "http_request_duration_seconds"} <= names
    assert 'http_requests_total{code="200",service="checkout",version="v1"}' in text


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/services/nope", None, 404),
        ("POST", "/services/checkout/deploy", {}, 400),
        ("POST", "/services/checkout/weight", {"weight": 10}, 400),  # no canary yet
        ("POST", "/services/checkout/promote", None, 409),
        ("POST", "/services/checkout/dance", None, 404),
        ("POST", "/faults", {"error_rate": 0.5}, 400),
        ("POST", "/faults", {"version": "v2", "error_rate": 2}, 400),
        ("POST", "/faults", [1, 2], 400),
    ],
)
async def test_bad_control_calls_get_a_4xx(
    fleet: Fleet, method: str, path: str, body: object, status: int
) -> None:
    assert (await call(fleet, method, path, body))[0] == status


async def test_a_body_that_is_not_json_is_refused(fleet: Fleet) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{fleet.url}/faults", data=b"{nope") as response,
    ):
        assert response.status == 400


async def test_traffic_runs_in_the_background() -> None:
    async with running_fleet(services=["checkout"], rps=200) as fleet:
        await asyncio.sleep(0.35)
        assert sum(counts(fleet, "checkout").values()) >= 40
