"""The service tests run on SQLite and PostgreSQL (``db_sessions``), with a fake clock."""

from __future__ import annotations

from pathlib import Path

import pytest

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
