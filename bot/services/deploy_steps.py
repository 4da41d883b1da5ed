"""Issuing one step of one deployment to its adapter exactly once.

A step is claimed (:func:`storage.deployments.claim_step`) before the adapter is called, so
double clicks, Slack retries and two replicas issue it once. A step found claimed but never
finished was issued by a replica that died (or is still issuing it): the adapter's status
says whether it took effect; if it did not and the issuer's time is up, the step is
:attr:`Issue.LOST` and the caller issues it again under a new key (``attempt`` + 1, set by
compare-and-set, so that too happens once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from bot.clock import Clock
from bot.errors import IntegrationError
from bot.services.deploy_rows import DeployRows, Tracked
from bot.services.models import ReleaseInfo
from integrations.deploy.base import Action, DeployAdapter, DeployState, DeployStatus, Target

__all__ = ["AdaptersFor", "Issue", "Issued", "StepIssuer", "reached", "target_of"]

AdaptersFor = Callable[[str], DeployAdapter]
"""The adapter of a service; raises an IntegrationError saying why it is unavailable."""
OUTPUT_TAIL = 1500
"""Characters of a target's output kept with a failed step and quoted in the thread."""


class Issue(StrEnum):
    DONE = "done"
    FAILED = "failed"
    BUSY = "busy"
    """Another task is issuing it: look again shortly."""
    LOST = "lost"
    """Issued by someone who died before it took effect: issue it again."""


@dataclass(frozen=True)
class Issued:
    outcome: Issue
    reason: str = ""
    output: str = ""


def target_of(release: ReleaseInfo, tracked: Tracked) -> Target:
    return Target(
        service=tracked.service,
        version=release.version,
        previous_version=tracked.previous,
        release=release.label,
    )


def reached(action: Action, target: Target, weight: int, status: DeployStatus) -> bool:
    """Whether ``status`` shows ``action`` done (how a claimed step is confirmed after a
    restart)."""
    if status.state is not DeployState.HEALTHY:
        return False
    if action in (Action.PROMOTE, Action.SWITCH):
        return status.stable_version == target.version and status.canary_version is None
    if action is Action.ROLLBACK:
        previous = target.previous_version
        restored = previous is None or status.stable_version == previous
        return status.canary_version != target.version and restored
    return status.canary_version == target.version and status.weight == weight


async def _act(adapter: DeployAdapter, action: Action, target: Target, weight: int) -> None:
    match action:
        case Action.DEPLOY:
            await adapter.start(target=target)
        case Action.SET_WEIGHT:
            await adapter.set_weight(target=target, weight=weight)
        case Action.PROMOTE:
            await adapter.promote(target=target)
        case Action.SWITCH:
            await adapter.switch(target=target)
        case Action.ROLLBACK:
            await adapter.rollback(target=target)


class StepIssuer:
    def __init__(
        self,
        *,
        rows: DeployRows,
        adapters: AdaptersFor,
        clock: Clock,
        deadline: Callable[[str], timedelta],
    ) -> None:
        self._rows = rows
        self._adapters = adapters
        self._clock = clock
        self._deadline = deadline

    async def issue(
        self,
        release: ReleaseInfo,
        tracked: Tracked,
        *,
        base: str,
        action: Action,
        weight: int,
        actor: str,
    ) -> Issued:
        """Issue step ``base`` (its key carries the deployment's attempt) once."""
        key, target = tracked.key(base), target_of(release, tracked)
        claimed = await self._rows.claim(
            tracked, key=key, action=action.value, weight=weight, actor=actor, now=self._clock()
        )
        if not claimed:
            return await self._claimed_before(tracked, key, action, weight, target)
        try:
            await _act(self._adapters(tracked.service), action, target, weight)
        except IntegrationError as exc:
            output = str(getattr(exc, "output", "") or "")[-OUTPUT_TAIL:]
            detail = f"{exc}\n{output}".strip()
            await self._rows.finish(tracked, key=key, ok=False, detail=detail, now=self._clock())
            return Issued(Issue.FAILED, reason=str(exc), output=output)
        await self._rows.finish(tracked, key=key, ok=True, detail=None, now=self._clock())
        return Issued(Issue.DONE)

    async def learn_previous(self, release: ReleaseInfo, tracked: Tracked) -> Tracked:
        """A service with no earlier release in the bot (its first) rolls back to what the
        target serves before the start: asked once, before the new version goes out."""
        if tracked.previous is not None:
            return tracked
        try:
            status = await self._adapters(tracked.service).status(
                target=target_of(release, tracked)
            )
        except IntegrationError:
            return tracked
        stable = status.stable_version
        if stable is None or stable == release.version:
            return tracked
        saved = await self._rows.save(tracked, now=self._clock(), previous=stable)
        return saved or tracked

    async def _claimed_before(
        self, tracked: Tracked, key: str, action: Action, weight: int, target: Target
    ) -> Issued:
        step = await self._rows.step(tracked, key=key)
        if step is not None and step.outcome == "ok":
            return Issued(Issue.DONE)
        if step is not None and step.outcome == "failed":
            return Issued(Issue.FAILED, reason=step.detail or f"{action.value} failed")
        try:
            status = await self._adapters(tracked.service).status(target=target)
        except IntegrationError:
            status = None
        if status is not None and reached(action, target, weight, status):
            await self._rows.finish(
                tracked,
                key=key,
                ok=True,
                detail="confirmed by the target's status",
                now=self._clock(),
            )
            return Issued(Issue.DONE)
        if step is not None and self._clock() - step.issued_at < self._deadline(tracked.service):
            return Issued(Issue.BUSY)
        return Issued(Issue.LOST)
