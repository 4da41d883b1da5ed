"""Socket Mode with slack_sdk's real aiohttp SocketModeClient."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import AckTimeout, SimClient, SimulatorError, SlackSimulator
from tests.sim.test_client_http import APPROVAL


class App:
    """A Socket Mode app that records what it gets and acks with ``reply`` (or not at all)."""

    def __init__(self, client: SocketModeClient) -> None:
        self.client = client
        self.requests: list[SocketModeRequest] = []
        self.messages: list[dict[str, Any]] = []
        self.reply: dict[str, Any] | None = None
        self.ack = True
        client.socket_mode_request_listeners.append(self.on_request)
        client.message_listeners.append(self.on_message)

    async def on_request(
        self, client: AsyncBaseSocketModeClient, request: SocketModeRequest
    ) -> None:
        self.requests.append(request)
        if self.ack:
            response = SocketModeResponse(envelope_id=request.envelope_id, payload=self.reply)
            await client.send_socket_mode_response(response)

    async def on_message(
        self, client: AsyncBaseSocketModeClient, message: dict[str, Any], raw: str | None
    ) -> None:
        self.messages.append(message)


@pytest.fixture
async def app(sim: SlackSimulator) -> AsyncIterator[App]:
    web = AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token)
    client = SocketModeClient(app_token=sim.config.app_token, web_client=web, ping_interval=0.2)
    recorder = App(client)
    await client.connect()  # type: ignore[no-untyped-call]
    await sim.socket.wait_connected(within=2)
    yield recorder
    await client.close()  # type: ignore[no-untyped-call]


async def test_hello_then_pings_are_answered(sim: SlackSimulator, app: App) -> None:
    hello = await sim.wait_for(
        lambda: next((m for m in app.messages if m["type"] == "hello"), None)
    )

    assert hello["num_connections"] == 1
    assert hello["connection_info"]["app_id"] == "A0SIM"
    assert await sim.wait_for(lambda: app.client.last_ping_pong_time is not None)
    assert sim.calls_to("apps.connections.open")[0].ok


async def test_a_slash_command_goes_through_the_socket_and_the_ack_comes_back(
    sim: SlackSimulator, app: App
) -> None:
    app.reply = {"text": "On it"}
    async with SimClient(sim, transport="socket") as people:
        response = await people.slash_command(user="alice", text="status")

    [request] = app.requests
    assert (request.type, request.accepts_response_payload) == ("slash_commands", True)
    assert request.payload["command"] == "/release"
    assert request.payload["user_id"] == "U0ALICE"
    assert (response.status, response.json) == (200, {"text": "On it"})
    assert sim.socket.acks[-1].envelope_id == request.envelope_id
    assert sim.ephemerals_for("alice")[0].text == "On it"


async def test_interactive_and_events_envelopes(
    sim: SlackSimulator, app: App, web_client: AsyncWebClient
) -> None:
    posted = await web_client.chat_postMessage(channel="#qa", text="x", blocks=APPROVAL)
    async with SimClient(sim, transport="socket") as people:
        clicked = await people.click(user="bob", message=("#qa", posted["ts"]), action_id="approve")
        await people.event(event={"type": "app_home_opened", "user": "U0BOB"}, retry_num=2)
        await people.event(event={"type": "app_home_opened", "user": "U0BOB"})

    click, retried, fresh = app.requests
    assert (click.type, click.accepts_response_payload) == ("interactive", False)
    assert click.payload["type"] == "block_actions"
    assert (clicked.body, clicked.json) == ("", None)
    assert retried.type == "events_api"
    assert retried.payload["type"] == "event_callback"
    assert (retried.retry_attempt, retried.retry_reason) == (2, "http_timeout")
    assert (fresh.retry_attempt, fresh.retry_reason) == (0, "")


async def test_the_app_reconnects_when_asked(sim: SlackSimulator, app: App) -> None:
    await sim.socket.request_reconnect()

    await sim.wait_for(lambda: sim.socket.connections_opened == 2 and sim.socket.connected)
    async with SimClient(sim, transport="socket") as people:
        response = await people.event(event={"type": "app_home_opened", "user": "U0BOB"})

    assert response.status == 200
    assert len(sim.calls_to("apps.connections.open")) == 2


async def test_an_app_that_never_acks_times_out(sim: SlackSimulator, app: App) -> None:
    app.ack = False
    async with SimClient(sim, transport="socket", ack_timeout=0.2) as people:
        with pytest.raises(AckTimeout, match="did not acknowledge slash_commands"):
            await people.slash_command(user="alice", text="status")

    assert sim.socket.acks == []


async def test_without_a_connection_nothing_can_be_sent(sim: SlackSimulator) -> None:
    async with SimClient(sim, transport="socket") as people:
        with pytest.raises(SimulatorError, match="no app is connected"):
            await people.slash_command(user="alice", text="status")


async def test_a_socket_url_works_once(sim: SlackSimulator) -> None:
    web = AsyncWebClient(base_url=sim.api_url, token=sim.config.app_token)
    url = (await web.apps_connections_open(app_token=sim.config.app_token))["url"]
    async with aiohttp.ClientSession() as session:
        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json()
            await ws.send_str("not json")
            await ws.send_json({"type": "no envelope"})
            await ws.send_json({"envelope_id": "unknown", "payload": "text"})
            await sim.wait_for(lambda: sim.socket.acks)
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(url)

    assert url.startswith("ws://127.0.0.1:")
    assert hello["type"] == "hello"
    assert refused.value.status == 401
    assert [(a.envelope_id, a.payload) for a in sim.socket.acks] == [("unknown", None)]
