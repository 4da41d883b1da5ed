"""Turn the text after ``/release`` into a subcommand and its arguments."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Sequence

from bot import messages
from bot.domain.names import closest
from bot.errors import UnknownCommand, UsageError
from commands.base import Command


class Router:
    """Looks subcommands up by name; an empty text means ``help``."""

    def __init__(self, commands: Iterable[Command]) -> None:
        self.commands: tuple[Command, ...] = tuple(commands)
        self._by_name = {command.name: command for command in self.commands}

    def get(self, name: str) -> Command:
        command = self._by_name.get(name.lower())
        if command is None:
            raise self.unknown(name)
        return command

    def unknown(self, name: str) -> UnknownCommand:
        parts = [messages.UNKNOWN_SUBCOMMAND.format(name=messages.escape(name[:40]))]
        close = closest(name, self._by_name)
        if close:
            parts.append(messages.DID_YOU_MEAN.format(suggestion=f"/release {close}"))
        parts.append(messages.TRY_HELP)
        return UnknownCommand(" ".join(parts), usage="/release SUBCOMMAND [ARGS]")

    def resolve(self, text: str) -> tuple[Command, list[str]]:
        words = split_words(text)
        if not words:
            return self.get("help"), []
        return self.get(words[0]), words[1:]


def split_words(text: str) -> list[str]:
    """Shell-like splitting, so ``--reason "flaky test"`` is one argument."""
    try:
        return shlex.split(text.replace("\u201c", '"').replace("\u201d", '"'))
    except ValueError as exc:
        raise UsageError(f"Could not read the arguments: {exc}.") from exc


def names(commands: Sequence[Command]) -> list[str]:
    return [command.name for command in commands]
