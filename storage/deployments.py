"""Deployments: each service of a release deployed step by step, and each step issued once.

A deployment is unique on ``(release_id, service)``. :func:`create_deployments` is one atomic
``INSERT … ON CONFLICT DO NOTHING`` of the train's services, so two replicas starting the same
release create each row once. Every later change is a compare-and-set on ``row_version``
(:func:`update_deployment`): of two writers exactly one wins, and the other gets ``None``.

A step is unique on ``(deployment_id, key)`` (``start``, ``weight:10``, ``promote``,
``rollback``). :func:`claim_step` inserts it before the adapter is called: only the first
claimer is told to issue it, so a step or a rollback reaches the adapter once, even after a
crash and a reconcile. :func:`finish_step` records its outcome once.

Repositories never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.base import FRESH, FRESH_WRITE
from storage.models import ACTIVE_PHASES, DeploymentRow, DeployPhase, DeployStepRow
from storage.types import to_utc
from storage.upsert import upsert_into

__all__ = [
    "STEP_ACTIONS", "STEP_OUTCOMES", "STRATEGIES", "active_deployments", "claim_step",
    "create_deployments", "finish_step", "get_deployment", "list_deployments", "list_steps",
    "update_deployment",
]  # fmt: skip

STRATEGIES = ("canary", "blue_green")
STEP_ACTIONS = ("deploy", "set_weight", "promote", "rollback", "switch")
STEP_OUTCOMES = ("ok", "failed")


async def create_deployments(
    *,
    session: AsyncSession,
    release_id: int,
    services: Sequence[tuple[str, str, str]],
    now: datetime,
) -> list[DeploymentRow]:
    """Add the release's missing ``(service, adapter, strategy)``s, pending, at their index in
    ``services``; returns all of the release's deployments by position."""
    now = to_utc(now, name="now")
    names = [service for service, _, _ in services]
    twice = [name for n, name in enumerate(names) if name in names[:n]]
    if twice:
        raise ValueError(f"service {twice[0]!r} is listed twice: deploy each service once")
    for service, _, strategy in services:
        _check(strategy, STRATEGIES, what=f"the strategy of {service!r}")
    rows = [
        {
            "release_id": release_id,
            "service": service,
            "position": position,
            "adapter": adapter,
            "strategy": strategy,
            "phase": DeployPhase.PENDING.value,
            "step": 0,
            "weight": 0,
            "updated_at": now,
            "row_version": 1,
        }
        for position, (service, adapter, strategy) in enumerate(services)
    ]
    if rows:
        insert = upsert_into(session=session, entity=DeploymentRow).values(rows)
        statement = insert.on_conflict_do_nothing(
            index_elements=[col(DeploymentRow.release_id), col(DeploymentRow.service)]
        )
        await session.exec(statement)
    return await list_deployments(session=session, release_id=release_id)


async def list_deployments(*, session: AsyncSession, release_id: int) -> list[DeploymentRow]:
    """The release's deployments in the order of the train's services."""
    statement = (
        select(DeploymentRow)
        .where(col(DeploymentRow.release_id) == release_id)
        .order_by(col(DeploymentRow.position), col(DeploymentRow.id))
    )
    return list(await session.exec(statement, execution_options=FRESH))


async def get_deployment(*, session: AsyncSession, deployment_id: int) -> DeploymentRow | None:
    """The deployment with this id, if any."""
    statement = select(DeploymentRow).where(col(DeploymentRow.id) == deployment_id)
    return (await session.exec(statement, execution_options=FRESH)).first()


async def active_deployments(*, session: AsyncSession) -> list[DeploymentRow]:
    """Every deployment under way (:data:`ACTIVE_PHASES`), the least recently updated first."""
    statement = (
        select(DeploymentRow)
        .where(col(DeploymentRow.phase).in_(sorted(ACTIVE_PHASES)))
        .order_by(col(DeploymentRow.updated_at), col(DeploymentRow.id))
    )
    return list(await session.exec(statement, execution_options=FRESH))


