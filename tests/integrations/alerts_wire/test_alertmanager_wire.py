"""What a real Alertmanager 0.25 sends a webhook receiver, recorded on loopback.

A tiny aiohttp receiver records every request; a real Alertmanager (``tests/alertmanager.py``)
notifies it with a bearer token. Alerts posted to ``/api/v2/alerts`` arrive grouped, as a
``"version": "4"`` payload, and resolve (``send_resolved``) when re-posted with an ``endsAt`` in
the past. Then a real Prometheus evaluates an always-firing rule and sends it through the same
Alertmanager.

One firing payload is kept as ``fixtures/alertmanager_v4.json``, exactly as it came (volatile
fields included), for tests that need what real Alertmanager produces. It is written when it is
missing or when ``STATIONMASTER_WRITE_FIXTURES=1``; otherwise the live payload must still have
its shape.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from tests.alertmanager import Alertmanager, alert_groups, post_alerts, running_alertmanager
from tests.prometheus import running_prometheus, wait_for_alert

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

TOKEN = "am-webhook-token"
FIXTURE = Path(__file__).parent / "fixtures" / "alertmanager_v4.json"
WRITE_FIXTURES_ENV = "STATIONMASTER_WRITE_FIXTURES"
FINGERPRINT = re.compile(r"^[0-9a-f]{16}$")
RULES = """
groups:
  - name: stationmaster-wire
    rules:
      - alert: AlwaysFiring
        expr: vector(1)
        for: 0s
        labels: {severity: critical, service: checkout}
        annotations: {summary: "checkout is always on fire"}
"""

T = TypeVar("T")


@dataclass
class Received:
    """One request the receiver got."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class Receiver:
    """A loopback webhook that answers 200 and records every request."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)

    def notifications(self) -> list[dict[str, Any]]:
        """The JSON bodies of the POSTs, oldest first."""
        return [r.body for r in self.requests if r.method == "POST" and isinstance(r.body, dict)]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A running :class:`Receiver`; its ``url`` ends in ``/alerts``."""
    recorder = Receiver()

    async def record(request: web.Request) -> web.Response:
        raw = await request.read()
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        recorder.requests.append(
            Received(request.method, request.path, dict(request.headers), body)
        )
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_route("*", "/alerts", record)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        recorder.url = f"http://127.0.0.1:{runner.addresses[0][1]}/alerts"
        yield recorder
    finally:
        await runner.cleanup()


@pytest.fixture
async def alertmanager(receiver: Receiver) -> AsyncIterator[Alertmanager]:
    """A real Alertmanager notifying ``receiver`` with ``TOKEN``."""
    async with running_alertmanager(webhook_url=receiver.url, token=TOKEN) as am:
        yield am


async def wait_for(
    am: Alertmanager, what: str, found: Callable[[], T | None], timeout: float = 15.0
) -> T:
    """Poll ``found`` until it returns something; fail with Alertmanager's log otherwise."""
    deadline = time.monotonic() + timeout
    while (result := found()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} after {timeout} s; Alertmanager:\n{am.log_tail()}")
        await asyncio.sleep(0.05)
    return result


def rfc3339(moment: datetime) -> str:
    """``moment`` (aware, UTC) as Alertmanager's API writes it: RFC 3339 with ``Z``."""
    return moment.isoformat().replace("+00:00", "Z")


