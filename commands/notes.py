"""``/release notes VERSION [--service S]``: a release's notes, from the commits since the
train's previous release; notes too long for a message are attached as a file in the thread."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.slack.notes_views import notes_blocks
from commands.base import Command, CommandContext, Reply

SERVICE_FLAG = "--service"


class Notes(Command):
    name = "notes"
    args_usage = "VERSION [--service SERVICE]"
    summary = "Show a release's notes: the changes since the train's previous release"

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        ref, service = self._parse(args)
        release = await ctx.use.releases.resolve(ref)
        doc = await ctx.use.notes.notes(release, service=service)
        blocks = notes_blocks(doc.slack, release_id=release.id, publishable=False)
        if blocks is not None:
            return Reply(text=doc.title, blocks=blocks)
        await ctx.use.notes.attach(doc)
        return Reply(
            text=messages.NOTES_ATTACHED.format(summary=doc.summary, filename=doc.filename)
        )

    def _parse(self, args: Sequence[str]) -> tuple[str, str | None]:
        rest = list(args)
        service: str | None = None
        for flag in (SERVICE_FLAG, "-s"):
            if flag in rest:
                at = rest.index(flag)
                if at + 1 >= len(rest):
                    raise self.usage_error(f"`{SERVICE_FLAG}` needs a service name.")
                service = rest[at + 1].lower()
                del rest[at : at + 2]
        for arg in rest:
            if arg.startswith("--service="):
                service = arg.partition("=")[2].lower() or None
                rest.remove(arg)
                break
        if len(rest) != 1:
            raise self.usage_error("Name one release, such as `2026.11.2` or `web/2026.11.2`.")
        return rest[0], service
