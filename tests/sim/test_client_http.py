"""The user-side client over HTTP: signed requests in Slack's payload shapes."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from aiohttp import web
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import AckTimeout, Knobs, SimClient, SimulatorError, SlackSimulator, sign
from tests.sim.conftest import FakeBot

APPROVAL: list[dict[str, Any]] = [
    {"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "Sign off?"}},
    {
        "type": "actions",
        "block_id": "checklist",
        "elements": [
            {
                "type": "checkboxes",
                "action_id": "checks",
                "options": [
                    {"text": {"type": "plain_text", "text": "Smoke"}, "value": "smoke"},
                    {"text": {"type": "plain_text", "text": "Perf"}, "value": "perf"},
                ],
                "initial_options": [
                    {"text": {"type": "plain_text", "text": "Smoke"}, "value": "smoke"}
                ],
            },
            {
                "type": "button",
                "action_id": "approve",
                "text": {"type": "plain_text", "text": "Approve"},
                "value": "r-42",
                "style": "primary",
            },
        ],
    },
]


def form(received: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(received.decode(), keep_blank_values=True).items()}


def payload_of(received: bytes) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(form(received)["payload"])
    return result


async def test_slash_command_is_signed_and_shaped_like_slacks(
    sim: SlackSimulator, fake_bot: FakeBot
) -> None:
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        response = await people.slash_command(user="alice", text="status 2024.05.1")

    [request] = fake_bot.received
    verifier = SignatureVerifier(sim.config.signing_secret)
    assert verifier.is_valid_request(request.body, request.headers)
    fields = form(request.body)
    assert fields["command"] == "/release"
    assert fields["text"] == "status 2024.05.1"
    assert (fields["user_id"], fields["user_name"]) == ("U0ALICE", "alice")
    assert (fields["channel_id"], fields["channel_name"]) == ("C0RELEASES", "releases")
    assert (fields["team_id"], fields["team_domain"], fields["api_app_id"]) == (
        "T0SIM",
        "stationmaster-sim",
        "A0SIM",
    )
    assert fields["response_url"].startswith(f"{sim.base_url}/response/")
    assert fields["trigger_id"]
    assert fields["token"]
    assert fields["is_enterprise_install"] == "false"
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert (response.status, response.body, response.json) == (200, "", None)
    assert sim.ephemerals_for("alice") == []


async def test_an_ack_body_is_shown_to_the_user(sim: SlackSimulator, fake_bot: FakeBot) -> None:
    async def reply(request: web.Request) -> web.Response:
        return web.json_response({"response_type": "in_channel", "text": "Release 2024.05.1 cut"})

    fake_bot.reply = reply
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        await people.slash_command(user="alice", text="cut")
        fake_bot.reply = None

        async def plain(request: web.Request) -> web.Response:
            return web.Response(text="Working on it")

        fake_bot.reply = plain
        await people.slash_command(user="bob", text="status", channel="#qa")

    assert sim.messages_in("#releases")[0].text == "Release 2024.05.1 cut"
    [ephemeral] = sim.ephemerals_for("bob", channel="#qa")
    assert (ephemeral.text, ephemeral.source) == ("Working on it", "ack")


async def test_knobs_bend_the_signature_and_headers(sim: SlackSimulator, fake_bot: FakeBot) -> None:
    verifier = SignatureVerifier(sim.config.signing_secret)
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        await people.slash_command(user="bob", text="x", knobs=Knobs(timestamp=1_000_000_000))
        await people.slash_command(user="bob", text="x", knobs=Knobs(signature="v0=forged"))
        await people.post_raw(
            body=b"not a form", content_type="text/plain", knobs=Knobs(headers={"X-Extra": "1"})
        )

    stale, forged, raw = fake_bot.received
    assert stale.headers["X-Slack-Request-Timestamp"] == "1000000000"
    assert not verifier.is_valid_request(stale.body, stale.headers)  # too old
    assert (
        verifier.is_valid(
            stale.body,
            stale.headers["X-Slack-Request-Timestamp"],
            stale.headers["X-Slack-Signature"],
        )
        is False
    )
    assert forged.headers["X-Slack-Signature"] == "v0=forged"
    assert (raw.body, raw.headers["Content-Type"], raw.headers["X-Extra"]) == (
        b"not a form",
        "text/plain",
        "1",
    )
    assert verifier.is_valid_request(raw.body, raw.headers)
    assert sign(secret="s", timestamp=1, body=b"b") == SignatureVerifier("s").generate_signature(
        timestamp="1", body=b"b"
    )


async def test_click_sends_block_actions_with_message_state_and_response_url(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    posted = await web_client.chat_postMessage(channel="#qa", text="sign off", blocks=APPROVAL)
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        await people.click(user="bob", message=("#qa", posted["ts"]), action_id="approve")
        await people.click(
            user="carol",
            message=sim.messages_in("#qa")[0],
            action_id="checks",
            value=["smoke", "perf"],
        )

    approve, checks = (payload_of(r.body) for r in fake_bot.received)
    assert approve["type"] == "block_actions"
    assert approve["user"] == {"id": "U0BOB", "username": "bob", "name": "bob", "team_id": "T0SIM"}
    assert approve["container"] == {
        "type": "message",
        "message_ts": posted["ts"],
        "channel_id": "C0QA",
        "is_ephemeral": False,
    }
    assert approve["channel"] == {"id": "C0QA", "name": "qa"}
    assert approve["message"]["ts"] == posted["ts"]
    assert approve["message"]["blocks"]
    [action] = approve["actions"]
    assert (action["action_id"], action["block_id"], action["value"], action["style"]) == (
        "approve",
        "checklist",
        "r-42",
        "primary",
    )
    assert action["type"] == "button"
    assert action["action_ts"]
    assert approve["state"]["values"]["checklist"]["checks"]["selected_options"][0]["value"] == (
        "smoke"
    )
    assert approve["trigger_id"]
    assert approve["response_url"].startswith(sim.base_url)
    selected = checks["actions"][0]["selected_options"]
    assert [o["value"] for o in selected] == ["smoke", "perf"]
    assert [
        o["value"] for o in checks["state"]["values"]["checklist"]["checks"]["selected_options"]
    ] == [
        "smoke",
        "perf",
    ]


async def test_click_refuses_what_a_person_could_not_click(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    posted = await web_client.chat_postMessage(channel="#qa", text="x", blocks=APPROVAL)
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        with pytest.raises(SimulatorError, match="no element with action_id 'nope'"):
            await people.click(user="bob", message=("#qa", posted["ts"]), action_id="nope")
        with pytest.raises(SimulatorError, match="in block 'summary'"):
            await people.click(
                user="bob", message=("#qa", posted["ts"]), action_id="approve", block_id="summary"
            )
        with pytest.raises(SimulatorError, match="no option 'zzz'"):
            await people.click(
                user="bob", message=("#qa", posted["ts"]), action_id="checks", value=["zzz"]
            )
        with pytest.raises(SimulatorError, match="no message"):
            await people.click(user="bob", message=("#qa", "1.000001"), action_id="approve")
        await web_client.chat_delete(channel="C0QA", ts=posted["ts"])
        with pytest.raises(SimulatorError, match="deleted"):
            await people.click(user="bob", message=("#qa", posted["ts"]), action_id="approve")
        with pytest.raises(SimulatorError, match="no user"):
            await people.slash_command(user="mallory", text="x")
        with pytest.raises(SimulatorError, match="no channel"):
            await people.slash_command(user="bob", text="x", channel="#nowhere")
    assert fake_bot.received == []


async def test_events_carry_the_callback_envelope_and_retry_headers(
    sim: SlackSimulator, fake_bot: FakeBot
) -> None:
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        await people.event(event={"type": "app_home_opened", "user": "U0ALICE", "tab": "home"})
        await people.event(event={"type": "app_mention", "text": "hi"}, retry_num=1)

    first, retried = fake_bot.received
    body = json.loads(first.body)
    assert body["type"] == "event_callback"
    assert body["event_id"].startswith("Ev")
    assert body["event"]["type"] == "app_home_opened"
    assert body["event"]["event_ts"]
    assert body["authorizations"][0]["user_id"] == "U0BOT"
    assert isinstance(body["event_time"], int)
    assert first.headers["Content-Type"] == "application/json"
    assert "X-Slack-Retry-Num" not in first.headers
    assert (retried.headers["X-Slack-Retry-Num"], retried.headers["X-Slack-Retry-Reason"]) == (
        "1",
        "http_timeout",
    )


async def test_a_slow_bot_misses_the_ack_window(sim: SlackSimulator, fake_bot: FakeBot) -> None:
    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.3)
        return web.Response()

    fake_bot.reply = slow
    async with SimClient(sim, bot_url=fake_bot.url, ack_timeout=0.1) as people:
        with pytest.raises(AckTimeout, match=r"within 0\.1s"):
            await people.slash_command(user="alice", text="status")


def test_an_http_client_needs_a_url(sim: SlackSimulator) -> None:
    with pytest.raises(ValueError, match="bot_url"):
        SimClient(sim)
