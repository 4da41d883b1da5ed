"""Running the real bot against the Slack simulator, for tests across packages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from bot.config import AppConfig, parse_config
from bot.server import serving
from bot.settings import Settings
from bot.sim.slack import SimClient, SlackSimulator

ROLES_YAML = """
roles:
  release_managers: ["@release-managers"]
  qa: ["@qa-team"]
  oncall: ["@oncall", U0DAVE0001]
"""


@dataclass
class Running:
    sim: SlackSimulator
    people: SimClient
    url: str
    settings: Settings

    @property
    def events_url(self) -> str:
        return f"{self.url}/slack/events"

    async def ask(self, text: str, *, user: str = "alice") -> str:
        """Run ``/release TEXT`` as ``user``; what they see: the ack, or the response-URL reply."""
        before = len(self.sim.ephemerals_for(user))
        response = await self.people.slash_command(user=user, text=text)
        assert response.status == 200, response.body
        if response.json and response.json.get("text"):
            return str(response.json["text"])
        shown = await self.sim.wait_for(lambda: self.sim.ephemerals_for(user)[before:], timeout=10)
        assert shown[-1].text
        return shown[-1].text


def settings_for(sim: SlackSimulator, *, database_url: str, **extra: object) -> Settings:
    return Settings(
        slack_bot_token=SecretStr(sim.config.bot_token),
        slack_signing_secret=SecretStr(sim.config.signing_secret),
        slack_api_url=sim.api_url,
        database_url=database_url,
        **extra,
    )


@asynccontextmanager
async def running_bot(
    *,
    tmp_path: Path,
    config: AppConfig | None = None,
    database_url: str | None = None,
    sim: SlackSimulator | None = None,
    **settings: object,
) -> AsyncIterator[Running]:
    """Simulator + the real app served on a free loopback port + a signed client."""
    own_sim = sim is None
    simulator = sim or await SlackSimulator().start()
    try:
        effective = settings_for(
            simulator,
            database_url=database_url or f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
            **settings,
        )
        async with serving(
            effective, config or parse_config(text=ROLES_YAML), host="127.0.0.1", port=0
        ) as port:
            url = f"http://127.0.0.1:{port}"
            async with SimClient(simulator, bot_url=f"{url}/slack/events") as people:
                yield Running(sim=simulator, people=people, url=url, settings=effective)
    finally:
        if own_sim:
            await simulator.stop()
