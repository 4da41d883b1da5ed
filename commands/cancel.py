"""``/release cancel VERSION REASON``: stop a release before its deploy starts."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.domain.roles import Role
from commands.base import Command, CommandContext, Reply


class Cancel(Command):
    name = "cancel"
    args_usage = "VERSION REASON"
    summary = "Cancel a release that has not started deploying; the reason is required"
    required_role = Role.RELEASE_MANAGER

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if not args:
            raise self.usage_error("Name the release to cancel and say why.")
        reason = " ".join(args[1:]).strip()
        if not reason:
            raise self.usage_error(
                f"Say why you cancel {messages.escape(args[0])}: a reason is required."
            )
        release = await ctx.use.releases.resolve(args[0])
        cancelled = await ctx.use.releases.cancel(release=release, actor=ctx.user_id, reason=reason)
        return Reply(text=messages.CANCEL_DONE.format(label=cancelled.label))
