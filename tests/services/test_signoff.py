"""SignoffService on SQLite and PostgreSQL: one request per build (across replicas too), the
checklist records who ticked, four-eyes and the quorum decide once, a rejection needs a reason
and tells the managers, a new build or a cancel closes the request, and it all outlives a
restart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig, parse_config
from bot.domain.gates import Gate, Outcome
from bot.domain.release import Action, ReleaseState
from bot.domain.reports import TestCase, TestReport
from bot.domain.roles import Role
from bot.domain.signoff import SignoffPolicy, SignoffRefused, SignoffStatus
from bot.errors import Conflict, NotFound
from bot.services.gate_models import GateReport
from bot.services.models import ReleaseInfo
from bot.services.signoff import SignoffView
from tests.services.fakes import FakeClock, RecordingNotifier, release_info
from tests.services.world import Sessions, World, build

RM, ANA, BEN, CAT = "U0RM", "U0QAANA", "U0QABEN", "U0QACAT"
CHECKLIST = ("iOS", "Refunds")
NEW_COMMIT = "f" * 40
CONFIG = """
roles:
  release_managers: ["@release-managers"]
  qa: ["@qa-team"]
trains:
  web:
    channel: "#releases"
    repo: {{path: "{repo}", branch: main}}
    signoff: {{required: 2, four_eyes: true, checklist: ["iOS", "Refunds"], channel: "#qa"}}
  plain:
    channel: "#plain"
    repo: {{path: "{repo}", branch: main}}
  solo:
    channel: "#solo"
    repo: {{path: "{repo}", branch: main}}
    signoff: {{four_eyes: false}}
"""

STALE = {status: f"{status.stale}, so nothing changed." for status in SignoffStatus}


@pytest.fixture
def config(repo: Path) -> AppConfig:
    return parse_config(text=CONFIG.format(repo=repo))


@pytest.fixture
def world(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier, config: AppConfig
) -> World:
    return build(sessions=db_sessions, config=config, clock=clock, notifier=notifier)


def replica(world: World, *, notifier: RecordingNotifier | None = None) -> World:
    """The same bot on the same database: a second replica, or the first after a restart."""
    return build(
        sessions=world.sessions,
        config=world.config,
        clock=world.clock,
        notifier=notifier or world.notifier,
        replica="test-host:2:bbbb",
    )


def recorded(world: World) -> RecordingNotifier:
    assert isinstance(world.notifier, RecordingNotifier)
    return world.notifier


async def gates_passed(
    world: World, release: ReleaseInfo, *, skip: tuple[Gate, ...] = ()
) -> ReleaseInfo:
    """Override every gate of the release's policy but ``skip``, as a release manager."""
    for gate in world.gates.policy(release).rules:
        if gate not in skip:
            await world.gates.override(release=release, gate=gate, actor=RM, reason="by hand")
    return await world.releases.get(release.id)


async def awaiting(world: World, train: str = "web") -> ReleaseInfo:
    release = await world.releases.cut(train=train, actor=RM)
    moved = await gates_passed(world, release)
    assert moved.state is ReleaseState.AWAITING_SIGNOFF
    return moved


async def requested(world: World, train: str = "web") -> tuple[ReleaseInfo, SignoffView]:
    """A release awaiting sign-off, and its request, opened."""
    release = await awaiting(world, train)
    await world.signoff.open(release)
    return release, await world.signoff.view(release)


async def tick_all(world: World, release: ReleaseInfo, view: SignoffView) -> SignoffView:
    return await world.signoff.tick(
        release=release, request_id=view.request_id, user=ANA, items=list(CHECKLIST)
    )


async def ready(world: World, train: str = "web") -> tuple[ReleaseInfo, SignoffView]:
    """A release whose request is open with every checklist item ticked."""
    release, view = await requested(world, train)
    return release, await tick_all(world, release, view)


async def actions(world: World, release: ReleaseInfo) -> list[str]:
    return [entry.action for entry in await world.releases.history(release)]


def passing_unit() -> TestReport:
    return TestReport(cases=(TestCase(name="test_ok", classname="suite"),))


async def rejected_then_rebuilt(world: World) -> tuple[ReleaseInfo, SignoffView]:
    """web rejected by QA, then a CI result for a new commit: a new build, back in gating."""
    release, view = await requested(world)
    await world.signoff.reject(release=release, user=ANA, reason="refunds fail")
    rejected = await world.releases.get(release.id)
    submission = await world.gates.submit(
        release=rejected, gate=Gate.UNIT, report=passing_unit(), formats=["junit"],
        commit=NEW_COMMIT,
    )  # fmt: skip
    assert submission.state is ReleaseState.GATING
    return submission.release, view


