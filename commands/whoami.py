"""``/release whoami``: the caller's Slack ID and Stationmaster roles."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from commands.base import Command, CommandContext, Reply


class WhoAmI(Command):
    name = "whoami"
    summary = "Show your Slack ID and your Stationmaster roles"

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if args:
            raise self.usage_error("`whoami` takes no arguments.")
        roles = await ctx.roles.roles_of(ctx.user_id)
        text = messages.WHOAMI.format(
            user_id=ctx.user_id, roles=messages.role_list(roles) if roles else "none"
        )
        return Reply(text=text if roles else f"{text} {messages.NO_ROLES}")
