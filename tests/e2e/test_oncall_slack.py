"""On-call end to end, with every real part: the running bot, the Slack simulator, the sim
fleet, a real Prometheus evaluating an error-rate alert rule, and a real Alertmanager whose
webhook receiver is the bot (``Authorization: Bearer`` from ``http_config.authorization``).

A release of ``shop`` ships ``checkout`` and is released. Then its version starts failing 30% of
requests: Prometheus fires ``CheckoutErrors``, Alertmanager notifies the bot, and an alert thread
in #oncall names the release as the likely cause. erin (no role) may not roll it back; dave (on
call) acknowledges it and rolls it back; the errors stop, the alert resolves by itself, and the
release's incident timeline is posted. The two latencies on-call feels are printed, not asserted:
alert firing → thread, and Rollback click → the fleet back on the previous version."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from bot.config import parse_config
from bot.domain.gates import Gate
from bot.sim.fleet import Fleet, running_fleet
from bot.sim.slack import SimMessage, SlackSimulator
from bot.slack.alert_views import AlertAction
from tests.alertmanager import Alertmanager, running_alertmanager
from tests.harness import ROLES_YAML, Running, running_bot
from tests.prometheus import Prometheus, running_prometheus, wait_for_series

pytestmark = pytest.mark.asyncio(loop_scope="module")

T = TypeVar("T")

TOKEN = "oncall-e2e-alerts-token"
STARTED_ON = "v0"
ALERT = "CheckoutErrors"
CONFIG = """
services:
  checkout:
    deploy: {adapter: sim}
    strategy:
      canary:
        steps: [{weight: 50, pause: 2s}, {weight: 100}]
trains:
  shop:
    channel: "#releases"
    services: [checkout]
    monitoring_window: 1h
    signoff: {required: 1, four_eyes: false}
alerts: {channel: "#oncall", ack_timeout: 1h}
"""
RULES = f"""
groups:
  - name: checkout
    rules:
      - alert: {ALERT}
        expr: >-
          sum(rate(http_requests_total{{service="checkout",code="500"}}[10s]))
          / sum(rate(http_requests_total{{service="checkout"}}[10s])) > 0.05
        for: 0s
        labels: {{severity: critical, service: checkout}}
        annotations: {{summary: "more than 5% of checkout requests fail"}}
"""
BUTTONS = [AlertAction.ROLLBACK, AlertAction.ACK, AlertAction.RESOLVE, AlertAction.UNRELATED]
DAVE, ALICE = "<@U0DAVE>", "<@U0ALICE>"
STEPS = [
    f"deployed by {ALICE}",
    f"first alert: {ALERT} (service=checkout) (time to detect: *",
    f"acknowledged by {DAVE} (time to acknowledge: *",
    f"rollback started by {DAVE}",
    "rollback finished (rollback time: *",
    "resolved (time to resolve: *",
]
"""The incident timeline's lines, in order, each with the duration it ends."""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet() -> AsyncIterator[Fleet]:
    async with running_fleet(services=["checkout"], rps=400, stable=STARTED_ON) as fleet:
        yield fleet


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def sim() -> AsyncIterator[SlackSimulator]:
    """Stopped after the bot, which may still be updating a message as the test ends."""
    simulator = await SlackSimulator().start()
    yield simulator
    await simulator.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(
    tmp_path_factory: pytest.TempPathFactory, sim: SlackSimulator, fleet: Fleet
) -> AsyncIterator[Running]:
    """Started before Alertmanager, whose config names its URL."""
    async with running_bot(
        tmp_path=tmp_path_factory.mktemp("oncall"),
        config=parse_config(text=ROLES_YAML + CONFIG),
        sim=sim,
        sim_url=fleet.url,
        alerts_token=SecretStr(TOKEN),
    ) as bot:
        yield bot


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def alertmanager(bot: Running) -> AsyncIterator[Alertmanager]:
    async with running_alertmanager(
        webhook_url=f"{bot.url}/hooks/alerts/alertmanager",
        token=TOKEN,
        group_wait="1s",
        group_interval="1s",
        group_by=("alertname", "service"),
        send_resolved=True,
    ) as am:
        yield am


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def prometheus(fleet: Fleet, alertmanager: Alertmanager) -> AsyncIterator[Prometheus]:
    async with running_prometheus(
        targets=[fleet.url.removeprefix("http://")],
        scrape_interval="1s",
        evaluation_interval="1s",
        rules=RULES,
        alertmanager_url=alertmanager.url,
    ) as prom:
        await wait_for_series(prom.url, 'http_requests_total{service="checkout"}', timeout=30)
        yield prom


