"""The service tests run on SQLite and PostgreSQL (``db_sessions``), with a fake clock; the
notifier tests reach the Slack simulator (``sim``) through a real Web API ``client``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SlackSimulator
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import BERLIN_SUNDAY, Sessions, World, build, config_for, make_repo


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(BERLIN_SUNDAY)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


@pytest.fixture
def world(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier, repo: Path
) -> World:
    return build(sessions=db_sessions, config=config_for(repo), clock=clock, notifier=notifier)


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator() as simulator:
        yield simulator


@pytest.fixture
def client(sim: SlackSimulator) -> AsyncWebClient:
    return AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token)
