"""``/release help [SUBCOMMAND]``: every subcommand with a one-line usage."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from commands.base import Command, CommandContext, Reply, any_of
from commands.router import Router


class Help(Command):
    name = "help"
    args_usage = "[SUBCOMMAND]"
    summary = "List the subcommands, or explain one"
    inline = True

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) > 1:
            raise self.usage_error("`help` takes at most one subcommand name.")
        if args:
            command = Router(ctx.commands).get(args[0])
            lines = [f"*`{command.usage}`*", command.summary]
            if command.required_role is not None:
                role = messages.any_role(any_of(command.required_role))["role"]
                lines.append(f"Needs the {role} role.")
            return Reply(text="\n".join(lines))
        width = max(len(c.usage) for c in ctx.commands)
        rows = [f"{c.usage.ljust(width)}  {c.summary}" for c in ctx.commands]
        body = "\n".join(rows)
        return Reply(text=f"{messages.HELP_HEADER}\n```{body}```\n{messages.HELP_FOOTER}")
