"""``/release cut TRAIN``: cut now, outside the schedule."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.domain.roles import Role
from commands.base import Command, CommandContext, Reply


class Cut(Command):
    name = "cut"
    args_usage = "TRAIN"
    summary = "Cut the train's next release now, outside its schedule"
    required_role = Role.RELEASE_MANAGER

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            raise self.usage_error("Name the train to cut.")
        release = await ctx.use.releases.cut(train=args[0], actor=ctx.user_id)
        return Reply(text=messages.CUT_DONE.format(label=release.label, state=release.state.phrase))
