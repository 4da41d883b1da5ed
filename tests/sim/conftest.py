"""Fixtures for the Slack simulator tests: a running simulator, a real AsyncWebClient on it,
and a loopback HTTP server that stands in for a bot and records what it receives."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SlackSimulator

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator() as simulator:
        yield simulator


@pytest.fixture
async def web_client(sim: SlackSimulator) -> AsyncIterator[AsyncWebClient]:
    client = AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token)
    yield client
    if client.session is not None:
        await client.session.close()


@dataclass
class Received:
    body: bytes
    headers: dict[str, str]


@dataclass
class FakeBot:
    """A loopback HTTP endpoint that records requests and answers with ``reply``."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    reply: Handler | None = None


@pytest.fixture
async def fake_bot() -> AsyncIterator[FakeBot]:
    bot = FakeBot()

    async def handle(request: web.Request) -> web.StreamResponse:
        bot.received.append(Received(body=await request.read(), headers=dict(request.headers)))
        if bot.reply is not None:
            return await bot.reply(request)
        return web.Response(text="")

    app = web.Application()
    app.router.add_post("/slack/events", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    bot.url = f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events"
    yield bot
    await runner.cleanup()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
