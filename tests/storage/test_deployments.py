"""Deployments contract, on every backend: each service's deployment created once, changed only
by compare-and-set, and each step issued once and finished once, even under concurrency."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, delete, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.deployments import (
    active_deployments,
    claim_step,
    create_deployments,
    finish_step,
    get_deployment,
    list_deployments,
    list_steps,
    update_deployment,
)
from storage.models import ACTIVE_PHASES, DeploymentRow, DeployPhase, DeployStepRow, ReleaseRow
from storage.types import NaiveDatetimeError
from tests.storage.factories import CONTENDERS, T0, new_release, race

LATER = T0 + timedelta(minutes=5)
SERVICES = [("checkout", "sim", "canary"), ("search", "webhook", "blue_green")]


async def new_deployments(session: AsyncSession, *, version: str = "2026.11.1") -> list[int]:
    """A release's two deployments (checkout, search); returns their ids."""
    release = await new_release(session, version=version)
    assert release.id is not None
    rows = await create_deployments(
        session=session, release_id=release.id, services=SERVICES, now=T0
    )
    ids = [row.id for row in rows]
    assert None not in ids
    return [i for i in ids if i is not None]


async def update(
    session: AsyncSession,
    deployment_id: int,
    *,
    version: int = 1,
    now: datetime = LATER,
    **fields: Any,
) -> DeploymentRow | None:
    return await update_deployment(
        session=session,
        deployment_id=deployment_id,
        expected_row_version=version,
        now=now,
        **fields,
    )


async def claim(
    session: AsyncSession,
    deployment_id: int,
    key: str = "start",
    *,
    action: str = "deploy",
    weight: int = 0,
    issued_by: str = "bot-1",
    now: datetime = T0,
) -> bool:
    return await claim_step(
        session=session,
        deployment_id=deployment_id,
        key=key,
        action=action,
        weight=weight,
        issued_by=issued_by,
        now=now,
    )


async def finish(
    session: AsyncSession,
    deployment_id: int,
    key: str = "start",
    *,
    outcome: str = "ok",
    detail: str | None = None,
    now: datetime = LATER,
) -> bool:
    return await finish_step(
        session=session,
        deployment_id=deployment_id,
        key=key,
        outcome=outcome,
        detail=detail,
        now=now,
    )


async def count(session: AsyncSession, table: type[object]) -> int:
    return (await session.exec(select(func.count()).select_from(table))).one()


# Creating


async def test_creating_is_idempotent_and_ordered(db_session: AsyncSession) -> None:
    release = await new_release(db_session)
    assert release.id is not None
    rid = release.id
    created = await create_deployments(
        session=db_session, release_id=rid, services=SERVICES, now=T0
    )
    assert [(d.service, d.position, d.adapter, d.strategy) for d in created] == [
        ("checkout", 0, "sim", "canary"),
        ("search", 1, "webhook", "blue_green"),
    ]
    first = created[0]
    assert (first.phase, first.step, first.weight, first.state, first.message) == (
        "pending", 0, 0, None, None,
    )  # fmt: skip
    assert (first.started_at, first.finished_at, first.updated_at, first.row_version) == (
        None, None, T0, 1,
    )  # fmt: skip
    more = [*SERVICES, ("ads", "command", "canary")]
    again = await create_deployments(session=db_session, release_id=rid, services=more, now=LATER)
    assert [(d.id, d.service, d.position, d.updated_at) for d in again] == [
        (first.id, "checkout", 0, T0),
        (created[1].id, "search", 1, T0),
        (again[2].id, "ads", 2, LATER),
    ]
    unchanged = await create_deployments(session=db_session, release_id=rid, services=[], now=T0)
    assert [d.id for d in unchanged] == [d.id for d in again]
    assert [d.id for d in await list_deployments(session=db_session, release_id=rid)] == [
        d.id for d in again
    ]
    assert await list_deployments(session=db_session, release_id=rid + 1000) == []
    assert await count(db_session, DeploymentRow) == 3