def on_replica_during_view(
    monkeypatch: pytest.MonkeyPatch, other: World, meanwhile: Callable[[], Awaitable[object]]
) -> None:
    """Run ``meanwhile`` once, inside ``other``'s next ``view`` after it read the request: what
    ``other`` then decides on is a snapshot someone else has just made stale."""
    report = other.gates.report
    done: list[object] = []

    async def stale_report(release: ReleaseInfo) -> GateReport:
        if not done:
            done.append(await meanwhile())
        return await report(release)

    monkeypatch.setattr(other.gates, "report", stale_report)


class HeldCommits:
    """Holds each commit until ``parties`` transactions are ready to commit (or a second
    passed): two replicas' transactions then both run to their end before either commits."""

    def __init__(self, parties: int) -> None:
        self.parties = parties
        self.arrived = 0
        self.armed = False
        self.all_there = asyncio.Event()

    async def commit(self) -> None:
        if not self.armed or self.all_there.is_set():
            return
        self.arrived += 1
        if self.arrived >= self.parties:
            self.all_there.set()
        try:
            await asyncio.wait_for(self.all_there.wait(), timeout=1.0)
        except TimeoutError:  # SQLite: the other writer waits for our lock, so it never comes
            self.all_there.set()

    def sessions(self, sessions: Sessions) -> Sessions:
        hold = self

        class HeldSession(AsyncSession):
            async def commit(self) -> None:
                await hold.commit()
                await super().commit()

        kw = dict(sessions.kw)
        return async_sessionmaker(kw.pop("bind"), class_=HeldSession, **kw)


# the policy ---------------------------------------------------------------------------------


def test_the_policy_comes_from_the_trains_signoff_section(world: World) -> None:
    def policy(train: str) -> SignoffPolicy:
        return world.signoff.policy(replace(release_info(), train=train))

    assert policy("web") == SignoffPolicy(required=2, four_eyes=True, checklist=CHECKLIST)
    assert policy("plain") == SignoffPolicy()
    assert policy("solo") == SignoffPolicy(required=1, four_eyes=False, checklist=())
    assert policy("gone") == SignoffPolicy()  # a train no longer configured


# opening the request ------------------------------------------------------------------------


async def test_the_request_is_posted_in_the_trains_signoff_channel(world: World) -> None:
    release = await awaiting(world)
    await world.signoff.open(release)

    [(posted, channel)] = recorded(world).signoffs
    assert channel == "#qa"
    assert (posted.round, posted.superseded, posted.decided, posted.changed) == (
        1, False, False, True,
    )  # fmt: skip
    assert posted.release.state is ReleaseState.AWAITING_SIGNOFF
    assert posted.gates is not None
    assert posted.gates.outcome is Outcome.PASSED
    signoff = posted.signoff
    assert (signoff.label, signoff.cut_by, signoff.status) == (
        release.label, RM, SignoffStatus.OPEN,
    )  # fmt: skip
    assert signoff.policy == SignoffPolicy(required=2, four_eyes=True, checklist=CHECKLIST)
    assert (signoff.needed, signoff.missing, signoff.approvals, signoff.ticks) == (
        2, CHECKLIST, (), (),
    )  # fmt: skip
    assert (signoff.decided_by, signoff.reason) == (None, None)
    history = await world.releases.history(release)
    assert [(e.action, e.actor) for e in history if e.action.startswith("signoff")] == [
        ("signoff_requested", RM)
    ]
    assert await world.signoff.view(release) == posted


async def test_a_train_without_a_signoff_channel_asks_in_the_thread(world: World) -> None:
    _, view = await requested(world, "plain")
    assert recorded(world).signoffs == [(view, None)]
    assert view.signoff.policy == SignoffPolicy()
    assert (view.signoff.needed, view.signoff.missing) == (1, ())


async def test_opening_twice_keeps_one_request_and_updates_it(world: World) -> None:
    release = await awaiting(world)
    await world.signoff.open(release)
    await world.signoff.open(release)
    first, again = recorded(world).signoffs
    assert first[0].request_id == again[0].request_id
    assert again[0].round == 1
    assert (await actions(world, release)).count("signoff_requested") == 1


async def test_concurrent_opens_make_one_request(world: World) -> None:
    release = await awaiting(world)
    await asyncio.gather(*(world.signoff.open(release) for _ in range(3)))
    posted = recorded(world).signoffs
    assert len(posted) == 3
    assert {view.request_id for view, _ in posted} == {posted[0][0].request_id}
    assert (await actions(world, release)).count("signoff_requested") == 1


async def test_two_replicas_opening_at_once_make_one_request(world: World) -> None:
    second = replica(world)
    release = await awaiting(world)
    await asyncio.gather(world.signoff.open(release), second.signoff.open(release))
    ours, theirs = await world.signoff.view(release), await second.signoff.view(release)
    assert ours.request_id == theirs.request_id
    assert ours.round == 1
    assert (await actions(world, release)).count("signoff_requested") == 1


