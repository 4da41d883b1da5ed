"""Deployments: each service of a release rolled out through its adapter, step by step, with
its analyses judged between steps; promote, pause, resume and rollback by people::

    approved ──deploy──> deploying: per service, in the train's order
        pending ──start──> running ──set_weight per step, analyses between──> promoting ──> done
        an analysis fails ──> the release rolls back (every service started, newest first)
        an analysis is inconclusive, or a step fails ──> the release pauses; a person resumes,
                                                         promotes or rolls back
    every service done ──complete──> released (its monitoring window opens)

One driver task per release makes the moves :func:`bot.domain.canary.next_move` names; every
write is a compare-and-set on the deployment row and every step is claimed before its adapter is
called (:mod:`bot.services.deploy_steps`), so two replicas, a restart or a double click never
issue a step twice. After a restart, :meth:`DeployService.reconcile` (a leader chore) starts a
driver for every release still deploying or rolling back; it goes on from the stored state.
A rollback preempts: it cancels the release's driver (and any step in flight) first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from contextlib import suppress
from datetime import timedelta
from typing import Any

from bot import messages
from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.domain.canary import (
    Pause,
    apply,
)
from bot.domain.canary import promote as accept
from bot.domain.canary import resume as go_on
from bot.domain.deployments import DeployPhase
from bot.domain.release import Action, ReleaseKind, ReleaseState
from bot.errors import Conflict, IntegrationError, NotAllowed
from bot.observability.logs import get_logger
from bot.services.aftermath import announce
from bot.services.deploy_driver import FINISHED, DeployDriver
from bot.services.deploy_measure import Measurer
from bot.services.deploy_models import DeployNotifier, DeployView
from bot.services.deploy_rows import DeployRows, Tracked
from bot.services.deploy_steps import AdaptersFor, StepIssuer
from bot.services.models import ReleaseInfo
from bot.services.releases import ReleaseService, Sessions
from storage import trains

__all__ = ["DeployService"]

log = get_logger(__name__)

Spawn = Callable[[Coroutine[Any, Any, None], str], "asyncio.Task[None]"]
MAX_WAIT = 5.0
"""The longest a driver sleeps before it looks at the database again (another replica may
have acted)."""
STOP_GRACE = 10.0
UNCHANGED = frozenset({DeployPhase.PENDING, DeployPhase.ROLLING_BACK, DeployPhase.ROLLED_BACK})
"""Phases a person's promote, pause or resume leaves alone."""
#: How long a step's issuer may take before a claimed, unfinished step counts as lost: the
#: adapter's own time limit (see each adapter's defaults) and a margin.
DEADLINES = {
    "sim": timedelta(seconds=30),
    "webhook": timedelta(minutes=5, seconds=30),
    "argo_rollouts": timedelta(minutes=10, seconds=30),
    "github_actions": timedelta(minutes=30, seconds=30),
}