async def test_concurrent_creators_create_each_deployment_once(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        release = await new_release(session)
        await session.commit()
    assert release.id is not None
    rid = release.id

    async def creator(session: AsyncSession, index: int) -> list[tuple[int | None, str]]:
        now = T0 + timedelta(seconds=index)
        rows = await create_deployments(session=session, release_id=rid, services=SERVICES, now=now)
        return [(row.id, row.service) for row in rows]

    outcomes = await race(db_sessions, creator)
    assert [service for _, service in outcomes[0]] == ["checkout", "search"]
    assert all(outcome == outcomes[0] for outcome in outcomes)
    async with db_sessions() as session:
        assert await count(session, DeploymentRow) == len(SERVICES)


async def test_bad_services_are_refused(db_session: AsyncSession) -> None:
    release = await new_release(db_session)
    assert release.id is not None
    rid = release.id
    twice = [SERVICES[0], SERVICES[1], SERVICES[0]]
    with pytest.raises(ValueError, match="'checkout' is listed twice"):
        await create_deployments(session=db_session, release_id=rid, services=twice, now=T0)
    rolling = [("checkout", "sim", "rolling")]
    with pytest.raises(ValueError, match="strategy of 'checkout' must be one of canary, blue"):
        await create_deployments(session=db_session, release_id=rid, services=rolling, now=T0)
    assert await count(db_session, DeploymentRow) == 0


async def test_a_deployment_is_found_by_its_id(db_session: AsyncSession) -> None:
    checkout, _ = await new_deployments(db_session)
    found = await get_deployment(session=db_session, deployment_id=checkout)
    assert found is not None
    assert (found.id, found.service) == (checkout, "checkout")
    assert await get_deployment(session=db_session, deployment_id=checkout + 1000) is None


# Changing


async def test_active_deployments_are_under_way_least_recently_updated_first(
    db_session: AsyncSession,
) -> None:
    ids = await new_deployments(db_session) + await new_deployments(db_session, version="2")
    await new_deployments(db_session, version="3")  # pending: not under way yet
    changes = [
        (DeployPhase.ROLLING_BACK, 1),
        (DeployPhase.DONE, 2),
        (DeployPhase.RUNNING, 3),
        (DeployPhase.PAUSED, 0),
    ]
    for deployment_id, (phase, minutes) in zip(ids, changes, strict=True):
        assert await update(
            db_session, deployment_id, now=T0 + timedelta(minutes=minutes), phase=phase
        )
    active = await active_deployments(session=db_session)
    assert [(d.id, d.phase) for d in active] == [
        (ids[3], "paused"),
        (ids[0], "rolling_back"),
        (ids[2], "running"),
    ]
    assert set(ACTIVE_PHASES) == {"running", "paused", "promoting", "rolling_back"}


async def test_an_update_sets_only_the_fields_given(db_session: AsyncSession) -> None:
    checkout, search = await new_deployments(db_session)
    updated = await update(
        db_session, checkout, phase=DeployPhase.RUNNING, started_at=T0, message="deploying"
    )
    assert updated is not None
    assert (updated.phase, updated.step, updated.weight, updated.state, updated.row_version) == (
        "running", 0, 0, None, 2,
    )  # fmt: skip
    assert (updated.started_at, updated.finished_at, updated.updated_at, updated.message) == (
        T0, None, LATER, "deploying",
    )  # fmt: skip
    end = LATER + timedelta(minutes=1)
    updated = await update(
        db_session, checkout, version=2, now=end, step=2, weight=100, finished_at=end
    )
    assert updated is not None
    assert (updated.phase, updated.step, updated.weight, updated.message) == (
        "running", 2, 100, "deploying",
    )  # fmt: skip
    assert (updated.started_at, updated.finished_at, updated.row_version) == (T0, end, 3)

    assert await update(db_session, checkout, version=2, now=end, step=3) is None  # stale
    assert await update(db_session, checkout + 1000, version=1, step=1) is None  # unknown
    reread = await get_deployment(session=db_session, deployment_id=checkout)
    assert reread is not None
    assert (reread.step, reread.row_version, reread.updated_at) == (2, 3, end)
    untouched = await get_deployment(session=db_session, deployment_id=search)
    assert untouched is not None
    assert (untouched.phase, untouched.row_version) == ("pending", 1)


async def test_of_two_concurrent_writers_one_wins(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        checkout, _ = await new_deployments(session)
        await session.commit()
    phases = [DeployPhase.PAUSED, DeployPhase.ROLLING_BACK]

    async def writer(session: AsyncSession, index: int) -> DeploymentRow | None:
        return await update(session, checkout, phase=phases[index], message=f"writer {index}")

    outcomes = await race(db_sessions, writer, contenders=2)
    winners = [row for row in outcomes if row is not None]
    assert len(winners) == 1
    async with db_sessions() as session:
        stored = await get_deployment(session=session, deployment_id=checkout)
    assert stored is not None
    assert (stored.phase, stored.message, stored.row_version) == (
        winners[0].phase, winners[0].message, 2,
    )  # fmt: skip


async def test_the_canary_state_round_trips_as_json(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    state: dict[str, Any] = {
        "step_index": 1,
        "weight": 10,
        "entered_at": "2026-11-24T09:00:00+00:00",
        "analysis": [{"name": "errors", "values": [0.25, 1e-9, -3.5, None], "verdict": None}],
        "nested": {"deeper": {"ratio": 0.1, "empty": {}, "none": None, "flag": True}},
        "reason": "p99 > 250ms — ünïcode",
    }
    async with db_sessions() as session:
        checkout, _ = await new_deployments(session)
        updated = await update(session, checkout, state=state)
        await session.commit()
    assert updated is not None
    assert updated.state == state
    async with db_sessions() as session:
        stored = await get_deployment(session=session, deployment_id=checkout)
        assert stored is not None
        assert stored.state == state
        assert await update(session, checkout, version=2, state={}) is not None
        await session.commit()
    async with db_sessions() as session:
        emptied = await get_deployment(session=session, deployment_id=checkout)
    assert emptied is not None
    assert emptied.state == {}


async def test_bad_updates_are_refused(db_session: AsyncSession) -> None:
    checkout, _ = await new_deployments(db_session)
    bad: list[tuple[dict[str, Any], str]] = [
        ({"weight": 101}, "from 0 to 100, got 101"),
        ({"weight": -1}, "from 0 to 100, got -1"),
        ({"step": -1}, "indexes the plan from 0, got -1"),
        ({"phase": "deploying"}, "'deploying' is not a valid DeployPhase"),
        ({}, "needs at least one field to change"),
    ]
    for fields, message in bad:
        with pytest.raises(ValueError, match=message):
            await update(db_session, checkout, **fields)
    unchanged = await get_deployment(session=db_session, deployment_id=checkout)
    assert unchanged is not None
    assert unchanged.row_version == 1


# Steps


async def test_a_step_is_claimed_once_and_finished_once(db_session: AsyncSession) -> None:
    checkout, search = await new_deployments(db_session)
    assert await claim(db_session, checkout, "weight:10", action="set_weight", weight=10, now=LATER)
    assert not await claim(db_session, checkout, "weight:10", action="set_weight", weight=10)
    assert await claim(db_session, checkout, "start", issued_by="bot-2")
    assert await claim(db_session, search, "weight:10", action="set_weight", weight=10)

    assert await finish(db_session, checkout, "weight:10", outcome="failed", detail="HTTP 503")
    assert not await finish(db_session, checkout, "weight:10", outcome="ok")
    assert not await finish(db_session, checkout, "promote")  # never claimed
    steps = await list_steps(session=db_session, deployment_id=checkout)
    assert [(s.key, s.action, s.weight, s.issued_by, s.issued_at) for s in steps] == [
        ("start", "deploy", 0, "bot-2", T0),
        ("weight:10", "set_weight", 10, "bot-1", LATER),
    ]
    assert [(s.outcome, s.detail, s.finished_at) for s in steps] == [
        (None, None, None),
        ("failed", "HTTP 503", LATER),
    ]
    [other] = await list_steps(session=db_session, deployment_id=search)
    assert (other.key, other.outcome) == ("weight:10", None)
    assert await list_steps(session=db_session, deployment_id=search + 1000) == []


async def test_concurrent_claims_of_one_step_issue_it_once(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        checkout, _ = await new_deployments(session)
        await session.commit()

    async def claimer(session: AsyncSession, index: int) -> bool:
        now = T0 + timedelta(seconds=index)
        return await claim(
            session, checkout, "rollback", action="rollback", issued_by=f"r{index}", now=now
        )

    outcomes = await race(db_sessions, claimer)
    assert outcomes.count(True) == 1
    async with db_sessions() as session:
        [step] = await list_steps(session=session, deployment_id=checkout)
    assert step.issued_by == f"r{outcomes.index(True)}"

    async def finisher(session: AsyncSession, index: int) -> bool:
        return await finish(session, checkout, "rollback", outcome=("ok", "failed")[index % 2])

    assert (await race(db_sessions, finisher)).count(True) == 1


async def test_concurrent_claims_of_distinct_steps_all_win(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        checkout, _ = await new_deployments(session)
        await session.commit()

    async def claimer(session: AsyncSession, index: int) -> bool:
        weight = 10 * (index + 1)
        return await claim(
            session, checkout, f"weight:{weight}", action="set_weight", weight=weight
        )

    assert await race(db_sessions, claimer) == [True] * CONTENDERS
    async with db_sessions() as session:
        assert len(await list_steps(session=session, deployment_id=checkout)) == CONTENDERS


async def test_bad_steps_are_refused(db_session: AsyncSession) -> None:
    checkout, _ = await new_deployments(db_session)
    with pytest.raises(ValueError, match=r"action must be one of deploy, set_weight, .*'scale'"):
        await claim(db_session, checkout, action="scale")
    with pytest.raises(ValueError, match="from 0 to 100, got 150"):
        await claim(db_session, checkout, weight=150)
    assert await claim(db_session, checkout)
    with pytest.raises(ValueError, match="outcome must be one of ok, failed; got 'done'"):
        await finish(db_session, checkout, outcome="done")
    [step] = await list_steps(session=db_session, deployment_id=checkout)
    assert step.outcome is None


async def test_naive_times_are_refused(db_session: AsyncSession) -> None:
    checkout, _ = await new_deployments(db_session)
    naive = datetime(2026, 11, 24, 9, 0)  # noqa: DTZ001 - the point of the test
    calls: list[Awaitable[object]] = [
        create_deployments(session=db_session, release_id=1, services=SERVICES, now=naive),
        update(db_session, checkout, now=naive, step=1),
        update(db_session, checkout, started_at=naive),
        update(db_session, checkout, finished_at=naive),
        claim(db_session, checkout, now=naive),
        finish(db_session, checkout, now=naive),
    ]
    for call in calls:
        with pytest.raises(NaiveDatetimeError):
            await call


# The schema


async def test_deleting_the_release_deletes_its_deployments_and_steps(
    db_sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with db_sessions() as session:
        gone = await new_deployments(session)
        kept = await new_deployments(session, version="2026.11.2")
        for deployment_id in (gone[0], kept[0]):
            assert await claim(session, deployment_id)
        row = await get_deployment(session=session, deployment_id=gone[0])
        assert row is not None
        release_id = row.release_id
        await session.commit()
    async with db_sessions() as session:
        await session.exec(delete(ReleaseRow).where(col(ReleaseRow.id) == release_id))
        await session.commit()
    async with db_sessions() as session:
        assert await list_deployments(session=session, release_id=release_id) == []
        assert await list_steps(session=session, deployment_id=gone[0]) == []
        assert await count(session, DeploymentRow) == len(kept)
        assert await count(session, DeployStepRow) == 1


def _deployment(release_id: int, /, **overrides: object) -> dict[str, object]:
    row = {
        "release_id": release_id,
        "service": "search",
        "position": 1,
        "adapter": "sim",
        "strategy": "canary",
        "phase": "pending",
        "step": 0,
        "weight": 0,
        "updated_at": T0,
        "row_version": 1,
    }
    return {**row, **overrides}


def _step(deployment_id: int, /, **overrides: object) -> dict[str, object]:
    row = {
        "deployment_id": deployment_id,
        "key": "weight:10",
        "action": "set_weight",
        "weight": 10,
        "issued_by": "bot-1",
        "issued_at": T0,
        "outcome": "ok",
    }
    return {**row, **overrides}


@pytest.mark.parametrize(
    "overrides",
    [
        {"phase": "deploying"},
        {"strategy": "rolling"},
        {"weight": 101},
        {"weight": -1},
        {"service": "checkout"},  # already deployed in this release
        {"release_id": 1000},
    ],
)
async def test_the_schema_refuses_a_bad_deployment(
    db_session: AsyncSession, overrides: dict[str, object]
) -> None:
    release = await new_release(db_session)
    assert release.id is not None
    checkout = [SERVICES[0]]
    await create_deployments(session=db_session, release_id=release.id, services=checkout, now=T0)
    await db_session.commit()
    with pytest.raises(IntegrityError):
        await db_session.exec(insert(DeploymentRow).values(_deployment(release.id, **overrides)))


async def test_the_schema_takes_a_good_deployment_and_step(db_session: AsyncSession) -> None:
    release = await new_release(db_session)
    assert release.id is not None
    await db_session.exec(insert(DeploymentRow).values(_deployment(release.id, weight=100)))
    [deployment] = await list_deployments(session=db_session, release_id=release.id)
    assert deployment.id is not None
    await db_session.exec(insert(DeployStepRow).values(_step(deployment.id, weight=100)))
    await db_session.exec(insert(DeployStepRow).values(_step(deployment.id, key="k", outcome=None)))
    assert [
        s.outcome for s in await list_steps(session=db_session, deployment_id=deployment.id)
    ] == [
        "ok",
        None,
    ]


@pytest.mark.parametrize(
    "overrides",
    [
        {"action": "scale"},
        {"weight": 101},
        {"outcome": "done"},
        {"key": "start"},  # already claimed for this deployment
        {"deployment_id": 1000},
    ],
)
async def test_the_schema_refuses_a_bad_step(
    db_session: AsyncSession, overrides: dict[str, object]
) -> None:
    checkout, _ = await new_deployments(db_session)
    assert await claim(db_session, checkout, "start")
    await db_session.commit()
    with pytest.raises(IntegrityError):
        await db_session.exec(insert(DeployStepRow).values(_step(checkout, **overrides)))
