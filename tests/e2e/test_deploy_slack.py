"""Deployments end to end: the running server, the Slack simulator, the sim fleet and a real
Prometheus scraping it every second. A release is cut, its gates pass, QA signs it off, and its
canary goes 10% → 50% → 100%; a faulty canary (20% errors) rolls back by itself; a canary with
no data pauses until a release manager clicks Promote; a bot killed mid-canary goes on where it
was. alice is a release manager, bob is QA, dave is on call."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.config import AppConfig, parse_config
from bot.domain.gates import Gate
from bot.sim.fleet import Fault, Fleet, running_fleet
from bot.sim.slack import SimMessage, SlackSimulator
from tests.harness import ROLES_YAML, Running, running_bot
from tests.prometheus import Prometheus, running_prometheus, wait_for_series

pytestmark = pytest.mark.asyncio(loop_scope="module")

ERROR_RATE = (
    'sum(rate(http_requests_total{{service="{service}",version="{{{{canary}}}}",code="500"}}[5s]))'
    ' / sum(rate(http_requests_total{{service="{service}",version="{{{{canary}}}}"}}[5s]))'
)
CONFIG = """
services:
  checkout:
    deploy: {{adapter: sim}}
    strategy:
      canary:
        steps: [{{weight: 10, pause: 5s}}, {{weight: 50, pause: 5s}}, {{weight: 100}}]
        analysis:
          - name: error-rate
            query: '{checkout}'
            success: "< 0.01"
            failure: "> 0.05"
            interval: 2s
            count: 4
            inconclusive_limit: 2  # Prometheus needs two scrapes of the new version for a rate
  search:
    deploy: {{adapter: sim}}
    strategy:
      canary:
        steps: [{{weight: 20, pause: 1s}}, {{weight: 100}}]
        analysis:
          - {{name: latency, query: 'sum(nothing_here{{version="{{{{canary}}}}"}})', success: "< 1",
              interval: 1s, count: 2}}
trains:
  shop:
    channel: "#releases"
    services: [checkout]
    signoff: {{required: 1, four_eyes: false}}
  find:
    channel: "#oncall"
    services: [search]
    signoff: {{required: 1, four_eyes: false}}
integrations:
  prometheus: {{url: "{prometheus}"}}
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def fleet() -> AsyncIterator[Fleet]:
    async with running_fleet(services=["checkout", "search"], rps=400, stable="v0") as fleet:
        yield fleet


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def prometheus(fleet: Fleet) -> AsyncIterator[Prometheus]:
    async with running_prometheus(targets=[fleet.url.removeprefix("http://")]) as prom:
        await wait_for_series(prom.url, 'http_requests_total{service="checkout"}', timeout=30)
        yield prom


@pytest.fixture(scope="module")
def config(prometheus: Prometheus) -> AppConfig:
    text = CONFIG.format(checkout=ERROR_RATE.format(service="checkout"), prometheus=prometheus.url)
    return parse_config(text=ROLES_YAML + text)


@pytest_asyncio.fixture(loop_scope="module")
async def sim() -> AsyncIterator[SlackSimulator]:
    simulator = await SlackSimulator().start()
    yield simulator
    await simulator.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def bot(
    tmp_path: Path, sim: SlackSimulator, config: AppConfig, fleet: Fleet
) -> AsyncIterator[Running]:
    async with running_bot(tmp_path=tmp_path, config=config, sim=sim, sim_url=fleet.url) as bot:
        yield bot


async def approved(bot: Running, train: str) -> str:
    """Cut ``train``, pass its gates (overridden by alice), and have bob sign it off."""
    reply = await bot.ask(f"cut {train}")
    version = reply.split(f"Cut *{train}/", 1)[1].split("*", 1)[0]
    for gate in Gate:
        done = await bot.ask(f"gates override {version} {gate.value} manual run")
        assert done.startswith(f"Overrode the {gate.value} gate"), done
    await bot.sim.wait_for(
        lambda: "awaiting sign-off" in _status_line(bot, train) or None, timeout=10
    )
    assert (await bot.ask(f"approve {version}", user="bob")).startswith("You approved")
    return version


CHANNELS = {"shop": "#releases", "find": "#oncall"}


def _status_line(bot: Running, train: str) -> str:
    roots = bot.sim.messages_in(CHANNELS[train], include_replies=False)
    return json.dumps(roots[-1].blocks) if roots else ""


