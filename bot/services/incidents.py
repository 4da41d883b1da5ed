"""A release's incident: its deploy, its alerts, their acknowledgement, its rollback and their
resolution, as a timeline with the durations on-call is measured by (time to detect, to
acknowledge, to roll back, to resolve).

The instants come from where they happen: the release's audit trail (deploy, rollback) and the
alert groups tied to it (first firing, acknowledgement, resolution). :meth:`record` stores them
and the durations in ``incidents`` for metrics, and posts the timeline in the release's thread
once each time every group tied to it is resolved.
"""

from __future__ import annotations

from datetime import timedelta

from bot import messages
from bot.clock import Clock, utc_now
from bot.domain.durations import format_duration
from bot.domain.incidents import Durations, IncidentTimes, Step, timeline
from bot.domain.release import ReleaseState
from bot.errors import NotFound
from bot.services.aftermath import announce
from bot.services.alert_rows import deployed
from bot.services.models import ReleaseInfo
from bot.services.notify import Notifier
from bot.services.releases import SUBJECT, ReleaseService, Sessions
from storage import alerts, audit, incidents
from storage.models import AlertGroupRow

__all__ = ["IncidentService"]

FINISHED = {ReleaseState.ROLLED_BACK.value, ReleaseState.ROLLBACK_FAILED.value}


class IncidentService:
    def __init__(
        self,
        *,
        sessions: Sessions,
        releases: ReleaseService,
        notifier: Notifier,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._releases = releases
        self._notifier = notifier
        self._clock = clock

    async def times(self, release: ReleaseInfo) -> IncidentTimes:
        async with self._sessions() as session:
            groups = await alerts.groups_of_release(session=session, release_id=release.id)
            start = await deployed(session=session, release_id=release.id)
            trail = await audit.list_audit(
                session=session, subject_type=SUBJECT, subject_id=release.id
            )
        first = min(groups, key=lambda g: g.first_fired_at, default=None)
        acked = [g for g in groups if g.acked_at is not None]
        ack = min(acked, key=lambda g: g.acked_at or g.first_fired_at, default=None)
        started = next(
            (e for e in reversed(trail) if e.to_state == ReleaseState.ROLLING_BACK.value), None
        )
        finished = None
        if started is not None:
            after = trail[trail.index(started) + 1 :]
            finished = next((e for e in after if e.to_state in FINISHED), None)
        resolved = _resolution(groups)
        return IncidentTimes(
            deployed_at=start[0] if start else None,
            deployed_by=start[1] if start else None,
            first_alert_at=first.first_fired_at if first else None,
            first_alert=first.title if first else None,
            acked_at=ack.acked_at if ack else None,
            acked_by=ack.acked_by if ack else None,
            rollback_started_at=started.at if started else None,
            rollback_by=started.actor if started else None,
            rollback_finished_at=finished.at if finished else None,
            rollback_failed=finished is not None
            and finished.to_state == ReleaseState.ROLLBACK_FAILED.value,
            resolved_at=resolved.resolved_at if resolved else None,
            resolved_by=resolved.resolved_by if resolved else None,
        )

    async def timeline(self, release: ReleaseInfo) -> list[Step]:
        """The release's incident, in time order; NotFound when no alert was tied to it."""
        times = await self.times(release)
        if times.first_alert_at is None:
            raise NotFound(
                messages.INCIDENT_NONE.format(
                    label=release.label,
                    window=format_duration(self._releases.window(release.train)),
                )
            )
        return timeline(times)

    async def record(self, release: ReleaseInfo) -> None:
        """Store the incident's instants and durations; once every group tied to the release
        is resolved, post the timeline in its thread (once per resolution)."""
        times = await self.times(release)
        if times.first_alert_at is None:
            return
        spans = Durations.of(times)
        now = self._clock()
        async with self._sessions() as session:
            await incidents.save_incident(
                session=session,
                release_id=release.id,
                now=now,
                deployed_at=times.deployed_at,
                first_alert_at=times.first_alert_at,
                acked_at=times.acked_at,
                rollback_started_at=times.rollback_started_at,
                rollback_finished_at=times.rollback_finished_at,
                resolved_at=times.resolved_at,
                detect_seconds=_seconds(spans.detect),
                ack_seconds=_seconds(spans.acknowledge),
                rollback_seconds=_seconds(spans.rollback),
                resolve_seconds=_seconds(spans.resolve),
            )
            post = await incidents.claim_post(session=session, release_id=release.id, now=now)
            await session.commit()
        if post:
            text = messages.incident_timeline(release.label, timeline(times))
            card = self._releases.card(await self._releases.get(release.id))
            await announce(
                self._notifier.thread_note(card=card, text=text),
                what=f"incident timeline of {release.label}",
            )


def _resolution(groups: list[AlertGroupRow]) -> AlertGroupRow | None:
    """The group whose resolution resolved the incident: the last, once all are resolved."""
    if not groups or any(g.resolved_at is None for g in groups):
        return None
    return max(groups, key=lambda g: g.resolved_at or g.first_fired_at)


def _seconds(span: timedelta | None) -> float | None:
    return span.total_seconds() if span is not None else None
