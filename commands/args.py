"""Small argument helpers shared by the subcommands: flags, options and the free-text rest."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import UsageError


def take_flag(args: Sequence[str], flag: str) -> tuple[bool, list[str]]:
    rest = [a for a in args if a != flag]
    return len(rest) != len(args), rest


def take_option(args: Sequence[str], option: str, *, usage: str) -> tuple[str | None, list[str]]:
    """``--from 2026.11.2`` or ``--from=2026.11.2``; a missing value is a usage error."""
    rest: list[str] = []
    value: str | None = None
    items = list(args)
    while items:
        item = items.pop(0)
        if item == option:
            if not items or items[0].startswith("--"):
                raise UsageError(f"`{option}` needs a value.", usage=usage)
            value = items.pop(0)
        elif item.startswith(option + "="):
            value = item.split("=", 1)[1]
        else:
            rest.append(item)
    return value, rest


def reject_unknown_flags(args: Sequence[str], *, usage: str) -> None:
    unknown = [a for a in args if a.startswith("--")]
    if unknown:
        raise UsageError(f"Unknown option `{unknown[0]}`.", usage=usage)
