"""The one error handler, tested directly on a bolt app: a listener that raises still yields
a 200 with a message a person can act on, never a 5xx."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import NotAllowed
from bot.sim.slack import SlackSimulator
from bot.slack.errors import register_error_handler


def app_raising(error: Exception, sim: SlackSimulator) -> AsyncApp:
    app = AsyncApp(
        client=AsyncWebClient(token=sim.config.bot_token, base_url=sim.api_url),
        request_verification_enabled=False,
        process_before_response=True,
    )
    register_error_handler(app)

    async def listener() -> None:
        raise error

    app.command("/release")(listener)
    return app


def command_request() -> AsyncBoltRequest:
    body = urlencode({"command": "/release", "text": "x", "user_id": "U1", "channel_id": "C1"})
    return AsyncBoltRequest(
        body=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (NotAllowed("Only QA members can approve."), "Only QA members can approve."),
        (RuntimeError("secret internals"), "Something went wrong on our side (error id `"),
    ],
)
async def test_listener_errors_become_a_200_reply(error: Exception, expected: str) -> None:
    async with SlackSimulator() as sim:
        response = await app_raising(error, sim).async_dispatch(command_request())
    assert response.status == 200
    body = json.loads(response.body)
    assert expected in body["text"]
    assert body["response_type"] == "ephemeral"
    assert "secret internals" not in response.body
