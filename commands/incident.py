"""``/release incident VERSION``: the release's incident timeline, from its deploy to the
resolution of the alerts tied to it, with time to detect, acknowledge, roll back and resolve."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from commands.base import Command, CommandContext, Reply


class Incident(Command):
    name = "incident"
    args_usage = "VERSION"
    summary = "Show a release's incident timeline: deploy, first alert, ack, rollback, resolved"

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            raise self.usage_error("`incident` takes one release, such as `2026.11.3`.")
        release = await ctx.use.releases.resolve(args[0])
        steps = await ctx.use.incidents.timeline(release)
        return Reply(text=messages.incident_timeline(release.label, steps))
