"""The simulator's own surface: seeding, set-up helpers, lookups, events, waiting, lifecycle."""

from __future__ import annotations

import asyncio

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SimEventKind, SimulatorError, SlackSimulator
from bot.sim.slack import __all__ as exported


def test_the_default_workspace_is_seeded() -> None:
    sim = SlackSimulator()

    assert {u.name for u in sim.workspace.users.values()} >= {"alice", "bob", "carol", "dave"}
    assert sim.user("@alice").real_name == "Alice Archer"
    assert sim.usergroup("@release-managers").users == ["U0ALICE"]
    assert sim.usergroup("qa-team").users == ["U0BOB", "U0CAROL"]
    assert sim.usergroup(sim.usergroup("@oncall").id).handle == "oncall"
    for name in ("#releases", "#qa", "#oncall", "#announcements"):
        channel = sim.channel(name)
        assert channel.is_member
        assert "U0ALICE" in channel.members
    assert sim.user("U0BOT").is_bot


def test_an_empty_workspace_has_only_the_bot() -> None:
    sim = SlackSimulator(seed=False, bot_user_id="U0OTHER")

    assert list(sim.workspace.users) == ["U0OTHER"]
    assert sim.workspace.channels == {}


def test_set_up_helpers_and_lookups() -> None:
    sim = SlackSimulator()
    frank = sim.add_user("frank", real_name="Frank Fox", tz="Asia/Tokyo", email="f@example.com")
    web = sim.add_channel("#releases-web", members=["alice", "frank"], bot_is_member=False)
    vault = sim.add_channel("vault", is_private=True, channel_id="G0VAULT")
    group = sim.add_usergroup("web-team", users=["frank", "U0ALICE"], name="Web team")

    assert sim.user("frank") is frank
    assert frank.id.startswith("U")
    assert (web.name, web.members, web.is_member) == ("releases-web", {"U0ALICE", frank.id}, False)
    assert vault.id == "G0VAULT"
    assert vault.is_private
    assert frank.id in sim.channel("vault").members
    assert (group.handle, group.name, group.users) == (
        "web-team",
        "Web team",
        [frank.id, "U0ALICE"],
    )
    for lookup, ref in ((sim.user, "nobody"), (sim.channel, "#nowhere"), (sim.usergroup, "@no")):
        with pytest.raises(SimulatorError, match="no "):
            lookup(ref)
    with pytest.raises(SimulatorError, match="no message"):
        sim.message("#releases", "1.000001")


def test_the_api_url_needs_a_running_simulator() -> None:
    with pytest.raises(SimulatorError, match="not running"):
        _ = SlackSimulator().api_url


async def test_start_twice_is_refused_and_stop_is_idempotent() -> None:
    sim = SlackSimulator()
    await sim.start()
    with pytest.raises(SimulatorError, match="already running"):
        await sim.start()
    await sim.stop()
    await sim.stop()

    assert sim.api_url.endswith("/api/")


async def test_subscribers_see_each_change_as_a_snapshot(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    events = sim.subscribe()
    posted = await web_client.chat_postMessage(channel="#releases", text="v1")
    await web_client.chat_update(channel="C0RELEASES", ts=posted["ts"], text="v2")
    await web_client.chat_postEphemeral(channel="#releases", user="U0BOB", text="psst")
    await web_client.reactions_add(channel="C0RELEASES", name="eyes", timestamp=posted["ts"])
    await web_client.chat_delete(channel="C0RELEASES", ts=posted["ts"])
    sim.unsubscribe(events)
    sim.unsubscribe(events)
    await web_client.chat_postMessage(channel="#releases", text="unseen")

    seen = [events.get_nowait() for _ in range(events.qsize())]
    assert [e.kind for e in seen] == [
        SimEventKind.POSTED,
        SimEventKind.UPDATED,
        SimEventKind.EPHEMERAL,
        SimEventKind.REACTION_ADDED,
        SimEventKind.DELETED,
    ]
    assert seen[0].message is not None
    assert seen[0].message.text == "v1"
    assert seen[1].message is not None
    assert seen[1].message.text == "v2"
    assert seen[2].ephemeral is not None
    assert seen[2].channel == "C0RELEASES"
    assert seen[3].reaction is not None
    assert seen[3].reaction.name == "eyes"
    assert all(e.at.tzinfo is not None for e in seen)


async def test_wait_for_returns_the_value_or_times_out(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    async def post_later() -> None:
        await asyncio.sleep(0.05)
        await web_client.chat_postMessage(channel="#qa", text="late")

    task = asyncio.create_task(post_later())
    message = await sim.wait_for(lambda: next(iter(sim.messages_in("#qa")), None), timeout=2)
    await task

    assert message.text == "late"
    with pytest.raises(TimeoutError, match=r"within 0\.1s"):
        await sim.wait_for(lambda: sim.messages_in("#oncall"), timeout=0.1)


def test_the_public_exports_are_pinned() -> None:
    assert sorted(exported) == [
        "AckTimeout",
        "ApiError",
        "BotResponse",
        "Knobs",
        "RecordedCall",
        "SimChannel",
        "SimClient",
        "SimEphemeral",
        "SimEvent",
        "SimEventKind",
        "SimFile",
        "SimMessage",
        "SimReaction",
        "SimUser",
        "SimUserGroup",
        "SimView",
        "SimulatorError",
        "SlackSimulator",
        "SocketAck",
        "limits",
        "sign",
    ]