def by_instance(payload: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A payload's alerts keyed by their ``instance`` label."""
    return {alert["labels"]["instance"]: alert for alert in payload["alerts"]}


def alert(instance: str, starts: datetime, ends: datetime | None = None) -> dict[str, Any]:
    """One of the two ``CheckoutErrors`` alerts (one group: same alertname and service)."""
    posted: dict[str, Any] = {
        "labels": {
            "alertname": "CheckoutErrors",
            "service": "checkout",
            "severity": "critical",
            "instance": instance,
        },
        "annotations": {"summary": f"5xx above 5% on {instance}"},
        "startsAt": rfc3339(starts),
        "generatorURL": "http://prometheus.example/graph?g0.expr=errors",
    }
    if ends is not None:
        posted["endsAt"] = rfc3339(ends)
    return posted


def keep_or_check_fixture(payload: dict[str, Any]) -> None:
    """Write the fixture when missing (or asked to); else check the payload still fits it."""
    if not FIXTURE.exists() or os.environ.get(WRITE_FIXTURES_ENV) == "1":
        FIXTURE.parent.mkdir(parents=True, exist_ok=True)
        FIXTURE.write_text(json.dumps(payload, indent=2) + "\n")
    kept = json.loads(FIXTURE.read_text())
    assert kept["version"] == "4"
    assert set(kept) == set(payload)
    assert [set(a) for a in kept["alerts"]] == [set(a) for a in payload["alerts"]]


async def test_alerts_are_grouped_sent_with_the_token_and_resolved(
    receiver: Receiver, alertmanager: Alertmanager
) -> None:
    """Two alerts of one group: one firing notification, then pod-a resolved, then pod-b."""
    # startsAt is now: an alert that started more than group_wait ago makes Alertmanager flush
    # its new group at once, and the second alert of the same POST may miss that notification
    started = datetime.now(UTC)
    await post_alerts(alertmanager.url, [alert("pod-a", started), alert("pod-b", started)])

    firing = await wait_for(
        alertmanager,
        "firing notification with both alerts",
        lambda: next((n for n in receiver.notifications() if len(n["alerts"]) == 2), None),
    )
    post = next(r for r in receiver.requests if r.body is firing)
    assert post.method == "POST"
    assert post.path == "/alerts"
    assert post.headers["Authorization"] == f"Bearer {TOKEN}"
    assert post.headers["Content-Type"] == "application/json"
    assert firing["version"] == "4"
    assert firing["status"] == "firing"
    assert firing["receiver"] == "stationmaster"
    assert firing["groupKey"] == '{}:{alertname="CheckoutErrors", service="checkout"}'
    assert firing["groupLabels"] == {"alertname": "CheckoutErrors", "service": "checkout"}
    assert firing["commonLabels"] == {
        "alertname": "CheckoutErrors",
        "service": "checkout",
        "severity": "critical",
    }
    assert firing["commonAnnotations"] == {}  # the summaries differ
    assert firing["externalURL"] == alertmanager.url
    assert firing["truncatedAlerts"] == 0
    alerts = by_instance(firing)
    assert set(alerts) == {"pod-a", "pod-b"}
    for instance, sent in alerts.items():
        assert sent["status"] == "firing"
        assert sent["labels"]["alertname"] == "CheckoutErrors"
        assert sent["annotations"] == {"summary": f"5xx above 5% on {instance}"}
        assert FINGERPRINT.match(sent["fingerprint"]), sent["fingerprint"]
        assert datetime.fromisoformat(sent["startsAt"]) == started
        assert sent["endsAt"] == "0001-01-01T00:00:00Z"  # firing: no end, whatever was posted
        assert sent["generatorURL"] == "http://prometheus.example/graph?g0.expr=errors"
    assert alerts["pod-a"]["fingerprint"] != alerts["pod-b"]["fingerprint"]
    groups = await alert_groups(alertmanager.url)
    assert [g["labels"] for g in groups] == [firing["groupLabels"]]
    assert len(groups[0]["alerts"]) == 2
    keep_or_check_fixture(firing)

    ended = datetime.now(UTC) - timedelta(milliseconds=100)  # past, yet after started
    assert ended > started
    await post_alerts(alertmanager.url, [alert("pod-a", started, ends=ended)])
    half = await wait_for(
        alertmanager,
        "notification with pod-a resolved",
        lambda: next(
            (
                n
                for n in receiver.notifications()
                if by_instance(n).get("pod-a", {}).get("status") == "resolved"
            ),
            None,
        ),
    )
    assert half["status"] == "firing"  # the group still has pod-b firing
    assert half["groupKey"] == firing["groupKey"]
    resolved_a = by_instance(half)["pod-a"]
    assert resolved_a["fingerprint"] == alerts["pod-a"]["fingerprint"]
    assert datetime.fromisoformat(resolved_a["endsAt"]) == ended  # as posted, to the µs
    assert by_instance(half)["pod-b"]["status"] == "firing"

    await post_alerts(alertmanager.url, [alert("pod-b", started, ends=ended)])
    done = await wait_for(
        alertmanager,
        "resolved notification",
        lambda: next((n for n in receiver.notifications() if n["status"] == "resolved"), None),
    )
    assert done["groupKey"] == firing["groupKey"]
    # pod-a left the group once its resolution was sent: only pod-b is in the last one
    [resolved_b] = done["alerts"]
    assert resolved_b["labels"]["instance"] == "pod-b"
    assert resolved_b["status"] == "resolved"
    assert datetime.fromisoformat(resolved_b["endsAt"]) == ended
    history = [
        (n["status"], sorted((a["labels"]["instance"], a["status"]) for a in n["alerts"]))
        for n in receiver.notifications()
    ]
    assert history == [
        ("firing", [("pod-a", "firing"), ("pod-b", "firing")]),
        ("firing", [("pod-a", "resolved"), ("pod-b", "firing")]),
        ("resolved", [("pod-b", "resolved")]),
    ]
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in receiver.requests)


async def test_a_prometheus_rule_reaches_the_receiver_through_alertmanager(
    receiver: Receiver, alertmanager: Alertmanager
) -> None:
    """An always-firing Prometheus rule arrives once, labelled and linked to its graph."""
    async with running_prometheus(
        rules=RULES, evaluation_interval="1s", alertmanager_url=alertmanager.url
    ) as prom:
        firing = await wait_for_alert(prom.url, "AlwaysFiring", timeout=15)
        assert firing["labels"]["service"] == "checkout"
        payload = await wait_for(
            alertmanager,
            "AlwaysFiring notification",
            lambda: next(
                (
                    n
                    for n in receiver.notifications()
                    if n["groupLabels"].get("alertname") == "AlwaysFiring"
                ),
                None,
            ),
            timeout=30,  # Prometheus finds its Alertmanager ~5 s after it starts
        )
    assert payload["version"] == "4"
    assert payload["status"] == "firing"
    assert payload["groupKey"] == '{}:{alertname="AlwaysFiring", service="checkout"}'
    [sent] = payload["alerts"]
    assert sent["labels"] == {
        "alertname": "AlwaysFiring",
        "severity": "critical",
        "service": "checkout",
    }
    assert sent["annotations"] == {"summary": "checkout is always on fire"}
    assert sent["status"] == "firing"
    assert FINGERPRINT.match(sent["fingerprint"]), sent["fingerprint"]
    assert sent["generatorURL"].startswith(f"{prom.url}/graph?g0.expr=vector%281%29")
    assert datetime.fromisoformat(sent["startsAt"]) <= datetime.now(UTC)
