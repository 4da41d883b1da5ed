"""The services through the real ``SlackNotifier``: Web API calls over loopback to the Slack
simulator, on SQLite and PostgreSQL. One root per release, updated in place, even across a
restart or two replicas; notes in its thread; role mentions resolved through user groups."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.roles import Role
from bot.errors import IntegrationError
from bot.sim.slack import SimMessage, SlackSimulator
from bot.slack.directory import UserGroupDirectory
from bot.slack.notifier import SlackNotifier
from bot.slack.roles import RoleResolver
from storage.idempotency import claim
from storage.models import IdempotencyScope
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import MONDAY_CUT, Sessions, World, build, config_for

ALICE = "U0ALICE"
RELEASE_MANAGERS = "<!subteam^S0RELMGR|@release-managers>"
QA = "<!subteam^S0QATEAM|@qa-team>"


def slack_world(
    *, sessions: Sessions, client: AsyncWebClient, clock: FakeClock, repo: Path, **extra: float
) -> World:
    config = config_for(repo)
    roles = RoleResolver(
        members=config.roles.by_role(), directory=UserGroupDirectory(client=client)
    )
    notifier = SlackNotifier(client=client, sessions=sessions, clock=clock, mentions=roles, **extra)
    return build(sessions=sessions, config=config, clock=clock, notifier=notifier)


def roots(sim: SlackSimulator, channel: str = "#releases") -> list[SimMessage]:
    return [m for m in sim.messages_in(channel, include_replies=False) if m.blocks]


def replies(sim: SlackSimulator, root: SimMessage) -> list[str]:
    return [m.text for m in sim.thread(root.channel, root.ts) if m.ts != root.ts]


async def test_one_root_per_release_updated_in_place_and_never_reposted_after_a_restart(
    db_sessions: Sessions,
    sim: SlackSimulator,
    client: AsyncWebClient,
    clock: FakeClock,
    repo: Path,
) -> None:
    world = slack_world(sessions=db_sessions, client=client, clock=clock, repo=repo)

    release = await world.releases.cut(train="web", actor=ALICE)

    [root] = roots(sim)
    assert root.text == "web/2026.11.1: gating"
    assert root.blocks[0]["text"]["text"] == "web 2026.11.1"
    assert "Next: cut <!date^" in str(root.blocks)
    assert "|2026-11-23 09:00 UTC>" in str(root.blocks)
    assert replies(sim, root) == [
        f"Cut by <@{ALICE}> at `{release.short_sha}` on `main`. Gates are next."
    ]
    assert len(sim.calls_to("chat.postMessage")) == 2  # the root, then its first note

    restarted = slack_world(sessions=db_sessions, client=client, clock=clock, repo=repo)
    await restarted.releases.cancel(release=release, actor=ALICE, reason="wrong branch")

    assert roots(sim) == [root]
    updated = sim.message(root.channel, root.ts)
    assert updated.text == "web/2026.11.1: cancelled"
    assert updated.edit_count == 1
    assert "Next:" not in str(updated.blocks)  # a finished release has no milestones ahead
    assert replies(sim, root)[-1] == f"Cancelled by <@{ALICE}>: wrong branch"
    assert len(sim.calls_to("chat.postMessage")) == 3


async def test_milestone_notes_mention_the_role_groups(
    db_sessions: Sessions,
    sim: SlackSimulator,
    client: AsyncWebClient,
    clock: FakeClock,
    repo: Path,
) -> None:
    world = slack_world(sessions=db_sessions, client=client, clock=clock, repo=repo)
    await world.trains.ensure()
    signoff = MONDAY_CUT + timedelta(days=2, hours=6)  # Wed 16:00 Berlin
    for at in (MONDAY_CUT, signoff):
        clock.set(at)
        for occurrence in await world.trains.due(now=at):
            if occurrence.train == "web" and occurrence.before is None:
                await world.trains.fire(occurrence, now=at)

    [root] = roots(sim)
    assert replies(sim, root)[-1] == (
        f"{RELEASE_MANAGERS} Sign-off is overdue: web/2026.11.1 is still gating "
        "at its sign-off deadline."
    )

    await world.notifier.channel_note(channel="#qa", text="Please test.", mention=Role.QA)
    await world.notifier.channel_note(channel="#qa", text="FYI.")
    assert [m.text for m in sim.messages_in("#qa")] == [f"{QA} Please test.", "FYI."]


async def test_two_replicas_posting_one_root_at_once_post_it_once(
    db_sessions: Sessions,
    sim: SlackSimulator,
    client: AsyncWebClient,
    clock: FakeClock,
    repo: Path,
) -> None:
    quiet = build(
        sessions=db_sessions, config=config_for(repo), clock=clock, notifier=RecordingNotifier()
    )
    release = await quiet.releases.cut(train="web", actor=ALICE)
    card = quiet.releases.card(release)
    one = SlackNotifier(client=client, sessions=db_sessions, clock=clock)
    two = SlackNotifier(client=client, sessions=db_sessions, clock=clock)

    await asyncio.gather(
        one.thread_note(card=card, text="from replica one"),
        two.thread_note(card=card, text="from replica two", mention=Role.QA),
        one.release_changed(card=card),
    )

    [root] = roots(sim)
    assert sorted(replies(sim, root)) == ["from replica one", "from replica two"]
    assert len(sim.calls_to("chat.postMessage")) == 3


async def test_a_root_claimed_elsewhere_that_never_appears_is_reported(
    db_sessions: Sessions,
    sim: SlackSimulator,
    client: AsyncWebClient,
    clock: FakeClock,
    repo: Path,
) -> None:
    quiet = build(
        sessions=db_sessions, config=config_for(repo), clock=clock, notifier=RecordingNotifier()
    )
    release = await quiet.releases.cut(train="web", actor=ALICE)
    async with db_sessions() as session:
        assert await claim(
            session=session,
            scope=IdempotencyScope.SLACK_ROOT,
            key=f"release:{release.id}",
            ttl=timedelta(seconds=30),
            now=clock(),
        )
        await session.commit()
    notifier = SlackNotifier(client=client, sessions=db_sessions, clock=clock, wait_for_other=0.3)

    with pytest.raises(IntegrationError, match="being posted elsewhere but never appeared"):
        await notifier.thread_note(card=quiet.releases.card(release), text="hello")

    assert sim.calls_to("chat.postMessage") == []


async def test_a_root_deleted_in_slack_is_posted_again_on_the_next_change(
    db_sessions: Sessions,
    sim: SlackSimulator,
    client: AsyncWebClient,
    clock: FakeClock,
    repo: Path,
) -> None:
    world = slack_world(sessions=db_sessions, client=client, clock=clock, repo=repo)
    release = await world.releases.cut(train="web", actor=ALICE)
    [first] = roots(sim)
    await client.chat_delete(channel=first.channel, ts=first.ts)

    cancelled = await world.releases.cancel(release=release, actor=ALICE, reason="gone")

    assert cancelled.state.value == "cancelled"
    [second] = roots(sim)
    assert second.ts != first.ts
    assert second.text == "web/2026.11.1: cancelled"
    assert replies(sim, second) == [f"Cancelled by <@{ALICE}>: gone"]
