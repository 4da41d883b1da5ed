"""Escalation of an alert group nobody acknowledged: on-call mentioned in its thread, and a
PagerDuty incident triggered under the group's dedup key, then acknowledged or resolved with
the group. Each page is sent once: ``paged_at`` and ``page_resolved_at`` are set by
compare-and-set before the call."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import ColumnElement
from sqlmodel import col

from bot import messages
from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.domain.durations import format_duration
from bot.domain.roles import Role
from bot.errors import IntegrationError
from bot.observability.logs import get_logger
from bot.services.alert_models import AlertGroupView
from bot.services.releases import Sessions
from integrations.paging.base import Pager
from storage import alerts
from storage.models import AlertGroupRow

__all__ = ["Escalation"]

log = get_logger(__name__)

Note = Callable[[AlertGroupView, str, Role | None], Awaitable[None]]


class Escalation:
    def __init__(
        self, *, sessions: Sessions, config: AppConfig, pager: Pager | None, clock: Clock = utc_now
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._pager = pager
        self._clock = clock

    @property
    def paging(self) -> bool:
        return self._pager is not None

    async def escalate(self, view: AlertGroupView, note: Note) -> None:
        """Mention on-call in the thread and trigger the page (once per firing spell)."""
        timeout = format_duration(self._config.alerts.ack_timeout)
        paging = messages.ALERT_PAGING if self._pager is not None else ""
        await note(
            view, messages.ALERT_ESCALATED.format(timeout=timeout, paging=paging), Role.ONCALL
        )
        if self._pager is None:
            return
        row = await self._mark(view.group_id, "paged_at", col(AlertGroupRow.paged_at).is_(None))
        if row is None:
            return
        first = view.alerts[0] if view.alerts else None
        details = {
            "firing": str(view.summary.firing),
            "resolved": str(view.summary.resolved),
            "group": view.group_key,
        }
        if view.attribution is not None:
            details["likely caused by"] = view.attribution.label
        try:
            await self._pager.trigger(
                dedup_key=row.page_key,
                summary=f"{view.title}: {first.summary if first else ''}".rstrip(": "),
                severity=view.summary.severity or "error",
                source=(first.labels.get("service") if first else None) or "stationmaster",
                details=details,
                links=tuple((url, "source") for url in view.links[:5]),
            )
        except IntegrationError as exc:
            log.warning("page failed", group=view.group_id, reason=str(exc))
            await note(view, messages.ALERT_PAGE_FAILED.format(reason=exc), None)

    async def acknowledged(self, group: AlertGroupRow) -> None:
        """Acknowledge the group's page, when it was paged (a person acked it in Slack)."""
        if self._pager is None or group.paged_at is None:
            return
        try:
            await self._pager.acknowledge(dedup_key=group.page_key)
        except IntegrationError as exc:
            log.warning("page acknowledge failed", group=group.id, reason=str(exc))

    async def resolved(self, view: AlertGroupView) -> None:
        """Resolve the group's page once, when it was paged."""
        if self._pager is None or not view.paged:
            return
        row = await self._mark(
            view.group_id, "page_resolved_at", col(AlertGroupRow.page_resolved_at).is_(None)
        )
        if row is None:
            return
        try:
            await self._pager.resolve(dedup_key=row.page_key)
        except IntegrationError as exc:
            log.warning("page resolve failed", group=view.group_id, reason=str(exc))

    async def _mark(
        self, group_id: int, field: str, guard: ColumnElement[bool]
    ) -> AlertGroupRow | None:
        async with self._sessions() as session:
            row = await alerts.change_group(
                session=session,
                group_id=group_id,
                now=self._clock(),
                guards=[guard],
                **{field: self._clock()},
            )
            await session.commit()
        return row
