"""TrainService with a fake clock, on SQLite and PostgreSQL: each milestone fires once, a new
train never back-fills, downtime is caught up within misfire_grace, and freezes are CAS + audit.

Times: Europe/Berlin is UTC+1 in late November 2026, so web's Monday 10:00 cut is 09:00 UTC.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.calendar import Milestone
from bot.domain.roles import Role
from bot.errors import Conflict, NotAllowed, NotFound, UsageError
from bot.services.models import ReleaseInfo
from storage import audit, milestones
from storage.models import MilestoneRunRow
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import MONDAY_CUT, TO_APPROVED, World, build, walk

ALICE, ERIN = "U0ALICE", "U0ERIN"
TUESDAY_FREEZE = MONDAY_CUT + timedelta(days=1)
WEDNESDAY_SIGNOFF = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # 16:00 Berlin
THURSDAY_RELEASE = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # 10:00 Berlin


async def fire_due(
    world: World, at: datetime, *, train: str = "web"
) -> list[tuple[str, str | None]]:
    """Move the clock to ``at`` and fire what is due for ``train``, as a scheduler tick does
    (the other train's occurrences stay due)."""
    world.clock.set(at)
    fired = []
    for occurrence in await world.trains.due(now=at):
        if occurrence.train == train:
            fired.append((occurrence.name, await world.trains.fire(occurrence, now=at)))
    return fired


async def run_of(world: World, milestone: str, *, train: str = "web") -> MilestoneRunRow:
    async with world.sessions() as session:
        run = await milestones.last_run(session=session, train=train, milestone=milestone)
    assert run is not None
    return run


# firing once ----------------------------------------------------------------------------------


async def test_monday_cut_fires_once_even_after_a_restart_or_on_a_second_replica(
    world: World, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()
    assert await world.trains.due(now=clock()) == []
    clock.set(MONDAY_CUT + timedelta(seconds=2))

    due = await world.trains.due(now=clock())

    assert [(o.train, o.name, o.scheduled_local, o.fires_at) for o in due] == [
        ("web", "cut", datetime(2026, 11, 23, 10, 0), MONDAY_CUT)  # noqa: DTZ001 - wall time
    ]
    assert await world.trains.fire(due[0], now=clock()) == "done"
    assert await world.trains.fire(due[0], now=clock()) is None
    assert await world.trains.due(now=clock()) == []

    for replica in ("restarted:2:bbbb", "replica-b:3:cccc"):
        other = build(
            sessions=world.sessions,
            config=world.config,
            clock=clock,
            notifier=notifier,
            replica=replica,
        )
        await other.trains.ensure()
        assert await other.trains.due(now=clock()) == []
        assert await other.trains.fire(due[0], now=clock()) is None

    run = await run_of(world, "cut")
    releases = await world.releases.listing(everything=True)
    assert [r.label for r in releases] == ["web/2026.11.1"]
    assert (run.status, run.release_id, run.claimed_by) == (
        "done",
        releases[0].id,
        "test-host:1:aaaa",
    )
    assert run.fires_at == MONDAY_CUT
    assert len(notifier.cards) == 1


async def test_a_new_train_starts_from_now_without_back_fill(
    world: World, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    wednesday = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # after Monday's cut and Tuesday's freeze
    clock.set(wednesday)

    assert await world.trains.due(now=clock()) == []
    assert (await world.trains.state("web")).schedule_anchor == wednesday

    fired = await fire_due(world, datetime(2026, 11, 25, 14, 0, 1, tzinfo=UTC))
    assert fired == [("reminder-signoff_deadline-1h", "done")]
    assert await world.releases.listing(everything=True) == []
    assert notifier.channel[-1].text == "Reminder: the signoff deadline is in 1h."
    assert notifier.channel[-1].mention is Role.QA


async def test_after_downtime_within_misfire_grace_a_milestone_runs_once(
    world: World, clock: FakeClock
) -> None:
    await world.trains.ensure()

    fired = await fire_due(world, MONDAY_CUT + timedelta(minutes=59))

    assert fired == [("cut", "done")]
    assert await fire_due(world, MONDAY_CUT + timedelta(minutes=61)) == []
    assert [r.label for r in await world.releases.listing()] == ["web/2026.11.1"]


async def test_after_downtime_beyond_misfire_grace_a_milestone_is_skipped_with_a_notice(
    world: World, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()

    fired = await fire_due(world, MONDAY_CUT + timedelta(hours=2))

    assert fired == [("cut", "skipped")]
    run = await run_of(world, "cut")
    assert (run.status, run.detail, run.release_id) == ("skipped", "missed by 2h", None)
    assert run.finished_at is not None
    assert await world.releases.listing(everything=True) == []
    assert [(n.channel, n.text) for n in notifier.channel] == [
        (
            "#releases",
            "The cut of web was missed by 2h (the bot was down), more than its misfire grace "
            "of 1h: it was skipped. Run it by hand if it is still wanted.",
        )
    ]
    assert await fire_due(world, MONDAY_CUT + timedelta(hours=3)) == []
    assert len(notifier.channel) == 1


async def test_a_long_outage_skips_the_stale_milestones_and_runs_the_recent_ones(
    world: World, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()
    await fire_due(world, MONDAY_CUT)

    fired = await fire_due(world, WEDNESDAY_SIGNOFF + timedelta(minutes=30))

    assert fired == [
        ("freeze", "skipped"),
        ("reminder-signoff_deadline-1h", "skipped"),
        ("reminder-signoff_deadline-15m", "skipped"),  # its deadline has passed
        ("signoff_deadline", "done"),
    ]
    missed = [n.text for n in notifier.channel]
    assert len(missed) == 1  # late reminders are dropped without a notice
    assert missed[0].startswith("The freeze of web was missed by 1d6h30m")


# what milestones say --------------------------------------------------------------------------


async def test_milestone_notes_land_in_the_release_thread_mentioning_the_right_role(
    world: World, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()
    assert await fire_due(world, MONDAY_CUT) == [("cut", "done")]
    label = "web/2026.11.1"
    assert await fire_due(world, TUESDAY_FREEZE) == [("freeze", "done")]
    await fire_due(world, WEDNESDAY_SIGNOFF - timedelta(hours=1))
    await fire_due(world, WEDNESDAY_SIGNOFF - timedelta(minutes=15))
    assert await fire_due(world, WEDNESDAY_SIGNOFF) == [("signoff_deadline", "done")]
    await fire_due(world, THURSDAY_RELEASE - timedelta(hours=1))
    await fire_due(world, THURSDAY_RELEASE - timedelta(minutes=15))
    assert await fire_due(world, THURSDAY_RELEASE) == [("release", "done")]

    assert notifier.channel == []
    assert [(n.text, n.mention) for n in notifier.thread_of(label)[1:]] == [
        ("Code freeze: from now on only fixes for this release go in.", None),
        ("Reminder: the signoff deadline is in 1h.", Role.QA),
        ("Reminder: the signoff deadline is in 15m.", Role.QA),
        (
            "Sign-off is overdue: web/2026.11.1 is still gating at its sign-off deadline.",
            Role.RELEASE_MANAGER,
        ),
        ("Reminder: the release is in 1h.", Role.RELEASE_MANAGER),
        ("Reminder: the release is in 15m.", Role.RELEASE_MANAGER),
        ("Release time, but web/2026.11.1 is gating, so it is held.", Role.RELEASE_MANAGER),
    ]
    release = await world.releases.resolve(label)
    assert (await run_of(world, "release")).release_id == release.id
    assert (await run_of(world, "reminder-release-15m")).release_id == release.id


async def test_an_approved_release_is_due_for_signoff_and_ready_at_release_time(
    world: World, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()
    await fire_due(world, MONDAY_CUT)
    cut = await world.releases.resolve("web/2026.11.1")
    await walk(world.releases, cut, TO_APPROVED, actor=ALICE)

    await fire_due(world, WEDNESDAY_SIGNOFF)
    await fire_due(world, THURSDAY_RELEASE)

    notes = [(n.text, n.mention) for n in notifier.thread_of(cut.label)]
    assert (
        "The sign-off deadline is now: QA, please approve or reject this release.",
        Role.QA,
    ) in notes
    assert notes[-1] == (
        "Release time: web/2026.11.1 is approved and ready to deploy "
        "(`/release deploy web/2026.11.1`).",
        Role.RELEASE_MANAGER,
    )


async def test_the_release_milestone_deploys_an_approved_release(
    world: World, notifier: RecordingNotifier
) -> None:
    deployed: list[str] = []

    async def deploy(release: ReleaseInfo) -> None:
        deployed.append(release.label)
        if len(deployed) > 1:
            raise NotAllowed("web is frozen by <@U0ALICE> (launch), so nothing deploys")

    world.trains.deploy_with(deploy)
    await world.trains.ensure()
    await fire_due(world, MONDAY_CUT)
    cut = await world.releases.resolve("web/2026.11.1")
    await walk(world.releases, cut, TO_APPROVED, actor=ALICE)
    await fire_due(world, THURSDAY_RELEASE)
    assert deployed == ["web/2026.11.1"]
    assert not any("ready to deploy" in n.text for n in notifier.thread_of(cut.label))

    await fire_due(world, THURSDAY_RELEASE + timedelta(days=7))  # still approved: a refusal
    refusal = notifier.thread_of(cut.label)[-1]
    assert refusal.text.startswith("web is frozen by <@U0ALICE> (launch)")
    assert refusal.mention is Role.RELEASE_MANAGER


async def test_without_a_release_in_flight_notes_go_to_the_channel(
    world: World, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()
    await fire_due(world, MONDAY_CUT)
    cut = await world.releases.resolve("web/2026.11.1")
    await world.releases.cancel(release=cut, actor=ALICE, reason="bad week")

    await fire_due(world, TUESDAY_FREEZE)
    await fire_due(world, THURSDAY_RELEASE)

    channel = [(n.channel, n.text, n.mention) for n in notifier.channel]
    assert channel[0] == (
        "#releases",
        "Code freeze: from now on only fixes for this release go in.",
        None,
    )
    assert channel[-1] == (
        "#releases",
        "Release time for web, but there is no release in flight.",
        Role.RELEASE_MANAGER,
    )
    assert (await run_of(world, "release")).release_id is None


async def test_a_scheduled_cut_refused_by_a_freeze_is_skipped_with_a_notice(
    world: World, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()
    await world.trains.freeze(name="web", on=True, actor=ERIN, reason="payments incident")

    assert await fire_due(world, MONDAY_CUT) == [("cut", "skipped")]

    run = await run_of(world, "cut")
    assert run.status == "skipped"
    assert run.detail is not None
    assert run.detail.startswith(f"web is frozen by <@{ERIN}>: payments incident.")
    assert notifier.channel[-1].text.startswith(
        f"The scheduled cut of web did not happen: web is frozen by <@{ERIN}>: payments incident."
    )
    assert await world.releases.listing(everything=True) == []


async def test_an_unexpected_error_marks_the_run_failed_and_never_refires(
    world: World, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()
    await fire_due(world, MONDAY_CUT)
    notifier.fail_with = RuntimeError("slack is on fire")

    assert await fire_due(world, TUESDAY_FREEZE) == [("freeze", "failed")]

    notifier.fail_with = None
    run = await run_of(world, "freeze")
    assert (run.status, run.detail) == ("failed", "unexpected error; see the logs")
    assert await fire_due(world, TUESDAY_FREEZE + timedelta(minutes=1)) == []


# the calendar ---------------------------------------------------------------------------------


def test_upcoming_and_the_milestone_times_of_a_root(world: World) -> None:
    after = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)
    upcoming = world.trains.upcoming("web", after, limit=4)
    assert [o.name for o in upcoming] == [
        "cut",
        "freeze",
        "reminder-signoff_deadline-1h",
        "reminder-signoff_deadline-15m",
    ]
    times = world.trains.milestone_times("web", after)
    assert [(m.name, m.at) for m in times] == [
        ("cut", MONDAY_CUT),
        ("freeze", TUESDAY_FREEZE),
        ("signoff_deadline", WEDNESDAY_SIGNOFF),
        ("release", THURSDAY_RELEASE),
    ]
    assert world.trains.milestone_times("gone", after) == ()
    assert world.trains.names == ["mobile", "web"]
    with pytest.raises(NotFound, match="There is no train `wbe`"):
        world.trains.upcoming("wbe", after)
    assert upcoming[0].milestone is Milestone.CUT


# freezes --------------------------------------------------------------------------------------


async def test_freeze_and_unfreeze_are_compare_and_set_with_audit(
    world: World, notifier: RecordingNotifier, clock: FakeClock
) -> None:
    before = await world.trains.state("web")

    frozen = await world.trains.freeze(name="web", on=True, actor=ERIN, reason="incident 42")

    assert (frozen.frozen, frozen.frozen_by, frozen.frozen_reason) == (True, ERIN, "incident 42")
    assert frozen.frozen_at == clock()
    assert frozen.row_version == before.row_version + 1
    assert notifier.channel[-1].channel == "#releases"
    assert notifier.channel[-1].text.startswith(f"❄ web is frozen by <@{ERIN}>: incident 42.")
    with pytest.raises(UsageError, match="web is already frozen"):
        await world.trains.freeze(name="web", on=True, actor=ALICE, reason="again")

    thawed = await world.trains.freeze(name="web", on=False, actor=ALICE, reason=None)

    assert (thawed.frozen, thawed.frozen_by, thawed.frozen_reason) == (False, None, None)
    assert thawed.row_version == before.row_version + 2
    assert notifier.channel[-1].text == f"web is no longer frozen (<@{ALICE}>)."
    with pytest.raises(UsageError, match="web is already not frozen"):
        await world.trains.freeze(name="web", on=False, actor=ALICE, reason=None)
    async with world.sessions() as session:
        trail = await audit.list_audit(session=session, subject_type="train", subject_id="web")
    assert [(e.action, e.actor, e.reason) for e in trail] == [
        ("freeze", ERIN, "incident 42"),
        ("unfreeze", ALICE, None),
    ]


async def test_freeze_without_a_reason_is_a_usage_error(world: World) -> None:
    for reason in (None, "   "):
        with pytest.raises(UsageError, match="Say why web is frozen"):
            await world.trains.freeze(name="web", on=True, actor=ALICE, reason=reason)
    assert not (await world.trains.state("web")).frozen
    with pytest.raises(NotFound, match="Did you mean `web`"):
        await world.trains.freeze(name="wbe", on=True, actor=ALICE, reason="x")


async def test_two_freezes_at_once_change_the_train_once(
    world: World, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()

    outcomes = await asyncio.gather(
        world.trains.freeze(name="web", on=True, actor=ALICE, reason="alice's reason"),
        world.trains.freeze(name="web", on=True, actor=ERIN, reason="erin's reason"),
        return_exceptions=True,
    )

    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert len(refused) == 1, outcomes
    assert isinstance(refused[0], Conflict | UsageError), refused[0]
    if isinstance(refused[0], Conflict):
        assert str(refused[0]) == ("web changed while you froze it; look at `/release train web`.")
    state = await world.trains.state("web")
    assert state.row_version == 2
    async with world.sessions() as session:
        trail = await audit.list_audit(session=session, subject_type="train", subject_id="web")
    assert [(e.action, e.actor) for e in trail] == [("freeze", state.frozen_by)]
    assert len(notifier.channel) == 1


async def test_a_reminder_whose_milestone_has_passed_is_skipped_quietly(
    world: World, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    await world.trains.ensure()
    reminder = next(
        o
        for o in world.trains.upcoming("web", clock(), limit=40)
        if o.lead == timedelta(minutes=15)
    )
    assert reminder.lead is not None
    after_milestone = reminder.fires_at + reminder.lead + timedelta(minutes=1)
    clock.set(after_milestone)
    assert await world.trains.fire(reminder, now=after_milestone) == "skipped"
    assert notifier.thread == []
    assert notifier.channel == []
    run = await run_of(world, reminder.name)
    assert run.status == "skipped"
