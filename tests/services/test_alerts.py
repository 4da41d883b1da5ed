"""AlertService on SQLite and PostgreSQL: notifications open one group each, a repeat or a late
retry changes nothing, new alerts after the root become one batched line, a group resolves with
its alerts or by a person and fires again on a new occurrence, and acknowledging happens once.

Releases, attribution and rollbacks: ``test_alert_releases.py``; escalation, PagerDuty and the
incident timeline: ``test_alert_paging.py``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from bot.errors import NotAllowed, NotFound
from bot.services.alert_models import GroupStatus
from storage import alerts as alert_rows
from storage.models import AlertGroupRow, AlertRow
from tests.services.alert_bed import (
    DAVE,
    RM,
    AlertBed,
    alert_bed,
    fire,
    notification,
    resolve,
)
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import Sessions


@pytest.fixture
async def bed(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier
) -> AsyncIterator[AlertBed]:
    async with alert_bed(sessions=db_sessions, clock=clock, notifier=notifier) as made:
        yield made


async def count(bed: AlertBed, model: type[AlertGroupRow] | type[AlertRow]) -> int:
    async with bed.world.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(model))).one())


# --- receiving --------------------------------------------------------------------------------


async def test_a_notification_opens_one_group_and_posts_its_root(bed: AlertBed) -> None:
    now = bed.clock()
    stored = await bed.alerts.receive(notification(fire(at=now), title="Checkout errors"))
    assert (stored.created, stored.changed, stored.tied) == (True, 1, None)
    await bed.drain()

    view = await bed.alerts.view(stored.group_id)
    assert (view.title, view.channel, view.status) == ("Checkout errors", "#oncall", "firing")
    assert [a.fingerprint for a in view.alerts] == ["fp1"]
    assert (view.summary.firing, view.summary.severity, view.summary.first_fired_at) == (
        1, "critical", now,
    )  # fmt: skip
    assert view.links == ("https://prometheus.example.com/graph?fp1",)
    assert [root.group_id for root in bed.shown.roots] == [stored.group_id]
    assert bed.shown.notes == []  # the new root shows the alert: no line for it
    trail = await bed.trail(stored.group_id)
    assert [(e.action, e.actor, e.to_state) for e in trail] == [
        ("alerts_received", "alerts", "firing")
    ]


async def test_a_route_sends_a_group_to_its_channel(bed: AlertBed) -> None:
    group = await bed.receive(fire(at=bed.clock(), team="payments"))
    assert (await bed.alerts.view(group)).channel == "#payments"


async def test_a_repeat_changes_nothing(bed: AlertBed) -> None:
    alert = fire(at=bed.clock())
    group = await bed.receive(alert)
    async with bed.world.sessions() as session:
        before = await alert_rows.get_group(session=session, group_id=group)
    bed.clock.advance(timedelta(minutes=4))  # Alertmanager's repeat_interval

    again = await bed.alerts.receive(notification(alert))
    await bed.drain()

    assert (again.group_id, again.created, again.changed) == (group, False, 0)
    async with bed.world.sessions() as session:
        after = await alert_rows.get_group(session=session, group_id=group)
    assert before is not None
    assert after is not None
    assert (after.row_version, after.updated_at) == (before.row_version, before.updated_at)
    assert len(bed.shown.roots) == 1
    assert bed.shown.notes == []
    assert len(await bed.trail(group)) == 1


async def test_concurrent_notifications_of_one_group_make_one_group(bed: AlertBed) -> None:
    now = bed.clock()
    replicas = [bed.alerts, bed.restart()]  # two replicas: only the database orders them
    received = await asyncio.gather(
        *(replicas[i % 2].receive(notification(fire(f"fp{i}", at=now))) for i in range(20))
    )
    await bed.drain()

    assert len({stored.group_id for stored in received}) == 1
    assert sum(stored.created for stored in received) == 1
    assert (await count(bed, AlertGroupRow), await count(bed, AlertRow)) == (1, 20)
    view = await bed.alerts.view(received[0].group_id)
    assert view.summary.firing == 20
    assert len(bed.shown.roots_of(view.group_id)) >= 1


async def test_new_alerts_after_the_root_are_told_in_one_line(bed: AlertBed) -> None:
    now = bed.clock()
    group = await bed.receive(fire("fp1", at=now))
    for i, name in enumerate(["Latency", "Saturation", "Errors"], start=2):
        await bed.alerts.receive(notification(fire(f"fp{i}", at=now, name=name)))
    await bed.drain()

    assert bed.shown.texts(group) == [
        ":fire: 3 new firing: Latency (checkout), Saturation (checkout), Errors (checkout)"
    ]
    assert bed.shown.roots_of(group)[-1].summary.firing == 4
    async with bed.world.sessions() as session:
        row = await alert_rows.get_group(session=session, group_id=group)
    assert row is not None
    assert row.shown_version == row.row_version  # the root shows every change


async def test_a_group_resolves_when_all_its_alerts_resolve(bed: AlertBed) -> None:
    now = bed.clock()
    one, two = fire("fp1", at=now), fire("fp2", at=now, name="Latency")
    group = await bed.receive(one, two)
    bed.clock.advance(timedelta(minutes=3))
    first = await bed.alerts.receive(notification(resolve(one, at=bed.clock()), two))
    assert not first.resolved
    ended = bed.clock.advance(timedelta(minutes=2))

    last = await bed.alerts.receive(notification(resolve(two, at=ended)))
    await bed.drain()

    assert last.resolved
    view = await bed.alerts.view(group)
    assert (view.status, view.resolved_by, view.resolved_at) == (GroupStatus.RESOLVED, None, ended)
    assert view.summary.all_resolved
    assert bed.shown.texts(group) == [  # both resolutions came before the show: one line
        ":white_check_mark: 2 resolved: HighErrorRate (checkout), Latency (checkout)"
    ]


async def test_a_new_occurrence_reopens_a_group_and_clears_its_escalation(bed: AlertBed) -> None:
    started = bed.clock()
    alert = fire(at=started)
    group = await bed.receive(alert)
    bed.clock.advance(timedelta(minutes=6))
    await bed.alerts.escalate_due()
    ended = bed.clock.advance(timedelta(minutes=1))
    await bed.receive(resolve(alert, at=ended))
    assert (await bed.alerts.view(group)).escalated_at is not None

    late = await bed.alerts.receive(notification(alert))  # the old firing report, retried
    assert late.changed == 0
    assert (await bed.alerts.view(group)).resolved

    again = bed.clock.advance(timedelta(minutes=10))
    stored = await bed.alerts.receive(notification(fire(at=again)))
    await bed.drain()
    assert stored.reopened
    view = await bed.alerts.view(group)
    assert (view.status, view.resolved_at, view.escalated_at, view.paged) == (
        GroupStatus.FIRING, None, None, False,
    )  # fmt: skip
    assert bed.shown.texts(group)[-1] == ":fire: 1 new firing: HighErrorRate (checkout)"


# --- acknowledging and resolving ------------------------------------------------------------


async def test_acknowledging_happens_once(bed: AlertBed) -> None:
    group = await bed.receive(fire(at=bed.clock()))
    acked_at = bed.clock.advance(timedelta(minutes=1))

    view = await bed.alerts.acknowledge(group_id=group, actor=DAVE)
    bed.clock.advance(timedelta(minutes=1))
    again = await bed.alerts.acknowledge(group_id=group, actor=RM)
    await bed.drain()

    assert (view.acked_by, view.acked_at, view.acked_via) == (DAVE, acked_at, "slack")
    assert (again.acked_by, again.acked_at) == (DAVE, acked_at)
    assert bed.shown.texts(group) == [":eyes: <@U0DAVE> acknowledged this; escalation stopped."]
    assert [e.actor for e in await bed.trail(group) if e.action == "alert_ack"] == [DAVE]
    assert bed.shown.roots_of(group)[-1].acked_by == DAVE


async def test_a_group_that_resolved_by_itself_cannot_be_acknowledged(bed: AlertBed) -> None:
    alert = fire(at=bed.clock())
    group = await bed.receive(alert)
    await bed.receive(resolve(alert, at=bed.clock.advance(timedelta(minutes=1))))

    with pytest.raises(NotAllowed, match="already resolved"):
        await bed.alerts.acknowledge(group_id=group, actor=DAVE)
    assert (await bed.alerts.view(group)).acked_by is None


async def test_a_person_resolves_a_group_once(bed: AlertBed) -> None:
    group = await bed.receive(fire(at=bed.clock()))
    at = bed.clock.advance(timedelta(minutes=2))

    view = await bed.alerts.resolve(group_id=group, actor=DAVE)
    same = await bed.alerts.resolve(group_id=group, actor=DAVE)
    with pytest.raises(NotAllowed, match=r"already resolved by <@U0DAVE>"):
        await bed.alerts.resolve(group_id=group, actor=RM)
    with pytest.raises(NotAllowed, match="already resolved"):
        await bed.alerts.acknowledge(group_id=group, actor=RM)
    await bed.drain()

    assert (view.status, view.resolved_by, view.resolved_at) == (GroupStatus.RESOLVED, DAVE, at)
    assert same.resolved_by == DAVE
    assert bed.shown.texts(group) == [":white_check_mark: <@U0DAVE> resolved this."]
    assert [e.action for e in await bed.trail(group)].count("alert_resolve") == 1


async def test_after_a_person_resolved_only_a_new_alert_reopens_the_group(bed: AlertBed) -> None:
    alert = fire(at=bed.clock())
    group = await bed.receive(alert)
    await bed.alerts.resolve(group_id=group, actor=DAVE)

    repeat = await bed.alerts.receive(notification(alert))
    assert repeat.changed == 0
    assert (await bed.alerts.view(group)).resolved

    other = await bed.alerts.receive(notification(fire("fp2", at=bed.clock(), name="Latency")))
    assert other.reopened
    view = await bed.alerts.view(group)
    assert (view.status, view.resolved_by) == (GroupStatus.FIRING, None)


async def test_acting_on_a_missing_group_is_not_found(bed: AlertBed) -> None:
    with pytest.raises(NotFound, match="no longer exists"):
        await bed.alerts.acknowledge(group_id=999, actor=DAVE)
    with pytest.raises(NotFound):
        await bed.alerts.view(999)


async def test_a_sweep_shows_a_group_its_root_lags_behind(bed: AlertBed) -> None:
    stored = await bed.alerts.receive(notification(fire(at=bed.clock())))
    other = bed.restart()  # the replica died before it showed the group
    assert bed.shown.roots == []

    await other.sweep()
    await bed.drain()

    assert [root.group_id for root in bed.shown.roots] == [stored.group_id]
    async with bed.world.sessions() as session:
        lagging = await alert_rows.groups_to_show(session=session)
    assert lagging == []
