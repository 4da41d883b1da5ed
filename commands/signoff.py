"""``/release signoff VERSION``: who approved, who rejected and what is missing;
``/release signoff VERSION withdraw`` takes back your approval (QA)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.roles import Role
from bot.slack.signoff_views import signoff_lines
from commands.base import Command, CommandContext, Reply

WITHDRAW = "withdraw"


class Signoff(Command):
    name = "signoff"
    args_usage = "VERSION [withdraw]"
    summary = "Show a release's QA sign-off; QA may withdraw their approval before the quorum"

    def role_for(self, args: Sequence[str]) -> tuple[Role, str] | None:
        if len(args) > 1 and args[1].lower() == WITHDRAW:
            return Role.QA, f"{self.name} {WITHDRAW}"
        return None

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if not args or len(args) > 2 or (len(args) == 2 and args[1].lower() != WITHDRAW):
            raise self.usage_error("Name one release, and `withdraw` to take back your approval.")
        release = await ctx.use.releases.resolve(args[0])
        if len(args) == 2:
            view = await ctx.use.signoff.withdraw(release=release, user=ctx.user_id)
        else:
            view = await ctx.use.signoff.view(release)
        lines = [f"*QA sign-off of {view.release.label}*", *signoff_lines(view)]
        if view.signoff.missing and not view.decided:
            lines.append("Unticked: " + ", ".join(view.signoff.missing))
        return Reply(text="\n".join(lines))


class Approve(Command):
    name = "approve"
    args_usage = "VERSION"
    summary = "Approve a release's QA sign-off (the keyboard twin of the Approve button)"
    required_role = Role.QA

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if len(args) != 1:
            raise self.usage_error("Name the release to approve.")
        release = await ctx.use.releases.resolve(args[0])
        view = await ctx.use.signoff.approve(release=release, user=ctx.user_id)
        if not view.changed:
            return Reply(text=f"Your approval of {view.release.label} is already counted.")
        lines = [f"You approved {view.release.label}.", *signoff_lines(view)[:1]]
        return Reply(text="\n".join(lines))
