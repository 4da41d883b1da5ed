"""``/release status [VERSION]``: one release in detail, or every active release."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.services.models import ReleaseInfo
from commands.base import Command, CommandContext, Reply

RECENT_EVENTS = 5


def release_line(release: ReleaseInfo) -> str:
    commit = f" · `{release.short_sha}`" if release.short_sha else ""
    kind = " · hotfix" if release.kind.value == "hotfix" else ""
    return f"*{release.label}* · {release.state.phrase}{kind}{commit}"


class Status(Command):
    name = "status"
    args_usage = "[VERSION]"
    summary = "Show a release's state and last events, or every active release"

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) > 1:
            raise self.usage_error("`status` takes at most one release.")
        releases = ctx.use.releases
        if not args:
            active = await releases.listing()
            if not active:
                return Reply(text=messages.NO_ACTIVE)
            return Reply(text="\n".join(["*Active releases*", *map(release_line, active)]))
        release = await releases.resolve(args[0])
        trail = (await releases.history(release))[-RECENT_EVENTS:]
        lines = [release_line(release), f"Cut by {messages.who(release.cut_by)}."]
        if release.reason:
            lines.append(f"Reason: {messages.escape(release.reason)}")
        lines.append("*Last events*")
        lines += [
            messages.STATUS_EVENT.format(
                at=e.at,
                actor=messages.who(e.actor),
                action=e.action,
                move=f" → {e.to_state}" if e.to_state else "",
                why=f": {messages.escape(e.reason)}" if e.reason else "",
            )
            for e in trail
        ]
        return Reply(text="\n".join(lines))
