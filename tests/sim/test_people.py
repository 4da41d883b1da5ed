"""People writing in channels, threads and ephemeral messages, as the bot sees them."""

from __future__ import annotations

import json

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SimClient, SimulatorError, SlackSimulator
from tests.sim.conftest import FakeBot
from tests.sim.test_client_http import APPROVAL, payload_of


async def test_say_stores_the_message_and_sends_the_event(
    sim: SlackSimulator, fake_bot: FakeBot
) -> None:
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        said = await people.say(user="alice", channel="#releases", text="anyone there?")
        root = sim.messages_in("#releases")[0]
        await people.say(user="bob", channel="#releases", text="<@U0BOT> status", thread_ts=root.ts)

    plain, mention = (json.loads(r.body)["event"] for r in fake_bot.received)
    assert said.ok
    assert (plain["type"], plain["user"], plain["channel_type"]) == (
        "message",
        "U0ALICE",
        "channel",
    )
    assert plain["ts"] == root.ts
    assert (mention["type"], mention["thread_ts"]) == ("app_mention", root.ts)
    assert [m.user for m in sim.thread("#releases", root.ts)] == ["U0ALICE", "U0BOB"]


async def test_a_bot_cannot_edit_what_a_person_wrote(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    message = sim.post_as(user="carol", channel="#qa", text="mine")

    with pytest.raises(SlackApiError, match="cant_update_message"):
        await web_client.chat_update(channel="C0QA", ts=message.ts, text="theirs")
    with pytest.raises(SimulatorError, match="no message"):
        sim.post_as(user="carol", channel="#qa", text="x", thread_ts="1.000001")


async def test_direct_and_private_messages_have_their_channel_type(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    dm = (await web_client.conversations_open(users="U0DAVE"))["channel"]["id"]
    sim.add_channel("incident-42", is_private=True)
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        await people.say(user="dave", channel=dm, text="help")
        await people.say(user="dave", channel="#incident-42", text="paging")

    kinds = [json.loads(r.body)["event"]["channel_type"] for r in fake_bot.received]
    assert kinds == ["im", "group"]


async def test_clicks_in_threads_and_on_ephemerals(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    root = await web_client.chat_postMessage(channel="#oncall", text="alert")
    reply = await web_client.chat_postMessage(
        channel="#oncall", text="actions", blocks=APPROVAL, thread_ts=root["ts"]
    )
    ephemeral = await web_client.chat_postEphemeral(
        channel="#oncall", user="U0DAVE", text="x", blocks=APPROVAL
    )
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        in_thread = await people.click(
            user="dave", message=("#oncall", reply["ts"]), action_id="approve"
        )
        await people.click(
            user="dave", message=("#oncall", ephemeral["message_ts"]), action_id="approve"
        )

    threaded, private = (payload_of(r.body) for r in fake_bot.received)
    assert in_thread.ok
    assert threaded["container"]["thread_ts"] == root["ts"]
    assert private["container"]["is_ephemeral"] is True
    assert private["container"]["message_ts"] == ephemeral["message_ts"]


async def test_json_booleans_are_understood(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    listed = await web_client.api_call("usergroups.list", json={"include_users": True})
    posted = await web_client.chat_postMessage(channel="#qa", text="x", attachments=[{"text": "a"}])
    await web_client.chat_update(
        channel="C0QA", ts=posted["ts"], text="y", attachments=[{"text": "b"}]
    )

    assert "users" in listed["usergroups"][0]
    assert sim.messages_in("#qa")[0].attachments == [{"text": "b"}]


async def test_stopping_closes_socket_connections(sim: SlackSimulator) -> None:
    url = (
        await AsyncWebClient(base_url=sim.api_url).apps_connections_open(
            app_token=sim.config.app_token
        )
    )["url"]
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_json()
        await sim.socket.wait_connected(within=2)
        await sim.stop()
        closing = await ws.receive()

    assert closing.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert not sim.socket.connected


async def test_show_response_needs_a_known_url(sim: SlackSimulator) -> None:
    with pytest.raises(SimulatorError, match="unknown response URL"):
        sim.show_response(response_url=f"{sim.base_url}/response/nope", payload={"text": "x"})


async def test_an_ack_body_is_shown_only_when_it_has_something_to_show(
    sim: SlackSimulator,
) -> None:
    url = sim.issue_response_url(user="alice", channel="#releases")

    sim.show_response(response_url=url, payload={"response_type": "in_channel"})
    with pytest.raises(SimulatorError, match="invalid_blocks"):
        sim.show_response(response_url=url, payload={"blocks": [{"type": "nope"}]})

    assert sim.messages_in("#releases") == []
    assert sim.ephemerals_for("alice") == []