# what people see ----------------------------------------------------------------------------


def shown(message: SimMessage) -> str:
    """A message's text and its blocks' text, as one string to search."""
    return message.text + "\n" + json.dumps(message.blocks, ensure_ascii=False)


def buttons(message: SimMessage) -> list[str]:
    return [
        str(element.get("action_id"))
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
    ]


def alert_root(bot: Running) -> SimMessage | None:
    roots = bot.sim.messages_in("#oncall", include_replies=False)
    return next((m for m in roots if ALERT in m.text), None)


def root_now(
    bot: Running, root: SimMessage, test: str | Callable[[SimMessage], bool]
) -> SimMessage | None:
    """The alert root as it is now, once it shows ``test`` (a text, or a check)."""
    now = bot.sim.message("#oncall", root.ts)
    ok = test in shown(now) if isinstance(test, str) else test(now)
    return now if ok else None


def permalink(message: SimMessage) -> str:
    """The simulator's permalink of a root message, without its host."""
    return f"/archives/{message.channel}/p{message.ts.replace('.', '')}"


def release_thread(bot: Running) -> list[SimMessage]:
    root = bot.sim.messages_in("#releases", include_replies=False)[-1]
    return bot.sim.thread(root.channel, root.ts)


def in_thread(bot: Running, channel: str, root: SimMessage, text: str) -> SimMessage | None:
    replies = [m for m in bot.sim.thread(channel, root.ts) if m.is_reply]
    return next((m for m in replies if text in m.text), None)


def said(bot: Running, text: str) -> SimMessage | None:
    return next((m for m in release_thread(bot) if text in m.text), None)


async def new_ephemeral(bot: Running, user: str, before: int) -> str:
    shown_to = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for(user)[before:], timeout=15)
    return shown_to[-1].text


# the outside systems --------------------------------------------------------------------------


async def polled(what: str, probe: Callable[[], Awaitable[T | None]], *, timeout: float) -> T:
    deadline = time.monotonic() + timeout
    while (found := await probe()) is None:
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        await asyncio.sleep(0.05)
    return found


async def checkout_state(fleet: Fleet) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(f"{fleet.url}/services/checkout")
    response.raise_for_status()
    state: dict[str, Any] = response.json()
    return state


async def serving(fleet: Fleet, version: str) -> dict[str, Any] | None:
    """The fleet's checkout, once ``version`` takes all its traffic."""
    state = await checkout_state(fleet)
    return state if state["stable"] == version and state["canary"] is None else None


async def set_fault(fleet: Fleet, version: str, error_rate: float) -> None:
    async with httpx.AsyncClient(timeout=5) as http:
        body = {"version": version, "error_rate": error_rate}
        (await http.post(f"{fleet.url}/faults", json=body)).raise_for_status()


async def firing_since(am: Alertmanager) -> datetime | None:
    """When Alertmanager's ``CheckoutErrors`` started (its ``startsAt``), while it is active."""
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(
            f"{am.url}/api/v2/alerts", params={"filter": f'alertname="{ALERT}"', "active": "true"}
        )
    response.raise_for_status()
    active = [a for a in response.json() if a["status"]["state"] == "active"]
    return datetime.fromisoformat(active[0]["startsAt"]) if active else None


