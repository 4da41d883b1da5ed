"""Storing a notification: its group opened once, its alerts merged (a repeat or a late retry
changes nothing), the group's state moved (resolved once every alert is, firing again on a new
occurrence), and, for a group not tied yet, the release that likely caused it found.

Every change is committed, and audited, before the webhook is answered. Receivers of one group
take the group's row lock (PostgreSQL) and an in-process lock, so they merge one at a time.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.domain.alerts import Alert, AlertStatus, Notification, merge, summarize
from bot.domain.attribution import Attribution, attribute, services_named
from bot.domain.roles import SystemActor
from bot.services.alert_models import GroupStatus
from bot.services.alert_rows import alert_fields, suspects, to_alert
from bot.services.releases import Sessions
from integrations.paging.base import dedup_key_for
from storage import alerts, audit
from storage.models import AlertGroupRow

__all__ = ["SUBJECT", "AlertIntake", "Stored"]

SUBJECT = "alert_group"
REOPENED = {
    "status": GroupStatus.FIRING.value, "resolved_at": None, "resolved_by": None,
    "acked_at": None, "acked_by": None, "acked_via": None, "escalated_at": None,
    "paged_at": None, "page_resolved_at": None,
}  # fmt: skip
"""A group firing again starts afresh: acknowledgement, escalation and page cleared."""


@dataclass(frozen=True)
class Stored:
    """What one notification did."""

    group_id: int
    created: bool
    changed: int
    """How many of its alerts changed something."""
    tied: Attribution | None = None
    """The release it was tied to just now."""
    resolved: bool = False
    """The group resolved just now."""
    reopened: bool = False


class AlertIntake:
    def __init__(self, *, sessions: Sessions, config: AppConfig, clock: Clock = utc_now) -> None:
        self._sessions = sessions
        self._config = config
        self._clock = clock
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def store(self, notification: Notification) -> Stored:
        now = self._clock()
        incoming = list({a.fingerprint: a for a in notification.alerts}.values())
        if not incoming:
            raise ValueError("a notification without alerts changes nothing")
        labels = dict(notification.labels)
        key = alerts.key_hash(notification.source.value, notification.group_key)
        async with self._locks[key], self._sessions() as session:
            opened, created = await alerts.open_group(
                session=session,
                source=notification.source.value,
                group_key=notification.group_key,
                page_key=dedup_key_for(notification.group_key),
                title=notification.title or incoming[0].name,
                channel=self._config.alerts.channel_for(labels),
                labels=labels,
                first_fired_at=min(a.starts_at for a in incoming),
                now=now,
            )
            assert opened.id is not None
            group = await alerts.lock_group(session=session, group_id=opened.id)
            assert group is not None
            assert group.id is not None
            group_id, was = group.id, GroupStatus(group.status)
            rows = await alerts.list_alerts(session=session, group_id=group_id)
            stored = {row.fingerprint: to_alert(row) for row in rows}
            changes = [new for a in incoming if (new := merge(stored.get(a.fingerprint), a))]
            if not changes:
                await session.rollback()
                return Stored(group_id=group_id, created=created, changed=0)
            fields = [alert_fields(a) for a in changes]
            await alerts.save_alerts(session=session, group_id=group_id, alerts=fields, now=now)
            after = list({**stored, **{a.fingerprint: a for a in changes}}.values())
            tied = None
            if group.release_id is None and (created or len(after) > len(stored)):
                tied = await self._attribute(session, group, after, now)
            values = self._moves(group, after, changes, stored, now)
            if tied is not None:
                values.update(release_id=tied.release_id, service=tied.service)
            changed = await alerts.change_group(
                session=session, group_id=group_id, now=now, **(values or {"title": group.title})
            )
            assert changed is not None
            await audit.record_audit(
                session=session, actor=SystemActor.ALERTS, action="alerts_received",
                subject_type=SUBJECT, subject_id=group_id, to_state=changed.status, at=now,
                details={"title": changed.title, "changed": len(changes),
                         "source": notification.source.value},
            )  # fmt: skip
            await session.commit()
        now_status = GroupStatus(changed.status)
        return Stored(
            group_id=group_id,
            created=created,
            changed=len(changes),
            tied=tied,
            resolved=was is GroupStatus.FIRING and now_status is GroupStatus.RESOLVED,
            reopened=was is GroupStatus.RESOLVED and now_status is GroupStatus.FIRING,
        )

    async def _attribute(
        self, session: AsyncSession, group: AlertGroupRow, found: list[Alert], now: datetime
    ) -> Attribution | None:
        named = services_named(
            [group.labels, *(a.labels for a in found)],
            service_labels=self._config.alerts.service_label,
        )
        if not named:
            return None
        candidates = await suspects(session=session, config=self._config, services=named)
        return attribute(
            services=named, suspects=candidates, now=now, excluded=frozenset(group.excluded)
        )

    @staticmethod
    def _moves(
        group: AlertGroupRow,
        after: list[Alert],
        changes: list[Alert],
        stored: dict[str, Alert],
        now: datetime,
    ) -> dict[str, Any]:
        """The group's new state: resolved once every alert is; firing again on a change that
        fires after the alerts resolved, or after a person resolved it (a new alert, or a new
        occurrence of one)."""
        summary = summarize(after)
        values: dict[str, Any] = {}
        if summary.first_fired_at is not None and summary.first_fired_at < group.first_fired_at:
            values["first_fired_at"] = summary.first_fired_at
        if group.status == GroupStatus.FIRING.value:
            if summary.all_resolved:
                ends = [a.ends_at for a in after if a.ends_at is not None]
                values.update(status=GroupStatus.RESOLVED.value, resolved_at=max(ends, default=now))
            return values
        resolved_at = group.resolved_at
        if any(
            a.status is AlertStatus.FIRING
            and (
                group.resolved_by is None
                or a.fingerprint not in stored
                or (resolved_at is not None and a.starts_at > resolved_at)
            )
            for a in changes
        ):
            again = min(a.starts_at for a in changes if a.status is AlertStatus.FIRING)
            values.update(REOPENED, first_fired_at=max(again, group.first_fired_at))
        return values
