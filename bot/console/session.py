"""The console session: who you are, where you are, and what each line you type does."""

from __future__ import annotations

import asyncio
import contextlib
import re
from pathlib import Path
from types import TracebackType

import aiohttp

from bot.config import AppConfig
from bot.console import text
from bot.console.alerts import SampleAlerts
from bot.console.controls import Controls
from bot.console.feed import Feed
from bot.console.interact import Interactions, one_line
from bot.console.people import (
    channel_names,
    channel_table,
    channels,
    role_words,
    roles_for,
    user_names,
    user_table,
)
from bot.console.terminal import Terminal
from bot.errors import StationmasterError, UsageError
from bot.sim.slack import SimClient, SimulatorError, SlackSimulator

_PRESS = re.compile(r"^(?:press\s+)?(\d+)(?:\s+(.*))?$", re.IGNORECASE)
QUIT = frozenset({"quit", "exit"})
DEFAULT_USER = "alice"
#: What can go wrong talking to the bot or the simulator; each becomes one line.
FAILURES = (SimulatorError, aiohttp.ClientError, OSError, TimeoutError, LookupError, ValueError)


class Console:
    """Use as ``async with Console(...) as console:``, then ``await console.repl()`` or
    ``await console.handle(line)``; the live feed prints while it is open."""

    def __init__(
        self,
        *,
        sim: SlackSimulator,
        people: SimClient,
        config: AppConfig,
        terminal: Terminal,
        user: str | None = None,
        config_name: str = "stationmaster.yml",
        log_file: Path | None = None,
        alerts: SampleAlerts | None = None,
    ) -> None:
        self.sim, self.config, self.terminal = sim, config, terminal
        self.alerts = alerts
        self.config_name = config_name
        self.log_file = log_file or Path(text.LOG_FILE)
        self.user = self.find_user(user or DEFAULT_USER)
        default = sim.workspace.find_channel(config.slack.default_channel)
        self.channel = default.id if default is not None else channels(sim)[0].id
        self.controls = Controls()
        self.feed = Feed(sim=sim, controls=self.controls, terminal=terminal, you=self._you)
        self.people = people
        self.hands = Interactions(
            sim=sim,
            people=people,
            controls=self.controls,
            feed=self.feed,
            terminal=terminal,
            you=self._you,
            user_id=self.find_user,
            channel_id=self.find_channel,
        )
        self._printer: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Console:
        self._printer = asyncio.create_task(self.feed.run(), name="console feed")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.feed.close()
        if self._printer is not None:
            self._printer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._printer

    def _you(self) -> str:
        return self.user

    @property
    def prompt(self) -> str:
        name, channel = self.sim.user(self.user).name, self.sim.channel(self.channel).name
        return text.PROMPT.format(user=name, channel=channel)

    @property
    def channel_name(self) -> str:
        return self.sim.channel(self.channel).name

    def say(self, message: str) -> None:
        self.terminal.write(message)

    async def repl(self) -> int:
        """Read and run lines until ``quit`` or the end of the input; the exit code."""
        try:
            while True:
                line = await self.terminal.read_line(self.prompt)
                if line is None or not await self.handle(line):
                    break
        except asyncio.CancelledError:  # Ctrl-C
            self.terminal.interrupted()
            self.say(text.GOODBYE)
            raise
        self.say(text.GOODBYE)
        return 0

    async def handle(self, line: str) -> bool:
        """Run one line; False means leave. Failures are said in one line."""
        try:
            return await self._handle(line.strip())
        except StationmasterError as error:
            self.say(error.message)
        except FAILURES as error:
            self.say(text.FAILED.format(error=one_line(error)))
        return True

    async def _handle(self, line: str) -> bool:
        word, _, rest = line.partition(" ")
        word, rest = word.lower(), rest.strip()
        if word in QUIT:
            return False
        if not line:
            pass
        elif line.startswith("/"):
            await self.slash(line)
        elif word == "as":
            self.become(rest)
        elif word == "in":
            self.move(rest)
        elif (pressed := _PRESS.match(line)) is not None:
            await self.hands.press(int(pressed.group(1)), pressed.group(2))
        elif word == "press":
            self.say(text.PRESS_WHAT)
        elif word == "submit":
            await self.hands.submit()
        elif word in ("cancel", "close"):
            await self.hands.cancel()
        elif word == "home":
            await self.home()
        elif word == "alert":
            await self.alert(rest)
        elif word == "users":
            self.say(self.user_table())
        elif word == "channels":
            self.say(channel_table(self.sim))
        elif word == "help":
            self.say(text.COMMANDS)
        else:
            self.say(text.HINT.format(line=line[:60]))
        return True

    def user_table(self) -> str:
        return user_table(self.sim, config=self.config, config_name=self.config_name)

    def describe_user(self, user_id: str) -> str:
        user = self.sim.user(user_id)
        return f"{user.name} ({user.real_name})"

    def roles_of(self, user_id: str) -> str:
        return role_words(roles_for(self.sim, config=self.config, user_id=user_id))

    # who and where ----------------------------------------------------------------------

    def find_user(self, ref: str) -> str:
        """A person's user ID from a name, ``@name`` or ID."""
        found = self.sim.workspace.find_user(ref.strip())
        if found is None or found.is_bot or found.deleted:
            raise UsageError(text.UNKNOWN_USER.format(ref=ref, users=user_names(self.sim)))
        return found.id

    def find_channel(self, ref: str) -> str:
        """A channel's ID from ``#name``, ``name`` or ID."""
        found = self.sim.workspace.find_channel(ref.strip())
        if found is None or found.is_im:
            raise UsageError(text.UNKNOWN_CHANNEL.format(ref=ref, channels=channel_names(self.sim)))
        return found.id

    def become(self, ref: str) -> None:
        if not ref:
            self.say(text.WHO_TO_BE.format(users=user_names(self.sim)))
            return
        self.user = self.find_user(ref)
        self.say(
            text.NOW_USER.format(
                user=self.describe_user(self.user), roles=f", {self.roles_of(self.user)}"
            )
        )

    def move(self, ref: str) -> None:
        if not ref:
            self.say(text.WHERE_TO_GO.format(channels=channel_names(self.sim)))
            return
        self.channel = self.find_channel(ref)
        self.say(text.NOW_CHANNEL.format(channel=self.channel_name))

    # acting -----------------------------------------------------------------------------

    async def slash(self, line: str) -> None:
        command, _, args = line.partition(" ")
        if command == "/":
            self.say(text.SLASH_ONLY)
            return
        response = await self.people.slash_command(
            user=self.user, text=args.strip(), command=command, channel=self.channel
        )
        if not self.hands.accepted(response):
            return
        owed = not response.body  # an empty ack: the answer follows on the response URL
        if not await self.feed.settle(expect_reply=owed) and owed:
            self.say(text.NO_ANSWER.format(log_file=self.log_file))

    async def alert(self, args: str) -> None:
        """Fire (or resolve) a sample alert, then show what the bot posts about it."""
        if self.alerts is None:
            self.say(text.ALERTS_OFF)
            return
        self.say(await self.alerts.run(args))
        await self.feed.settle(expect_reply=True)

    async def home(self) -> None:
        """Open the App Home tab, as clicking the app's name does."""
        event = {"type": "app_home_opened", "user": self.user, "tab": "home"}
        if self.hands.accepted(await self.people.event(event=event)):
            await self.feed.settle(expect_reply=True)
