"""Alert groups and the releases that likely caused them, on SQLite and PostgreSQL, with releases
deployed to the real sim fleet: a group is tied to the most recently deployed release of a train
shipping its service (deploying, paused, or released inside its monitoring window); a canary
still deploying is paused; Not related unties it for good; Rollback rolls the release back and
both threads follow."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.domain.release import ReleaseState
from bot.errors import NotAllowed
from tests.services.alert_bed import DAVE, RM, AlertBed, alert_bed, fire, notification
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import Sessions


@pytest.fixture
async def bed(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier
) -> AsyncIterator[AlertBed]:
    async with alert_bed(sessions=db_sessions, clock=clock, notifier=notifier) as made:
        yield made


def release_notes(bed: AlertBed, label: str) -> list[str]:
    return [note.text for note in bed.notifier.thread_of(label)]


# --- attribution ------------------------------------------------------------------------------


async def test_an_alert_during_a_canary_ties_to_the_release_and_pauses_it(bed: AlertBed) -> None:
    release = await bed.deploying("shop")
    deployed_at = bed.clock()
    bed.clock.advance(timedelta(seconds=20))

    stored = await bed.alerts.receive(notification(fire(at=bed.clock()), title="Checkout 5xx"))
    assert stored.tied is not None
    assert (stored.tied.release_id, stored.tied.service, stored.tied.in_flight) == (
        release.id, "checkout", True,
    )  # fmt: skip
    await bed.drain()

    paused = await bed.world.releases.get(release.id)
    assert paused.state is ReleaseState.PAUSED
    assert bed.fleet.services["checkout"].history[-1] == "weight 50"  # no further step
    assert bed.shown.links == [(stored.group_id, release.label)]
    assert bed.shown.texts(stored.group_id) == [
        f":double_vertical_bar: Paused the canary of {release.label} (checkout): this alert "
        "fired while it deploys. Resume it or roll it back from its thread, or press "
        "*Rollback* here."
    ]
    assert (
        f":double_vertical_bar: Paused {release.label}: an alert on checkout fired while it "
        "deploys (Checkout 5xx)." in release_notes(bed, release.label)
    )
    view = await bed.alerts.view(stored.group_id)
    assert view.attribution is not None
    assert (view.attribution.label, view.attribution.deployed_by) == (release.label, RM)
    assert view.attribution.deployed_at <= deployed_at
    assert (view.release_state, view.can_roll_back) == (ReleaseState.PAUSED, True)


async def test_an_alert_on_a_paused_release_ties_to_it_without_pausing_again(
    bed: AlertBed,
) -> None:
    release = await bed.deploying("solo")
    await bed.deploys.pause(release=release, actor=RM)

    stored = await bed.alerts.receive(notification(fire(at=bed.clock())))
    await bed.drain()

    assert stored.tied is not None
    assert (stored.tied.release_id, stored.tied.in_flight) == (release.id, False)
    assert bed.shown.links == [(stored.group_id, release.label)]
    assert bed.shown.texts(stored.group_id) == []  # nothing paused: no note


async def test_an_alert_inside_the_monitoring_window_ties_to_the_released_release(
    bed: AlertBed,
) -> None:
    release = await bed.released("solo")
    bed.clock.advance(timedelta(minutes=59))

    group = await bed.receive(fire(at=bed.clock()))

    view = await bed.alerts.view(group)
    assert view.attribution is not None
    assert (view.attribution.release_id, view.attribution.in_flight) == (release.id, False)
    assert (await bed.world.releases.get(release.id)).state is ReleaseState.RELEASED


async def test_the_most_recently_deployed_release_wins(bed: AlertBed) -> None:
    older = await bed.released("solo")
    bed.clock.advance(timedelta(minutes=5))
    newer = await bed.released("shop")  # ships checkout too
    bed.clock.advance(timedelta(minutes=5))

    group = await bed.receive(fire(at=bed.clock()))

    view = await bed.alerts.view(group)
    assert view.attribution is not None
    assert view.attribution.release_id == newer.id != older.id


async def test_no_release_is_tied_outside_its_window_or_for_other_services(
    bed: AlertBed,
) -> None:
    await bed.released("solo")
    bed.clock.advance(timedelta(minutes=61))

    late = await bed.receive(fire(at=bed.clock()), key="late")
    other = await bed.receive(fire(at=bed.clock(), service="ledger"), key="other")
    unnamed = await bed.receive(fire(at=bed.clock(), service=None), key="unnamed")

    for group in (late, other, unnamed):
        assert (await bed.alerts.view(group)).attribution is None
    assert bed.shown.links == []


async def test_a_service_named_by_a_later_service_label_is_attributed(bed: AlertBed) -> None:
    release = await bed.deploying("solo")
    stored = await bed.alerts.receive(notification(fire(at=bed.clock(), service=None, app="cart")))
    assert stored.tied is None  # solo does not ship cart
    shop = await bed.deploying("shop")
    again = await bed.alerts.receive(
        notification(fire(at=bed.clock(), service=None, app="checkout"), key="g2")
    )
    assert again.tied is not None
    assert again.tied.release_id == shop.id != release.id


# --- Not related --------------------------------------------------------------------------


async def test_not_related_unties_the_release_for_good(bed: AlertBed) -> None:
    release = await bed.released("solo")
    group = await bed.receive(fire(at=bed.clock()), title="Checkout 5xx")

    view = await bed.alerts.detach(group_id=group, actor=DAVE)
    await bed.drain()

    assert (view.attribution, view.detached, view.detached_by) == (None, (release.label,), DAVE)
    assert bed.shown.texts(group)[-1] == (
        f":link: <@U0DAVE> says this is not related to {release.label}; it is no longer tied "
        "to it, and never will be again."
    )
    assert (
        f":link: <@U0DAVE> says the alert thread Checkout 5xx is not related to {release.label}."
        in release_notes(bed, release.label)
    )
    group_trail = [(e.action, e.actor) for e in await bed.trail(group)]
    assert ("alert_not_related", DAVE) in group_trail
    release_trail = await bed.trail(release.id, subject="release")
    unrelated = [e for e in release_trail if e.action == "alert_not_related"]
    assert [(e.actor, e.details["group"]) for e in unrelated] == [(DAVE, group)]

    stored = await bed.alerts.receive(notification(fire("fp2", at=bed.clock(), name="Latency")))
    assert stored.tied is None  # a new alert of the group: still not tied to it
    assert (await bed.alerts.view(group)).attribution is None
    with pytest.raises(NotAllowed, match="not tied to a release"):
        await bed.alerts.detach(group_id=group, actor=DAVE)
    with pytest.raises(NotAllowed, match="nothing to roll back"):
        await bed.alerts.rollback(group_id=group, actor=DAVE)


# --- Rollback ---------------------------------------------------------------------------------


async def test_rollback_rolls_the_release_back_and_both_threads_follow(bed: AlertBed) -> None:
    release = await bed.released("solo")
    group = await bed.receive(fire(at=bed.clock()), title="Checkout 5xx")

    view = await bed.alerts.rollback(group_id=group, actor=DAVE)
    await bed.drain()

    assert view.release_state is ReleaseState.ROLLED_BACK
    assert not view.can_roll_back
    assert bed.fleet.services["checkout"].history[-1].startswith("rollback")
    texts = bed.shown.texts(group)
    assert texts == [
        f":leftwards_arrow_with_hook: <@U0DAVE> started rolling back {release.label}.",
        f":leftwards_arrow_with_hook: {release.label} is rolled back in 0.0s: all traffic is on "
        "the previous version again.",
    ]
    trail = await bed.trail(release.id, subject="release")
    rollback = next(e for e in trail if e.action == "rollback")
    assert rollback.actor == DAVE
    assert rollback.reason == "alert Checkout 5xx"  # who rolled back is the actor
    assert bed.shown.roots_of(group)[-1].release_state is ReleaseState.ROLLED_BACK


async def test_a_rollback_from_the_release_thread_is_told_in_the_alert_thread(
    bed: AlertBed,
) -> None:
    release = await bed.released("solo")
    group = await bed.receive(fire(at=bed.clock()))

    await bed.deploys.rollback(release=release, actor=RM)
    await bed.drain()

    assert bed.shown.texts(group)[0] == (
        f":leftwards_arrow_with_hook: <@U0ALICE> started rolling back {release.label}."
    )
    assert "is rolled back" in bed.shown.texts(group)[1]