async def prometheus_alerts(prom: Prometheus) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=5) as http:
        response = await http.get(f"{prom.url}/api/v1/alerts")
    response.raise_for_status()
    return [a for a in response.json()["data"]["alerts"] if a["labels"]["alertname"] == ALERT]


async def alert_thread(bot: Running, am: Alertmanager, prom: Prometheus) -> SimMessage:
    """The alert group's root in #oncall, once posted (a minute at most); else say what the
    Alertmanager and Prometheus saw."""
    try:
        return await bot.sim.wait_for(lambda: alert_root(bot), timeout=60)
    except TimeoutError:
        raise AssertionError(
            f"no alert thread in #oncall after 60 s; Prometheus's alerts: "
            f"{await prometheus_alerts(prom)}\nAlertmanager:\n{am.log_tail()}\n"
            f"Prometheus:\n{prom.log_tail()}"
        ) from None


async def released(bot: Running, fleet: Fleet) -> str:
    """Cut ``shop``, override its gates, have bob approve it, deploy it as alice, wait for it
    to be released; its version."""
    reply = await bot.ask("cut shop")
    version = reply.split("Cut *shop/", 1)[1].split("*", 1)[0]
    for gate in Gate:
        done = await bot.ask(f"gates override {version} {gate.value} manual run")
        assert done.startswith(f"Overrode the {gate.value} gate"), done
    await bot.sim.wait_for(
        lambda: any("awaiting sign-off" in shown(m) for m in release_thread(bot)[:1]) or None,
        timeout=15,
    )
    assert (await bot.ask(f"approve {version}", user="bob")).startswith("You approved")
    started = await bot.ask(f"deploy {version}")
    assert started.startswith("Deploying"), started
    await bot.sim.wait_for(lambda: said(bot, "is released"), timeout=30)
    assert "released" in await bot.ask(f"status {version}")
    assert fleet.services["checkout"].history[-4:] == [
        f"deploy {version}", "weight 50", "weight 100", "promote"
    ]  # fmt: skip
    return version


# the scenario ---------------------------------------------------------------------------------


