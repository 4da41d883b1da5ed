"""The /release subcommands that exist, in the order ``help`` lists them."""

from __future__ import annotations

from commands.base import Command
from commands.help import Help
from commands.whoami import WhoAmI


def all_commands() -> list[Command]:
    return [Help(), WhoAmI()]
