"""ReleaseService on SQLite and PostgreSQL: cut, hotfix, resolve, cancel, history, listing.

Every state change is a compare-and-set plus one audit row; refusals say what to do instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.domain.release import Action, ReleaseKind, ReleaseState, TransitionRefused
from bot.errors import Conflict, NotAllowed, NotFound, UsageError
from bot.services.models import ReleaseInfo
from bot.services.releases import ReleaseService
from integrations.source.base import Head
from integrations.source.git import GitRepository
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import TO_RELEASED, World, build, git, walk

ALICE, ERIN = "U0ALICE", "U0ERIN"


async def released(world: World, *, train: str = "web") -> ReleaseInfo:
    cut = await world.releases.cut(train=train, actor=ALICE)
    return await walk(world.releases, cut, TO_RELEASED, actor=ALICE)


# cut ------------------------------------------------------------------------------------------


async def test_cut_records_head_commit_moves_to_gating_and_audits_each_change(
    world: World, notifier: RecordingNotifier, repo: Path
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)

    assert release.label == "web/2026.11.1"
    assert release.kind is ReleaseKind.TRAIN
    assert release.state is ReleaseState.GATING
    assert release.commit_sha == git(repo, "rev-parse", "main")
    assert release.ref == "main"
    assert release.cut_by == ALICE
    trail = await world.releases.history(release)
    assert [(e.action, e.from_state, e.to_state) for e in trail] == [
        ("create", None, "planned"),
        ("cut", "planned", "gating"),
    ]
    assert {e.actor for e in trail} == {ALICE}
    # the root is shown once (the cut's state change); the cut note goes to its thread
    assert [card.release.state for card in notifier.cards] == [ReleaseState.GATING]
    card = notifier.cards[0]
    assert card.channel == "#releases"
    assert card.services == ("checkout",)
    assert [m.name for m in card.milestones] == ["cut", "freeze", "signoff_deadline", "release"]
    assert [n.text for n in notifier.thread_of("web/2026.11.1")] == [
        f"Cut by <@{ALICE}> at `{release.short_sha}` on `main`. Gates are next."
    ]


async def test_the_next_cut_counts_up_and_follows_new_commits(world: World, repo: Path) -> None:
    first = await world.releases.cut(train="web", actor=ALICE)
    await world.releases.cancel(release=first, actor=ALICE, reason="wrong branch")
    (repo / "README").write_text("second\n")
    git(repo, "commit", "-qam", "fix: second")

    second = await world.releases.cut(train="web", actor=ALICE)

    assert second.version == "2026.11.2"
    assert second.commit_sha == git(repo, "rev-parse", "main")
    assert second.commit_sha != first.commit_sha


async def test_a_train_without_a_repository_cuts_without_a_commit(
    world: World, notifier: RecordingNotifier
) -> None:
    release = await world.releases.cut(train="mobile", actor=ALICE)
    assert release.commit_sha is None
    assert release.short_sha is None
    assert notifier.thread_of(release.label)[0].text.endswith(
        "no repository configured. Gates are next."
    )
    assert notifier.cards[-1].channel == "#announcements"


async def test_cut_is_refused_while_the_previous_release_is_in_flight(
    world: World, notifier: RecordingNotifier
) -> None:
    first = await world.releases.cut(train="web", actor=ALICE)
    shown = len(notifier.cards)

    with pytest.raises(NotAllowed, match=r"web/2026\.11\.1 is still gating") as refused:
        await world.releases.cut(train="web", actor=ALICE)

    assert "/release cancel web/2026.11.1 REASON" in refused.value.message
    assert [r.label for r in await world.releases.listing(everything=True)] == [first.label]
    assert len(notifier.cards) == shown


async def test_a_deploying_release_does_not_block_the_next_cut(world: World) -> None:
    first = await world.releases.cut(train="web", actor=ALICE)
    await walk(world.releases, first, TO_RELEASED[:3], actor=ALICE)
    second = await world.releases.cut(train="web", actor=ALICE)
    assert second.version == "2026.11.2"


async def test_cut_is_refused_while_frozen_naming_who_and_why(world: World) -> None:
    await world.trains.freeze(name="web", on=True, actor=ERIN, reason="payment incident")

    with pytest.raises(NotAllowed) as refused:
        await world.releases.cut(train="web", actor=ALICE)

    assert f"web is frozen by <@{ERIN}>: payment incident" in refused.value.message
    assert "/release hotfix web REASON" in refused.value.message
    assert await world.releases.listing(everything=True) == []


async def test_cut_of_an_unknown_train_suggests_the_closest(world: World) -> None:
    with pytest.raises(NotFound, match=r"There is no train `wbe`\. Did you mean `web`\?"):
        await world.releases.cut(train="wbe", actor=ALICE)


async def test_two_cuts_at_once_create_one_release(
    clock: FakeClock, notifier: RecordingNotifier, world: World, repo: Path
) -> None:
    arrived: list[str] = []
    both = asyncio.Event()

    class Together:
        """Holds each cut at ``git rev-parse`` until both got that far (past every check)."""

        async def head(self, *, branch: str) -> Head:
            arrived.append(branch)
            if len(arrived) == 2:
                both.set()
            await asyncio.wait_for(both.wait(), 10)
            return await GitRepository(path=repo).head(branch=branch)

    racing = build(
        sessions=world.sessions,
        config=world.config,
        clock=clock,
        notifier=notifier,
        source_of=lambda _train: Together(),
    )
    outcomes = await asyncio.gather(
        racing.releases.cut(train="web", actor=ALICE),
        racing.releases.cut(train="web", actor=ERIN),
        return_exceptions=True,
    )

    cut = [o for o in outcomes if isinstance(o, ReleaseInfo)]
    lost = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(cut) == 1
    assert len(lost) == 1
    assert str(lost[0]) == (
        f"<@{cut[0].cut_by}> cut web/2026.11.1 a moment ago; see `/release status web/2026.11.1`."
    )
    assert [r.label for r in await world.releases.listing(everything=True)] == ["web/2026.11.1"]


# hotfix ---------------------------------------------------------------------------------------


async def test_hotfix_of_the_last_release_passes_a_freeze(
    world: World, notifier: RecordingNotifier
) -> None:
    base = await released(world)
    await world.trains.freeze(name="web", on=True, actor=ALICE, reason="holiday")

    fix = await world.releases.hotfix(train="web", actor=ALICE, reason="  checkout 500s  ")

    assert fix.version == f"{base.version}.1"
    assert fix.kind is ReleaseKind.HOTFIX
    assert fix.state is ReleaseState.GATING
    assert fix.base_version == base.version
    assert fix.reason == "checkout 500s"
    assert notifier.thread_of(fix.label)[-1].text.startswith(
        f"Hotfix of {base.version}: checkout 500s by <@{ALICE}> at `"
    )
    assert notifier.cards[-1].milestones == ()  # a hotfix has no calendar
    trail = await world.releases.history(fix)
    assert trail[0].reason == "checkout 500s"
    second = await world.releases.hotfix(train="web", actor=ALICE, reason="and the cart")
    assert second.version == f"{base.version}.2"


async def test_hotfix_needs_a_reason(world: World) -> None:
    await released(world)
    with pytest.raises(UsageError, match="A hotfix of web needs a reason"):
        await world.releases.hotfix(train="web", actor=ALICE, reason="   ")


async def test_hotfix_needs_a_released_base_or_from(world: World) -> None:
    gating = await world.releases.cut(train="web", actor=ALICE)
    with pytest.raises(NotFound, match="web has no released version to hotfix yet"):
        await world.releases.hotfix(train="web", actor=ALICE, reason="urgent")

    fix = await world.releases.hotfix(
        train="web", actor=ALICE, reason="urgent", base=gating.version
    )
    assert fix.version == "2026.11.1.1"
    assert fix.base_version == "2026.11.1"

    with pytest.raises(NotFound, match=r"web has no release `2026\.11\.7`\. Did you mean"):
        await world.releases.hotfix(train="web", actor=ALICE, reason="urgent", base="2026.11.7")


# resolve --------------------------------------------------------------------------------------


async def test_resolve_by_train_and_version_or_bare_version(world: World) -> None:
    web = await world.releases.cut(train="web", actor=ALICE)

    assert (await world.releases.resolve("web/2026.11.1")).id == web.id
    assert (await world.releases.resolve(" 2026.11.1 ")).id == web.id


async def test_a_bare_version_of_two_trains_asks_which_one(world: World) -> None:
    await world.releases.cut(train="web", actor=ALICE)
    await world.releases.cut(train="mobile", actor=ALICE)

    with pytest.raises(UsageError) as ambiguous:
        await world.releases.resolve("2026.11.1")

    assert "Which one?" in ambiguous.value.message
    assert "`mobile/2026.11.1`, `web/2026.11.1`" in ambiguous.value.message
    assert (await world.releases.resolve("mobile/2026.11.1")).train == "mobile"


async def test_unknown_train_and_version_get_a_did_you_mean(world: World) -> None:
    await world.releases.cut(train="web", actor=ALICE)

    with pytest.raises(NotFound, match=r"There is no train `mobil`\. Did you mean `mobile`\?"):
        await world.releases.resolve("mobil/2026.11.1")
    with pytest.raises(NotFound) as no_version:
        await world.releases.resolve("web/2026.11.2")
    assert no_version.value.message == ("web has no release `2026.11.2`. Did you mean `2026.11.1`?")
    with pytest.raises(NotFound) as bare:
        await world.releases.resolve("2026.11.3")
    assert bare.value.message == "There is no release `2026.11.3`. Did you mean `2026.11.1`?"
    with pytest.raises(NotFound) as nothing_close:
        await world.releases.resolve("banana")
    assert nothing_close.value.message == "There is no release `banana`."


# cancel ---------------------------------------------------------------------------------------


async def test_cancel_needs_a_reason_and_changes_nothing_without_one(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)

    with pytest.raises(TransitionRefused, match=r"a reason is required to cancel web/2026\.11\.1"):
        await world.releases.cancel(release=release, actor=ALICE, reason="  ")

    assert (await world.releases.resolve(release.label)).state is ReleaseState.GATING
    assert len(await world.releases.history(release)) == 2


async def test_cancel_updates_the_root_and_notes_who_and_why(
    world: World, notifier: RecordingNotifier
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)

    cancelled = await world.releases.cancel(release=release, actor=ALICE, reason="wrong branch")

    assert cancelled.state is ReleaseState.CANCELLED
    assert cancelled.row_version == release.row_version + 1
    assert notifier.cards[-1].release.state is ReleaseState.CANCELLED
    assert notifier.cards[-1].milestones == ()
    assert notifier.thread_of(release.label)[-1].text == f"Cancelled by <@{ALICE}>: wrong branch"
    with pytest.raises(NotAllowed, match=r"web/2026\.11\.1 is cancelled; cut a new release"):
        await world.releases.cancel(release=cancelled, actor=ALICE, reason="again")


async def test_cancel_while_deploying_says_roll_back_first(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    deploying = await walk(
        world.releases, release, (Action.GATES_PASSED, Action.APPROVE, Action.DEPLOY), actor=ALICE
    )
    assert deploying.state is ReleaseState.DEPLOYING

    with pytest.raises(NotAllowed, match=r"is deploying: roll back first \(/release rollback"):
        await world.releases.cancel(release=deploying, actor=ALICE, reason="bad idea")

    paused = await world.releases.transition(release=deploying, action=Action.PAUSE, actor=ALICE)
    with pytest.raises(NotAllowed, match="is paused: roll back first"):
        await world.releases.cancel(release=paused, actor=ALICE, reason="bad idea")
    assert (await world.releases.resolve(release.label)).state is ReleaseState.PAUSED


@asynccontextmanager
async def writes_held(engine: AsyncEngine, release_id: int) -> AsyncIterator[None]:
    """Hold the release's write lock for the block: both people read the row, and both of
    their compare-and-sets queue behind the lock, so they really race when it is let go."""
    if engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            await connection.execute(
                text("SELECT id FROM releases WHERE id = :id FOR UPDATE"), {"id": release_id}
            )
            yield
            await connection.commit()
        return
    assert engine.url.database is not None
    connection = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")  # the database's one write lock
        yield
        connection.execute("COMMIT")
    finally:
        connection.close()


async def until_updates_issued(updates: list[str], count: int) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while len(updates) < count:
        assert loop.time() < deadline, f"only {len(updates)} of {count} updates were issued"
        await asyncio.sleep(0.01)


async def test_two_people_cancel_at_once_one_wins_and_the_other_is_told_by_whom(
    world: World, notifier: RecordingNotifier, db_engine: AsyncEngine
) -> None:
    cut = await world.releases.cut(train="web", actor=ALICE)
    seen_by_alice = await world.releases.resolve("web/2026.11.1")
    seen_by_erin = await world.releases.resolve("2026.11.1")
    updates: list[str] = []

    def count_updates(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE RELEASES"):
            updates.append(statement)

    event.listen(db_engine.sync_engine, "before_cursor_execute", count_updates)
    try:
        async with writes_held(db_engine, cut.id):
            racing = asyncio.gather(
                world.releases.cancel(release=seen_by_alice, actor=ALICE, reason="wrong branch"),
                world.releases.cancel(release=seen_by_erin, actor=ERIN, reason="flaky build"),
                return_exceptions=True,
            )
            await until_updates_issued(updates, 2)  # both read version 1 and wait to write it
        outcomes = await racing
    finally:
        event.remove(db_engine.sync_engine, "before_cursor_execute", count_updates)

    assert len(updates) == 2  # the loser's compare-and-set matched nothing, and it did not retry
    won = [o for o in outcomes if isinstance(o, ReleaseInfo)]
    lost = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(won) == 1, outcomes
    assert len(lost) == 1, outcomes
    assert isinstance(lost[0], Conflict), lost[0]
    winner, why = (ALICE, "wrong branch") if outcomes[0] is won[0] else (ERIN, "flaky build")
    assert str(lost[0]) == (
        f"<@{winner}> did `cancel` on web/2026.11.1 first ({why}); it is now cancelled. "
        "Nothing else changed."
    )
    trail = await world.releases.history(won[0])
    assert [(e.action, e.actor) for e in trail][-1] == ("cancel", winner)
    assert [e.action for e in trail].count("cancel") == 1
    assert [n.text for n in notifier.thread].count(f"Cancelled by <@{winner}>: {why}") == 1


async def test_a_release_that_vanished_is_not_found(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    ghost = dataclasses.replace(release, id=release.id + 1000)
    with pytest.raises(NotFound, match=r"web/2026\.11\.1 no longer exists"):
        await world.releases.transition(release=ghost, action=Action.CANCEL, actor=ALICE)


# history and listing --------------------------------------------------------------------------


async def test_history_is_the_trail_in_order(world: World, clock: FakeClock) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    clock.advance(timedelta(minutes=5))
    release = await world.releases.transition(
        release=release, action=Action.GATE_FAILED, actor="ci"
    )
    clock.advance(timedelta(minutes=5))
    release = await world.releases.transition(
        release=release, action=Action.OVERRIDE, actor=ALICE, reason="known flake", gate="e2e"
    )
    clock.advance(timedelta(minutes=5))
    await world.releases.cancel(release=release, actor=ERIN, reason="superseded")

    trail = await world.releases.history(release)

    assert [(e.action, e.from_state, e.to_state, e.actor, e.reason) for e in trail] == [
        ("create", None, "planned", ALICE, None),
        ("cut", "planned", "gating", ALICE, None),
        ("gate_failed", "gating", "blocked", "ci", None),
        ("override", "blocked", "gating", ALICE, "known flake"),
        ("cancel", "gating", "cancelled", ERIN, "superseded"),
    ]
    assert [e.at for e in trail] == sorted(e.at for e in trail)
    assert trail[-1].at - trail[0].at == timedelta(minutes=15)


async def test_listing_active_or_everything_and_by_train(world: World, clock: FakeClock) -> None:
    old = await world.releases.cut(train="web", actor=ALICE)
    await world.releases.cancel(release=old, actor=ALICE, reason="superseded")
    clock.advance(timedelta(minutes=1))
    web = await world.releases.cut(train="web", actor=ALICE)
    clock.advance(timedelta(minutes=1))
    mobile = await world.releases.cut(train="mobile", actor=ALICE)

    active = await world.releases.listing()
    everything = await world.releases.listing(everything=True)
    only_web = await world.releases.listing(train="web", everything=True)

    assert [r.label for r in active] == [mobile.label, web.label]
    assert [r.label for r in everything] == [mobile.label, web.label, old.label]
    assert [r.label for r in only_web] == [web.label, old.label]
    with pytest.raises(NotFound, match="Did you mean `web`"):
        await world.releases.listing(train="webb")


async def test_the_card_of_a_train_no_longer_configured_uses_the_default_channel(
    world: World,
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    orphan = dataclasses.replace(release, train="retired")
    card = world.releases.card(orphan)
    assert card.channel == "#releases"
    assert card.services == ()
    assert card.milestones == ()


def test_service_now_is_the_injected_clock(world: World, clock: FakeClock) -> None:
    assert isinstance(world.releases, ReleaseService)
    assert world.releases.now() == clock()


async def test_a_slack_failure_after_the_commit_does_not_undo_or_hide_the_change(
    world: World, notifier: RecordingNotifier
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    notifier.fail_with = RuntimeError("slack is down")

    cancelled = await world.releases.cancel(release=release, actor=ALICE, reason="bad build")

    assert cancelled.state is ReleaseState.CANCELLED
    assert (await world.releases.resolve("web/2026.11.1")).state is ReleaseState.CANCELLED
    trail = await world.releases.history(release)
    assert trail[-1].action == "cancel"
