"""Malformed input, events, Slack retries and the operational routes, over real HTTP."""

from __future__ import annotations

import asyncio
import json
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.sim.slack import Knobs
from tests.harness import Running

FORM = "application/x-www-form-urlencoded"


def event_body(event_id: str, *, user: str = "U0ALICE") -> bytes:
    return json.dumps(
        {
            "token": "verification",
            "team_id": "T0SIM",
            "api_app_id": "A0SIM",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": 1_700_000_000,
            "event": {"type": "app_home_opened", "user": user, "channel": "D0ALICE", "tab": "home"},
        }
    ).encode()


@pytest.mark.parametrize(
    ("body", "content_type", "reason"),
    [
        (b"\xff\xfe\x00junk", FORM, "body is not a Slack payload"),
        (b"payload=%7Bnot-json", FORM, "body is not a Slack payload"),
        (b"payload=%5B1%2C2%5D", FORM, "payload is not a JSON object"),
        (b"command=%2Frelease&text=help", FORM, "command payload: user_id: Field required"),
        (b'{"type": "block_actions", "user": {}}', "application/json", "interactive payload"),
        (b'{"type": "event_callback"}', "application/json", "event payload: event"),
        (b'{"hello": "world"}', "application/json", "not a slash command"),
        (b"", "text/plain", "not a slash command"),
        (b'{"type": "url_verification"}', "application/json", "challenge"),
    ],
)
async def test_malformed_bodies_get_400_with_a_reason(
    bot: Running, body: bytes, content_type: str, reason: str
) -> None:
    response = await bot.people.post_raw(body=body, content_type=content_type)
    assert response.status == 400, response.body
    assert reason in response.json["error"]


async def test_unsigned_junk_is_refused_before_parsing(bot: Running) -> None:
    response = await bot.people.post_raw(
        body=b"\xff", content_type=FORM, knobs=Knobs(signature="nope")
    )
    assert response.status == 401


async def test_missing_timestamp_is_401(bot: Running) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(bot.events_url, data=b"command=x") as response,
    ):
        assert response.status == 401
        assert "X-Slack-Request-Timestamp" in (await response.json())["error"]


async def test_url_verification_echoes_the_challenge(bot: Running) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "t"}).encode()
    response = await bot.people.post_raw(body=body, content_type="application/json")
    assert response.status == 200
    assert "abc123" in response.body


async def test_home_tab_is_published_and_event_retries_are_not_redone(bot: Running) -> None:
    body = event_body("Ev0001")
    first = await bot.people.post_raw(body=body, content_type="application/json")
    assert first.status == 200
    published = await bot.sim.wait_for(lambda: bot.sim.calls_to("views.publish"), timeout=5)
    view = published[0].params["view"]
    assert view["type"] == "home"
    assert any("release manager" in json.dumps(block) for block in view["blocks"])
    await asyncio.sleep(0.3)  # the delivery is recorded after the ack
    retry = await bot.people.post_raw(
        body=body,
        content_type="application/json",
        knobs=Knobs(headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}),
    )
    assert retry.status == 200
    await asyncio.sleep(0.3)
    assert len(bot.sim.calls_to("views.publish")) == 1


async def test_event_sent_through_the_sim_client(bot: Running) -> None:
    response = await bot.people.event(
        event={"type": "app_home_opened", "user": "U0BOB", "channel": "D0BOB", "tab": "home"}
    )
    assert response.status == 200
    published = await bot.sim.wait_for(lambda: bot.sim.calls_to("views.publish"), timeout=5)
    assert published[0].params["user_id"] == "U0BOB"


async def test_unhandled_but_well_formed_action_is_acked(bot: Running) -> None:
    payload = {
        "type": "block_actions",
        "user": {"id": "U0ALICE", "username": "alice", "team_id": "T0SIM"},
        "team": {"id": "T0SIM", "domain": "sim"},
        "api_app_id": "A0SIM",
        "trigger_id": "1.2.3",
        "actions": [{"action_id": "from_an_old_version", "type": "button", "value": "x"}],
    }
    body = urlencode({"payload": json.dumps(payload)}).encode()
    response = await bot.people.post_raw(body=body, content_type=FORM)
    assert response.status == 200


async def test_health_readiness_and_metrics(bot: Running) -> None:
    await bot.people.slash_command(user="alice", text="help")
    await bot.people.slash_command(user="alice", text="whoami")
    await bot.sim.wait_for(lambda: bot.sim.calls_to("usergroups.users.list"), timeout=5)
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{bot.url}/healthz") as response:
            assert response.status == 200
            assert response.headers["X-Request-Id"]
        async with session.get(f"{bot.url}/readyz") as response:
            assert response.status == 200
            assert (await response.json())["ok"] is True
        async with session.get(f"{bot.url}/metrics") as response:
            text = await response.text()
    assert 'stationmaster_http_requests_total{route="/slack/events",status="200"}' in text
    assert 'stationmaster_slack_ack_seconds_bucket{kind="command"' in text
    assert 'stationmaster_slack_api_calls_total{method="usergroups.list",outcome="ok"}' in text


async def test_unknown_route_is_404_not_5xx(bot: Running) -> None:
    async with aiohttp.ClientSession() as session, session.get(f"{bot.url}/nope") as response:
        assert response.status == 404


async def test_readiness_fails_when_the_schema_falls_behind(bot: Running) -> None:
    import sqlite3

    path = bot.settings.database_url.split("///", 1)[1]
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM alembic_version")
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{bot.url}/readyz") as response,
    ):
        assert response.status == 503
        assert "stationmaster db upgrade" in (await response.json())["error"]
