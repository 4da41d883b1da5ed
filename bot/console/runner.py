"""``stationmaster console``: the simulator, the real bot and a console, in one process."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from pathlib import Path
from secrets import token_hex
from typing import TextIO

import structlog
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from bot.config import AppConfig
from bot.console import text
from bot.console.alerts import SampleAlerts
from bot.console.people import add_config_channels, user_table
from bot.console.session import Console
from bot.console.terminal import Terminal
from bot.errors import UsageError
from bot.observability.logs import configure_logging
from bot.server import local_slack, serving
from bot.settings import Settings
from bot.sim.fleet import running_fleet
from bot.sim.slack import SimClient, SlackSimulator

LOCAL_HOST = "127.0.0.1"
DEFAULT_CONFIG = Path("stationmaster.yml")


async def run_console(
    *,
    settings: Settings,
    config: AppConfig,
    user: str | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    log_file: Path | None = None,
) -> int:
    """Run the console until ``quit`` or the end of ``stdin``; return the exit code.

    Logs go to ``log_file`` (``./stationmaster-console.log``), never to the screen."""
    log_path = log_file or Path(text.LOG_FILE)
    terminal = Terminal(stdin=stdin or sys.stdin, stdout=stdout or sys.stdout)
    with logging_to(log_path, settings=settings):
        async with AsyncExitStack() as stack:
            stack.callback(terminal.close)
            sim, people, settings = await stack.enter_async_context(_started(settings, config))
            add_config_channels(sim, config=config)
            config_name = str(settings.config_path or DEFAULT_CONFIG)
            console = Console(
                sim=sim,
                people=people,
                config=config,
                terminal=terminal,
                user=user,
                config_name=config_name,
                log_file=log_path,
                alerts=_sample_alerts(settings, config, config_name),
            )
            async with console:
                terminal.write(banner(console, settings=settings, log_file=log_path))
                return await console.repl()
    raise AssertionError("unreachable")  # pragma: no cover - mypy cannot see the return above


@asynccontextmanager
async def _started(
    settings: Settings, config: AppConfig
) -> AsyncIterator[tuple[SlackSimulator, SimClient, Settings]]:
    """The simulator, the bot serving on a loopback port, people to act as, and the settings
    in effect. Without a CI secret or an alerts token, one is made up for the session, so
    reports and alerts can be tried; the sim fleet starts here, so the console can reach it."""
    async with AsyncExitStack() as stack:
        effective, sim = await stack.enter_async_context(local_slack(settings))
        if sim is None:
            raise UsageError("console is local mode: unset SLACK_BOT_TOKEN to use the simulator")
        if effective.ci_secret is None:
            effective = effective.model_copy(update={"ci_secret": SecretStr(token_hex(8))})
        if effective.alerts_token is None:
            effective = effective.model_copy(update={"alerts_token": SecretStr(token_hex(16))})
        sim_services = [n for n, s in config.services.items() if s.deploy.adapter == "sim"]
        if sim_services and effective.sim_url is None:
            fleet = await stack.enter_async_context(running_fleet(services=sim_services))
            effective = effective.model_copy(update={"sim_url": fleet.url})
        chosen = effective.port if "port" in settings.model_fields_set else 0  # else any free one
        port = await stack.enter_async_context(
            serving(effective, config, host=LOCAL_HOST, port=chosen)
        )
        effective = effective.model_copy(update={"port": port})
        people = await stack.enter_async_context(
            SimClient(sim, bot_url=f"http://{LOCAL_HOST}:{port}/slack/events")
        )
        yield sim, people, effective


def _sample_alerts(settings: Settings, config: AppConfig, config_name: str) -> SampleAlerts | None:
    """The console's ``alert`` command, sending to the bot served in this session."""
    if settings.alerts_token is None:
        return None
    return SampleAlerts(
        bot_url=f"http://{LOCAL_HOST}:{settings.port}",
        token=settings.alerts_token,
        fleet_url=settings.sim_url,
        config=config,
        config_name=config_name,
    )


def banner(console: Console, *, settings: Settings, log_file: Path) -> str:
    sim = console.sim
    return text.BANNER.format(
        database=database_label(settings.database_url),
        log_file=log_file if log_file.is_absolute() else f"./{log_file}",
        api_url=sim.api_url,
        token=sim.config.bot_token,
        bot_url=f"http://{LOCAL_HOST}:{settings.port}",
        ci_secret=settings.ci_secret.get_secret_value() if settings.ci_secret else "(unset)",
        user=console.describe_user(console.user),
        channel=console.channel_name,
        people=user_table(sim, config=console.config, config_name=console.config_name),
        commands=text.COMMANDS,
    )


def database_label(url: str) -> str:
    """A SQLite file's path, or the URL without its password."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return parsed.database or ":memory:"
    return parsed.render_as_string(hide_password=True)


@contextmanager
def logging_to(path: Path, *, settings: Settings) -> Iterator[None]:
    """Send every log line to ``path`` for the session, then restore the logging setup."""
    root = logging.getLogger()
    saved_handlers, saved_level = root.handlers[:], root.level
    saved_structlog = structlog.get_config()
    fmt = "console" if settings.log_format == "auto" else settings.log_format
    with path.open("a", encoding="utf-8") as stream:
        try:
            configure_logging(fmt=fmt, level=settings.log_level, stream=stream)
            yield
        finally:
            root.handlers[:] = saved_handlers
            root.setLevel(saved_level)
            structlog.configure(**saved_structlog)
