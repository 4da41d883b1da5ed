"""``/release freeze TRAIN on|off [REASON]``: hold a train's cuts and deploys."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.domain.roles import Role
from commands.base import Command, CommandContext, Reply


class Freeze(Command):
    name = "freeze"
    args_usage = "TRAIN on|off [REASON]"
    summary = "Freeze a train (cuts and deploys wait) or thaw it; freezing needs a reason"
    required_role = Role.RELEASE_MANAGER

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) < 2 or args[1].lower() not in {"on", "off"}:
            raise self.usage_error("Name the train, then `on` or `off`.")
        on = args[1].lower() == "on"
        reason = " ".join(args[2:]).strip() or None
        train = await ctx.use.trains.freeze(name=args[0], on=on, actor=ctx.user_id, reason=reason)
        text = messages.FREEZE_DONE if train.frozen else messages.THAW_DONE
        return Reply(text=text.format(train=train.name))
