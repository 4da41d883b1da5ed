"""The services wired as ``bot/app.py`` wires them, on a test database, clock and notifier.

``build`` can be called twice on one database: a second ``World`` is a restart, or a second
replica, of the same bot.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig, TrainConfig, parse_config
from bot.domain.release import Action
from bot.notes_render import NotesRenderer
from bot.services.gates import GateService
from bot.services.models import ReleaseInfo
from bot.services.notes import NotesService
from bot.services.notify import Notifier
from bot.services.releases import ReleaseService
from bot.services.signoff import SignoffService
from bot.services.trains import TrainService
from integrations.source.base import SourceRepository
from integrations.source.git import GitRepository
from tests.services.fakes import FakeClock

BERLIN_SUNDAY = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)  # Sun 22 Nov 2026, 12:00 in Berlin
MONDAY_CUT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Mon 10:00 Europe/Berlin (CET, UTC+1)

CONFIG = """
roles:
  release_managers: ["@release-managers"]
  qa: ["@qa-team"]
services:
  checkout: {{}}
trains:
  web:
    channel: "#releases"
    services: [checkout]
    repo: {{path: "{repo}", branch: main}}
    timezone: Europe/Berlin
    cut: "0 10 * * MON"
    freeze: "0 10 * * TUE"
    signoff_deadline: "0 16 * * WED"
    release: "0 10 * * THU"
    reminders: [1h, 15m]
    misfire_grace: 1h
  mobile:
    channel: "#announcements"
    timezone: America/New_York
    cut: "0 9 * * MON"
"""

TO_RELEASED = (Action.GATES_PASSED, Action.APPROVE, Action.DEPLOY, Action.COMPLETE)
TO_APPROVED = (Action.GATES_PASSED, Action.APPROVE)

Sessions = async_sessionmaker[AsyncSession]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def make_repo(path: Path) -> Path:
    """A real git repository with one commit on ``main``."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "user.email", "ci@example.com")
    git(path, "config", "user.name", "CI")
    (path / "README").write_text("stationmaster test repo\n")
    git(path, "add", "README")
    git(path, "commit", "-qm", "feat: first")
    return path


def config_for(repo: Path) -> AppConfig:
    return parse_config(text=CONFIG.format(repo=repo))


def git_source(train: TrainConfig) -> SourceRepository | None:
    if train.repo.path is None:
        return None
    return GitRepository(path=train.repo.path)


@dataclass
class World:
    sessions: Sessions
    config: AppConfig
    clock: FakeClock
    notifier: Notifier
    releases: ReleaseService
    trains: TrainService
    gates: GateService
    notes: NotesService
    signoff: SignoffService


def build(
    *,
    sessions: Sessions,
    config: AppConfig,
    clock: FakeClock,
    notifier: Notifier,
    replica: str = "test-host:1:aaaa",
    source_of: object = git_source,
    statuses: object = None,
) -> World:
    releases = ReleaseService(
        sessions=sessions,
        config=config,
        notifier=notifier,
        source_of=source_of,  # type: ignore[arg-type]
        milestones_of=lambda name, now: trains.milestone_times(name, now),
        clock=clock,
    )
    trains = TrainService(
        sessions=sessions,
        config=config,
        releases=releases,
        notifier=notifier,
        replica=replica,
        clock=clock,
    )
    gates = GateService(
        sessions=sessions,
        config=config,
        releases=releases,
        notifier=notifier,  # type: ignore[arg-type]
        statuses=statuses,  # type: ignore[arg-type]
        clock=clock,
    )
    notes = NotesService(
        sessions=sessions,
        config=config,
        releases=releases,
        source_of=source_of,  # type: ignore[arg-type]
        renderer=NotesRenderer.from_config(config.notes),
        notifier=notifier,  # type: ignore[arg-type]
        clock=clock,
    )
    signoff = SignoffService(
        sessions=sessions,
        config=config,
        releases=releases,
        gates=gates,
        notifier=notifier,  # type: ignore[arg-type]
        clock=clock,
    )
    return World(
        sessions=sessions,
        config=config,
        clock=clock,
        notifier=notifier,
        releases=releases,
        trains=trains,
        gates=gates,
        notes=notes,
        signoff=signoff,
    )


async def walk(
    releases: ReleaseService, release: ReleaseInfo, actions: Sequence[Action], *, actor: str
) -> ReleaseInfo:
    """Move ``release`` through ``actions`` with the domain's transitions, one CAS each."""
    for action in actions:
        release = await releases.transition(release=release, action=action, actor=actor)
    return release
