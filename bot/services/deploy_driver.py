"""Driving a release's deployments one move at a time, and rolling them back.

:meth:`DeployDriver.advance` makes the next move :func:`bot.domain.canary.next_move` names for
the service being deployed (start, a weight, a measurement, the promote or switch, a pause, an
automatic rollback); :meth:`DeployDriver.roll_back` takes every service started back, newest
first. Each write is a compare-and-set of the deployment row and each step is claimed before its
adapter call (:mod:`bot.services.deploy_steps`), so any number of drivers on any number of
replicas make each move once. :class:`bot.services.deploys.DeployService` runs the drivers.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime

from bot import messages
from bot.clock import Clock
from bot.config import AppConfig
from bot.domain.canary import (
    Analyse,
    CanaryState,
    Pause,
    Promote,
    Rollback,
    SetWeight,
    Wait,
    apply,
    next_move,
    record_measurements,
)
from bot.domain.deployments import DeployPhase
from bot.domain.durations import format_duration
from bot.domain.release import Action, ReleaseState, TransitionRefused
from bot.domain.roles import Role, SystemActor
from bot.errors import Conflict
from bot.services.aftermath import announce
from bot.services.deploy_measure import Measurer
from bot.services.deploy_models import DeployNotifier, DeployView
from bot.services.deploy_rows import DeployRows, Tracked
from bot.services.deploy_steps import Issue, Issued, StepIssuer
from bot.services.models import ReleaseInfo
from bot.services.releases import ReleaseService
from integrations.deploy.base import Action as Step

__all__ = ["FINISHED", "DeployDriver"]

BUSY_WAIT = 1.0
"""Seconds before looking again at a step another task is issuing."""
FINISHED = frozenset({DeployPhase.DONE, DeployPhase.SKIPPED})
WAITING = frozenset({DeployPhase.PAUSED, DeployPhase.FAILED})
UNDONE = frozenset({DeployPhase.PENDING, DeployPhase.SKIPPED, DeployPhase.ROLLED_BACK})


class DeployDriver:
    def __init__(
        self,
        *,
        config: AppConfig,
        releases: ReleaseService,
        notifier: DeployNotifier,
        rows: DeployRows,
        steps: StepIssuer,
        measurer: Measurer,
        clock: Clock,
    ) -> None:
        self._config = config
        self._releases = releases
        self._notifier = notifier
        self._rows = rows
        self._steps = steps
        self._measurer = measurer
        self._clock = clock

    async def view(self, release: ReleaseInfo) -> DeployView:
        fresh = await self._releases.get(release.id)
        tracked = await self._rows.of(release.id)
        return DeployView(release=fresh, services=tuple(t.view() for t in tracked))

    async def advance(self, release_id: int) -> float | None:
        """Make the release's next move: seconds until the next one is due, None when it waits
        for a person or is over. The driver loops on it; it is safe to call from anywhere."""
        release = await self._releases.get(release_id)
        if release.state is ReleaseState.ROLLING_BACK:
            await self.roll_back(release, started=None)
            return None
        if release.state is not ReleaseState.DEPLOYING:
            return None
        train = self._config.trains.get(release.train)
        tracked = await self._rows.of(release_id)
        if not tracked and train is not None and train.services:
            await self._rows.ensure(release, train.services, self._clock())
            return 0
        current = next((t for t in tracked if t.phase not in FINISHED), None)
        if current is None:
            await self._complete(release)
            return None
        if current.phase in WAITING:  # the release paused with it, unless a crash came between
            await self._hold(release, current.row.message or "waiting for a person")
            return None
        return await self._move(release, current)

    async def _move(self, release: ReleaseInfo, t: Tracked) -> float | None:
        now = self._clock()
        if t.phase is DeployPhase.PENDING:
            t = await self._steps.learn_previous(release, t)
            issued = await self._issue(release, t, "start", Step.DEPLOY, 0)
            if issued is Issue.DONE:
                await self._rows.save(
                    t,
                    now=self._clock(),
                    phase=DeployPhase.RUNNING,
                    started=True,
                    audit_as=("deploy_start", SystemActor.SYSTEM),
                    label=release.label,
                )
            return self._after(issued)
        if t.phase is DeployPhase.PROMOTING:
            return await self._finish(release, t)
        move = next_move(t.plan, t.canary, now)
        match move:
            case Wait(until=None):  # paused, though the row says running: a crash came between
                await self._hold(release, t.canary.reason or "waiting for a person")
                return None
            case Wait(until=until):
                assert until is not None
                return max((until - now).total_seconds(), 0.0)
            case Analyse(names=names):
                results, problem = await self._measurer.measure(release, t, names)
                measured = record_measurements(t.canary, results, now=self._clock())
                await self._rows.save(t, now=self._clock(), canary=measured, message=problem)
                await self.progress(release)
                return 0
            case SetWeight(step=index, weight=weight):
                issued = Issue.DONE
                if weight > 0 or t.row.weight > 0:  # start left the new version at weight 0
                    issued = await self._issue(
                        release, t, f"weight:{index}:{weight}", Step.SET_WEIGHT, weight
                    )
                if issued is Issue.DONE:
                    await self._rows.save(
                        t,
                        now=self._clock(),
                        canary=apply(t.plan, t.canary, move, now=self._clock()),
                        audit_as=("deploy_weight", SystemActor.SYSTEM),
                        label=release.label,
                    )
                    await self.progress(release)
                return self._after(issued)
            case Promote():
                saved = await self._rows.save(t, now=now, phase=DeployPhase.PROMOTING)
                return 0 if saved is None else await self._finish(release, saved)
            case Pause(reason=reason):
                reason = "; ".join(filter(None, (reason, t.row.message)))  # and why no data
                saved = await self._rows.save(
                    t,
                    now=now,
                    phase=DeployPhase.PAUSED,
                    message=reason,
                    canary=apply(t.plan, t.canary, move, now=now),
                    audit_as=("deploy_pause", SystemActor.SYSTEM),
                    label=release.label,
                )
                if saved is not None:
                    await self._hold(release, reason, ask=True)
                return None
            case Rollback(reason=reason):
                await self._automatic_rollback(release, t, reason)
                return None
        raise AssertionError(f"unknown move {move!r}")  # pragma: no cover

    async def _finish(self, release: ReleaseInfo, t: Tracked) -> float | None:
        """The promote (a canary) or the switch (blue-green), then the service is done."""
        action = Step.SWITCH if t.row.strategy == "blue_green" else Step.PROMOTE
        issued = await self._issue(release, t, action.value, action, 100)
        if issued is Issue.DONE:
            now = self._clock()
            await self._rows.save(
                t,
                now=now,
                phase=DeployPhase.DONE,
                finished=True,
                canary=apply(t.plan, t.canary, Promote(), now=now),
                audit_as=("deploy_done", SystemActor.SYSTEM),
                label=release.label,
            )
            await self.progress(release)
        return self._after(issued)

    async def _issue(
        self, release: ReleaseInfo, t: Tracked, base: str, action: Step, weight: int
    ) -> Issue:
        """Issue a forward step; a failure pauses the release with the target's answer, and a
        lost step is issued again under the next attempt."""
        issued = await self._steps.issue(
            release, t, base=base, action=action, weight=weight, actor=SystemActor.SYSTEM
        )
        if issued.outcome is Issue.LOST:
            await self._rows.save(t, now=self._clock(), attempt=t.attempt + 1)
        elif issued.outcome is Issue.FAILED:
            await self._failed(release, t, action, issued)
        return issued.outcome

    def _after(self, issued: Issue) -> float | None:
        return {Issue.DONE: 0, Issue.LOST: 0, Issue.BUSY: BUSY_WAIT}.get(issued)

    async def _failed(self, release: ReleaseInfo, t: Tracked, action: Step, why: Issued) -> None:
        reason = f"{action.value} of {t.service} failed: {why.reason}"
        saved = await self._rows.save(
            t,
            now=self._clock(),
            phase=DeployPhase.FAILED,
            message=reason,
            audit_as=("deploy_failed", SystemActor.SYSTEM),
            label=release.label,
        )
        if saved is None:
            return
        text = messages.DEPLOY_STEP_FAILED.format(
            label=release.label, reason=messages.escape(reason), version=release.version
        )
        if why.output:
            text += f"\n```{messages.escape(why.output)}```"
        await self._hold(release, reason, note=text)

    async def _hold(
        self, release: ReleaseInfo, reason: str, *, ask: bool = False, note: str | None = None
    ) -> None:
        """Pause the release for a person: say why in the thread, mentioning the managers."""
        try:
            moved = await self._releases.transition(
                release=release, action=Action.PAUSE, actor=SystemActor.SYSTEM, reason=reason
            )
        except (TransitionRefused, Conflict):
            return  # paused (or rolled back) already: it was said then
        if note is None and ask:
            note = messages.DEPLOY_ASK.format(
                label=moved.label, reason=messages.escape(reason), version=moved.version
            )
        if note is not None:
            await announce(
                self._notifier.thread_note(
                    card=self._releases.card(moved), text=note, mention=Role.RELEASE_MANAGER
                ),
                what=f"deploy pause of {moved.label}",
            )
        await self.progress(moved)

    async def _complete(self, release: ReleaseInfo) -> None:
        try:
            done = await self._releases.transition(
                release=release, action=Action.COMPLETE, actor=SystemActor.SYSTEM
            )
        except (TransitionRefused, Conflict):
            return
        window = self._releases.window(done.train)
        await announce(
            self._notifier.thread_note(
                card=self._releases.card(done),
                text=messages.DEPLOY_RELEASED.format(
                    label=done.label, version=done.version, window=format_duration(window)
                ),
            ),
            what=f"release note of {done.label}",
        )
        await self.progress(done)

    # rolling back -----------------------------------------------------------------------------

    async def _automatic_rollback(self, release: ReleaseInfo, t: Tracked, reason: str) -> None:
        details = self._measurer.explain_failure(release, t)
        try:
            moved = await self._releases.transition(
                release=release,
                action=Action.ROLLBACK,
                actor=SystemActor.SYSTEM,
                reason=f"{t.service}: analysis failed",
            )
        except (TransitionRefused, Conflict):
            return
        await self._rows.save(t, now=self._clock(), message=reason)
        await announce(
            self._notifier.thread_note(
                card=self._releases.card(moved),
                text=messages.DEPLOY_ANALYSIS_FAILED.format(
                    label=moved.label, service=t.service, details=details
                ),
                mention=Role.RELEASE_MANAGER,
            ),
            what=f"rollback note of {moved.label}",
        )
        await self.roll_back(moved, started=self._clock())

    async def roll_back(self, release: ReleaseInfo, *, started: datetime | None) -> None:
        """Every service started, newest first, back to its previous version; the services not
        started are skipped. Then the release is rolled back, or rollback_failed (paged)."""
        failures: list[str] = []
        for t in reversed(await self._rows.of(release.id)):
            failure = await self._roll_back_one(release, t)
            if failure:
                failures.append(failure)
        action = Action.ROLLBACK_FAILED if failures else Action.ROLLBACK_SUCCEEDED
        try:
            done = await self._releases.transition(
                release=release,
                action=action,
                actor=SystemActor.SYSTEM,
                reason="; ".join(failures) or None,
            )
        except (TransitionRefused, Conflict):
            return  # another task finished this rollback
        if failures:
            text = messages.DEPLOY_ROLLBACK_FAILED.format(
                label=done.label, reasons=messages.escape("; ".join(failures)), version=done.version
            )
        else:
            seconds = None if started is None else (self._clock() - started).total_seconds()
            took = "" if seconds is None else f" in {seconds:.1f}s"
            text = messages.DEPLOY_ROLLED_BACK.format(label=done.label, took=took)
        await announce(
            self._notifier.thread_note(
                card=self._releases.card(done),
                text=text,
                mention=Role.RELEASE_MANAGER if failures else None,
            ),
            what=f"rollback result of {done.label}",
        )
        await self.progress(done)

    async def _roll_back_one(self, release: ReleaseInfo, t: Tracked) -> str | None:
        """Roll one deployment back; the reason when it failed."""
        for _ in range(50):
            if t.phase in UNDONE:
                if t.phase is DeployPhase.PENDING:
                    await self._rows.save(t, now=self._clock(), phase=DeployPhase.SKIPPED)
                return None
            if t.phase is not DeployPhase.ROLLING_BACK:
                saved = await self._rows.save(t, now=self._clock(), phase=DeployPhase.ROLLING_BACK)
                t = saved or await self._reread(t)
                continue
            issued = await self._steps.issue(
                release,
                t,
                base=f"rollback:r{release.row_version}",
                action=Step.ROLLBACK,
                weight=0,
                actor=SystemActor.SYSTEM,
            )
            if issued.outcome is Issue.DONE:
                await self._rows.save(
                    t,
                    now=self._clock(),
                    phase=DeployPhase.ROLLED_BACK,
                    canary=_at_zero(t),
                    finished=True,
                    audit_as=("deploy_rolled_back", SystemActor.SYSTEM),
                    label=release.label,
                )
                return None
            if issued.outcome is Issue.FAILED:
                reason = f"{t.service}: {issued.reason}"
                await self._rows.save(
                    t,
                    now=self._clock(),
                    phase=DeployPhase.ROLLBACK_FAILED,
                    message=reason,
                    audit_as=("deploy_rollback_failed", SystemActor.SYSTEM),
                    label=release.label,
                )
                return reason
            if issued.outcome is Issue.LOST:
                await self._rows.save(t, now=self._clock(), attempt=t.attempt + 1)
            else:
                await asyncio.sleep(BUSY_WAIT)
            t = await self._reread(t)
        return f"{t.service}: the rollback did not settle"  # pragma: no cover

    # helpers ----------------------------------------------------------------------------------

    async def _reread(self, t: Tracked) -> Tracked:
        fresh = next((x for x in await self._rows.of(t.row.release_id) if x.id == t.id), None)
        assert fresh is not None
        return fresh

    async def progress(self, release: ReleaseInfo) -> None:
        await announce(
            self._notifier.deploy_progress(
                card=self._releases.card(release), view=await self.view(release)
            ),
            what=f"deploy progress of {release.label}",
        )


def _at_zero(t: Tracked) -> CanaryState:
    return replace(t.canary, weight=0)
