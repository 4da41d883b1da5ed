"""Slack's posting limit: HTTP 429 with Retry-After, and slack_sdk's retry handler recovering."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SlackSimulator
from bot.sim.slack.ratelimit import PostRateLimiter
from tests.sim.conftest import FakeClock


async def test_the_retry_handler_recovers_and_the_message_lands_once() -> None:
    async with SlackSimulator(posts_per_second=1) as sim:
        web = AsyncWebClient(
            base_url=sim.api_url,
            token=sim.config.bot_token,
            retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
        )

        await web.chat_postMessage(channel="#releases", text="first")
        second = await web.chat_postMessage(channel="#releases", text="second")

        assert second["ok"]
        assert [m.text for m in sim.messages_in("#releases")] == ["first", "second"]
        assert [c.error for c in sim.calls_to("chat.postMessage")] == [None, "ratelimited", None]


async def test_a_limited_post_answers_429_with_retry_after() -> None:
    clock = FakeClock()
    async with SlackSimulator(posts_per_second=1, clock=clock) as sim:
        web = AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token, retry_handlers=[])
        first = await web.chat_postMessage(channel="#releases", text="a")
        await web.chat_postMessage(channel="#qa", text="other channels have their own budget")

        with pytest.raises(SlackApiError) as caught:
            await web.chat_update(channel="C0RELEASES", ts=first["ts"], text="b")
        with pytest.raises(SlackApiError):
            await web.chat_postEphemeral(channel="#releases", user="U0BOB", text="c")
        clock.advance(1.0)
        later = await web.chat_postMessage(channel="#releases", text="d")

        response = caught.value.response
        assert response.status_code == 429
        assert response.data == {"ok": False, "error": "ratelimited"}
        assert int(response.headers["Retry-After"]) >= 1
        assert later["ok"]


async def test_the_429_reaches_plain_http_clients_too() -> None:
    async with SlackSimulator(posts_per_second=0.5) as sim:
        headers = {"Authorization": f"Bearer {sim.config.bot_token}"}
        async with aiohttp.ClientSession(headers=headers) as session:
            url = f"{sim.api_url}chat.postMessage"
            await session.post(url, json={"channel": "#qa", "text": "a"})
            limited = await session.post(url, json={"channel": "#qa", "text": "b"})

            assert limited.status == 429
            assert limited.headers["Retry-After"] == "2"


def test_token_bucket_allows_bursts_up_to_the_rate() -> None:
    clock = FakeClock()
    limiter = PostRateLimiter(per_second=3, clock=clock)

    allowed = [limiter.try_acquire("C1") for _ in range(4)]
    clock.advance(0.34)

    assert allowed == [None, None, None, 1]
    assert limiter.try_acquire("C1") is None
    assert limiter.try_acquire("C2") is None


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        PostRateLimiter(per_second=0, clock=FakeClock())
