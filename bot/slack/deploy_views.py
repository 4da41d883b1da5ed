"""The deploy progress message in Block Kit: one per release, in its thread, updated in place.

A header with the release and its state; a section per service (adapter, strategy, a step bar,
its weight and phase, its analyses' last values, and why it paused, failed or rolled back); and
the buttons the release's state allows: Promote, Promote fully, Pause or Resume, and Roll back
behind a confirm dialog. A finished release keeps its record and loses its controls, except that
a released one offers Roll back while the service allows it (inside its monitoring window).

However many services a train ships, the message stays within Slack's limits: at most
:data:`SHOWN_SERVICES` sections (the rest summed up in one), each cut at ``SECTION_LIMIT``.
Everything that came from people or adapters (the reason of a pause, names) is escaped.
"""

from __future__ import annotations

from enum import StrEnum

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot import messages
from bot.domain.analysis import AnalysisRun, Verdict
from bot.domain.deployments import DeployPhase
from bot.services.deploy_models import DeployView, ServiceDeploy
from bot.slack.gate_views import ReleaseButton, clip
from bot.slack.views import STATE_BADGES

__all__ = [
    "SHOWN_SERVICES",
    "DeployAction",
    "DeployButton",
    "deploy_lines",
    "deploy_progress",
    "deploy_summary",
    "step_bar",
]

SHOWN_SERVICES = 40
"""Sections for services; with the header, the rest, the buttons and the context: <= 44 blocks."""
SHOWN_ANALYSES = 5
MESSAGE_CHARS = 500
SUMMARY_SERVICES = 8
"""Services named in a one-line summary (a command's reply)."""
CONFIRM_CHARS = 300  # Slack's limit for a confirm dialog's text

PHASE_BADGES = {
    DeployPhase.PENDING: "⏳",
    DeployPhase.RUNNING: "🔄",
    DeployPhase.PAUSED: "⏸️",
    DeployPhase.PROMOTING: "⏩",
    DeployPhase.DONE: "✅",
    DeployPhase.FAILED: "❌",
    DeployPhase.ROLLING_BACK: "↩️",
    DeployPhase.ROLLED_BACK: "⏪",
    DeployPhase.ROLLBACK_FAILED: "🔥",
    DeployPhase.SKIPPED: "⏭️",
}
VERDICT_BADGES = {
    Verdict.RUNNING: "⏳",
    Verdict.PASSED: "✅",
    Verdict.FAILED: "❌",
    Verdict.INCONCLUSIVE: "❔",
}
#: One service in a line of text; ``{name}`` is escaped already.
LINES = {
    DeployPhase.PENDING: "{name} pending",
    DeployPhase.RUNNING: "{name} {weight}% ({strategy})",
    DeployPhase.PAUSED: "{name} paused at {weight}%",
    DeployPhase.PROMOTING: "{name} promoting from {weight}%",
    DeployPhase.DONE: "{name} done",
    DeployPhase.FAILED: "{name} failed at {weight}%",
    DeployPhase.ROLLING_BACK: "{name} rolling back",
    DeployPhase.ROLLED_BACK: "{name} rolled back",
    DeployPhase.ROLLBACK_FAILED: "{name} rollback failed",
    DeployPhase.SKIPPED: "{name} skipped",
}
_UNSTARTED = frozenset({DeployPhase.PENDING, DeployPhase.SKIPPED})
_MOVING = frozenset({DeployPhase.RUNNING, DeployPhase.PAUSED, DeployPhase.PROMOTING})
_STOPPED = frozenset(
    {
        DeployPhase.FAILED,
        DeployPhase.ROLLING_BACK,
        DeployPhase.ROLLED_BACK,
        DeployPhase.ROLLBACK_FAILED,
    }
)
BLUE_GREEN_STEPS = ("preview", "switch")


class DeployAction(StrEnum):
    PROMOTE = "deploy.promote"
    PROMOTE_FULL = "deploy.promote_full"
    PAUSE = "deploy.pause"
    RESUME = "deploy.resume"
    ROLLBACK = "deploy.rollback"


class DeployButton(ReleaseButton):
    """The value of a deploy button: the release, and for Promote whether to go to 100%."""

    full: bool = False


def _strategy(deploy: ServiceDeploy) -> str:
    return messages.escape(deploy.strategy.replace("_", "-"))


def step_bar(deploy: ServiceDeploy) -> str:
    """The plan's steps, done ✓, current ● (✗ where it stopped): ``10% ✓ → 50% ● → 100%``."""
    phase = deploy.phase
    blue_green = deploy.strategy == "blue_green" and len(deploy.steps) == len(BLUE_GREEN_STEPS)
    parts = []
    for index, weight in enumerate(deploy.steps):
        label = BLUE_GREEN_STEPS[index] if blue_green else f"{weight}%"
        if phase is DeployPhase.DONE or (index < deploy.step and phase not in _UNSTARTED):
            label += " ✓"
        elif index == deploy.step and phase in _MOVING:
            label += " ●"
        elif index == deploy.step and phase in _STOPPED:
            label += " ✗"
        parts.append(label)
    return " → ".join(parts)