async def test_a_release_without_a_request_has_no_view(world: World) -> None:
    release = await world.releases.cut(train="web", actor=RM)
    with pytest.raises(NotFound) as missing:
        await world.signoff.view(release)
    assert str(missing.value) == (
        f"{release.label} has no sign-off request yet: it is asked for once every gate passes."
    )
    with pytest.raises(NotFound):
        await world.signoff.approve(release=release, user=ANA)
    with pytest.raises(NotFound):
        await world.signoff.view(await gates_passed(world, release))  # not opened yet


async def test_a_request_of_another_release_is_not_found(world: World) -> None:
    web, view = await requested(world)
    plain, _ = await requested(world, "plain")
    with pytest.raises(NotFound, match=f"^{plain.label} has no sign-off request yet"):
        await world.signoff.view(plain, request_id=view.request_id)
    with pytest.raises(NotFound):
        await world.signoff.tick(release=plain, request_id=view.request_id, user=ANA, items=[])
    with pytest.raises(NotFound):
        await world.signoff.view(web, request_id=view.request_id + 1000)
    assert (await world.signoff.view(web, request_id=view.request_id)).request_id == (
        view.request_id
    )


async def test_open_view_gives_a_live_request(world: World) -> None:
    release, view = await requested(world)
    assert await world.signoff.open_view(release, request_id=view.request_id) == view


# the checklist ------------------------------------------------------------------------------


async def test_ticks_record_who_ticked_first_and_unticks_remove_them(
    world: World, clock: FakeClock
) -> None:
    release, view = await requested(world)
    first_at = clock.advance(timedelta(minutes=5))
    one = await world.signoff.tick(
        release=release, request_id=view.request_id, user=ANA, items=["iOS"]
    )
    tick = one.signoff.ticked_by("iOS")
    assert tick is not None
    assert (tick.user, tick.at) == (ANA, first_at)
    assert one.signoff.missing == ("Refunds",)

    second_at = clock.advance(timedelta(minutes=5))
    both = await world.signoff.tick(
        release=release, request_id=view.request_id, user=BEN, items=["Refunds", "iOS"]
    )
    assert [(t.item, t.user, t.at) for t in both.signoff.ticks] == [
        ("iOS", ANA, first_at),  # kept by whoever ticked it first
        ("Refunds", BEN, second_at),
    ]
    assert both.signoff.missing == ()

    unticked = await world.signoff.tick(
        release=release, request_id=view.request_id, user=BEN, items=["Refunds"]
    )
    assert unticked.signoff.ticked_by("iOS") is None
    assert unticked.signoff.missing == ("iOS",)

    same = await world.signoff.tick(
        release=release, request_id=view.request_id, user=CAT, items=["Refunds", "Android", "iOS "]
    )  # items off the checklist are ignored: nothing changes
    assert [(t.item, t.user) for t in same.signoff.ticks] == [("Refunds", BEN)]

    history = await world.releases.history(release)
    assert [e.actor for e in history if e.action == "signoff_checklist"] == [ANA, BEN, BEN]
    assert recorded(world).signoffs[-1] == (same, "#qa")


async def test_a_train_without_a_checklist_has_nothing_to_tick(world: World) -> None:
    release, view = await requested(world, "plain")
    after = await world.signoff.tick(
        release=release, request_id=view.request_id, user=ANA, items=["iOS"]
    )
    assert after.signoff.ticks == ()
    assert "signoff_checklist" not in await actions(world, release)


# approving ----------------------------------------------------------------------------------


async def test_an_approval_waits_for_every_checklist_item(world: World) -> None:
    release, view = await requested(world)
    with pytest.raises(SignoffRefused) as refused:
        await world.signoff.approve(release=release, user=ANA)
    assert str(refused.value) == (
        f"Tick every checklist item before approving {release.label}. Left: “iOS”, “Refunds”."
    )
    await world.signoff.tick(release=release, request_id=view.request_id, user=BEN, items=["iOS"])
    with pytest.raises(SignoffRefused, match=r"Left: “Refunds”\.$"):
        await world.signoff.approve(release=release, user=ANA, request_id=view.request_id)
    assert "signoff_approve" not in await actions(world, release)

    await tick_all(world, release, view)
    approved = await world.signoff.approve(release=release, user=ANA)
    assert approved.changed
    assert approved.signoff.approved_by(ANA)


async def test_four_eyes_refuses_the_cutter(world: World) -> None:
    release, _ = await ready(world)
    with pytest.raises(SignoffRefused) as refused:
        await world.signoff.approve(release=release, user=release.cut_by)
    assert str(refused.value) == (
        f"You cut {release.label}, so four-eyes asks someone else from QA to approve it."
    )
    assert (await world.signoff.view(release)).signoff.approvals == ()


