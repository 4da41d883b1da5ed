"""The console's ``alert`` command: a sample alert sent to the real bot's webhook, its thread in
#oncall, and the sim fleet's error rate raised for the service's current version."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import parse_config
from bot.console import run_console, text
from bot.console.alerts import ERROR_RATE, SampleAlerts
from bot.console.session import Console
from bot.console.terminal import Terminal
from bot.errors import UsageError
from bot.settings import Settings
from bot.sim.fleet import Fleet, running_fleet
from bot.sim.slack import SimClient, SimMessage
from tests.console.conftest import ROLES, Session, Typed
from tests.harness import running_bot

TOKEN = "console-alerts-token"
CONFIG = (
    ROLES
    + """
services:
  checkout: {deploy: {adapter: sim}}
  cart: {}
"""
)


@dataclass
class Alerting:
    session: Session
    fleet: Fleet

    def roots(self) -> list[SimMessage]:
        return self.session.sim.messages_in("#oncall", include_replies=False)

    async def root(self, *, showing: str) -> SimMessage:
        """The one root in #oncall, once its text shows ``showing``."""

        def found() -> SimMessage | None:
            roots = self.roots()
            return roots[0] if len(roots) == 1 and showing in roots[0].text else None

        return await self.session.sim.wait_for(found, timeout=10)


@pytest.fixture
async def alerting(tmp_path: Path) -> AsyncIterator[Alerting]:
    """The console against the real bot (alerts token set) and a sim fleet serving checkout."""
    config = parse_config(text=CONFIG)
    out, typed = io.StringIO(), Typed()
    terminal = Terminal(stdin=io.StringIO(), stdout=out)  # lines go through console.handle
    async with (
        running_fleet(services=["checkout", "cart"]) as fleet,
        running_bot(
            tmp_path=tmp_path, config=config, alerts_token=SecretStr(TOKEN), sim_url=fleet.url
        ) as running,
        SimClient(running.sim, bot_url=running.events_url) as people,
    ):
        alerts = SampleAlerts(
            bot_url=running.url, token=SecretStr(TOKEN), fleet_url=fleet.url, config=config
        )
        console = Console(
            sim=running.sim,
            people=people,
            config=config,
            terminal=terminal,
            log_file=tmp_path / "console.log",
            alerts=alerts,
        )
        web = AsyncWebClient(base_url=running.sim.api_url, token=running.sim.config.bot_token)
        try:
            async with console:
                session = Session(console=console, out=out, typed=typed, sim=running.sim, web=web)
                yield Alerting(session=session, fleet=fleet)
        finally:
            terminal.close()
            if web.session is not None:
                await web.session.close()


async def test_an_alert_opens_a_thread_in_oncall_and_faults_the_current_version(
    alerting: Alerting,
) -> None:
    shown = await alerting.session.do("alert")

    root = await alerting.root(showing="firing")
    assert "HighErrorRate" in root.text
    fault = alerting.fleet.faults["v1"]  # checkout serves its stable v1: no release deploying
    assert fault.error_rate == ERROR_RATE
    said = shown.splitlines()[0]
    assert said.startswith("Fired HighErrorRate (critical) at checkout: checkout v1 now fails 20%")
    assert "Its thread is in #oncall" in said
    assert "#oncall · Stationmaster" in shown  # the feed showed the root as it was posted


async def test_resolve_resolves_the_thread_and_heals_the_version(alerting: Alerting) -> None:
    await alerting.session.do("alert checkout")
    await alerting.root(showing="firing")

    shown = await alerting.session.do("alert checkout --resolve")

    root = await alerting.root(showing="resolved")
    assert "0 firing, 1 resolved" in root.text
    assert alerting.fleet.faults["v1"].error_rate == 0.0
    assert shown.splitlines()[0] == (
        "Resolved HighErrorRate on checkout; checkout v1 serves without errors again."
    )


async def test_firing_twice_changes_nothing_the_second_time(alerting: Alerting) -> None:
    await alerting.session.do("alert cart")
    await alerting.root(showing="firing")

    again = await alerting.session.do("alert cart")

    assert again.splitlines()[0].endswith(text.ALERT_UNCHANGED.strip())
    assert len(alerting.roots()) == 1


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("alert nope", "There is no sim service 'nope'. Alerts can fire at: checkout, cart.\n"),
        ("alert checkout cart", text.ALERT_USAGE + "\n"),
        ("alert --resolved", text.ALERT_USAGE + "\n"),
    ],
)
async def test_a_wrong_service_or_flag_is_one_line_and_sends_nothing(
    alerting: Alerting, line: str, said: str
) -> None:
    assert await alerting.session.do(line) == said
    assert alerting.roots() == []
    assert alerting.fleet.faults == {}


async def test_the_console_fires_alerts_in_local_mode_without_a_token(tmp_path: Path) -> None:
    """``stationmaster console`` makes a token up, and starts the sim fleet the command faults."""
    out = io.StringIO()
    code = await run_console(
        settings=Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db"),
        config=parse_config(text=CONFIG),
        stdin=io.StringIO("help\nalert\nquit\n"),
        stdout=out,
        log_file=tmp_path / "console.log",
    )
    shown = out.getvalue()
    assert code == 0
    assert "alert [SERVICE]    fire a sample alert at a sim service" in shown
    assert "Fired HighErrorRate (critical) at checkout: checkout v1 now fails 20%" in shown
    assert "#oncall · Stationmaster" in shown
    assert "That did not work" not in shown


def test_without_a_sim_service_there_is_nothing_to_alert_on() -> None:
    no_services = SampleAlerts(
        bot_url="http://127.0.0.1:9",
        token=SecretStr(TOKEN),
        fleet_url=None,
        config=parse_config(text=ROLES),
    )
    with pytest.raises(UsageError, match="No service deploys to the sim fleet") as caught:
        no_services.parse("")
    assert "in stationmaster.yml" in caught.value.message


async def test_a_console_without_an_alerts_token_says_alerts_are_off(faked: Session) -> None:
    assert await faked.do("alert") == text.ALERTS_OFF + "\n"
