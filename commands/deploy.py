"""``/release deploy|promote|pause|resume VERSION`` for release managers, and
``/release rollback VERSION [REASON...]`` for release managers and on-call: the keyboard twins
of the deploy progress message's buttons. Each says what it did and where the services are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot import messages
from bot.domain.roles import Role
from bot.slack.deploy_views import deploy_summary
from commands.args import reject_unknown_flags, take_flag
from commands.base import Command, CommandContext, Reply

if TYPE_CHECKING:
    from bot.services.deploy_models import DeployView

FULL = "--full"


def _reply(template: str, view: DeployView) -> Reply:
    return Reply(text=template.format(label=view.release.label, summary=deploy_summary(view)))


class Deploy(Command):
    name = "deploy"
    args_usage = "VERSION"
    summary = "Start deploying an approved release, service by service (not on a frozen train)"
    required_role = Role.RELEASE_MANAGER

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            raise self.usage_error("Name the one release to deploy.")
        release = await ctx.use.releases.resolve(args[0])
        view = await ctx.use.deploys.deploy(release=release, actor=ctx.user_id)
        return _reply(messages.DEPLOY_STARTED, view)


class Promote(Command):
    name = "promote"
    args_usage = f"VERSION [{FULL}]"
    summary = f"Move a release's deploy to its next step, or with `{FULL}` straight to 100%"
    required_role = Role.RELEASE_MANAGER

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        full, rest = take_flag(args, FULL)
        reject_unknown_flags(rest, usage=self.usage)
        if len(rest) != 1:
            raise self.usage_error(f"Name the one release to promote, and `{FULL}` to go to 100%.")
        release = await ctx.use.releases.resolve(rest[0])
        view = await ctx.use.deploys.promote(release=release, actor=ctx.user_id, full=full)
        return _reply(messages.DEPLOY_PROMOTED_FULLY if full else messages.DEPLOY_PROMOTED, view)


class Pause(Command):
    name = "pause"
    args_usage = "VERSION"
    summary = "Pause a release's deploy where it is"
    required_role = Role.RELEASE_MANAGER

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            raise self.usage_error("Name the one release whose deploy to pause.")
        release = await ctx.use.releases.resolve(args[0])
        view = await ctx.use.deploys.pause(release=release, actor=ctx.user_id)
        return _reply(messages.DEPLOY_PAUSED, view)


class Resume(Command):
    name = "resume"
    args_usage = "VERSION"
    summary = "Resume a paused deploy from where it stopped"
    required_role = Role.RELEASE_MANAGER

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            raise self.usage_error("Name the one release whose deploy to resume.")
        release = await ctx.use.releases.resolve(args[0])
        view = await ctx.use.deploys.resume(release=release, actor=ctx.user_id)
        return _reply(messages.DEPLOY_RESUMED, view)


class Rollback(Command):
    name = "rollback"
    args_usage = "VERSION [REASON...]"
    summary = "Send a release's traffic back to the previous version (release managers, on-call)"
    required_role = (Role.RELEASE_MANAGER, Role.ONCALL)

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if not args:
            raise self.usage_error("Name the release to roll back, and say why if you can.")
        reason = " ".join(args[1:]).strip() or None
        release = await ctx.use.releases.resolve(args[0])
        view = await ctx.use.deploys.rollback(release=release, actor=ctx.user_id, reason=reason)
        return _reply(messages.DEPLOY_ROLLING_BACK, view)
