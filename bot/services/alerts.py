"""On-call alert threads: each alert group one thread, tied to the release that likely caused
it, with Rollback, Acknowledge, Resolve and Not related::

    webhook ──receive──> group (one per source + key) and its alerts stored, then answered
        new alerts, resolutions, a re-firing ──> the root updated in place, one batched line
        a repeat or a retry ──> nothing
        first alerts on a service a release is deploying (or released inside its window)
            ──> tied to the most recently deployed one; its canary paused; a link both ways
    Acknowledge ──CAS──> acked (escalation stops)      Resolve ──CAS──> resolved by a person
    Not related ──CAS──> untied, the release excluded   Rollback ──> the deploy service's rollback
    unacknowledged after ack_timeout ──> on-call mentioned, PagerDuty triggered (escalation)

Every group change is a compare-and-set that bumps the group's ``row_version`` and is audited;
the root shows the group at ``shown_version``. One show task per group folds quick changes into
one update (:mod:`bot.services.alert_show`), and :meth:`AlertService.watch` escalates what is
due and shows whatever a crash left unshown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.domain.alerts import Notification
from bot.domain.release import Action
from bot.domain.roles import Role, SystemActor
from bot.errors import NotAllowed, NotFound
from bot.observability.logs import get_logger
from bot.services.aftermath import announce
from bot.services.alert_intake import SUBJECT, AlertIntake, Stored
from bot.services.alert_models import AlertGroupView, AlertNotifier, GroupStatus
from bot.services.alert_paging import Escalation
from bot.services.alert_releases import FOLLOWED, AlertReleases
from bot.services.alert_show import SHOW_EVERY, AlertShow, actor_text
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.models import ReleaseInfo
from bot.services.notify import Notifier
from bot.services.releases import ReleaseService, Sessions
from storage import alerts, audit
from storage.models import AlertGroupRow

__all__ = ["AlertService"]

log = get_logger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None], str], object]
WATCH_EVERY = 5.0
"""The longest between two looks for escalations due."""


class AlertService:
    def __init__(
        self,
        *,
        sessions: Sessions,
        config: AppConfig,
        releases: ReleaseService,
        deploys: DeployService,
        incidents: IncidentService,
        notifier: AlertNotifier,
        release_notifier: Notifier,
        escalation: Escalation,
        spawn: Spawn | None,
        clock: Clock = utc_now,
        show_every: float = SHOW_EVERY,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._releases = releases
        self._deploys = deploys
        self._incidents = incidents
        self._notifier = notifier
        self._release_notifier = release_notifier
        self._escalation = escalation
        self._spawn = spawn
        self._clock = clock
        self._intake = AlertIntake(sessions=sessions, config=config, clock=clock)
        self._show = AlertShow(
            sessions=sessions, notifier=notifier, spawn=spawn, clock=clock, every=show_every
        )
        self._release_side = AlertReleases(
            sessions=sessions,
            config=config,
            releases=releases,
            deploys=deploys,
            incidents=incidents,
            show=self._show,
            notifier=notifier,
            release_notifier=release_notifier,
        )

    # receiving --------------------------------------------------------------------------------

    async def receive(self, notification: Notification) -> Stored:
        """Store the notification's changes (committed before this returns), then show them."""
        stored = await self._intake.store(notification)
        if stored.changed:
            self.kick(stored.group_id)
        if stored.tied is not None:
            self._later(self._release_side.tied(stored.group_id, stored.tied), "alert attributed")
        if stored.resolved:
            self._later(self._closed(stored.group_id), "alert group resolved")
        return stored

    # people's actions -------------------------------------------------------------------------

    async def acknowledge(self, *, group_id: int, actor: str, via: str = "slack") -> AlertGroupView:
        """Record who acknowledged (once: a repeat changes nothing); escalation stops."""
        changed = await self._change(
            group_id,
            actor,
            "alert_ack",
            guards=[
                col(AlertGroupRow.acked_at).is_(None),
                col(AlertGroupRow.status) == GroupStatus.FIRING.value,
            ],
            acked_by=actor,
            acked_at=self._clock(),
            acked_via=via,
        )
        view = await self.view(group_id)
        if changed is None:
            if view.resolved and not view.acknowledged:
                raise NotAllowed(self._already_resolved(view))
            return view
        via_text = " via PagerDuty" if via == "pagerduty" else ""
        await self._note(view, messages.ALERT_ACKED.format(who=actor_text(actor), via=via_text))
        if via != "pagerduty":
            self._later(self._escalation.acknowledged(changed), "page acknowledge")
        return view

    async def resolve(self, *, group_id: int, actor: str, via: str = "slack") -> AlertGroupView:
        """A person closes the group; alerts firing later (a new occurrence) open it again."""
        changed = await self._change(
            group_id,
            actor,
            "alert_resolve",
            guards=[col(AlertGroupRow.status) == GroupStatus.FIRING.value],
            status=GroupStatus.RESOLVED.value,
            resolved_by=actor,
            resolved_at=self._clock(),
        )
        view = await self.view(group_id)
        if changed is None:
            if view.resolved_by == actor:
                return view
            raise NotAllowed(self._already_resolved(view))
        via_text = " via PagerDuty" if via == "pagerduty" else ""
        text = messages.ALERT_RESOLVED_BY.format(who=actor_text(actor), via=via_text)
        await self._note(view, text)
        self._later(self._closed(group_id), "alert group resolved")
        return view

    async def detach(self, *, group_id: int, actor: str) -> AlertGroupView:
        """Not related: untie the group from its release, for good, and record the mistake."""
        before = await self.view(group_id)
        tied = before.attribution
        if tied is None:
            raise NotAllowed(messages.ALERT_NOT_ATTRIBUTED)
        async with self._sessions() as session:
            group = await alerts.get_group(session=session, group_id=group_id)
        excluded = sorted({*(group.excluded if group else ()), tied.release_id})

        async def on_the_release_too(session: AsyncSession) -> None:
            await audit.record_audit(
                session=session,
                actor=actor,
                action="alert_not_related",
                subject_type="release",
                subject_id=tied.release_id,
                at=self._clock(),
                details={"group": group_id, "title": before.title},
            )

        changed = await self._change(
            group_id,
            actor,
            "alert_not_related",
            guards=[col(AlertGroupRow.release_id) == tied.release_id],  # so excluded is current
            also=on_the_release_too,
            details={"release": tied.label, "service": tied.service},
            release_id=None,
            service=None,
            detached_by=actor,
            excluded=excluded,
        )
        view = await self.view(group_id)
        if changed is None:
            return view
        who = actor_text(actor)
        await self._note(view, messages.ALERT_NOT_RELATED.format(who=who, label=tied.label))
        release = await self._releases.get(tied.release_id)
        text = messages.ALERT_NOT_RELATED_RELEASE.format(
            who=actor_text(actor), title=messages.escape(view.title), label=tied.label
        )
        await announce(self._release_side.note(release, text), what="not-related note")
        return view

    async def rollback(self, *, group_id: int, actor: str) -> AlertGroupView:
        """Roll back the release the group is tied to; both threads follow it."""
        view = await self.view(group_id)
        if view.attribution is None:
            raise NotAllowed(messages.ALERT_NO_RELEASE)
        release = await self._releases.get(view.attribution.release_id)
        reason = f"alert {view.title}"
        await self._deploys.rollback(release=release, actor=actor, reason=reason)
        return await self.view(group_id)

    # the release side -------------------------------------------------------------------------

    def release_changed(self, release: ReleaseInfo, action: Action) -> None:
        """The hook for :meth:`ReleaseService.after_change`: a rollback, wherever it came from,
        is told in the release's alert threads, and their roots show the release's state."""
        if action in FOLLOWED:
            self._later(self._release_side.moved(release, action), "alerts follow release")

    # escalation and chores ----------------------------------------------------------------------

    async def escalate_due(self) -> None:
        """Escalate every firing group nobody acknowledged within ``ack_timeout`` (a leader
        chore); each is escalated once."""
        now = self._clock()
        async with self._sessions() as session:
            due = await alerts.groups_to_escalate(
                session=session, fired_before=now - self._config.alerts.ack_timeout
            )
        for group_id in due:
            changed = await self._change(
                group_id,
                SystemActor.ALERTS,
                "alert_escalated",
                guards=[
                    col(AlertGroupRow.acked_at).is_(None),
                    col(AlertGroupRow.escalated_at).is_(None),
                    col(AlertGroupRow.status) == GroupStatus.FIRING.value,
                ],
                escalated_at=now,
            )
            if changed is not None:
                await self._escalation.escalate(await self.view(group_id), self._note)

    async def watch(self) -> None:
        """Escalate what is due and show what lags, every few seconds, until cancelled (every
        replica runs it; the compare-and-sets make each escalation happen once)."""
        every = min(max(self._config.alerts.ack_timeout.total_seconds() / 5, 0.5), WATCH_EVERY)
        while True:
            try:
                await self.escalate_due()
                await self.sweep()
            except Exception:
                log.exception("alert watch failed; it runs again")
            await asyncio.sleep(every)

    async def sweep(self) -> None:
        """Show every group whose root lags behind its changes (after a crash)."""
        await self._show.sweep()

    async def page_event(self, *, page_key: str, event: str, agent: str | None) -> int:
        """PagerDuty says an incident was acknowledged or resolved: the groups paged under
        ``page_key`` follow. Returns how many groups it named."""
        async with self._sessions() as session:
            groups = await alerts.groups_by_page_key(session=session, page_key=page_key)
        who = agent or "someone"
        for group in groups:
            assert group.id is not None
            try:
                if event == "incident.acknowledged":
                    await self.acknowledge(group_id=group.id, actor=who, via="pagerduty")
                elif event == "incident.resolved":
                    await self.resolve(group_id=group.id, actor=who, via="pagerduty")
            except NotAllowed:
                continue  # already resolved here: PagerDuty only caught up
        return len(groups)

    # showing ----------------------------------------------------------------------------------

    async def view(self, group_id: int) -> AlertGroupView:
        return await self._show.view(group_id)

    def kick(self, group_id: int) -> None:
        """Show the group soon (its root, then a line for what changed)."""
        self._show.kick(group_id)

    # helpers ----------------------------------------------------------------------------------

    async def _closed(self, group_id: int) -> None:
        """After a group resolves: resolve its page, and post the release's incident timeline
        once every group tied to the release is resolved."""
        view = await self.view(group_id)
        await self._escalation.resolved(view)
        if view.attribution is not None:
            release = await self._releases.get(view.attribution.release_id)
            await self._incidents.record(release)

    async def _change(
        self,
        group_id: int,
        actor: str,
        action: str,
        *,
        guards: list[ColumnElement[bool]],
        details: dict[str, Any] | None = None,
        also: Callable[[AsyncSession], Awaitable[None]] | None = None,
        **values: Any,
    ) -> AlertGroupRow | None:
        """A compare-and-set of the group, audited (with ``also`` in the same transaction), and
        its root shown again; None when a guard failed."""
        now = self._clock()
        async with self._sessions() as session:
            if await alerts.get_group(session=session, group_id=group_id) is None:
                raise NotFound(messages.ALERT_GONE)
            changed = await alerts.change_group(
                session=session, group_id=group_id, now=now, guards=guards, **values
            )
            if changed is not None:
                await self._audit(session, changed, action, actor, now, details=details)
                if also is not None:
                    await also(session)
            await session.commit()
        if changed is not None:
            self.kick(group_id)
        return changed

    async def _audit(
        self,
        session: AsyncSession,
        group: AlertGroupRow,
        action: str,
        actor: str,
        now: datetime,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        assert group.id is not None
        await audit.record_audit(
            session=session,
            actor=actor,
            action=action,
            subject_type=SUBJECT,
            subject_id=group.id,
            to_state=group.status,
            at=now,
            details={"title": group.title, **(details or {})},
        )

    async def _note(self, view: AlertGroupView, text: str, mention: Role | None = None) -> None:
        await self._show.note(view, text, mention)

    def _later(self, work: Coroutine[Any, Any, None], name: str) -> None:
        if self._spawn is None:
            work.close()
            return
        self._spawn(work, name)

    @staticmethod
    def _already_resolved(view: AlertGroupView) -> str:
        by = f" by {actor_text(view.resolved_by)}" if view.resolved_by else ""
        return messages.ALERT_ALREADY_RESOLVED.format(by=by)