def thread(bot: Running, train: str) -> list[SimMessage]:
    root = bot.sim.messages_in(CHANNELS[train], include_replies=False)[-1]
    return bot.sim.thread(root.channel, root.ts)


def said(bot: Running, train: str, text: str) -> SimMessage | None:
    return next((m for m in thread(bot, train) if text in m.text), None)


def progress(bot: Running, train: str) -> SimMessage:
    found = [m for m in thread(bot, train) if "deploy.rollback" in json.dumps(m.blocks)]
    assert found, "no deploy progress message with a Roll back button"
    return found[-1]


async def test_a_healthy_canary_then_a_faulty_one_that_rolls_back_by_itself(
    bot: Running, fleet: Fleet
) -> None:
    version = await approved(bot, "shop")
    started = await bot.ask(f"deploy {version}")
    assert started.startswith("Deploying"), started
    await bot.sim.wait_for(lambda: said(bot, "shop", "is released"), timeout=60)
    assert fleet.services["checkout"].history[-5:] == [
        f"deploy {version}", "weight 10", "weight 50", "weight 100", "promote"
    ]  # fmt: skip
    assert fleet.services["checkout"].stable == version
    status = await bot.ask(f"status {version}")
    assert "released" in status

    faulty = await approved(bot, "shop")
    fleet.faults[faulty] = Fault(error_rate=0.2)
    clicked = time.monotonic()
    await bot.ask(f"deploy {faulty}")
    note = await bot.sim.wait_for(lambda: said(bot, "shop", "rolling back by itself"), timeout=60)
    await bot.sim.wait_for(lambda: said(bot, "shop", "is rolled back"), timeout=30)
    took = time.monotonic() - clicked
    print(f"\nfaulty canary: deploy to rolled back in {took:.1f}s")
    assert "error-rate failed" in note.text
    assert f'version="{faulty}"' in note.text  # the query, as measured
    assert fleet.services["checkout"].history[-1] == f"rollback to {version}"
    assert fleet.services["checkout"].stable == version
    assert "rolled back" in await bot.ask(f"status {faulty}")


async def test_no_data_pauses_until_a_manager_promotes_and_on_call_may_roll_back(
    bot: Running, fleet: Fleet
) -> None:
    version = await approved(bot, "find")
    await bot.ask(f"deploy {version}")
    ask = await bot.sim.wait_for(lambda: said(bot, "find", "paused:"), timeout=30)
    assert "latency inconclusive" in ask.text
    assert "subteam^S0RELMGR" in ask.text  # the release managers are mentioned
    message = progress(bot, "find")
    await bot.people.click(user="dave", message=message, action_id="deploy.promote")
    refused = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("dave")[-1:], timeout=10)
    assert "release manager" in refused[0].text
    await bot.people.click(user="alice", message=message, action_id="deploy.promote")
    await bot.sim.wait_for(
        lambda: fleet.services["search"].history[-1] == "weight 100" or None, timeout=20
    )
    # the 100% step has no pause, so it promotes; then dave (on call) rolls it back
    await bot.sim.wait_for(lambda: said(bot, "find", "is released"), timeout=20)
    released = progress(bot, "find")
    await asyncio.gather(
        *(
            bot.people.click(user=user, message=released, action_id="deploy.rollback")
            for user in ("dave", "dave", "alice", "dave", "alice")
        )
    )
    await bot.sim.wait_for(lambda: said(bot, "find", "is rolled back"), timeout=20)
    await asyncio.sleep(0.5)
    history = fleet.services["search"].history
    assert history[-1] == "rollback to v0"
    assert history.count("rollback to v0") == 1  # five clicks, one rollback


async def test_a_bot_killed_mid_canary_goes_on_from_its_step(
    tmp_path: Path, sim: SlackSimulator, config: AppConfig, fleet: Fleet
) -> None:
    async with running_bot(tmp_path=tmp_path, config=config, sim=sim, sim_url=fleet.url) as bot:
        version = await approved(bot, "shop")
        await bot.ask(f"deploy {version}")
        await bot.sim.wait_for(
            lambda: fleet.services["checkout"].history[-1] == "weight 10" or None, timeout=20
        )
    before = list(fleet.services["checkout"].history)
    async with running_bot(tmp_path=tmp_path, config=config, sim=sim, sim_url=fleet.url) as bot:
        await bot.sim.wait_for(lambda: said(bot, "shop", "is released"), timeout=60)
    after = fleet.services["checkout"].history[len(before) :]
    assert after == ["weight 50", "weight 100", "promote"]
