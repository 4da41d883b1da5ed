"""Between the alert tables and the domain: rows to :class:`~bot.domain.alerts.Alert`, the
releases that may have caused an alert (:class:`~bot.domain.attribution.Suspect`), and an
alert group's view."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig
from bot.domain.alerts import Alert, AlertSource, AlertStatus, summarize
from bot.domain.attribution import Attribution, Suspect, SuspectState
from bot.domain.release import Action, ReleaseState
from bot.services.alert_models import AlertGroupView, GroupStatus
from bot.services.releases import SUBJECT
from storage import audit, releases
from storage.models import AlertGroupRow, AlertRow, ReleaseRow

__all__ = ["alert_fields", "attribution_of", "deployed", "group_view", "suspects", "to_alert"]

SUSPECT_STATES = [SuspectState.DEPLOYING, SuspectState.PAUSED, SuspectState.RELEASED]
SUSPECTS_LIMIT = 100


def to_alert(row: AlertRow) -> Alert:
    return Alert(
        fingerprint=row.fingerprint,
        status=AlertStatus(row.status),
        labels=dict(row.labels),
        annotations=dict(row.annotations),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        url=row.url,
    )


def alert_fields(alert: Alert) -> dict[str, Any]:
    """An alert as the columns :func:`storage.alerts.save_alerts` takes."""
    return {
        "fingerprint": alert.fingerprint,
        "status": alert.status.value,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "url": alert.url,
    }


async def deployed(*, session: AsyncSession, release_id: int) -> tuple[datetime, str] | None:
    """When the release's latest deploy started, and who started it."""
    trail = await audit.list_audit(session=session, subject_type=SUBJECT, subject_id=release_id)
    start = next((e for e in reversed(trail) if e.action == Action.DEPLOY.value), None)
    return (start.at, start.actor) if start is not None else None


async def suspects(
    *, session: AsyncSession, config: AppConfig, services: Sequence[str]
) -> list[Suspect]:
    """Releases deploying, paused or released of trains that ship any of ``services``."""
    trains = {
        name: frozenset(train.services)
        for name, train in config.trains.items()
        if set(train.services) & set(services)
    }
    if not trains:
        return []
    rows = await releases.list_releases(
        session=session, states=[s.value for s in SUSPECT_STATES], limit=SUSPECTS_LIMIT
    )
    found: list[Suspect] = []
    for row in rows:
        if row.train not in trains:
            continue
        suspect = await _suspect(session, row, trains[row.train], config)
        if suspect is not None:
            found.append(suspect)
    return found


async def _suspect(
    session: AsyncSession, row: ReleaseRow, services: frozenset[str], config: AppConfig
) -> Suspect | None:
    assert row.id is not None
    start = await deployed(session=session, release_id=row.id)
    if start is None:
        return None
    train = config.trains[row.train]
    return Suspect(
        release_id=row.id,
        label=f"{row.train}/{row.version}",
        version=row.version,
        services=services,
        state=SuspectState(row.state),
        deployed_at=start[0],
        deployed_by=start[1],
        released_at=row.released_at,
        window=train.monitoring_window,
    )


async def attribution_of(
    *, session: AsyncSession, group: AlertGroupRow
) -> tuple[Attribution, ReleaseState] | None:
    """The release the group is tied to, as an attribution, and that release's state now."""
    if group.release_id is None:
        return None
    row = await releases.get_release_by_id(session=session, release_id=group.release_id)
    start = await deployed(session=session, release_id=group.release_id)
    if row is None or start is None:
        return None
    state = ReleaseState(row.state)
    return (
        Attribution(
            release_id=group.release_id,
            label=f"{row.train}/{row.version}",
            version=row.version,
            service=group.service or "",
            deployed_at=start[0],
            deployed_by=start[1],
            in_flight=state is ReleaseState.DEPLOYING,
        ),
        state,
    )


async def group_view(
    *, session: AsyncSession, group: AlertGroupRow, alerts: Sequence[AlertRow], now: datetime
) -> AlertGroupView:
    assert group.id is not None
    domain = sorted(
        (to_alert(row) for row in alerts),
        key=lambda a: (a.status is not AlertStatus.FIRING, a.starts_at, a.fingerprint),
    )
    tied = await attribution_of(session=session, group=group)
    excluded = []
    for release_id in group.excluded:
        row = await releases.get_release_by_id(session=session, release_id=release_id)
        if row is not None:
            excluded.append(f"{row.train}/{row.version}")
    return AlertGroupView(
        group_id=group.id,
        source=AlertSource(group.source),
        group_key=group.group_key,
        title=group.title,
        channel=group.channel,
        status=GroupStatus(group.status),
        summary=summarize(domain),
        alerts=tuple(domain),
        now=now,
        attribution=tied[0] if tied else None,
        release_state=tied[1] if tied else None,
        detached=tuple(excluded),
        detached_by=group.detached_by,
        acked_by=group.acked_by,
        acked_at=group.acked_at,
        acked_via=group.acked_via,
        resolved_by=group.resolved_by,
        resolved_at=group.resolved_at,
        escalated_at=group.escalated_at,
        paged=group.paged_at is not None,
        links=tuple(dict.fromkeys(a.url for a in domain if a.url)),
    )
