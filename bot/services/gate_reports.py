"""Reading a release's gate rows: the gate report people see, and the baseline a later release
is compared with. Plain functions of stored rows; the gate service does the I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.domain.gates import Baseline, Gate, GatePolicy, GateResult, Override, decide
from bot.domain.release import Action, ReleaseState
from bot.domain.reports import Benchmark
from bot.services.gate_models import GateLine, GateReport
from bot.services.models import ReleaseInfo
from storage import audit, gates, releases
from storage.gates import result_from_json
from storage.models import GateResultRow


def build_report(
    *,
    release: ReleaseInfo,
    rows: Sequence[GateResultRow],
    policy: GatePolicy,
    now: datetime,
    stale: frozenset[str] = frozenset(),
) -> GateReport:
    """Each gate of ``policy`` decided now, then the gates outside it that got results anyway.
    Results and overrides at a ``stale`` commit (an earlier build, before a rejection) no longer
    count."""
    by_gate = {Gate(row.gate): row for row in rows}
    results: dict[Gate, GateResult] = {}
    overrides: dict[Gate, Override] = {}

    def this_build(commit: str | None) -> bool:
        return commit is None or commit not in stale

    for gate, row in by_gate.items():
        if row.result is not None and this_build(row.commit_sha):
            results[gate] = result_from_json(row.result)
        if (
            row.override_actor is not None
            and row.overridden_at is not None
            and this_build(row.override_commit)
        ):
            overrides[gate] = Override(
                gate=gate,
                actor=row.override_actor,
                reason=row.override_reason or "",
                at=row.overridden_at,
            )
    decision = decide(
        policy=policy, results=results, overrides=overrides, since=release.created_at, now=now
    )
    lines = [
        GateLine(
            gate=status.gate,
            verdict=status.verdict,
            result=status.result,
            override=status.override,
            note=status.note,
            build_url=by_gate[status.gate].build_url if status.gate in by_gate else None,
            reported_at=by_gate[status.gate].reported_at if status.gate in by_gate else None,
        )
        for status in decision.statuses
    ]
    for gate in Gate:
        if gate not in policy.rules and gate in results:
            row = by_gate[gate]
            lines.append(
                GateLine(
                    gate=gate,
                    verdict=results[gate].verdict,
                    required=False,
                    result=results[gate],
                    build_url=row.build_url,
                    reported_at=row.reported_at,
                    note=f"not required by the {policy.name} policy",
                )
            )
    return GateReport(
        release=release,
        policy=policy.name,
        outcome=decision.outcome,
        lines=tuple(lines),
        deadline=decision.deadline,
    )


def baseline_from(*, version: str, rows: Sequence[GateResultRow]) -> Baseline:
    """What a released version measured: failing test ids per gate, coverage, benchmarks."""
    failing: dict[Gate, frozenset[str]] = {}
    line_pct: float | None = None
    benchmarks: dict[str, Benchmark] = {}
    for row in rows:
        if row.result is None:
            continue
        result = result_from_json(row.result)
        if result.gate.is_tests:
            failing[result.gate] = frozenset(f.name for f in result.failures)
        if result.line_pct is not None:
            line_pct = result.line_pct
        benchmarks.update({b.name: b for b in result.benchmarks})
    return Baseline(version=version, failing=failing, line_pct=line_pct, benchmarks=benchmarks)


async def evidence(
    *, session: AsyncSession, release: ReleaseInfo
) -> tuple[list[GateResultRow], frozenset[str]]:
    """The release's gate rows, and the commits of its earlier builds (the cut's, and each
    new build's after a rejection, but the current one), whose results count no more."""
    rows = await gates.list_results(session=session, release_id=release.id)
    trail = await audit.list_audit(session=session, subject_type="release", subject_id=release.id)
    builds = {
        str(event.details["commit"])
        for event in trail
        if event.action in ("create", Action.NEW_BUILD.value)
        and (event.details or {}).get("commit")
    }
    return rows, frozenset(builds - {release.commit_sha})


async def last_baseline(*, session: AsyncSession, release: ReleaseInfo) -> Baseline | None:
    """The gate results of the train's last released version, if there is one."""
    last = await releases.latest_release(
        session=session, train=release.train, states=[ReleaseState.RELEASED.value]
    )
    if last is None or last.id == release.id:
        return None
    assert last.id is not None
    rows = await gates.list_results(session=session, release_id=last.id)
    return baseline_from(version=last.version, rows=rows)
