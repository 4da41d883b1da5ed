"""``/release hotfix TRAIN [--from VERSION] REASON``: a release off the calendar."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.domain.roles import Role
from commands.args import reject_unknown_flags, take_option
from commands.base import Command, CommandContext, Reply


class Hotfix(Command):
    name = "hotfix"
    args_usage = "TRAIN [--from VERSION] REASON"
    summary = "Cut a hotfix of the last release (or --from VERSION); passes a freeze"
    required_role = Role.RELEASE_MANAGER

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        base, rest = take_option(args, "--from", usage=self.usage)
        reject_unknown_flags(rest, usage=self.usage)
        if not rest:
            raise self.usage_error("Name the train and say why it needs a hotfix.")
        reason = " ".join(rest[1:]).strip()
        if not reason:
            raise self.usage_error("A hotfix needs a reason.")
        release = await ctx.use.releases.hotfix(
            train=rest[0], actor=ctx.user_id, reason=reason, base=base
        )
        return Reply(
            text=messages.HOTFIX_DONE.format(
                label=release.label, base=release.base_version, state=release.state.phrase
            )
        )
