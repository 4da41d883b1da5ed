"""``/release gates VERSION`` shows the gate report; ``/release gates override VERSION GATE
REASON`` lets a release manager wave one pending or failed gate through, with a reason."""

from __future__ import annotations

from collections.abc import Sequence

from bot import messages
from bot.domain.gates import Gate
from bot.domain.roles import Role
from bot.errors import UsageError
from bot.slack.gate_views import gate_report
from commands.base import Command, CommandContext, Reply

OVERRIDE = "override"


def _gate(text: str) -> Gate:
    try:
        return Gate(text.lower())
    except ValueError:
        gates = ", ".join(f"`{g.value}`" for g in Gate)
        raise UsageError(
            messages.UNKNOWN_GATE.format(gate=messages.escape(text), gates=gates)
        ) from None


class Gates(Command):
    name = "gates"
    args_usage = "VERSION | override VERSION GATE REASON"
    summary = "Show a release's quality gates; release managers may override one, with a reason"

    def role_for(self, args: Sequence[str]) -> tuple[Role, str] | None:
        if args and args[0].lower() == OVERRIDE:
            return Role.RELEASE_MANAGER, f"{self.name} {OVERRIDE}"
        return None

    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        if not args:
            raise self.usage_error("Name the release whose gates you want to see.")
        if args[0].lower() != OVERRIDE:
            release = await ctx.use.releases.resolve(args[0])
            text, blocks = gate_report(await ctx.use.gates.report(release))
            return Reply(text=text, blocks=blocks)
        if len(args) < 3:
            raise self.usage_error("Name the release and the gate to override, and say why.")
        reason = " ".join(args[3:]).strip()
        gate = _gate(args[2])
        if not reason:
            raise self.usage_error(
                messages.OVERRIDE_NEEDS_REASON.format(
                    gate=gate.value, label=messages.escape(args[1])
                )
            )
        release = await ctx.use.releases.resolve(args[1])
        report = await ctx.use.gates.override(
            release=release, gate=gate, actor=ctx.user_id, reason=reason
        )
        return Reply(
            text=messages.GATE_OVERRIDDEN.format(
                gate=gate.value, label=report.release.label, state=report.release.state.phrase
            )
        )
