"""The ``/release`` slash command: ack first, then run the subcommand."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.errors import StationmasterError
from bot.slack.replies import error_reply, render
from bot.slack.roles import RoleResolver
from bot.tasks import BackgroundTasks
from commands.base import Command, CommandContext, Reply, Services
from commands.router import Router

Respond = Callable[..., Awaitable[Any]]


async def execute(*, command: Command, args: Sequence[str], ctx: CommandContext) -> Reply:
    """Check the command's role, run it, and turn any error into a reply."""
    try:
        await command.authorize(ctx=ctx, args=args)
        return await command.run(ctx=ctx, args=args)
    except Exception as exc:
        return error_reply(exc)


def register_release_command(
    app: AsyncApp,
    *,
    router: Router,
    roles: RoleResolver,
    tasks: BackgroundTasks,
    services: Services | None = None,
) -> None:
    async def release(
        ack: Callable[..., Awaitable[Any]], command: dict[str, Any], respond: Respond
    ) -> None:
        ctx = CommandContext(
            user_id=str(command.get("user_id", "")),
            channel_id=str(command.get("channel_id", "")),
            roles=roles,
            commands=router.commands,
            services=services,
        )
        try:
            subcommand, args = router.resolve(str(command.get("text", "")))
        except StationmasterError as exc:
            await ack(**render(error_reply(exc)))
            return
        if subcommand.inline and subcommand.role_for(args) is None:
            await ack(**render(await execute(command=subcommand, args=args, ctx=ctx)))
            return
        await ack()

        async def finish() -> None:
            reply = await execute(command=subcommand, args=args, ctx=ctx)
            await respond(**render(reply))

        tasks.spawn(finish(), name=f"/release {subcommand.name}")

    app.command("/release")(release)