class DeployService:
    def __init__(
        self,
        *,
        sessions: Sessions,
        config: AppConfig,
        releases: ReleaseService,
        notifier: DeployNotifier,
        adapters: AdaptersFor,
        measurer: Measurer,
        spawn: Spawn | None,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._releases = releases
        self._adapters = adapters
        self._spawn = spawn
        self._clock = clock
        self._rows = DeployRows(sessions=sessions, config=config)
        self._steps = StepIssuer(
            rows=self._rows, adapters=adapters, clock=clock, deadline=self._deadline
        )
        self._notifier = notifier
        self._driver = DeployDriver(
            config=config,
            releases=releases,
            notifier=notifier,
            rows=self._rows,
            steps=self._steps,
            measurer=measurer,
            clock=clock,
        )
        self._drivers: dict[int, asyncio.Task[None]] = {}
        self._wake: dict[int, asyncio.Event] = {}
        self._stopping = False

    # reading ----------------------------------------------------------------------------------

    async def view(self, release: ReleaseInfo) -> DeployView:
        return await self._driver.view(release)

    async def advance(self, release_id: int) -> float | None:
        """Make the release's next move: seconds until the next one is due, None when it waits
        for a person or is over. The driver loops on it; it is safe to call from anywhere."""
        return await self._driver.advance(release_id)

    # people's actions -------------------------------------------------------------------------

    async def deploy(self, *, release: ReleaseInfo, actor: str) -> DeployView:
        """Start deploying an approved release (refused on a frozen train, except a hotfix)."""
        train = self._releases.train_config(release.train)
        async with self._sessions() as session:
            state = await trains.get_train(session=session, name=release.train)
        if state is not None and state.frozen and release.kind is not ReleaseKind.HOTFIX:
            raise NotAllowed(
                messages.DEPLOY_FROZEN.format(
                    train=release.train,
                    by=messages.who(state.frozen_by or "someone"),
                    reason=messages.escape(state.frozen_reason or "no reason"),
                )
            )
        for service in train.services:
            try:
                self._adapters(service)  # an unavailable adapter refuses before anything moves
            except IntegrationError as unavailable:
                await announce(
                    self._notifier.thread_note(
                        card=self._releases.card(release),
                        text=messages.DEPLOY_UNAVAILABLE.format(
                            label=release.label, reason=messages.escape(str(unavailable))
                        ),
                    ),
                    what=f"deploy refusal of {release.label}",
                )
                raise
        moved = await self._releases.transition(release=release, action=Action.DEPLOY, actor=actor)
        await self._rows.ensure(moved, train.services, self._clock())
        self._kick(moved.id)
        return await self._show(moved)

    async def promote(self, *, release: ReleaseInfo, actor: str, full: bool = False) -> DeployView:
        """Count the current step as passed (``full``: every step of the current service)."""
        fresh = await self._releases.get(release.id)
        if fresh.state not in (ReleaseState.DEPLOYING, ReleaseState.PAUSED):
            raise NotAllowed(
                messages.DEPLOY_NOT_RUNNING.format(label=fresh.label, state=fresh.state.phrase)
            )

        def promoted(t: Tracked) -> tuple[DeployPhase, Any, int | None]:
            if t.phase is DeployPhase.FAILED:
                raise NotAllowed(
                    messages.DEPLOY_PROMOTE_FAILED.format(label=fresh.label, version=fresh.version)
                )
            return DeployPhase.RUNNING, accept(t.plan, t.canary, full=full), None

        await self._change_current(fresh, actor, "deploy_promote", promoted)
        if fresh.state is ReleaseState.PAUSED:
            fresh = await self._releases.transition(
                release=fresh, action=Action.PROMOTE, actor=actor
            )
        self._kick(fresh.id)
        return await self._show(fresh)

    async def pause(self, *, release: ReleaseInfo, actor: str) -> DeployView:
        reason, now = f"paused by {messages.who(actor)}", self._clock()
        moved = await self._releases.transition(
            release=release, action=Action.PAUSE, actor=actor, reason=reason
        )
        await self._change_current(
            moved,
            actor,
            "deploy_pause",
            lambda t: (DeployPhase.PAUSED, apply(t.plan, t.canary, Pause(reason), now=now), None),
            message=reason,
        )
        self._kick(moved.id)
        return await self._show(moved)

    async def resume(self, *, release: ReleaseInfo, actor: str) -> DeployView:
        """Go on after a pause; a failed step is issued again. The deployment changes before
        the release, so a driver never sees the release deploying with its service paused."""
        fresh = await self._releases.get(release.id)
        if fresh.state is not ReleaseState.PAUSED:
            raise NotAllowed(
                messages.DEPLOY_NOT_PAUSED.format(label=fresh.label, state=fresh.state.phrase)
            )

        def resumed(t: Tracked) -> tuple[DeployPhase, Any, int | None]:
            if t.phase is DeployPhase.FAILED:
                phase = DeployPhase.RUNNING if t.row.started_at else DeployPhase.PENDING
                return phase, None, t.attempt + 1
            canary = go_on(t.canary) if t.canary.paused else t.canary
            return DeployPhase.RUNNING, canary, None

        await self._change_current(fresh, actor, "deploy_resume", resumed)
        moved = await self._releases.transition(release=fresh, action=Action.RESUME, actor=actor)
        self._kick(moved.id)
        return await self._show(moved)

    async def rollback(
        self, *, release: ReleaseInfo, actor: str, reason: str | None = None
    ) -> DeployView:
        """All traffic back to the previous version, now: any step in flight is abandoned."""
        why = (reason or "").strip() or f"rolled back by {messages.who(actor)}"
        moved = await self._releases.transition(
            release=release, action=Action.ROLLBACK, actor=actor, reason=why
        )
        driver = self._drivers.get(moved.id)
        if driver is not None and driver is not asyncio.current_task():
            driver.cancel()
            with suppress(asyncio.CancelledError):
                await driver
        await self._driver.roll_back(moved, started=self._clock())
        return await self.view(moved)

    # the driver -------------------------------------------------------------------------------

    async def reconcile(self) -> None:
        """Drive every release still deploying or rolling back (after a restart, or on the
        replica that took over); a release with a driver here is only woken."""
        for release in await self._releases.listing():
            if release.state in (ReleaseState.DEPLOYING, ReleaseState.ROLLING_BACK):
                self._kick(release.id)

    async def stop(self, *, grace: float = STOP_GRACE) -> None:
        """Stop the drivers at shutdown, each after the move it is making (cancelled after
        ``grace`` seconds); their deployments are reconciled on restart."""
        self._stopping = True
        for wake in self._wake.values():
            wake.set()
        drivers = [task for task in self._drivers.values() if not task.done()]
        if not drivers:
            return
        _, late = await asyncio.wait(drivers, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)

    def _kick(self, release_id: int) -> None:
        """Wake the release's driver, or start one; without ``spawn`` (tests that step by
        hand with :meth:`advance`) there is none."""
        if self._spawn is None or self._stopping:
            return
        task = self._drivers.get(release_id)
        if task is not None and not task.done():
            self._wake[release_id].set()
            return
        self._wake[release_id] = asyncio.Event()
        self._drivers[release_id] = self._spawn(self._drive(release_id), f"deploy {release_id}")

    async def _drive(self, release_id: int) -> None:
        wake = self._wake[release_id]
        while not self._stopping and (wait := await self.advance(release_id)) is not None:
            if wait > 0 and not self._stopping:
                with suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=min(wait, MAX_WAIT))
            wake.clear()

    async def _change_current(
        self,
        release: ReleaseInfo,
        actor: str,
        audit_action: str,
        change: Callable[[Tracked], tuple[DeployPhase, Any, int | None]],
        *,
        message: str = "",
    ) -> None:
        """Apply a person's change to the service being deployed, by compare-and-set; a
        service not started yet, or rolling back, has nothing to change."""
        for _ in range(5):
            tracked = await self._rows.of(release.id)
            current = next((t for t in tracked if t.phase not in FINISHED), None)
            if current is None or current.phase in UNCHANGED:
                return
            phase, canary, attempt = change(current)
            saved = await self._rows.save(
                current,
                now=self._clock(),
                phase=phase,
                canary=canary,
                attempt=attempt,
                message=message,
                audit_as=(audit_action, actor),
                label=release.label,
            )
            if saved is not None:
                return
        raise Conflict(f"{release.label} kept changing while you acted; look and try again.")

    async def _show(self, release: ReleaseInfo) -> DeployView:
        await self._driver.progress(release)
        return await self.view(release)

    def _deadline(self, service: str) -> timedelta:
        deploy = self._rows.service_config(service).deploy
        timeout = getattr(deploy, "timeout", None)
        if isinstance(timeout, timedelta):
            return timeout + timedelta(seconds=30)
        return DEADLINES.get(deploy.adapter, timedelta(minutes=5))
