"""``/release history VERSION``: the audit trail of a release."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from commands.base import Command, CommandContext, Reply


class History(Command):
    name = "history"
    args_usage = "VERSION"
    summary = "Show who changed a release, when, and why"

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            raise self.usage_error("Name one release.")
        release = await ctx.use.releases.resolve(args[0])
        trail = await ctx.use.releases.history(release)
        lines = [f"*History of {release.label}*"]
        for e in trail:
            lines.append(
                messages.HISTORY_LINE.format(
                    at=e.at,
                    actor=messages.who(e.actor),
                    action=e.action,
                    move=f"{e.from_state or '·'} → {e.to_state}" if e.to_state else "",
                    why=f": {messages.escape(e.reason)}" if e.reason else "",
                )
            )
        return Reply(text="\n".join(lines))
