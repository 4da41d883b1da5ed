"""The PagerDuty Events API v2 client over loopback against the fake, plus MockTransport edges."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from integrations.paging.base import Pager, PagingError, dedup_key_for
from integrations.paging.pagerduty import PagerDuty, pagerduty_severity
from tests.fakes.pagerduty import FakePagerDuty, running_fake_pagerduty

ROUTING_KEY = "R0ut1ngK3ySecretValue00000000042"
NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
KEY = "checkout/HighErrorRate"


class Sleeps:
    """The injected sleep: records each delay instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


@pytest.fixture
async def fake() -> AsyncIterator[FakePagerDuty]:
    async with running_fake_pagerduty() as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def pager(
    http: httpx.AsyncClient,
    base_url: str,
    sleeps: Sleeps,
    *,
    key: str = ROUTING_KEY,
    retries: int = 4,
) -> PagerDuty:
    return PagerDuty(
        http, base_url, SecretStr(key), retries=retries, sleep=sleeps, clock=lambda: NOW
    )


async def trigger(
    client: Pager,
    *,
    dedup_key: str = KEY,
    summary: str = "HighErrorRate firing on checkout after 4.2.0",
    severity: str = "critical",
    source: str = "checkout",
) -> None:
    await client.trigger(
        dedup_key=dedup_key,
        summary=summary,
        severity=severity,
        source=source,
        details={"release": "shop/4.2.0", "alerts": "3 firing"},
        links=[("https://slack.example.com/archives/C1/p1", "Release thread")],
    )