async def test_without_four_eyes_the_cutter_may_approve(world: World) -> None:
    release, _ = await requested(world, "solo")
    assert release.cut_by == RM
    view = await world.signoff.approve(release=release, user=RM)
    assert view.signoff.status is SignoffStatus.APPROVED
    assert view.release.state is ReleaseState.APPROVED
    assert recorded(world).signoffs[-1] == (view, None)


async def test_the_approval_that_meets_the_quorum_approves_the_release(
    world: World, clock: FakeClock
) -> None:
    release, _ = await ready(world)
    at = clock.advance(timedelta(hours=1))
    first = await world.signoff.approve(release=release, user=ANA)
    assert (first.changed, first.signoff.needed, first.signoff.status) == (
        True, 1, SignoffStatus.OPEN,
    )  # fmt: skip
    assert [(a.user, a.at) for a in first.signoff.approvals] == [(ANA, at)]
    assert first.release.state is ReleaseState.AWAITING_SIGNOFF

    second = await world.signoff.approve(release=release, user=BEN)

    assert second.signoff.status is SignoffStatus.APPROVED
    assert (second.signoff.decided_by, second.signoff.needed) == (BEN, 0)
    assert [a.user for a in second.signoff.approvals] == [ANA, BEN]
    assert second.release.state is ReleaseState.APPROVED
    assert second.decided
    assert recorded(world).signoffs[-1] == (second, "#qa")
    history = await world.releases.history(release)
    assert [(e.action, e.actor) for e in history if e.action in ("signoff_approve", "approve")] == [
        ("signoff_approve", ANA),
        ("signoff_approve", BEN),
        ("approve", BEN),
    ]
    approve = next(e for e in history if e.action == "approve")
    assert (approve.from_state, approve.to_state) == ("awaiting_signoff", "approved")


async def test_approving_again_counts_once(world: World) -> None:
    release, _ = await ready(world)
    first = await world.signoff.approve(release=release, user=ANA)
    again = await world.signoff.approve(release=release, user=ANA)
    assert (first.changed, again.changed) == (True, False)
    assert [a.user for a in again.signoff.approvals] == [ANA]
    assert again.signoff.status is SignoffStatus.OPEN
    assert (await actions(world, release)).count("signoff_approve") == 1


async def test_five_concurrent_approvals_by_one_person_count_once(world: World) -> None:
    release, _ = await ready(world)
    views = await asyncio.gather(
        *(world.signoff.approve(release=release, user=ANA) for _ in range(5))
    )
    assert sorted(view.changed for view in views) == [False] * 4 + [True]
    assert (await actions(world, release)).count("signoff_approve") == 1
    now = await world.signoff.view(release)
    assert ([a.user for a in now.signoff.approvals], now.signoff.status) == (
        [ANA], SignoffStatus.OPEN,
    )  # fmt: skip


async def test_one_persons_approvals_on_two_replicas_count_once(world: World) -> None:
    second = replica(world)
    release, _ = await ready(world)
    views = await asyncio.gather(
        *(w.signoff.approve(release=release, user=ANA) for w in (world, second, world, second))
    )
    assert sorted(view.changed for view in views) == [False, False, False, True]
    assert (await actions(world, release)).count("signoff_approve") == 1


