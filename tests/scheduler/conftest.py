"""Scheduler tests: the service fixtures, with a clock over a year ahead of real time, so
the one-shot APScheduler jobs planned from it never come due while a test runs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.clock import utc_now
from tests.services.conftest import notifier, repo, world
from tests.services.fakes import FakeClock

__all__ = ["notifier", "repo", "world"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "slow: real processes on real time (minutes); the two-replica scheduler test"
    )


@pytest.fixture
def clock() -> FakeClock:
    day = (utc_now() + timedelta(days=400)).date()
    sunday = day + timedelta(days=(6 - day.weekday()) % 7)
    return FakeClock(datetime.combine(sunday, time(11, 0), tzinfo=UTC))
