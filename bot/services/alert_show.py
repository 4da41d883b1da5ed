"""Showing alert groups in Slack: each group's root posted once and updated in place, and the
alert changes its root has not told yet posted as one batched line in its thread.

One show task per group folds quick changes into one update (at most one every ``every``
seconds); the group's ``shown_version`` records what the root shows, so a sweep after a crash
finds the groups left behind. Each alert change is claimed before it is told, so it is told once,
across replicas.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from bot import messages
from bot.clock import Clock, utc_now
from bot.domain.alerts import Alert, AlertStatus
from bot.domain.roles import Role
from bot.errors import NotFound
from bot.services.aftermath import announce
from bot.services.alert_models import AlertGroupView, AlertNotifier
from bot.services.alert_rows import group_view, to_alert
from bot.services.releases import Sessions
from storage import alerts

__all__ = ["AlertShow", "actor_text", "batch_line"]

Spawn = Callable[[Coroutine[Any, Any, None], str], object]
SHOW_EVERY = 1.0
"""Seconds between two updates of one group's root: quicker changes fold into the next."""


class AlertShow:
    def __init__(
        self,
        *,
        sessions: Sessions,
        notifier: AlertNotifier,
        spawn: Spawn | None,
        clock: Clock = utc_now,
        every: float = SHOW_EVERY,
    ) -> None:
        self._sessions = sessions
        self._notifier = notifier
        self._spawn = spawn
        self._clock = clock
        self._every = every
        self._showing: set[int] = set()
        self._dirty: set[int] = set()

    async def view(self, group_id: int) -> AlertGroupView:
        async with self._sessions() as session:
            group = await alerts.get_group(session=session, group_id=group_id)
            if group is None:
                raise NotFound(messages.ALERT_GONE)
            found = await alerts.list_alerts(session=session, group_id=group_id)
            return await group_view(session=session, group=group, alerts=found, now=self._clock())

    async def note(self, view: AlertGroupView, text: str, mention: Role | None = None) -> None:
        """Post ``text`` in the group's thread; a Slack failure is logged, never raised."""
        await announce(
            self._notifier.alert_note(view=view, text=text, mention=mention),
            what=f"alert note {view.group_id}",
        )

    def kick(self, group_id: int) -> None:
        """Show the group soon: one task per group, which folds quick changes together."""
        self._dirty.add(group_id)
        if group_id in self._showing or self._spawn is None:
            return
        self._showing.add(group_id)
        self._spawn(self._loop(group_id), f"alert {group_id}")

    async def _loop(self, group_id: int) -> None:
        try:
            while group_id in self._dirty:
                self._dirty.discard(group_id)
                await announce(self.show(group_id), what=f"alert group {group_id}")
                if group_id in self._dirty:
                    await asyncio.sleep(self._every)
        finally:
            self._showing.discard(group_id)

    async def show(self, group_id: int) -> None:
        """Post or update the root, then tell the alert changes it has not told, in one line
        (a root just posted shows them all already)."""
        async with self._sessions() as session:
            group = await alerts.get_group(session=session, group_id=group_id)
        if group is None:
            return
        view = await self.view(group_id)
        placed = await self._notifier.alert_root(view=view)
        async with self._sessions() as session:
            told = await alerts.claim_announcements(session=session, group_id=group_id)
            await alerts.mark_shown(session=session, group_id=group_id, version=group.row_version)
            await session.commit()
        if placed.posted or not told:
            return
        await self.note(view, batch_line([to_alert(row) for row in told]))

    async def sweep(self) -> None:
        """Show every group whose root lags behind its changes (after a crash)."""
        async with self._sessions() as session:
            for group_id in await alerts.groups_to_show(session=session):
                self.kick(group_id)


def batch_line(told: list[Alert]) -> str:
    """One line for a batch of alert changes: what fired, and what resolved."""
    parts = []
    kinds = (
        (AlertStatus.FIRING, messages.ALERT_NEW),
        (AlertStatus.RESOLVED, messages.ALERT_CLEARED),
    )
    for status, text in kinds:
        batch = [_named(a) for a in told if a.status is status]
        if batch:
            parts.append(text.format(count=len(batch), names=messages.alert_names(batch)))
    return " · ".join(parts)


def _named(alert: Alert) -> str:
    service = alert.labels.get("service") or alert.labels.get("instance")
    return f"{alert.name} ({service})" if service else alert.name


def actor_text(actor: str) -> str:
    """A mention for a Slack user; a name from elsewhere (PagerDuty's agent) escaped."""
    named = messages.who(actor)
    return named if named.startswith("<@") else messages.escape(named)