async def test_an_approval_counted_meanwhile_on_another_replica_is_not_counted_again(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = replica(world)
    release, _ = await ready(world)
    on_replica_during_view(
        monkeypatch, second, lambda: world.signoff.approve(release=release, user=ANA)
    )
    late = await second.signoff.approve(release=release, user=ANA)
    assert not late.changed
    assert late.signoff.approvals == ()  # the snapshot it decided on
    assert (await actions(world, release)).count("signoff_approve") == 1
    assert [a.user for a in (await world.signoff.view(release)).signoff.approvals] == [ANA]


async def test_two_qa_approving_at_once_approve_the_release_once(world: World) -> None:
    release, _ = await ready(world)
    await asyncio.gather(
        world.signoff.approve(release=release, user=ANA),
        world.signoff.approve(release=release, user=BEN),
    )
    now = await world.signoff.view(release)
    assert now.signoff.status is SignoffStatus.APPROVED
    assert now.signoff.decided_by in (ANA, BEN)
    assert now.release.state is ReleaseState.APPROVED
    assert (await actions(world, release)).count("approve") == 1


async def test_two_qa_approving_at_once_on_two_replicas_approve_the_release(
    world: World, db_backend: str, request: pytest.FixtureRequest
) -> None:
    hold = HeldCommits(parties=2)
    sessions = hold.sessions(world.sessions)
    one = build(sessions=sessions, config=world.config, clock=world.clock, notifier=world.notifier)
    other = replica(one)
    release, _ = await ready(world)
    hold.armed = True
    await asyncio.gather(
        one.signoff.approve(release=release, user=ANA),
        other.signoff.approve(release=release, user=BEN),
    )
    now = await world.signoff.view(release)
    assert sorted(a.user for a in now.signoff.approvals) == sorted([ANA, BEN])
    assert now.signoff.status is SignoffStatus.APPROVED
    assert now.release.state is ReleaseState.APPROVED
    assert (await actions(world, release)).count("approve") == 1


async def test_more_qa_than_required_at_once_approve_the_release_once(world: World) -> None:
    release, _ = await ready(world)
    results = await asyncio.gather(
        *(world.signoff.approve(release=release, user=u) for u in (ANA, BEN, CAT)),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1
    assert isinstance(refused[0], SignoffRefused)
    assert STALE[SignoffStatus.APPROVED] in str(refused[0])
    assert (await actions(world, release)).count("approve") == 1
    assert (await world.releases.get(release.id)).state is ReleaseState.APPROVED


async def test_an_approved_request_takes_no_more_clicks(world: World) -> None:
    release, view = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    await world.signoff.approve(release=release, user=BEN)
    stale = STALE[SignoffStatus.APPROVED]
    clicks: list[Coroutine[Any, Any, object]] = [
        world.signoff.approve(release=release, user=CAT),
        world.signoff.approve(release=release, user=ANA),
        world.signoff.withdraw(release=release, user=ANA),
        world.signoff.reject(release=release, user=CAT, reason="too late"),
        world.signoff.tick(release=release, request_id=view.request_id, user=CAT, items=[]),
        world.signoff.open_view(release, request_id=view.request_id),
    ]
    for click in clicks:
        with pytest.raises(SignoffRefused) as refused:
            await click
        assert str(refused.value) == f"{release.label}: {stale}"
    now = await world.signoff.view(release)
    assert [a.user for a in now.signoff.approvals] == [ANA, BEN]
    assert len(now.signoff.ticks) == 2


# withdrawing --------------------------------------------------------------------------------


async def test_an_approval_withdrawn_before_the_quorum_can_be_given_again(world: World) -> None:
    release, _ = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    withdrawn = await world.signoff.withdraw(release=release, user=ANA)
    assert withdrawn.signoff.approvals == ()
    assert withdrawn.signoff.needed == 2
    assert recorded(world).signoffs[-1] == (withdrawn, "#qa")

    again = await world.signoff.approve(release=release, user=ANA)
    assert again.changed
    assert [a.user for a in again.signoff.approvals] == [ANA]
    done = await world.signoff.approve(release=release, user=BEN)
    assert done.release.state is ReleaseState.APPROVED
    history = await world.releases.history(release)
    assert [(e.action, e.actor) for e in history if e.action.startswith("signoff_")][-4:] == [
        ("signoff_approve", ANA),
        ("signoff_withdraw", ANA),
        ("signoff_approve", ANA),
        ("signoff_approve", BEN),
    ]


async def test_there_is_nothing_to_withdraw_without_an_approval(world: World) -> None:
    release, _ = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    with pytest.raises(SignoffRefused) as refused:
        await world.signoff.withdraw(release=release, user=BEN)
    assert str(refused.value) == f"You have no approval of {release.label} to withdraw."
    await world.signoff.withdraw(release=release, user=ANA)
    with pytest.raises(SignoffRefused, match="no approval"):
        await world.signoff.withdraw(release=release, user=ANA)
    assert (await actions(world, release)).count("signoff_withdraw") == 1


async def test_a_withdrawal_made_meanwhile_on_another_replica_is_recorded_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = replica(world)
    release, _ = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    on_replica_during_view(
        monkeypatch, second, lambda: world.signoff.withdraw(release=release, user=ANA)
    )
    late = await second.signoff.withdraw(release=release, user=ANA)
    assert late.signoff.approvals == ()
    assert (await actions(world, release)).count("signoff_withdraw") == 1


# rejecting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   \n"])
async def test_a_rejection_needs_a_reason(world: World, reason: str) -> None:
    release, _ = await requested(world)
    with pytest.raises(SignoffRefused) as refused:
        await world.signoff.reject(release=release, user=ANA, reason=reason)
    assert str(refused.value) == f"Say why {release.label} is rejected: a reason is required."
    now = await world.signoff.view(release)
    assert (now.signoff.status, now.release.state) == (
        SignoffStatus.OPEN, ReleaseState.AWAITING_SIGNOFF,
    )  # fmt: skip
    assert not [note for note in recorded(world).thread if note.mention is Role.RELEASE_MANAGER]


async def test_a_rejection_moves_the_release_and_tells_its_managers(world: World) -> None:
    release, _ = await requested(world)  # nothing ticked: a rejection needs no checklist
    view = await world.signoff.reject(
        release=release, user=ANA, reason="  refunds <fail> & crash \n"
    )

    assert view.release.state is ReleaseState.REJECTED
    assert (view.signoff.status, view.signoff.decided_by, view.signoff.reason) == (
        SignoffStatus.REJECTED, ANA, "refunds <fail> & crash",
    )  # fmt: skip
    assert (view.decided, view.superseded) == (True, False)
    assert recorded(world).signoffs[-1] == (view, "#qa")
    note = recorded(world).thread[-1]
    assert note.text == (f":x: <@{ANA}> rejected {release.label}: refunds &lt;fail&gt; &amp; crash")
    assert (note.mention, note.channel, note.release) == (
        Role.RELEASE_MANAGER, "#releases", release.label,
    )  # fmt: skip
    history = await world.releases.history(release)
    reject = next(e for e in history if e.action == "reject")
    assert (reject.actor, reject.reason, reject.from_state, reject.to_state) == (
        ANA, "refunds <fail> & crash", "awaiting_signoff", "rejected",
    )  # fmt: skip


async def test_a_rejected_request_takes_no_more_clicks(world: World) -> None:
    release, view = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    await world.signoff.reject(release=release, user=BEN, reason="refunds fail")
    stale = f"{release.label}: {STALE[SignoffStatus.REJECTED]}"
    clicks: list[Coroutine[Any, Any, object]] = [
        world.signoff.approve(release=release, user=CAT),
        world.signoff.withdraw(release=release, user=ANA),
        world.signoff.reject(release=release, user=CAT, reason="again"),
        world.signoff.tick(release=release, request_id=view.request_id, user=CAT, items=[]),
        world.signoff.open_view(release, request_id=view.request_id),
    ]
    for click in clicks:
        with pytest.raises(SignoffRefused) as refused:
            await click
        assert str(refused.value) == stale
    assert (await actions(world, release)).count("reject") == 1


async def test_a_rejection_after_a_decision_on_another_replica_changes_nothing(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = replica(world)
    release, _ = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    on_replica_during_view(
        monkeypatch, second, lambda: world.signoff.approve(release=release, user=BEN)
    )
    notes = len(recorded(world).thread)
    with pytest.raises(Conflict) as refused:
        await second.signoff.reject(release=release, user=CAT, reason="refunds fail")
    assert str(refused.value) == (
        f"<@{BEN}> did `approve` on {release.label} first; it is now approved. "
        "Nothing else changed."
    )
    now = await world.signoff.view(release)
    assert (now.signoff.status, now.release.state) == (
        SignoffStatus.APPROVED, ReleaseState.APPROVED,
    )  # fmt: skip
    assert len(recorded(world).thread) == notes
    assert "reject" not in await actions(world, release)


# a new build, a cancel ----------------------------------------------------------------------


async def test_a_new_build_supersedes_the_rejected_request_and_opens_round_two(
    world: World,
) -> None:
    release, old = await rejected_then_rebuilt(world)
    assert release.commit_sha == NEW_COMMIT
    assert "new_build" in await actions(world, release)
    replaced = await world.signoff.view(release, request_id=old.request_id)
    assert replaced.superseded  # already, before the request is closed
    assert replaced.decided

    await world.signoff.close(release, Action.NEW_BUILD)

    shown, channel = recorded(world).signoffs[-1]
    assert (shown.request_id, shown.superseded, channel) == (old.request_id, True, "#qa")
    assert shown.signoff.status is SignoffStatus.REJECTED  # its decision stays on record
    stale = f"{release.label}: {STALE[SignoffStatus.SUPERSEDED]}"
    old_clicks: list[Coroutine[Any, Any, object]] = [
        world.signoff.approve(release=release, user=BEN, request_id=old.request_id),
        world.signoff.withdraw(release=release, user=BEN, request_id=old.request_id),
        world.signoff.reject(release=release, user=BEN, reason="x", request_id=old.request_id),
        world.signoff.tick(release=release, request_id=old.request_id, user=BEN, items=[]),
        world.signoff.open_view(release, request_id=old.request_id),
    ]
    for click in old_clicks:
        with pytest.raises(SignoffRefused) as refused:
            await click
        assert str(refused.value) == stale

    again = await gates_passed(world, release, skip=(Gate.UNIT,))  # unit passed at the new commit
    assert again.state is ReleaseState.AWAITING_SIGNOFF
    await world.signoff.open(again)
    fresh = await world.signoff.view(again)
    assert (fresh.round, fresh.signoff.status, fresh.superseded) == (2, SignoffStatus.OPEN, False)
    assert fresh.request_id != old.request_id
    assert (fresh.signoff.approvals, fresh.signoff.ticks, fresh.signoff.reason) == ((), (), None)
    assert (await world.signoff.view(again, request_id=old.request_id)).superseded
    with pytest.raises(SignoffRefused, match="a new build replaced this sign-off request"):
        await world.signoff.approve(release=again, user=BEN, request_id=old.request_id)

    await tick_all(world, again, fresh)
    await world.signoff.approve(release=again, user=BEN)
    done = await world.signoff.approve(release=again, user=CAT, request_id=fresh.request_id)
    assert (done.round, done.signoff.status) == (2, SignoffStatus.APPROVED)
    assert done.release.state is ReleaseState.APPROVED
    assert (await actions(world, again)).count("signoff_requested") == 2


async def test_a_new_build_closes_a_request_still_open_as_superseded(world: World) -> None:
    """Rejected some other way (not through the request): the new build closes it."""
    release, view = await requested(world)
    rejected = await world.releases.transition(
        release=release, action=Action.REJECT, actor=RM, reason="wrong branch"
    )
    submission = await world.gates.submit(
        release=rejected, gate=Gate.UNIT, report=passing_unit(), formats=["junit"],
        commit=NEW_COMMIT,
    )  # fmt: skip
    await world.signoff.close(submission.release, Action.NEW_BUILD)

    closed = await world.signoff.view(release, request_id=view.request_id)
    assert closed.signoff.status is SignoffStatus.SUPERSEDED
    assert closed.decided
    assert recorded(world).signoffs[-1] == (closed, "#qa")
    with pytest.raises(SignoffRefused, match=STALE[SignoffStatus.SUPERSEDED]):
        await world.signoff.tick(release=release, request_id=view.request_id, user=ANA, items=[])

    again = await gates_passed(world, submission.release, skip=(Gate.UNIT,))
    await world.signoff.open(again)
    assert (await world.signoff.view(again)).round == 2


async def test_a_cancel_marks_the_request_cancelled(world: World) -> None:
    release, view = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    cancelled = await world.releases.cancel(release=release, actor=RM, reason="scrapped")
    await world.signoff.close(cancelled, Action.CANCEL)

    shown, channel = recorded(world).signoffs[-1]
    assert (shown.signoff.status, shown.decided, shown.superseded, channel) == (
        SignoffStatus.CANCELLED, True, False, "#qa",
    )  # fmt: skip
    assert shown.release.state is ReleaseState.CANCELLED
    stale = f"{release.label}: {STALE[SignoffStatus.CANCELLED]}"
    for click in (
        world.signoff.approve(release=release, user=BEN),
        world.signoff.withdraw(release=release, user=ANA),
        world.signoff.open_view(release, request_id=view.request_id),
    ):
        with pytest.raises(SignoffRefused) as refused:
            await click
        assert str(refused.value) == stale


async def test_closing_without_a_request_does_nothing(world: World) -> None:
    release = await world.releases.cut(train="web", actor=RM)
    cancelled = await world.releases.cancel(release=release, actor=RM, reason="scrapped")
    await world.signoff.close(cancelled, Action.CANCEL)
    assert recorded(world).signoffs == []
    with pytest.raises(NotFound):
        await world.signoff.view(cancelled)


async def test_closing_a_decided_request_keeps_its_decision(world: World) -> None:
    release, _ = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    approved = await world.signoff.approve(release=release, user=BEN)
    cancelled = await world.releases.cancel(release=approved.release, actor=RM, reason="late")
    await world.signoff.close(cancelled, Action.CANCEL)
    now = await world.signoff.view(cancelled)
    assert (now.signoff.status, now.signoff.decided_by) == (SignoffStatus.APPROVED, BEN)


async def test_a_quorum_met_after_the_release_moved_shows_the_release_as_it_is(
    world: World,
) -> None:
    """Cancelled before the close ran: the approval is recorded, the release stays cancelled."""
    release, _ = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    await world.releases.cancel(release=release, actor=RM, reason="scrapped")
    view = await world.signoff.approve(release=release, user=BEN)
    assert view.release.state is ReleaseState.CANCELLED
    assert "approve" not in await actions(world, release)


async def test_a_release_moved_while_the_quorum_was_decided_is_shown_as_it_is(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    release, _ = await ready(world)
    await world.signoff.approve(release=release, user=ANA)
    posted = len(recorded(world).signoffs)
    on_replica_during_view(
        monkeypatch,
        world,
        lambda: world.releases.cancel(release=release, actor=RM, reason="scrapped"),
    )
    view = await world.signoff.approve(release=release, user=BEN)
    assert view.release.state is ReleaseState.CANCELLED
    assert len(recorded(world).signoffs) == posted + 1


async def test_a_late_close_for_a_new_build_leaves_the_next_round_open(world: World) -> None:
    release, _ = await rejected_then_rebuilt(world)
    again = await gates_passed(world, release, skip=(Gate.UNIT,))
    await world.signoff.open(again)  # the open spawned by gates_passed ran first
    await world.signoff.close(release, Action.NEW_BUILD)  # the close spawned by new_build
    now = await world.signoff.view(again)
    assert (now.round, now.signoff.status) == (2, SignoffStatus.OPEN)


# the after-change hook ----------------------------------------------------------------------


class Spawned:
    """A ``spawn`` that keeps the work for the test to run."""

    def __init__(self) -> None:
        self.work: list[tuple[Coroutine[Any, Any, None], str]] = []

    def __call__(self, work: Coroutine[Any, Any, None], name: str) -> object:
        self.work.append((work, name))
        return None

    def names(self) -> list[str]:
        return [name for _, name in self.work]

    async def run(self) -> None:
        work, self.work = self.work, []
        for coroutine, _ in work:
            await coroutine


async def test_watch_opens_on_gates_passed_and_closes_on_a_new_build_or_a_cancel(
    world: World,
) -> None:
    spawn = Spawned()
    changed = world.signoff.watch(spawn)
    release = await awaiting(world)

    for action in (Action.APPROVE, Action.REJECT, Action.CUT, Action.GATE_FAILED):
        changed(release, action)
    assert spawn.work == []

    changed(release, Action.GATES_PASSED)
    assert spawn.names() == ["signoff request"]
    await spawn.run()
    view = await world.signoff.view(release)
    assert (view.round, view.signoff.status) == (1, SignoffStatus.OPEN)

    changed(release, Action.NEW_BUILD)
    assert spawn.names() == ["signoff close"]
    await spawn.run()  # the release still awaits this request's sign-off: it stays open
    assert (await world.signoff.view(release)).signoff.status is SignoffStatus.OPEN


async def test_watch_closes_the_request_of_a_cancelled_release(world: World) -> None:
    spawn = Spawned()
    release, _ = await requested(world)
    world.releases.after_change(world.signoff.watch(spawn))
    cancelled = await world.releases.cancel(release=release, actor=RM, reason="scrapped")
    assert spawn.names() == ["signoff close"]
    await spawn.run()
    assert (await world.signoff.view(cancelled)).signoff.status is SignoffStatus.CANCELLED


async def test_watched_releases_get_a_request_per_build(world: World) -> None:
    """The hook as the app registers it: gates pass, QA reject, a new build, gates pass."""
    spawn = Spawned()
    world.releases.after_change(world.signoff.watch(spawn))
    release = await awaiting(world)
    assert spawn.names() == ["signoff request"]
    await spawn.run()
    first = await world.signoff.view(release)
    await world.signoff.reject(release=release, user=ANA, reason="refunds fail")
    assert spawn.names() == []  # a rejection closes the request itself

    submission = await world.gates.submit(
        release=await world.releases.get(release.id), gate=Gate.UNIT, report=passing_unit(),
        formats=["junit"], commit=NEW_COMMIT,
    )  # fmt: skip
    assert spawn.names() == ["signoff close"]
    await spawn.run()
    assert (await world.signoff.view(release, request_id=first.request_id)).superseded

    await gates_passed(world, submission.release, skip=(Gate.UNIT,))
    assert spawn.names() == ["signoff request"]
    await spawn.run()
    second = await world.signoff.view(release)
    assert (second.round, second.signoff.status) == (2, SignoffStatus.OPEN)
    assert [channel for _, channel in recorded(world).signoffs] == ["#qa"] * len(
        recorded(world).signoffs
    )


# a restart ----------------------------------------------------------------------------------


async def test_the_request_outlives_a_restart(world: World) -> None:
    release, _ = await ready(world)
    first = await world.signoff.approve(release=release, user=ANA)

    restarted = replica(world, notifier=RecordingNotifier())
    await restarted.signoff.open(release)  # the hook ran again after the restart
    after = await restarted.signoff.view(release)
    assert after.request_id == first.request_id
    assert after.signoff == first.signoff
    assert recorded(restarted).signoffs == [(after, "#qa")]
    assert (await actions(world, release)).count("signoff_requested") == 1

    again = await restarted.signoff.approve(release=release, user=ANA)
    assert not again.changed
    done = await restarted.signoff.approve(release=release, user=BEN)
    assert done.signoff.status is SignoffStatus.APPROVED
    assert (await world.signoff.view(release)).release.state is ReleaseState.APPROVED
    assert (await actions(restarted, release)).count("approve") == 1
