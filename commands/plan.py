"""``/release plan TRAIN [--cycles N]``: the calendar ahead, cycle by cycle."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot import messages
from bot.domain.calendar import Milestone
from commands.args import reject_unknown_flags, take_option
from commands.base import Command, CommandContext, Reply
from commands.train import local

MAX_CYCLES = 12


class Plan(Command):
    name = "plan"
    args_usage = "TRAIN [--cycles N]"
    summary = f"Show the train's calendar for the next cycles (default 2, at most {MAX_CYCLES})"

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        cycles_text, rest = take_option(args, "--cycles", usage=self.usage)
        reject_unknown_flags(rest, usage=self.usage)
        if len(rest) != 1:
            raise self.usage_error("Name one train.")
        cycles = 2
        if cycles_text is not None:
            if not cycles_text.isdigit() or not 1 <= int(cycles_text) <= MAX_CYCLES:
                raise self.usage_error(f"`--cycles` is a number from 1 to {MAX_CYCLES}.")
            cycles = int(cycles_text)
        zone = ZoneInfo(await ctx.use.people.timezone_of(ctx.user_id))
        upcoming = ctx.use.trains.upcoming(rest[0], ctx.use.releases.now(), limit=200)
        lines = [f"*{rest[0]}*, next {cycles} cycle(s)"]
        seen_cuts = 0
        for occurrence in upcoming:
            if occurrence.before is not None:
                continue
            if len(lines) == 1 and occurrence.milestone is not Milestone.CUT:
                lines.append("*Current cycle*")
            if occurrence.milestone is Milestone.CUT:
                seen_cuts += 1
                if seen_cuts > cycles:
                    break
                lines.append(f"*Cycle {seen_cuts}*")
            name = occurrence.milestone.value.replace("_", " ")
            lines.append(f"  {local(occurrence.fires_at, zone)}  {name}")
        if len(lines) == 1:
            lines.append("  no scheduled milestones")
        lines.append(messages.TIMES_IN.format(zone=zone.key))
        return Reply(text="\n".join(lines))
