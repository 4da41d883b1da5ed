"""A tiny bolt app, behind bolt's aiohttp adapter or its Socket Mode handler, driven by the
user-side client: the payloads parse as bolt expects and its answers land in the simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import Knobs, SimClient, SlackSimulator
from tests.sim.test_client_http import APPROVAL
from tests.sim.test_views import HOME, modal


def build_app(sim: SlackSimulator) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token),
        signing_secret=sim.config.signing_secret,
    )

    @app.command("/release")
    async def release(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack(text=f"Looking up {command['text']}")
        await respond(response_type="in_channel", text=f"<@{command['user_id']}> asked for status")
        await client.chat_postMessage(
            channel=command["channel_id"], text="Sign off?", blocks=APPROVAL
        )

    @app.action("approve")
    async def approve(
        ack: AsyncAck,
        body: dict[str, Any],
        action: dict[str, Any],
        respond: AsyncRespond,
        client: AsyncWebClient,
    ) -> None:
        await ack()
        await respond(
            replace_original=True, text=f"Approved {action['value']} by {body['user']['id']}"
        )
        await client.views_open(trigger_id=body["trigger_id"], view=modal())

    @app.view("reject")
    async def reject(ack: AsyncAck, view: dict[str, Any]) -> None:
        reason = view["state"]["values"]["reason"]["reason_input"]["value"]
        if not reason:
            await ack(response_action="errors", errors={"reason": "Say why"})
            return
        await ack()

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        await client.views_publish(user_id=event["user"], view=HOME)

    return app


@pytest.fixture
async def bolt_url(sim: SlackSimulator) -> AsyncIterator[str]:
    app = build_app(sim)

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    server = web.Application()
    server.router.add_post("/slack/events", events)
    runner = web.AppRunner(server)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    await runner.cleanup()


async def run_release_flow(sim: SlackSimulator, people: SimClient) -> None:
    acked = await people.slash_command(user="alice", text="2024.05.1")
    assert acked.status == 200
    assert "Looking up 2024.05.1" in acked.body
    message = await sim.wait_for(
        lambda: next((m for m in sim.messages_in("#releases") if m.blocks), None)
    )
    assert [m.text for m in sim.messages_in("#releases")] == [
        "<@U0ALICE> asked for status",
        "Sign off?",
    ]
    assert sim.ephemerals_for("alice")[0].text == "Looking up 2024.05.1"

    clicked = await people.click(user="bob", message=message, action_id="approve")
    assert clicked.status == 200
    await sim.wait_for(lambda: message.text.startswith("Approved"))
    assert message.text == "Approved r-42 by U0BOB"
    [view] = await sim.wait_for(lambda: sim.open_modals("bob"))

    refused = await people.submit_view(
        user="bob", view_id=view.id, values={"reason": {"reason_input": ""}}
    )
    assert refused.json == {"response_action": "errors", "errors": {"reason": "Say why"}}
    accepted = await people.submit_view(
        user="bob", view_id=view.id, values={"reason": {"reason_input": "flaky"}}
    )
    assert accepted.status == 200
    assert sim.open_modals("bob") == []

    await people.event(event={"type": "app_home_opened", "user": "U0CAROL", "tab": "home"})
    assert await sim.wait_for(lambda: sim.home_for("carol"))


async def test_bolt_over_http(sim: SlackSimulator, bolt_url: str) -> None:
    async with SimClient(sim, bot_url=bolt_url) as people:
        await run_release_flow(sim, people)

    assert sim.calls_to("auth.test")  # bolt checks its token on the first request
    assert [c.ok for c in sim.calls_to("views.open")] == [True]


async def test_bolt_refuses_stale_and_forged_requests(sim: SlackSimulator, bolt_url: str) -> None:
    async with SimClient(sim, bot_url=bolt_url) as people:
        stale = await people.slash_command(user="alice", text="x", knobs=Knobs(timestamp=1))
        forged = await people.slash_command(user="alice", text="x", knobs=Knobs(signature="v0=00"))
        other_secret = SimClient(sim, bot_url=bolt_url, signing_secret="wrong")
        wrong = await other_secret.slash_command(user="alice", text="x")
        await other_secret.close()

    assert (stale.status, forged.status, wrong.status) == (401, 401, 401)
    assert sim.messages_in("#releases") == []


async def test_bolt_over_socket_mode(sim: SlackSimulator) -> None:
    handler = AsyncSocketModeHandler(build_app(sim), app_token=sim.config.app_token)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        await sim.socket.wait_connected(within=2)
        async with SimClient(sim, transport="socket") as people:
            await run_release_flow(sim, people)
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]

    assert len(sim.socket.acks) == 5
