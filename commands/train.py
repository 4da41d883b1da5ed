"""``/release train [NAME]``: the next milestones, in the caller's own time zone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot import messages
from commands.base import Command, CommandContext, Reply


def local(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%a %d %b %H:%M")


class Train(Command):
    name = "train"
    args_usage = "[NAME]"
    summary = "Show a train's next milestones in your time zone (all trains without a name)"

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) > 1:
            raise self.usage_error("Name at most one train.")
        trains = ctx.use.trains
        zone = ZoneInfo(await ctx.use.people.timezone_of(ctx.user_id))
        now = ctx.use.releases.now()
        names = [args[0]] if args else trains.names
        if not names:
            return Reply(text=messages.NO_TRAINS)
        lines = []
        for name in names:
            state = await trains.state(name)
            reason = messages.escape(state.frozen_reason or "")
            frozen = f" · ❄ frozen: {reason}" if state.frozen else ""
            lines.append(f"*{name}*{frozen}")
            upcoming = trains.milestone_times(name, now)
            if not upcoming:
                lines.append("  no scheduled milestones")
            lines += [f"  {m.name.replace('_', ' ')}: {local(m.at, zone)}" for m in upcoming]
        lines.append(messages.TIMES_IN.format(zone=zone.key))
        return Reply(text="\n".join(lines))