async def test_trigger_sends_the_documented_event_and_opens_an_incident(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    await trigger(pager(http, fake.url, sleeps))

    assert [r.path for r in fake.requests] == ["/v2/enqueue"]
    assert fake.events == [
        {
            "routing_key": ROUTING_KEY,
            "event_action": "trigger",
            "dedup_key": KEY,
            "client": "Stationmaster",
            "payload": {
                "summary": "HighErrorRate firing on checkout after 4.2.0",
                "source": "checkout",
                "severity": "critical",
                "timestamp": "2024-05-01T09:00:00+00:00",
                "custom_details": {"release": "shop/4.2.0", "alerts": "3 firing"},
            },
            "links": [
                {"href": "https://slack.example.com/archives/C1/p1", "text": "Release thread"}
            ],
        }
    ]
    assert fake.incidents[KEY].status == "triggered"
    assert fake.incidents[KEY].severity == "critical"
    assert sleeps.delays == []


async def test_a_second_trigger_adds_to_the_open_incident(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    client = pager(http, fake.url, sleeps)
    await trigger(client)
    await trigger(client, summary="still firing")

    assert len(fake.history) == 1
    assert fake.incidents[KEY].triggers == 2


async def test_acknowledge_then_resolve_close_the_incident(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    client = pager(http, fake.url, sleeps)
    await trigger(client)
    await client.acknowledge(dedup_key=KEY)
    assert fake.incidents[KEY].status == "acknowledged"
    await client.resolve(dedup_key=KEY)

    assert fake.incidents[KEY].status == "resolved"
    assert [e["event_action"] for e in fake.events] == ["trigger", "acknowledge", "resolve"]
    assert fake.events[2] == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": KEY,
    }
    await trigger(client)  # after a resolve, the same key opens a new incident
    assert len(fake.history) == 2
    assert fake.incidents[KEY].status == "triggered"


async def test_resolving_an_unknown_key_is_accepted_and_changes_nothing(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    await pager(http, fake.url, sleeps).resolve(dedup_key="never-triggered")

    assert len(fake.events) == 1
    assert fake.incidents == {}


async def test_summary_is_clipped_and_severity_mapped(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    await trigger(pager(http, fake.url, sleeps), summary="x" * 5000, severity="P3")

    payload = fake.events[0]["payload"]
    assert len(payload["summary"]) == 1024
    assert payload["summary"].endswith("…")
    assert payload["severity"] == "warning"


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("critical", "critical"),
        ("PAGE", "critical"),
        ("high", "error"),
        ("warn", "warning"),
        ("low", "info"),
        ("info", "info"),
        ("", "error"),
        ("mystery", "error"),
    ],
)
def test_severity_labels_map_to_pagerdutys_four(label: str, expected: str) -> None:
    assert pagerduty_severity(label) == expected


async def test_400_raises_with_pagerdutys_errors_and_is_not_retried(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    with pytest.raises(PagingError) as caught:
        await trigger(pager(http, fake.url, sleeps), source=" ")

    message = str(caught.value)
    assert "Event object is invalid" in message
    assert "'payload.source' is missing or blank" in message
    assert KEY in message
    assert len(fake.requests) == 1
    assert sleeps.delays == []
    assert fake.incidents == {}


async def test_a_bad_routing_key_says_what_to_check_without_showing_it(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    short_key = "tooShortSecretKey"
    with capture_logs() as logs, pytest.raises(PagingError) as caught:
        await pager(http, fake.url, sleeps, key=short_key).acknowledge(dedup_key=KEY)

    message = str(caught.value)
    assert "Length of 'routing_key' is incorrect" in message
    assert "32-character Integration Key" in message
    assert short_key not in message
    assert short_key not in repr(logs)
    assert len(fake.requests) == 1


async def test_429_then_success_is_retried_with_backoff(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    fake.throttle_next = 2
    await trigger(pager(http, fake.url, sleeps))

    assert len(fake.requests) == 3
    assert sleeps.delays == [0.5, 1.0]
    assert fake.incidents[KEY].status == "triggered"


async def test_retry_after_is_respected(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    fake.throttle_next, fake.throttle_retry_after = 1, 7
    await pager(http, fake.url, sleeps).acknowledge(dedup_key=KEY)

    assert sleeps.delays == [7.0]
    assert len(fake.events) == 1


async def test_a_retry_after_beyond_max_wait_fails_at_once(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    fake.throttle_next, fake.throttle_retry_after = 1, 600
    with pytest.raises(PagingError, match="asks to wait 600s"):
        await pager(http, fake.url, sleeps).resolve(dedup_key=KEY)

    assert sleeps.delays == []
    assert len(fake.requests) == 1


async def test_persistent_429_fails_after_all_attempts(
    http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    async with running_fake_pagerduty(rate_limit=1) as fake:
        client = pager(http, fake.url, sleeps, retries=3)
        await client.acknowledge(dedup_key=KEY)  # spends the window's only event
        with capture_logs() as logs, pytest.raises(PagingError) as caught:
            await client.resolve(dedup_key=KEY)

    message = str(caught.value)
    assert "after 4 attempts" in message
    assert "429" in message
    assert "rate limiting" in message
    assert ROUTING_KEY not in message
    assert len(fake.requests) == 5
    assert sleeps.delays == [0.5, 1.0, 2.0]
    assert [log["event"] for log in logs] == ["pagerduty_retry"] * 3
    assert ROUTING_KEY not in repr(logs)


async def test_5xx_is_retried(fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps) -> None:
    fake.fail_next(503, times=2)
    await pager(http, fake.url, sleeps).resolve(dedup_key=KEY)

    assert len(fake.requests) == 3
    assert sleeps.delays == [0.5, 1.0]


async def test_persistent_5xx_names_the_status_page(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    fake.fail_next(500, times=10)
    with pytest.raises(PagingError) as caught:
        await pager(http, fake.url, sleeps, retries=1).acknowledge(dedup_key=KEY)

    assert "after 2 attempts (last: 500 Internal Server Error)" in str(caught.value)
    assert "https://status.pagerduty.com" in str(caught.value)
    assert len(fake.requests) == 2


async def test_connection_errors_are_retried_then_reported(
    http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again before the client connects
    with pytest.raises(PagingError) as caught:
        await pager(http, f"http://127.0.0.1:{port}", sleeps, retries=2).resolve(dedup_key=KEY)

    message = str(caught.value)
    assert "after 3 attempts" in message
    assert "ConnectError" in message
    assert f"check the network path to http://127.0.0.1:{port}" in message
    assert sleeps.delays == [0.5, 1.0]


async def test_posts_only_to_base_url_and_follows_no_redirect(sleeps: Sleeps) -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(307, headers={"Location": "https://attacker.example/v2/enqueue"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        client = pager(http, "https://events.pagerduty.com/", sleeps)
        with pytest.raises(PagingError, match="follows no redirects"):
            await client.acknowledge(dedup_key=KEY)

    assert [str(r.url) for r in seen] == ["https://events.pagerduty.com/v2/enqueue"]
    assert json.loads(seen[0].content)["routing_key"] == ROUTING_KEY
    assert sleeps.delays == []


async def test_every_request_goes_to_the_enqueue_path(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    client = pager(http, fake.url + "/", sleeps)
    fake.fail_next(502)
    await trigger(client)
    await client.acknowledge(dedup_key=KEY)

    assert {(r.method, r.path) for r in fake.requests} == {("POST", "/v2/enqueue")}
    assert len(fake.requests) == 3


async def test_an_over_long_dedup_key_is_refused_before_sending(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    with pytest.raises(PagingError, match="dedup_key_for"):
        await pager(http, fake.url, sleeps).resolve(dedup_key="k" * 256)

    assert fake.requests == []


def test_a_base_url_that_is_not_http_is_refused(http: httpx.AsyncClient) -> None:
    with pytest.raises(PagingError, match="not an http"):
        PagerDuty(http, "events.pagerduty.com", SecretStr(ROUTING_KEY))


def test_dedup_key_for_keeps_short_keys_and_hashes_long_ones() -> None:
    assert dedup_key_for(KEY) == KEY
    assert dedup_key_for("k" * 255) == "k" * 255
    long_key = "alertname=HighErrorRate," * 20
    hashed = dedup_key_for(long_key)
    assert hashed.startswith("sha256:")
    assert len(hashed) == 71
    assert hashed == dedup_key_for(long_key)
    assert hashed != dedup_key_for(long_key + "x")


async def test_a_hashed_dedup_key_is_accepted_by_pagerduty(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    key = dedup_key_for("g" * 1000)
    client = pager(http, fake.url, sleeps)
    await trigger(client, dedup_key=key)
    await client.resolve(dedup_key=key)

    assert fake.incidents[key].status == "resolved"


async def test_a_retry_after_date_and_an_unknown_refusal(sleeps: Sleeps) -> None:
    answers = [
        httpx.Response(429, headers={"Retry-After": "Wed, 01 May 2024 09:00:03 GMT"}),
        httpx.Response(404, text="<html>Not Found</html>"),
    ]
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        with pytest.raises(PagingError) as caught:
            await pager(http, "https://events.pagerduty.com", sleeps).acknowledge(dedup_key=KEY)

    assert sleeps.delays == [3.0]
    assert len(seen) == 2
    assert "answered 404 Not Found" in str(caught.value)
    assert "check that the PagerDuty Events API address https://events.pagerduty.com" in str(
        caught.value
    )


async def test_a_trigger_without_links_sends_none(
    fake: FakePagerDuty, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    await pager(http, fake.url, sleeps).trigger(
        dedup_key=KEY, summary="s", severity="info", source="checkout", details={}
    )

    assert "links" not in fake.events[0]
    assert fake.events[0]["payload"]["custom_details"] == {}


def test_negative_retries_are_refused(http: httpx.AsyncClient) -> None:
    with pytest.raises(ValueError, match="retries"):
        PagerDuty(http, "https://events.pagerduty.com", SecretStr(ROUTING_KEY), retries=-1)