def _analysis(run: AnalysisRun) -> str:
    """``✅ `error-rate` passed · last 0.002 (success < 0.01, failure >= 0.05) · 5 of 5``."""
    spec = run.spec
    if run.last is None or run.last.value is None:
        value = "no data yet" if not run.outcomes else "no data"
    else:
        value = f"{run.last.value:.4g}"
    failure = f"not {spec.success}" if spec.failure is None else str(spec.failure)
    conditions = messages.escape(f"success {spec.success}, failure {failure}")
    return (
        f"{VERDICT_BADGES[run.verdict]} `{messages.escape(spec.name)}` {run.verdict} · "
        f"last {value} ({conditions}) · {len(run.outcomes)} of {spec.count}"
    )


def _service(deploy: ServiceDeploy) -> str:
    head = (
        f"{PHASE_BADGES[deploy.phase]} *{messages.escape(deploy.service)}* · "
        f"`{messages.escape(deploy.adapter)}` · {_strategy(deploy)} · *{deploy.weight}%* · "
        f"{deploy.phase.value.replace('_', ' ')}"
    )
    if deploy.previous_version:
        head += f" · replaces `{messages.escape(deploy.previous_version)}`"
    parts = [head]
    if deploy.steps:
        parts.append(step_bar(deploy))
    runs = deploy.analysis
    parts.extend(_analysis(run) for run in runs[:SHOWN_ANALYSES])
    if len(runs) > SHOWN_ANALYSES:
        parts.append(f"_…and {len(runs) - SHOWN_ANALYSES} more analyses_")
    if deploy.message:
        why = " ".join(deploy.message.split())
        parts.append(f"_{messages.escape_but_people(clip(why, MESSAGE_CHARS))}_")
    return clip("\n".join(parts))


def deploy_lines(view: DeployView) -> list[str]:
    """One short line per service (``checkout 10% (canary)``, ``cart pending``): for replies,
    notifications and the services beyond :data:`SHOWN_SERVICES`."""
    return [
        LINES[d.phase].format(
            name=messages.escape(d.service), weight=d.weight, strategy=_strategy(d)
        )
        for d in view.services
    ]


def deploy_summary(view: DeployView, *, limit: int = SUMMARY_SERVICES) -> str:
    """The services in one line: ``checkout 10% (canary), cart pending``."""
    lines = deploy_lines(view)
    if not lines:
        return messages.DEPLOY_NO_SERVICES
    if len(lines) > limit:
        lines = [*lines[:limit], messages.DEPLOY_MORE.format(count=len(lines) - limit)]
    return ", ".join(lines)


def _header(view: DeployView) -> str:
    release = view.release
    commit = f" · `{release.short_sha}`" if release.short_sha else ""
    done = sum(d.phase is DeployPhase.DONE for d in view.services)
    count = f" · {done} of {len(view.services)} services done" if view.services else ""
    badge = STATE_BADGES.get(release.state, "")
    return f"*Deploy of {release.label}*{commit} · {badge} {release.state.phrase}{count}"


def _previous(view: DeployView) -> str:
    versions = {d.previous_version for d in view.services if d.previous_version}
    return f" ({messages.escape(versions.pop())})" if len(versions) == 1 else ""


def _actions(view: DeployView) -> ActionsBlock | None:
    release_id = view.release.id
    value = DeployButton(release_id=release_id).model_dump_json()
    elements: list[ButtonElement] = []
    if view.can_promote:
        elements += [
            ButtonElement(
                text="Promote", action_id=DeployAction.PROMOTE.value, value=value, style="primary"
            ),
            ButtonElement(
                text="Promote fully",
                action_id=DeployAction.PROMOTE_FULL.value,
                value=DeployButton(release_id=release_id, full=True).model_dump_json(),
            ),
        ]
    if view.can_pause:
        elements.append(
            ButtonElement(text="Pause", action_id=DeployAction.PAUSE.value, value=value)
        )
    elif view.can_resume:
        elements.append(
            ButtonElement(text="Resume", action_id=DeployAction.RESUME.value, value=value)
        )
    if view.can_roll_back:
        confirm = messages.ROLLBACK_CONFIRM.format(
            label=messages.escape(view.release.label), previous=_previous(view)
        )
        elements.append(
            ButtonElement(
                text="Roll back",
                action_id=DeployAction.ROLLBACK.value,
                value=value,
                style="danger",
                confirm=ConfirmObject(
                    title="Roll back this release?",
                    text=MarkdownTextObject(text=clip(confirm, CONFIRM_CHARS)),
                    confirm="Roll back",
                    deny="Cancel",
                    style="danger",
                ),
            )
        )
    return ActionsBlock(block_id="deploy_actions", elements=elements) if elements else None


def deploy_progress(view: DeployView) -> tuple[str, list[Block]]:
    """The progress message: text for notifications, and its blocks."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=_header(view)))]
    shown = view.services[:SHOWN_SERVICES]
    blocks += [SectionBlock(text=MarkdownTextObject(text=_service(d))) for d in shown]
    rest = deploy_lines(view)[SHOWN_SERVICES:]
    if rest:
        more = f"_…and {len(rest)} more services:_ " + ", ".join(rest)
        blocks.append(SectionBlock(text=MarkdownTextObject(text=clip(more))))
    actions = _actions(view)
    if actions is not None:
        blocks.append(actions)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=messages.DEPLOY_ROLES)]))
    release = view.release
    text = clip(f"Deploy of {release.label}: {release.state.phrase} · {deploy_summary(view)}")
    return text, blocks
