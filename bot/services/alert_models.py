"""What the alert service hands to interfaces: an alert group as its root message shows it, and
the notifier port that posts it (no rows, no Block Kit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from bot.domain.alerts import Alert, AlertSource, GroupSummary
from bot.domain.attribution import Attribution
from bot.domain.release import ReleaseState
from bot.domain.roles import Role
from bot.services.deploy_models import ROLLBACK_STATES
from bot.services.models import ReleaseCard

__all__ = ["AlertGroupView", "AlertNotifier", "GroupStatus", "Placed"]


class GroupStatus(StrEnum):
    """A group is firing until all its alerts resolve, or a person resolves it."""

    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, kw_only=True)
class AlertGroupView:
    """One alert group: what its root message and its buttons show."""

    group_id: int
    source: AlertSource
    group_key: str
    title: str
    channel: str
    """Where the group's thread lives (a channel name or ID, from the alert routes)."""
    status: GroupStatus
    summary: GroupSummary
    alerts: tuple[Alert, ...]
    """Every alert of the group, firing first, then by start."""
    now: datetime
    """When the view was taken: the root says how long the group has been firing."""
    attribution: Attribution | None = None
    release_state: ReleaseState | None = None
    """The attributed release's state now (Rollback is offered while it may roll back)."""
    detached: tuple[str, ...] = ()
    """Labels of releases a person said are not related."""
    detached_by: str | None = None
    acked_by: str | None = None
    acked_at: datetime | None = None
    acked_via: str | None = None
    """``slack`` or ``pagerduty``."""
    resolved_by: str | None = None
    """Who resolved it: a person's user ID; None when the alerts resolved themselves."""
    resolved_at: datetime | None = None
    escalated_at: datetime | None = None
    paged: bool = False
    """A PagerDuty incident was triggered for it."""
    links: tuple[str, ...] = field(default_factory=tuple)
    """Where to look (the alerts' generator or dashboard URLs), without repeats."""

    @property
    def acknowledged(self) -> bool:
        return self.acked_at is not None

    @property
    def resolved(self) -> bool:
        return self.status is GroupStatus.RESOLVED

    @property
    def can_roll_back(self) -> bool:
        return self.attribution is not None and self.release_state in ROLLBACK_STATES


@dataclass(frozen=True)
class Placed:
    """Where an alert group's root is."""

    channel: str
    ts: str
    posted: bool


class AlertNotifier(Protocol):
    async def alert_root(self, *, view: AlertGroupView) -> Placed:
        """Post the group's one root message in ``view.channel``, or update it in place."""
        ...

    async def alert_note(
        self, *, view: AlertGroupView, text: str, mention: Role | None = None
    ) -> None:
        """Post ``text`` in the group's thread (posting the root first if need be), mentioning
        the members of ``mention``. Posts are paced per channel under Slack's limit."""
        ...

    async def alert_link_back(self, *, view: AlertGroupView, card: ReleaseCard) -> None:
        """Post in the release's thread a link to the group's thread, once per group."""
        ...
