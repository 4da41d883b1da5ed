"""The notifier ports: how services make things visible. ``bot/slack/notifier.py`` implements
them for Slack; ``bot/services/commit_statuses.py`` shows gate verdicts on GitHub commits."""

from __future__ import annotations

from typing import Protocol

from bot.domain.roles import Role
from bot.services.gate_models import GateReport
from bot.services.models import ReleaseCard


class Notifier(Protocol):
    async def release_changed(self, *, card: ReleaseCard) -> None:
        """Post the release's root message, or update it in place when it exists."""
        ...

    async def thread_note(
        self, *, card: ReleaseCard, text: str, mention: Role | None = None
    ) -> None:
        """Post ``text`` in the release's thread (posting the root first if need be),
        mentioning the members of ``mention``."""
        ...

    async def channel_note(self, *, channel: str, text: str, mention: Role | None = None) -> None:
        """Post ``text`` to a channel, outside any release thread."""
        ...


class GateNotifier(Protocol):
    async def gate_report(self, *, card: ReleaseCard, report: GateReport) -> None:
        """Post the release's gate report in its thread, or update it in place."""
        ...


class CommitStatuses(Protocol):
    async def publish(self, *, repo: str, sha: str, report: GateReport) -> None:
        """Show each gate's verdict on the commit (GitHub commit statuses)."""
        ...
