"""GateService on SQLite and PostgreSQL: results move the release, overrides are audited, pending
gates time out, the last release is the baseline, and a repeated delivery changes nothing."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.domain.gates import Gate, Outcome, Verdict
from bot.domain.release import Action, ReleaseState
from bot.domain.reports import (
    Benchmark,
    CoverageReport,
    Finding,
    PerformanceReport,
    ReportFormat,
    SecurityReport,
    Severity,
    TestCase,
    TestReport,
)
from bot.domain.reports import (
    Outcome as CaseOutcome,
)
from bot.errors import Conflict, NotAllowed, NotFound, UsageError
from bot.services.gate_models import GateReport
from bot.services.models import ReleaseInfo
from integrations.source.base import Head
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import TO_RELEASED, Sessions, World, build, walk

ALICE, BOB = "U0ALICE", "U0BOB"


def junit(*failing: str, passing: tuple[str, ...] = ("test_ok",)) -> TestReport:
    cases = [TestCase(name=n, classname="suite") for n in passing]
    cases += [
        TestCase(name=n, classname="suite", outcome=CaseOutcome.FAILED, message="boom")
        for n in failing
    ]
    return TestReport(cases=tuple(cases))


E2E_OK = TestReport(
    cases=(TestCase(name="checkout with card"), TestCase(name="login with password"))
)
COVERAGE_OK = CoverageReport(tool=ReportFormat.COBERTURA, line_pct=93.0)
SECURITY_OK = SecurityReport(findings=())
PERF_OK = PerformanceReport(benchmarks=(Benchmark(name="p99", value=10.0, unit="ms"),))

PASSING = {
    Gate.UNIT: junit(),
    Gate.INTEGRATION: junit(),
    Gate.E2E: E2E_OK,
    Gate.COVERAGE: COVERAGE_OK,
    Gate.PERFORMANCE: PERF_OK,
    Gate.SECURITY: SECURITY_OK,
}


async def submit(world: World, release: ReleaseInfo, gate: Gate, report: object, **kw: object):  # type: ignore[no-untyped-def]
    return await world.gates.submit(
        release=release,
        gate=gate,
        report=report,
        formats=["test"],
        **kw,  # type: ignore[arg-type]
    )


async def all_but(world: World, release: ReleaseInfo, *skip: Gate) -> None:
    for gate, report in PASSING.items():
        if gate not in skip:
            await submit(world, release, gate, report)


async def current(world: World, release: ReleaseInfo) -> ReleaseInfo:
    return await world.releases.resolve(release.label)


async def audit_actions(world: World, release: ReleaseInfo) -> list[str]:
    return [entry.action for entry in await world.releases.history(release)]


# results move the release -----------------------------------------------------------------


async def test_all_gates_passing_reach_awaiting_signoff(
    world: World, notifier: RecordingNotifier
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await all_but(world, release, Gate.SECURITY)
    assert (await current(world, release)).state is ReleaseState.GATING

    last = await submit(world, release, Gate.SECURITY, SECURITY_OK, build_url="https://ci/1")

    assert (last.verdict, last.outcome, last.state) == (
        Verdict.PASS, Outcome.PASSED, ReleaseState.AWAITING_SIGNOFF,
    )  # fmt: skip
    actions = await audit_actions(world, release)
    assert actions.count("gate_result") == 6
    assert actions[-1] == "gates_passed"
    report = notifier.reports[-1]
    assert report.outcome is Outcome.PASSED
    assert [line.verdict for line in report.lines] == [Verdict.PASS] * 6
    assert report.build_url == "https://ci/1"
    assert report.release.state is ReleaseState.AWAITING_SIGNOFF


async def test_a_failing_gate_blocks_and_a_fixed_rerun_moves_on(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    failed = await submit(world, release, Gate.UNIT, junit("test_pay", "test_refund"))
    assert (failed.verdict, failed.state) == (Verdict.FAIL, ReleaseState.BLOCKED)
    report = await world.gates.report(await current(world, release))
    unit = report.line(Gate.UNIT)
    assert unit is not None
    assert [f.name for f in unit.failures] == ["suite.test_pay", "suite.test_refund"]
    assert unit.result is not None
    assert "2 tests failed: suite.test_pay, suite.test_refund" in unit.result.reasons

    fixed = await submit(world, release, Gate.UNIT, junit())
    assert fixed.state is ReleaseState.GATING
    await all_but(world, release, Gate.UNIT)
    moved = await current(world, release)
    assert moved.state is ReleaseState.AWAITING_SIGNOFF
    trail = [(e.action, e.from_state, e.to_state) for e in await world.releases.history(moved)]
    assert ("gate_failed", "gating", "blocked") in trail
    assert ("new_results", "blocked", "gating") in trail


async def test_a_result_while_blocked_by_another_gate_stays_blocked(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await submit(world, release, Gate.UNIT, junit("test_x"))
    still = await submit(world, release, Gate.COVERAGE, COVERAGE_OK)
    assert still.state is ReleaseState.BLOCKED
    assert "new_results" not in await audit_actions(world, release)


async def test_results_for_a_release_past_gating_are_refused(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await all_but(world, release)
    moved = await current(world, release)
    with pytest.raises(Conflict, match="awaiting sign-off: its gates take results"):
        await submit(world, moved, Gate.UNIT, junit())


async def test_a_repeated_delivery_changes_nothing(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    first = await submit(world, release, Gate.UNIT, junit("test_x"), delivery="d-1")
    again = await submit(world, release, Gate.UNIT, junit(), delivery="d-1")
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.verdict is Verdict.FAIL  # the first delivery's verdict, not the replay's
    assert again.state is ReleaseState.BLOCKED
    assert (await audit_actions(world, release)).count("gate_result") == 1


async def test_concurrent_last_results_move_the_release_exactly_once(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await all_but(world, release, Gate.UNIT, Gate.SECURITY)
    await asyncio.gather(
        submit(world, release, Gate.UNIT, junit()),
        submit(world, release, Gate.SECURITY, SECURITY_OK),
    )
    actions = await audit_actions(world, release)
    assert actions.count("gates_passed") == 1
    assert (await current(world, release)).state is ReleaseState.AWAITING_SIGNOFF


# overrides --------------------------------------------------------------------------------


async def test_override_of_a_failed_gate_is_audited_and_lets_the_release_move_on(
    world: World, notifier: RecordingNotifier
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await all_but(world, release, Gate.PERFORMANCE)
    await submit(world, release, Gate.PERFORMANCE, PerformanceReport(benchmarks=()))
    assert (await current(world, release)).state is ReleaseState.BLOCKED

    report = await world.gates.override(
        release=release, gate=Gate.PERFORMANCE, actor=BOB, reason="bench box was down"
    )

    assert report.release.state is ReleaseState.AWAITING_SIGNOFF
    perf = report.line(Gate.PERFORMANCE)
    assert perf is not None
    assert perf.verdict is Verdict.OVERRIDDEN
    assert perf.override is not None
    assert (perf.override.actor, perf.override.reason) == (BOB, "bench box was down")
    trail = await world.releases.history(report.release)
    override = next(e for e in trail if e.action == "gate_override")
    assert (override.actor, override.reason) == (BOB, "bench box was down")
    assert override.gate == "performance"
    moved = next(e for e in trail if e.action == "override")
    assert (moved.from_state, moved.to_state) == ("blocked", "gating")
    assert notifier.reports[-1].line(Gate.PERFORMANCE).verdict is Verdict.OVERRIDDEN  # type: ignore[union-attr]


async def test_overrides_of_two_gates_at_once_are_both_recorded(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await all_but(world, release, Gate.E2E, Gate.PERFORMANCE)
    await asyncio.gather(
        world.gates.override(release=release, gate=Gate.E2E, actor=ALICE, reason="flaky env"),
        world.gates.override(release=release, gate=Gate.PERFORMANCE, actor=BOB, reason="no box"),
    )
    moved = await current(world, release)
    assert moved.state is ReleaseState.AWAITING_SIGNOFF
    trail = await world.releases.history(moved)
    overrides = {(e.actor, e.gate) for e in trail if e.action == "gate_override"}
    assert overrides == {(ALICE, "e2e"), (BOB, "performance")}
    assert [e.action for e in trail].count("gates_passed") == 1


@pytest.mark.parametrize(
    ("gate", "reason", "error", "match"),
    [
        (Gate.UNIT, "looks fine", NotAllowed, "unit gate of web/2026.11.1 passes"),
        (Gate.E2E, "  ", UsageError, "needs a reason"),
    ],
)
async def test_overrides_that_make_no_sense_are_refused(
    world: World, gate: Gate, reason: str, error: type[Exception], match: str
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await submit(world, release, Gate.UNIT, junit())
    with pytest.raises(error, match=match):
        await world.gates.override(release=release, gate=gate, actor=BOB, reason=reason)


async def test_a_gate_is_overridden_once(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await world.gates.override(release=release, gate=Gate.E2E, actor=ALICE, reason="env down")
    with pytest.raises(NotAllowed, match="<@U0ALICE> already overrode the e2e gate"):
        await world.gates.override(release=release, gate=Gate.E2E, actor=BOB, reason="me too")


async def test_an_override_outlives_a_rerun_of_its_commit_but_not_a_new_commit(
    world: World,
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await submit(world, release, Gate.UNIT, junit("test_x"))
    await world.gates.override(release=release, gate=Gate.UNIT, actor=BOB, reason="known")
    await submit(world, release, Gate.UNIT, junit("test_x"))
    report = await world.gates.report(await current(world, release))
    assert report.line(Gate.UNIT).verdict is Verdict.OVERRIDDEN  # type: ignore[union-attr]

    await submit(world, release, Gate.UNIT, junit("test_x"), commit="f" * 40)
    report = await world.gates.report(await current(world, release))
    assert report.line(Gate.UNIT).verdict is Verdict.FAIL  # type: ignore[union-attr]


async def test_overrides_are_refused_once_gates_are_closed(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await world.releases.cancel(release=release, actor=ALICE, reason="scrapped")
    with pytest.raises(NotAllowed, match="cancelled: its gates take results"):
        await world.gates.override(release=release, gate=Gate.E2E, actor=BOB, reason="x")


# timeouts ---------------------------------------------------------------------------------


async def test_gates_with_no_report_fail_after_the_timeout(
    world: World, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    await all_but(world, release, Gate.PERFORMANCE)
    clock.advance(timedelta(hours=1, minutes=59))
    assert await world.gates.sweep() == 0
    clock.advance(timedelta(minutes=1))

    assert await world.gates.sweep() == 1

    moved = await current(world, release)
    assert moved.state is ReleaseState.BLOCKED
    perf = notifier.reports[-1].line(Gate.PERFORMANCE)
    assert perf is not None
    assert (perf.verdict, perf.note) == (Verdict.FAIL, "no report within 2h")
    assert (await world.releases.history(moved))[-1].actor == "scheduler"
    assert await world.gates.sweep() == 0  # blocked releases are not swept again


# baselines --------------------------------------------------------------------------------


async def test_the_last_released_version_is_the_baseline(
    world: World, notifier: RecordingNotifier
) -> None:
    first = await world.releases.cut(train="web", actor=ALICE)
    await all_but(world, first, Gate.UNIT, Gate.COVERAGE)
    await submit(world, first, Gate.UNIT, junit("test_known"))
    await submit(world, first, Gate.COVERAGE, CoverageReport(tool=ReportFormat.LCOV, line_pct=95.0))
    await world.gates.override(release=first, gate=Gate.UNIT, actor=BOB, reason="known flake")
    await walk(world.releases, await current(world, first), TO_RELEASED[1:], actor=ALICE)

    second = await world.releases.cut(train="web", actor=ALICE)
    await submit(world, second, Gate.UNIT, junit("test_known", "test_new"))
    await submit(
        world, second, Gate.COVERAGE, CoverageReport(tool=ReportFormat.LCOV, line_pct=94.0)
    )
    slower = PerformanceReport(benchmarks=(Benchmark(name="p99", value=12.0, unit="ms"),))
    await submit(world, second, Gate.PERFORMANCE, slower)

    report = notifier.reports[-1]
    unit = report.line(Gate.UNIT)
    assert unit is not None
    assert [(f.name, f.new) for f in unit.failures] == [
        ("suite.test_new", True), ("suite.test_known", False),
    ]  # fmt: skip
    coverage = report.line(Gate.COVERAGE)
    assert coverage is not None
    assert coverage.result is not None
    assert coverage.result.reasons == (
        "line coverage dropped 1.00 points from 95.0% in 2026.11.1 (at most 0.5 allowed)",
    )
    perf = report.line(Gate.PERFORMANCE)
    assert perf is not None
    assert perf.result is not None
    assert perf.result.reasons == (
        "1 benchmark regressed more than 5% against 2026.11.1: p99 +20.0% (10 ms → 12 ms)",
    )


# finding releases ---------------------------------------------------------------------------


async def test_ci_names_a_release_by_version_label_or_commit(world: World) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    assert release.commit_sha is not None
    for ref in ("2026.11.1", "web/2026.11.1", release.commit_sha, release.commit_sha[:7].upper()):
        assert (await world.gates.find(ref)).id == release.id
    with pytest.raises(NotFound, match="no release in gating or blocked was cut at commit"):
        await world.gates.find("deadbeef")
    with pytest.raises(NotFound, match=r"no release `2026\.11\.9`"):
        await world.gates.find("2026.11.9")
    with pytest.raises(UsageError, match="name the release"):
        await world.gates.find("  ")


# policies ---------------------------------------------------------------------------------


async def test_a_hotfix_is_judged_by_the_hotfix_policy(world: World) -> None:
    base = await world.releases.cut(train="web", actor=ALICE)
    await walk(world.releases, base, TO_RELEASED, actor=ALICE)
    hotfix = await world.releases.hotfix(train="web", actor=ALICE, reason="payments down")
    assert world.gates.policy(hotfix).name == "hotfix"

    extra = await submit(world, hotfix, Gate.PERFORMANCE, PerformanceReport(benchmarks=()))
    assert (extra.required, extra.verdict, extra.state) == (
        False,
        Verdict.FAIL,
        ReleaseState.GATING,
    )
    for gate in (Gate.UNIT, Gate.E2E, Gate.SECURITY):
        await submit(world, hotfix, gate, PASSING[gate])

    report = await world.gates.report(await current(world, hotfix))
    assert report.release.state is ReleaseState.AWAITING_SIGNOFF
    assert [(line.gate, line.required) for line in report.lines] == [
        (Gate.UNIT, True), (Gate.E2E, True), (Gate.SECURITY, True), (Gate.PERFORMANCE, False),
    ]  # fmt: skip
    assert report.lines[-1].note == "not required by the hotfix policy"
    with pytest.raises(NotAllowed, match=r"hotfix policy of .* does not require the coverage gate"):
        await world.gates.override(release=hotfix, gate=Gate.COVERAGE, actor=BOB, reason="x")


async def test_a_configured_policy_replaces_the_default(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier, repo: Path
) -> None:
    config = parse_config(
        text=(
            f'trains:\n  web:\n    channel: "#releases"\n    repo: {{path: "{repo}"}}\n'
            "gate_policies:\n  default:\n    unit: {}\n    security: {fail_on: medium}\n"
        )
    )
    world = build(sessions=db_sessions, config=config, clock=clock, notifier=notifier)
    release = await world.releases.cut(train="web", actor=ALICE)
    medium = SecurityReport(
        findings=(Finding(rule_id="B608", severity=Severity.MEDIUM, file="db.py", line=3),)
    )
    await submit(world, release, Gate.UNIT, junit())
    judged = await submit(world, release, Gate.SECURITY, medium)
    assert (judged.verdict, judged.state) == (Verdict.FAIL, ReleaseState.BLOCKED)


# commit statuses --------------------------------------------------------------------------


@dataclass
class RecordingStatuses:
    published: list[tuple[str, str, GateReport]] = field(default_factory=list)

    async def publish(self, *, repo: str, sha: str, report: GateReport) -> None:
        self.published.append((repo, sha, report))


class FixedHead:
    async def head(self, *, branch: str) -> Head:
        return Head(sha="a" * 40, ref=branch)


async def test_verdicts_go_to_the_commit_when_the_train_is_on_github(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier
) -> None:
    config = parse_config(
        text='trains:\n  web:\n    channel: "#releases"\n    repo: {github: acme/shop}\n'
    )
    statuses = RecordingStatuses()
    world = build(
        sessions=db_sessions, config=config, clock=clock, notifier=notifier,
        source_of=lambda _: FixedHead(), statuses=statuses,
    )  # fmt: skip
    release = await world.releases.cut(train="web", actor=ALICE)
    await submit(world, release, Gate.UNIT, junit())
    [(repo, sha, report)] = statuses.published
    assert (repo, sha) == ("acme/shop", "a" * 40)
    assert report.line(Gate.UNIT).verdict is Verdict.PASS  # type: ignore[union-attr]


async def test_a_slack_failure_after_the_result_is_saved_is_not_an_error(
    world: World, notifier: RecordingNotifier
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    notifier.fail_with = RuntimeError("slack is down")
    judged = await submit(world, release, Gate.UNIT, junit("test_x"))
    notifier.fail_with = None
    assert judged.state is ReleaseState.BLOCKED
    assert (await audit_actions(world, release)).count("gate_result") == 1


async def test_sweep_survives_a_release_that_cannot_be_decided(
    world: World, clock: FakeClock
) -> None:
    release = await world.releases.cut(train="web", actor=ALICE)
    clock.advance(timedelta(hours=3))
    await world.releases.transition(release=release, action=Action.GATE_FAILED, actor=ALICE)
    assert await world.gates.sweep() == 0
