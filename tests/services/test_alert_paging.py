"""Escalation, PagerDuty and the incident timeline, on SQLite and PostgreSQL: a group nobody
acknowledged within ``ack_timeout`` mentions on-call once and pages once (the real PagerDuty
client against the loopback fake), the page follows the group (acknowledged, resolved), PagerDuty's
webhooks act on the group, and a release's incident is measured, stored and posted once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.domain.incidents import StepKind
from bot.domain.roles import Role
from bot.errors import NotFound
from bot.services.alert_models import GroupStatus
from storage import incidents
from tests.services.alert_bed import (
    DAVE,
    AlertBed,
    alert_bed,
    build_alerts,
    fire,
    notification,
    resolve,
)
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import Sessions

ESCALATED = ":alarm_clock: Nobody acknowledged this within 5m. Paging on-call through PagerDuty."


@pytest.fixture
async def bed(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier
) -> AsyncIterator[AlertBed]:
    async with alert_bed(sessions=db_sessions, clock=clock, notifier=notifier) as made:
        yield made


def actions(bed: AlertBed) -> list[tuple[str, str]]:
    """The events PagerDuty took: (action, dedup key)."""
    return [(e["event_action"], e["dedup_key"]) for e in bed.pagerduty.events]


# --- escalation -------------------------------------------------------------------------------


async def test_an_unacknowledged_group_escalates_once_and_pages_once(bed: AlertBed) -> None:
    group = await bed.receive(fire(at=bed.clock()), key="checkout-errors", title="Checkout 5xx")
    bed.clock.advance(timedelta(minutes=4, seconds=59))
    await bed.alerts.escalate_due()
    assert bed.shown.notes == []
    assert bed.pagerduty.requests == []

    escalated_at = bed.clock.advance(timedelta(seconds=1))
    await bed.alerts.escalate_due()
    bed.clock.advance(timedelta(minutes=10))
    await bed.alerts.escalate_due()
    await bed.drain()

    assert [(n.text, n.mention) for n in bed.shown.notes] == [(ESCALATED, Role.ONCALL)]
    assert actions(bed) == [("trigger", "checkout-errors")]
    payload = bed.pagerduty.events[0]["payload"]
    assert (payload["severity"], payload["source"]) == ("critical", "checkout")
    assert payload["summary"] == "Checkout 5xx: HighErrorRate on checkout"
    assert payload["custom_details"] == {"firing": "1", "resolved": "0", "group": "checkout-errors"}
    view = await bed.alerts.view(group)
    assert (view.escalated_at, view.paged) == (escalated_at, True)
    assert [e.action for e in await bed.trail(group)].count("alert_escalated") == 1


async def test_an_acknowledged_group_never_escalates(bed: AlertBed) -> None:
    group = await bed.receive(fire(at=bed.clock()))
    await bed.alerts.acknowledge(group_id=group, actor=DAVE)
    bed.clock.advance(timedelta(hours=1))

    await bed.alerts.escalate_due()
    await bed.drain()

    assert (await bed.alerts.view(group)).escalated_at is None
    assert bed.pagerduty.requests == []


async def test_the_page_follows_the_group_acknowledged_then_resolved(bed: AlertBed) -> None:
    alert = fire(at=bed.clock())
    group = await bed.receive(alert, key="checkout-errors")
    bed.clock.advance(timedelta(minutes=5))
    await bed.alerts.escalate_due()

    await bed.alerts.acknowledge(group_id=group, actor=DAVE)
    await bed.drain()
    assert actions(bed) == [("trigger", "checkout-errors"), ("acknowledge", "checkout-errors")]
    assert bed.pagerduty.incidents["checkout-errors"].status == "acknowledged"

    ended = bed.clock.advance(timedelta(minutes=3))
    await bed.receive(resolve(alert, at=ended), key="checkout-errors")
    await bed.receive(resolve(alert, at=ended), key="checkout-errors")  # a repeat
    assert actions(bed)[2:] == [("resolve", "checkout-errors")]
    assert bed.pagerduty.incidents["checkout-errors"].status == "resolved"


async def test_a_group_never_paged_sends_nothing_when_it_resolves(bed: AlertBed) -> None:
    alert = fire(at=bed.clock())
    group = await bed.receive(alert)
    await bed.alerts.acknowledge(group_id=group, actor=DAVE)
    await bed.receive(resolve(alert, at=bed.clock.advance(timedelta(minutes=1))))

    assert (await bed.alerts.view(group)).resolved
    assert bed.pagerduty.requests == []


async def test_a_page_pagerduty_refuses_is_told_in_the_thread(bed: AlertBed) -> None:
    refused = build_alerts(
        world=bed.world, deploys=bed.deploys, incidents=bed.incidents, shown=bed.shown,
        spawner=bed.spawner, http=bed.http, pagerduty_url=bed.pagerduty.url,
        routing_key="too-short",
    )  # fmt: skip
    stored = await refused.receive(notification(fire(at=bed.clock())))
    bed.clock.advance(timedelta(minutes=5))

    await refused.escalate_due()
    await bed.drain()

    assert bed.pagerduty.events == []
    assert len(bed.pagerduty.requests) == 1  # a 400 is not retried
    texts = bed.shown.texts(stored.group_id)
    assert texts[0] == ESCALATED
    assert texts[1].startswith(":warning: PagerDuty did not take the page: PagerDuty refused")
    assert "routing key" in texts[1]
    assert "too-short" not in texts[1]
    view = await refused.view(stored.group_id)
    assert (view.status, view.escalated_at is not None) == (GroupStatus.FIRING, True)


# --- PagerDuty's webhooks -----------------------------------------------------------------


async def test_an_acknowledgement_in_pagerduty_acknowledges_the_group(bed: AlertBed) -> None:
    group = await bed.receive(fire(at=bed.clock()), key="checkout-errors")
    bed.clock.advance(timedelta(minutes=5))
    await bed.alerts.escalate_due()
    await bed.drain()

    named = await bed.alerts.page_event(
        page_key="checkout-errors", event="incident.acknowledged", agent="Dana <Oncall>"
    )
    await bed.drain()

    assert named == 1
    view = await bed.alerts.view(group)
    assert (view.acked_by, view.acked_via) == ("Dana <Oncall>", "pagerduty")
    assert bed.shown.texts(group)[-1] == (
        ":eyes: Dana &lt;Oncall&gt; acknowledged this via PagerDuty; escalation stopped."
    )
    assert actions(bed) == [("trigger", "checkout-errors")]  # nothing sent back to PagerDuty


async def test_a_resolve_in_pagerduty_resolves_the_group(bed: AlertBed) -> None:
    group = await bed.receive(fire(at=bed.clock()), key="checkout-errors")

    named = await bed.alerts.page_event(
        page_key="checkout-errors", event="incident.resolved", agent=None
    )
    again = await bed.alerts.page_event(
        page_key="checkout-errors", event="incident.acknowledged", agent="Dana"
    )
    await bed.drain()

    assert (named, again) == (1, 1)  # the late acknowledgement is ignored
    view = await bed.alerts.view(group)
    assert (view.status, view.resolved_by, view.acked_by) == (GroupStatus.RESOLVED, "someone", None)
    assert bed.shown.texts(group) == [":white_check_mark: someone resolved this via PagerDuty."]
    assert (
        await bed.alerts.page_event(page_key="unknown", event="incident.resolved", agent="x") == 0
    )


# --- the incident timeline ----------------------------------------------------------------


async def test_an_incident_is_measured_stored_and_posted_once(bed: AlertBed) -> None:
    release = await bed.released("solo")
    trail = await bed.trail(release.id, subject="release")
    deployed_at = next(e.at for e in trail if e.action == "deploy")
    fired_at = bed.clock.advance(timedelta(minutes=10))
    alert = fire(at=fired_at)
    group = await bed.receive(alert, title="Checkout 5xx")
    acked_at = bed.clock.advance(timedelta(minutes=2))
    await bed.alerts.acknowledge(group_id=group, actor=DAVE)
    rolled_at = bed.clock.advance(timedelta(minutes=1))
    await bed.alerts.rollback(group_id=group, actor=DAVE)
    await bed.drain()
    resolved_at = bed.clock.advance(timedelta(minutes=5))

    await bed.receive(resolve(alert, at=resolved_at))
    await bed.incidents.record(release)  # e.g. the rollback hook again: posted once still

    steps = await bed.incidents.timeline(release)
    assert [(s.kind, s.at, s.who) for s in steps] == [
        (StepKind.DEPLOYED, deployed_at, "U0ALICE"),
        (StepKind.FIRST_ALERT, fired_at, None),
        (StepKind.ACKNOWLEDGED, acked_at, DAVE),
        (StepKind.ROLLBACK_STARTED, rolled_at, DAVE),
        (StepKind.ROLLBACK_FINISHED, rolled_at, None),
        (StepKind.RESOLVED, resolved_at, None),
    ]
    assert steps[1].detail == "Checkout 5xx"
    async with bed.world.sessions() as session:
        row = await incidents.get_incident(session=session, release_id=release.id)
    assert row is not None
    assert (row.deployed_at, row.first_alert_at, row.resolved_at) == (
        deployed_at, fired_at, resolved_at,
    )  # fmt: skip
    assert (row.detect_seconds, row.ack_seconds, row.rollback_seconds, row.resolve_seconds) == (
        (fired_at - deployed_at).total_seconds(), 120.0, 0.0, 480.0,
    )  # fmt: skip
    posted = [
        note.text
        for note in bed.notifier.thread_of(release.label)
        if "Incident timeline" in note.text
    ]
    assert len(posted) == 1
    assert posted[0].startswith(f":spiral_note_pad: *Incident timeline of {release.label}*")
    assert "(time to acknowledge: *2m*)" in posted[0]
    assert "resolved (time to resolve: *8m*)" in posted[0]


async def test_a_release_without_alerts_has_no_timeline(bed: AlertBed) -> None:
    release = await bed.released("solo")
    with pytest.raises(NotFound, match=f"No alert has been tied to {release.label}"):
        await bed.incidents.timeline(release)
    await bed.incidents.record(release)  # nothing to store
    async with bed.world.sessions() as session:
        assert await incidents.get_incident(session=session, release_id=release.id) is None
