"""Gate results: one row per (release, gate), written by atomic upserts.

:func:`record_result` stores a judged result; a result built from another commit than the one
a gate was overridden at ends that override (new evidence needs a new look), while a re-run of
the same commit keeps it. :func:`record_override` marks a gate overridden, with or without a
result. Different gates are different rows, so overrides of two gates sent back to back never
interfere. The judged :class:`~bot.domain.gates.GateResult` is kept as JSON
(:func:`result_to_json`, :func:`result_from_json`).

Repositories never commit: the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import case
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.gates import FailedTest, Gate, GateResult, Verdict
from bot.domain.reports import Benchmark
from storage.base import FRESH
from storage.models import GateResultRow
from storage.types import to_utc
from storage.upsert import upsert_into

__all__ = [
    "list_results", "record_override", "record_result", "result_from_json", "result_to_json",
]  # fmt: skip


def result_to_json(result: GateResult) -> dict[str, Any]:
    return {
        "gate": result.gate.value,
        "verdict": result.verdict.value,
        "summary": result.summary,
        "reasons": list(result.reasons),
        "failures": [
            {
                "name": f.name,
                "message": f.message,
                "critical": f.critical,
                "allowed": f.allowed,
                "new": f.new,
            }
            for f in result.failures
        ],
        "flaky": list(result.flaky),
        "line_pct": result.line_pct,
        "benchmarks": [
            {"name": b.name, "value": b.value, "unit": b.unit, "lower_is_better": b.lower_is_better}
            for b in result.benchmarks
        ],
    }


def result_from_json(data: dict[str, Any]) -> GateResult:
    return GateResult(
        gate=Gate(data["gate"]),
        verdict=Verdict(data["verdict"]),
        summary=data.get("summary", ""),
        reasons=tuple(data.get("reasons", ())),
        failures=tuple(FailedTest(**f) for f in data.get("failures", ())),
        flaky=tuple(data.get("flaky", ())),
        line_pct=data.get("line_pct"),
        benchmarks=tuple(Benchmark(**b) for b in data.get("benchmarks", ())),
    )


async def record_result(
    *,
    session: AsyncSession,
    release_id: int,
    result: GateResult,
    commit_sha: str | None,
    build_url: str | None,
    now: datetime,
) -> GateResultRow:
    """Store ``result`` as the gate's latest; an override made at another commit ends."""
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=GateResultRow).values(
        release_id=release_id,
        gate=result.gate.value,
        result=result_to_json(result),
        commit_sha=commit_sha,
        build_url=build_url,
        reported_at=now,
        row_version=1,
        updated_at=now,
    )
    table = GateResultRow.__table__.c  # type: ignore[attr-defined]
    stale = table.override_commit.is_distinct_from(insert.excluded.commit_sha)
    keep = {
        name: case((stale, None), else_=getattr(table, name))
        for name in ("override_actor", "override_reason", "override_commit", "overridden_at")
    }
    statement = insert.on_conflict_do_update(
        index_elements=[col(GateResultRow.release_id), col(GateResultRow.gate)],
        set_={
            "result": insert.excluded.result,
            "commit_sha": insert.excluded.commit_sha,
            "build_url": insert.excluded.build_url,
            "reported_at": insert.excluded.reported_at,
            "updated_at": insert.excluded.updated_at,
            "row_version": table.row_version + 1,
            **keep,
        },
    ).returning(GateResultRow)
    row: GateResultRow = (await session.exec(statement, execution_options=FRESH)).scalars().one()
    return row


async def record_override(
    *,
    session: AsyncSession,
    release_id: int,
    gate: Gate,
    actor: str,
    reason: str,
    commit_sha: str | None,
    now: datetime,
) -> GateResultRow:
    """Mark ``gate`` of the release overridden by ``actor`` at ``commit_sha``."""
    now = to_utc(now, name="now")
    insert = upsert_into(session=session, entity=GateResultRow).values(
        release_id=release_id,
        gate=gate.value,
        override_actor=actor,
        override_reason=reason,
        override_commit=commit_sha,
        overridden_at=now,
        row_version=1,
        updated_at=now,
    )
    table = GateResultRow.__table__.c  # type: ignore[attr-defined]
    statement = insert.on_conflict_do_update(
        index_elements=[col(GateResultRow.release_id), col(GateResultRow.gate)],
        set_={
            "override_actor": insert.excluded.override_actor,
            "override_reason": insert.excluded.override_reason,
            "override_commit": insert.excluded.override_commit,
            "overridden_at": insert.excluded.overridden_at,
            "updated_at": insert.excluded.updated_at,
            "row_version": table.row_version + 1,
        },
    ).returning(GateResultRow)
    row: GateResultRow = (await session.exec(statement, execution_options=FRESH)).scalars().one()
    return row


async def list_results(*, session: AsyncSession, release_id: int) -> list[GateResultRow]:
    """The release's gate rows, in the order they were first written."""
    statement = (
        select(GateResultRow)
        .where(col(GateResultRow.release_id) == release_id)
        .order_by(col(GateResultRow.id))
    )
    return list((await session.exec(statement, execution_options=FRESH)).all())