async def update_deployment(
    *,
    session: AsyncSession,
    deployment_id: int,
    expected_row_version: int,
    now: datetime,
    phase: DeployPhase | None = None,
    step: int | None = None,
    weight: int | None = None,
    state: dict[str, Any] | None = None,
    message: str | None = None,
    started_at: datetime | None = None,
    finished_at: datetime | None = None,
) -> DeploymentRow | None:
    """Set the fields given (``None``: leave as is) if the row is still at
    ``expected_row_version``; bumps it and stamps ``updated_at``. Returns the fresh row, or
    ``None`` when another writer changed it first (or it does not exist)."""
    now = to_utc(now, name="now")
    if weight is not None and not 0 <= weight <= 100:
        raise ValueError(f"a weight is a percentage from 0 to 100, got {weight}")
    if step is not None and step < 0:
        raise ValueError(f"a step indexes the plan from 0, got {step}")
    given = {"step": step, "weight": weight, "state": state, "message": message}
    values: dict[str, Any] = {name: value for name, value in given.items() if value is not None}
    if phase is not None:
        values["phase"] = DeployPhase(phase).value
    if started_at is not None:
        values["started_at"] = to_utc(started_at, name="started_at")
    if finished_at is not None:
        values["finished_at"] = to_utc(finished_at, name="finished_at")
    if not values:
        raise ValueError("update_deployment needs at least one field to change")
    statement = (
        update(DeploymentRow)
        .where(col(DeploymentRow.id) == deployment_id)
        .where(col(DeploymentRow.row_version) == expected_row_version)
        .values(**values, updated_at=now, row_version=col(DeploymentRow.row_version) + 1)
        .returning(DeploymentRow)
    )
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    updated: DeploymentRow | None = result.scalars().first()
    return updated


async def claim_step(
    *,
    session: AsyncSession,
    deployment_id: int,
    key: str,
    action: str,
    weight: int,
    issued_by: str,
    now: datetime,
) -> bool:
    """Record step ``key`` as issued now; ``True`` only for its first claimer, who issues it."""
    now = to_utc(now, name="now")
    _check(action, STEP_ACTIONS, what="a step's action")
    if not 0 <= weight <= 100:
        raise ValueError(f"a weight is a percentage from 0 to 100, got {weight}")
    insert = upsert_into(session=session, entity=DeployStepRow).values(
        deployment_id=deployment_id,
        key=key,
        action=action,
        weight=weight,
        issued_by=issued_by,
        issued_at=now,
    )
    statement = insert.on_conflict_do_nothing(
        index_elements=[col(DeployStepRow.deployment_id), col(DeployStepRow.key)]
    ).returning(col(DeployStepRow.id))
    return (await session.exec(statement)).first() is not None


async def finish_step(
    *,
    session: AsyncSession,
    deployment_id: int,
    key: str,
    outcome: str,
    detail: str | None,
    now: datetime,
) -> bool:
    """Record the step's outcome; ``False`` when it was already finished (or never claimed)."""
    now = to_utc(now, name="now")
    _check(outcome, STEP_OUTCOMES, what="a step's outcome")
    statement = (
        update(DeployStepRow)
        .where(col(DeployStepRow.deployment_id) == deployment_id)
        .where(col(DeployStepRow.key) == key)
        .where(col(DeployStepRow.outcome).is_(None))
        .values(outcome=outcome, detail=detail, finished_at=now)
        .returning(DeployStepRow)
    )
    result = await session.exec(statement, execution_options=FRESH_WRITE)
    return result.scalars().first() is not None


async def list_steps(*, session: AsyncSession, deployment_id: int) -> list[DeployStepRow]:
    """The deployment's steps in the order they were issued."""
    statement = (
        select(DeployStepRow)
        .where(col(DeployStepRow.deployment_id) == deployment_id)
        .order_by(col(DeployStepRow.issued_at), col(DeployStepRow.id))
    )
    return list(await session.exec(statement, execution_options=FRESH))


def _check(value: str, allowed: tuple[str, ...], *, what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}")
