"""A release's deployments as the deploy service reads and writes them: each row with its plan
and decoded canary state, every write a compare-and-set on the row with its audit event.

``deployments.state`` holds ``{"previous_version", "attempt", "canary"}``: the version a
rollback restores (fixed when the deployment is created), how many times a failed or lost step
was issued again (part of each step's key, so a retry is a new step, issued once), and the
canary state of :mod:`storage.canary_json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import AppConfig
from bot.config.models import ServiceConfig
from bot.domain.canary import CanaryState, Plan
from bot.domain.deployments import DeployPhase
from bot.domain.release import ReleaseState
from bot.services.deploy_models import ServiceDeploy
from bot.services.models import ReleaseInfo
from storage import audit, deployments, releases
from storage.canary_json import state_from_json, state_to_json
from storage.models import DeploymentRow, DeployStepRow

__all__ = ["DeployRows", "Tracked"]

SUBJECT = "release"
_DEFAULT = ServiceConfig()


@dataclass(frozen=True)
class Tracked:
    """One deployment row, its plan and its canary state."""

    row: DeploymentRow
    plan: Plan
    canary: CanaryState
    previous: str | None
    attempt: int

    @property
    def id(self) -> int:
        assert self.row.id is not None
        return self.row.id

    @property
    def service(self) -> str:
        return self.row.service

    @property
    def phase(self) -> DeployPhase:
        return DeployPhase(self.row.phase)

    def key(self, base: str) -> str:
        """A step's key: ``base`` on the first attempt, ``base#n`` on the n-th retry."""
        return f"{base}#{self.attempt}" if self.attempt else base

    def view(self) -> ServiceDeploy:
        steps = tuple(step.weight for step in self.plan.steps)
        return ServiceDeploy(
            service=self.service,
            adapter=self.row.adapter,
            strategy=self.row.strategy,
            phase=self.phase,
            weight=self.row.weight,
            step=self.row.step,
            steps=steps if self.row.strategy == "canary" else (0, 100),
            analysis=self.canary.analysis,
            message=self.row.message or "",
            previous_version=self.previous,
        )


class DeployRows:
    """Reads and compare-and-set writes of a release's deployments."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], config: AppConfig) -> None:
        self._sessions = sessions
        self._config = config

    def service_config(self, service: str) -> ServiceConfig:
        return self._config.services.get(service) or _DEFAULT

    def plan(self, service: str) -> Plan:
        return self.service_config(service).strategy.plan()

    async def ensure(self, release: ReleaseInfo, services: tuple[str, ...], now: datetime) -> None:
        """Create the release's deployments once, each knowing the version it replaces."""
        async with self._sessions() as session:
            previous = await releases.latest_release(
                session=session, train=release.train, states=[ReleaseState.RELEASED.value]
            )
            prior = previous.version if previous and previous.id != release.id else None
            rows = await deployments.create_deployments(
                session=session,
                release_id=release.id,
                services=[
                    (name, self.service_config(name).deploy.adapter, self._strategy(name))
                    for name in services
                ],
                now=now,
            )
            for row in rows:
                if row.state is None:
                    assert row.id is not None
                    await deployments.update_deployment(
                        session=session,
                        deployment_id=row.id,
                        expected_row_version=row.row_version,
                        now=now,
                        state=_encode(CanaryState(), previous=prior, attempt=0),
                    )
            await session.commit()

    async def of(self, release_id: int) -> list[Tracked]:
        async with self._sessions() as session:
            rows = await deployments.list_deployments(session=session, release_id=release_id)
        return [self._tracked(row) for row in rows]

    async def save(
        self,
        tracked: Tracked,
        *,
        now: datetime,
        phase: DeployPhase | None = None,
        canary: CanaryState | None = None,
        attempt: int | None = None,
        message: str | None = None,
        previous: str | None = None,
        started: bool = False,
        finished: bool = False,
        audit_as: tuple[str, str] | None = None,
        label: str = "",
    ) -> Tracked | None:
        """Write the changes if the row is unchanged since ``tracked`` was read; None when
        another writer came first. ``audit_as`` is ``(action, actor)`` of an audit event."""
        state = None
        if canary is not None or attempt is not None or previous is not None:
            state = _encode(
                canary or tracked.canary,
                previous=previous or tracked.previous,
                attempt=tracked.attempt if attempt is None else attempt,
            )
        weight = None
        if canary is not None:
            weight = canary.weight
        step = canary.step_index if canary is not None else None
        async with self._sessions() as session:
            row = await deployments.update_deployment(
                session=session,
                deployment_id=tracked.id,
                expected_row_version=tracked.row.row_version,
                now=now,
                phase=phase,
                step=step,
                weight=weight,
                state=state,
                message=message,
                started_at=now if started else None,
                finished_at=now if finished else None,
            )
            if row is None:
                await session.rollback()
                return None
            if audit_as is not None:
                action, actor = audit_as
                await audit.record_audit(
                    session=session,
                    actor=actor,
                    action=action,
                    subject_type=SUBJECT,
                    subject_id=str(row.release_id),
                    from_state=tracked.phase.value,
                    to_state=row.phase,
                    reason=message or None,
                    details={"label": label, "service": row.service, "weight": row.weight},
                    at=now,
                )
            await session.commit()
        return self._tracked(row)

    async def claim(
        self, tracked: Tracked, *, key: str, action: str, weight: int, actor: str, now: datetime
    ) -> bool:
        """Record step ``key`` as issued; True only for its first claimer, who issues it."""
        async with self._sessions() as session:
            mine = await deployments.claim_step(
                session=session,
                deployment_id=tracked.id,
                key=key,
                action=action,
                weight=weight,
                issued_by=actor,
                now=now,
            )
            await session.commit()
        return mine

    async def step(self, tracked: Tracked, *, key: str) -> DeployStepRow | None:
        async with self._sessions() as session:
            steps = await deployments.list_steps(session=session, deployment_id=tracked.id)
        return next((step for step in steps if step.key == key), None)

    async def finish(
        self, tracked: Tracked, *, key: str, ok: bool, detail: str | None, now: datetime
    ) -> None:
        async with self._sessions() as session:
            await deployments.finish_step(
                session=session,
                deployment_id=tracked.id,
                key=key,
                outcome="ok" if ok else "failed",
                detail=detail,
                now=now,
            )
            await session.commit()

    def _strategy(self, service: str) -> str:
        return "blue_green" if self.service_config(service).strategy.blue_green else "canary"

    def _tracked(self, row: DeploymentRow) -> Tracked:
        plan = self.plan(row.service)
        data: dict[str, Any] = row.state or {}
        canary = data.get("canary")
        return Tracked(
            row=row,
            plan=plan,
            canary=CanaryState() if canary is None else state_from_json(canary, plan=plan),
            previous=data.get("previous_version"),
            attempt=int(data.get("attempt", 0)),
        )


def _encode(canary: CanaryState, *, previous: str | None, attempt: int) -> dict[str, Any]:
    return {"previous_version": previous, "attempt": attempt, "canary": state_to_json(canary)}
