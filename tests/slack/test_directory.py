"""User-group lookups through the Web API (the simulator), with the cache on a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import IntegrationError
from bot.sim.slack import SlackSimulator
from bot.slack.directory import UserGroupDirectory


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator() as simulator:
        yield simulator


async def test_resolves_handles_and_caches_for_the_ttl(sim: SlackSimulator) -> None:
    clock = Clock()
    client = AsyncWebClient(token=sim.config.bot_token, base_url=sim.api_url)
    directory = UserGroupDirectory(client=client, ttl=60, clock=clock)
    members = await directory.members(handles={"qa-team", "oncall"})
    assert members == {"qa-team": {"U0BOB", "U0CAROL"}, "oncall": {"U0DAVE"}}
    clock.now += 59
    await directory.members(handles={"qa-team"})
    assert len(sim.calls_to("usergroups.list")) == 1
    clock.now += 2
    sim.add_usergroup("late-group", users=["U0ERIN"])
    await directory.members(handles={"qa-team"})
    assert len(sim.calls_to("usergroups.list")) == 2


async def test_no_handles_means_no_calls(sim: SlackSimulator) -> None:
    client = AsyncWebClient(token=sim.config.bot_token, base_url=sim.api_url)
    assert await UserGroupDirectory(client=client).members(handles=set()) == {}
    assert sim.calls_to("usergroups.list") == []


async def test_unknown_handle_has_no_members(sim: SlackSimulator) -> None:
    client = AsyncWebClient(token=sim.config.bot_token, base_url=sim.api_url)
    members = await UserGroupDirectory(client=client).members(handles={"ghosts"})
    assert members == {}


async def test_failure_without_an_earlier_answer_says_what_to_check(sim: SlackSimulator) -> None:
    client = AsyncWebClient(token="xoxb-wrong", base_url=sim.api_url)
    with pytest.raises(IntegrationError, match=r"invalid_auth.*usergroups:read"):
        await UserGroupDirectory(client=client).members(handles={"qa-team"})


async def test_failure_after_an_answer_keeps_the_last_one(sim: SlackSimulator) -> None:
    clock = Clock()
    client = AsyncWebClient(token=sim.config.bot_token, base_url=sim.api_url)
    directory = UserGroupDirectory(client=client, ttl=60, clock=clock)
    first = await directory.members(handles={"qa-team"})
    client.token = "xoxb-revoked"
    clock.now += 120
    assert await directory.members(handles={"qa-team"}) == first
    assert sim.calls_to("usergroups.list")[-1].error == "invalid_auth"


async def test_one_handle_looked_up_keeps_the_others_cached(sim: SlackSimulator) -> None:
    """Mentioning @oncall (a one-handle lookup) must not drop @qa-team from the cache: the
    next role check of a QA member still finds them, without another call."""
    clock = Clock()
    client = AsyncWebClient(token=sim.config.bot_token, base_url=sim.api_url)
    directory = UserGroupDirectory(client=client, ttl=60, clock=clock)
    await directory.members(handles={"qa-team"})
    assert await directory.group_id(handle="oncall") is not None
    members = await directory.members(handles={"qa-team", "oncall"})
    assert members == {"qa-team": {"U0BOB", "U0CAROL"}, "oncall": {"U0DAVE"}}
    assert len(sim.calls_to("usergroups.list")) == 2
