"""Serving: ``stationmaster run`` binds the app, and in local mode starts the simulator first."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from aiohttp import web
from pydantic import SecretStr

from bot import messages
from bot.app import create_app
from bot.config import AppConfig
from bot.observability.logs import get_logger
from bot.settings import Settings
from bot.sim.slack import SlackSimulator

log = get_logger(__name__)


@asynccontextmanager
async def local_slack(settings: Settings) -> AsyncIterator[tuple[Settings, SlackSimulator | None]]:
    """With no SLACK_BOT_TOKEN, start the built-in simulator and point the settings at it."""
    if not settings.local_mode:
        yield settings, None
        return
    simulator = SlackSimulator()
    await simulator.start()
    log.info(messages.LOCAL_MODE.format(api_url=simulator.api_url))
    try:
        yield (
            settings.model_copy(
                update={
                    "slack_bot_token": SecretStr(simulator.config.bot_token),
                    "slack_signing_secret": SecretStr(simulator.config.signing_secret),
                    "slack_api_url": simulator.api_url,
                    "slack_app_token": None,
                }
            ),
            simulator,
        )
    finally:
        await simulator.stop()


@asynccontextmanager
async def serving(
    settings: Settings, config: AppConfig, *, host: str | None = None, port: int | None = None
) -> AsyncIterator[int]:
    """Run the app on ``host:port`` (0 picks a free port) and yield the bound port."""
    runner = web.AppRunner(create_app(settings, config=config), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host or settings.host, settings.port if port is None else port)
        await site.start()
        bound = int(runner.addresses[0][1])
        log.info("listening", host=host or settings.host, port=bound)
        yield bound
    finally:
        await runner.cleanup()


async def serve(*, settings: Settings, config: AppConfig) -> None:
    """Serve until SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        effective, _ = await stack.enter_async_context(local_slack(settings))
        await stack.enter_async_context(serving(effective, config))
        await stop.wait()
        log.info("shutting down")
