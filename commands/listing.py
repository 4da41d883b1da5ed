"""``/release list [--all] [TRAIN]``: active releases, or every release."""

from __future__ import annotations

from collections.abc import Sequence

from commands.args import reject_unknown_flags, take_flag
from commands.base import Command, CommandContext, Reply
from commands.status import release_line


class ListReleases(Command):
    name = "list"
    args_usage = "[--all] [TRAIN]"
    summary = "List active releases (--all: past ones too)"

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        everything, rest = take_flag(args, "--all")
        reject_unknown_flags(rest, usage=self.usage)
        if len(rest) > 1:
            raise self.usage_error("Name at most one train.")
        found = await ctx.use.releases.listing(
            train=rest[0] if rest else None, everything=everything
        )
        if not found:
            return Reply(text="No releases yet." if everything else "No active releases.")
        title = "*Releases*" if everything else "*Active releases*"
        return Reply(text="\n".join([title, *map(release_line, found)]))
