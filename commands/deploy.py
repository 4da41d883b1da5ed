"""``/release deploy|promote|pause|resume VERSION`` for release managers, and
``/release rollback VERSION [REASON...]`` for release managers and on-call: the keyboard twins
of the deploy progress message's buttons. Each says what it did and where the services are."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from bot import messages
from bot.domain.roles import Role
from bot.slack.deploy_views import deploy_summary
from commands.args import reject_unknown_flags, take_flag
from commands.base import Command, CommandContext, Reply

if TYPE_CHECKING:
    from bot.services.deploy_models import DeployView
    from bot.services.deploys import DeployService
    from bot.services.models import ReleaseInfo

FULL = "--full"


def _reply(template: str, view: DeployView) -> Reply:
    return Reply(text=template.format(label=view.release.label, summary=deploy_summary(view)))


class _OnOneRelease(Command):
    """A deploy action on one named release: ``VERSION`` and nothing else."""

    args_usage = "VERSION"
    required_role = Role.RELEASE_MANAGER
    name_one: ClassVar[str]
    """What the usage error asks for."""
    said: ClassVar[str]
    """The reply's template (``label``, ``summary``)."""

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            raise self.usage_error(self.name_one)
        release = await ctx.use.releases.resolve(args[0])
        return _reply(self.said, await self.act(ctx.use.deploys, release, ctx.user_id))

    @abstractmethod
    async def act(self, deploys: DeployService, release: ReleaseInfo, actor: str) -> DeployView:
        """Call the deploy service."""


class Deploy(_OnOneRelease):
    name = "deploy"
    summary = "Start deploying an approved release, service by service (not on a frozen train)"
    name_one = "Name the one release to deploy."
    said = messages.DEPLOY_STARTED

    async def act(self, deploys: DeployService, release: ReleaseInfo, actor: str) -> DeployView:
        return await deploys.deploy(release=release, actor=actor)


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


class Pause(_OnOneRelease):
    name = "pause"
    summary = "Pause a release's deploy where it is"
    name_one = "Name the one release whose deploy to pause."
    said = messages.DEPLOY_PAUSED

    async def act(self, deploys: DeployService, release: ReleaseInfo, actor: str) -> DeployView:
        return await deploys.pause(release=release, actor=actor)


class Resume(_OnOneRelease):
    name = "resume"
    summary = "Resume a paused deploy from where it stopped"
    name_one = "Name the one release whose deploy to resume."
    said = messages.DEPLOY_RESUMED

    async def act(self, deploys: DeployService, release: ReleaseInfo, actor: str) -> DeployView:
        return await deploys.resume(release=release, actor=actor)


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
