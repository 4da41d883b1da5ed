"""A console session on a real simulator, with the real bot or with a recording fake bot."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import AppConfig, parse_config
from bot.console.session import Console
from bot.console.terminal import Terminal
from bot.sim.slack import SimClient, SlackSimulator
from tests.harness import running_bot
from tests.sim.conftest import FakeBot, fake_bot, sim  # noqa: F401 - fixtures used here

ROLES = """
roles:
  release_managers: ["@release-managers"]
  qa: ["@qa-team"]
  oncall: ["@oncall"]
"""


class Typed(io.TextIOBase):
    """What a person types, a line per ``readline``; the end of input once none are left."""

    def __init__(self, *lines: str) -> None:
        self.lines: deque[str] = deque(lines)

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:
        return self.lines.popleft() + "\n" if self.lines else ""


@dataclass
class Session:
    console: Console
    out: io.StringIO
    typed: Typed
    sim: SlackSimulator
    web: AsyncWebClient

    seen: int = 0

    async def do(self, line: str) -> str:
        """Run ``line`` and return what the console printed meanwhile."""
        start = len(self.out.getvalue())
        await self.console.handle(line)
        self.seen = len(self.out.getvalue())
        return self.out.getvalue()[start:]

    async def settled(self) -> str:
        """What was printed since the last call, once the workspace is quiet."""
        await self.console.feed.settle(expect_reply=False)
        start, self.seen = self.seen, len(self.out.getvalue())
        return self.out.getvalue()[start:]


@asynccontextmanager
async def console_on(
    simulator: SlackSimulator,
    *,
    bot_url: str,
    config: AppConfig,
    tmp_path: Path,
    user: str = "alice",
) -> AsyncIterator[Session]:
    out, typed = io.StringIO(), Typed()
    terminal = Terminal(stdin=typed, stdout=out)
    web = AsyncWebClient(base_url=simulator.api_url, token=simulator.config.bot_token)
    try:
        async with SimClient(simulator, bot_url=bot_url) as people:
            console = Console(
                sim=simulator,
                people=people,
                config=config,
                terminal=terminal,
                user=user,
                log_file=tmp_path / "console.log",
            )
            async with console:
                yield Session(console=console, out=out, typed=typed, sim=simulator, web=web)
    finally:
        terminal.close()
        if web.session is not None:
            await web.session.close()


@pytest.fixture
async def session(tmp_path: Path) -> AsyncIterator[Session]:
    """The console against the real bot (alice: release manager, bob and carol: QA)."""
    config = parse_config(text=ROLES)
    async with (
        running_bot(tmp_path=tmp_path, config=config) as running,
        console_on(
            running.sim, bot_url=running.events_url, config=config, tmp_path=tmp_path
        ) as opened,
    ):
        yield opened


@pytest.fixture
async def faked(
    sim: SlackSimulator,  # noqa: F811 - the fixture imported above
    fake_bot: FakeBot,  # noqa: F811
    tmp_path: Path,
) -> AsyncIterator[Session]:
    """The console against a fake bot that records what it receives."""
    async with console_on(
        sim, bot_url=fake_bot.url, config=parse_config(text=ROLES), tmp_path=tmp_path, user="bob"
    ) as opened:
        yield opened