async def test_an_alert_on_a_released_version_is_rolled_back_from_its_thread(
    bot: Running,
    fleet: Fleet,
    prometheus: Prometheus,
    alertmanager: Alertmanager,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # a train's first release has no version to go back to: the second one is under test
    previous = await released(bot, fleet)
    version = await released(bot, fleet)
    label = f"shop/{version}"
    assert (await checkout_state(fleet)) == {
        "service": "checkout", "stable": version, "canary": None, "weight": 0
    }  # fmt: skip
    await wait_for_series(
        prometheus.url, f'rate(http_requests_total{{service="checkout",version="{version}"}}[10s])'
    )
    assert await prometheus_alerts(prometheus) == []  # healthy: nothing fires

    # the new version fails: Prometheus → Alertmanager → the bot → a thread in #oncall
    await set_fault(fleet, version, 0.3)
    root = await alert_thread(bot, alertmanager, prometheus)
    since = await polled(
        "Alertmanager's active alert", lambda: firing_since(alertmanager), timeout=10
    )
    to_thread = float(root.ts) - since.timestamp()  # the simulator's ts is its wall clock
    assert f"likely caused by *{label}*" in shown(root).lower()
    assert buttons(root) == BUTTONS
    assert "Not acknowledged yet" in shown(root)
    thread_root = bot.sim.messages_in("#releases", include_replies=False)[-1]
    assert f"{permalink(thread_root)}|release thread>" in shown(root)
    link_back = await bot.sim.wait_for(lambda: said(bot, "An alert thread names"), timeout=15)
    assert f"{permalink(root)}|{ALERT} (service=checkout) in #oncall>" in link_back.text

    # erin has no role: refused, and nothing moves
    stale = copy.deepcopy(root)  # as a client that has not redrawn it yet would show it
    before = len(bot.sim.ephemerals_for("erin"))
    click = await bot.people.click(user="erin", message=root, action_id=AlertAction.ROLLBACK)
    assert click.status == 200  # acknowledged: Slack shows the refusal, not an error
    refused = await new_ephemeral(bot, "erin", before)
    assert "Only on-call or release manager members can act on alert threads" in refused
    assert fleet.services["checkout"].history[-1] == "promote"
    assert "Not acknowledged yet" in shown(bot.sim.message("#oncall", root.ts))

    # dave (on call) acknowledges
    await bot.people.click(user="dave", message=root, action_id=AlertAction.ACK)
    acked = await bot.sim.wait_for(lambda: root_now(bot, root, "Acknowledged by"), timeout=15)
    assert f"Acknowledged by {DAVE}" in shown(acked)
    assert AlertAction.ACK not in buttons(acked)
    noted = await bot.sim.wait_for(
        lambda: in_thread(bot, "#oncall", root, "acknowledged this"), timeout=15
    )
    assert noted.text.startswith(f":eyes: {DAVE} acknowledged this"), noted.text

    # dave rolls it back from the alert thread
    clicked = time.time()
    await bot.people.click(user="dave", message=root, action_id=AlertAction.ROLLBACK)
    back = await polled(
        "checkout back on the previous version", lambda: serving(fleet, previous), timeout=30
    )
    to_rolled_back = time.time() - clicked
    with capsys.disabled():  # in every run's log, not only under -s
        print(
            f"\non-call e2e: alert firing → thread {to_thread:.2f}s; "
            f"click → rolled back {to_rolled_back:.2f}s"
        )
    assert back == {"service": "checkout", "stable": previous, "canary": None, "weight": 0}
    started = await bot.sim.wait_for(
        lambda: in_thread(bot, "#oncall", root, "started rolling back"), timeout=15
    )
    assert started.text.startswith(
        f":leftwards_arrow_with_hook: {DAVE} started rolling back {label}"
    )
    finished = await bot.sim.wait_for(
        lambda: in_thread(bot, "#oncall", root, "is rolled back in "), timeout=15
    )
    assert label in finished.text
    await bot.sim.wait_for(lambda: said(bot, "is rolled back"), timeout=15)
    assert "rolled back" in await bot.ask(f"status {version}")
    live = await bot.sim.wait_for(
        lambda: root_now(bot, root, lambda m: AlertAction.ROLLBACK not in buttons(m)), timeout=15
    )
    assert AlertAction.RESOLVE in buttons(live)  # still firing: the errors are in the window

    # a second Rollback (from a stale copy of the root) changes nothing
    before = len(bot.sim.ephemerals_for("dave"))
    await bot.people.click(user="dave", message=stale, action_id=AlertAction.ROLLBACK)
    again = await new_ephemeral(bot, "dave", before)
    assert again.startswith(f"{label} was rolled back"), again
    rollbacks = [h for h in fleet.services["checkout"].history if h.startswith("rollback")]
    assert rollbacks == [f"rollback to {previous}"]

    # the errors stop, the alert resolves by itself, and the incident is told
    await set_fault(fleet, version, 0.0)
    resolved = await bot.sim.wait_for(
        lambda: root_now(bot, root, "Every alert resolved"), timeout=60
    )
    assert buttons(resolved) == []
    await bot.sim.wait_for(
        lambda: in_thread(bot, "#oncall", root, f":white_check_mark: 1 resolved: {ALERT}"),
        timeout=15,
    )
    assert await firing_since(alertmanager) is None
    posted = await bot.sim.wait_for(lambda: said(bot, "Incident timeline of"), timeout=15)
    timeline = await bot.ask(f"incident {version}")
    for text in (posted.text, timeline):
        assert text.startswith(f":spiral_note_pad: *Incident timeline of {label}*"), text
        at = [text.find(step) for step in STEPS]
        assert -1 not in at, text
        assert at == sorted(at), text
