"""Report types, gate policies and the overall decision (``decide``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType

import pytest

from bot.domain.gates import (
    BUILTIN_POLICIES,
    DEFAULT_POLICY,
    HOTFIX_POLICY,
    Allowance,
    CoverageRule,
    Decision,
    Gate,
    GatePolicy,
    GateResult,
    GateStatus,
    Outcome,
    Override,
    PerformanceRule,
    Require,
    Rule,
    SecurityRule,
    TestsRule,
    Verdict,
    decide,
)
from bot.domain.reports import (
    Benchmark,
    FileCoverage,
    Finding,
    PerformanceReport,
    ReportFormat,
    SecurityReport,
    Severity,
    TestCase,
    TestReport,
    percent,
)
from bot.domain.reports import Outcome as CaseOutcome

SINCE = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


# reports ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("score", "severity"),
    [
        (0.0, Severity.NONE),
        (0.1, Severity.LOW),
        (3.9, Severity.LOW),
        (4.0, Severity.MEDIUM),
        (6.9, Severity.MEDIUM),
        (7.0, Severity.HIGH),
        (8.9, Severity.HIGH),
        (9.0, Severity.CRITICAL),
        (10.0, Severity.CRITICAL),
    ],
)
def test_severity_from_cvss_bands(score: float, severity: Severity) -> None:
    assert Severity.from_cvss(score) is severity


@pytest.mark.parametrize(
    ("name", "severity"),
    [
        ("high", Severity.HIGH),
        ("HIGH", Severity.HIGH),
        ("Critical", Severity.CRITICAL),
        (" medium ", Severity.MEDIUM),
        ("low", Severity.LOW),
        ("none", Severity.NONE),
    ],
)
def test_severity_named_ignores_case_and_spaces(name: str, severity: Severity) -> None:
    assert Severity.named(name) is severity


@pytest.mark.parametrize("name", ["extreme", "", "hi", "3"])
def test_severity_named_refuses_other_names_and_lists_the_known_ones(name: str) -> None:
    with pytest.raises(ValueError, match=r"^unknown severity") as caught:
        Severity.named(name)
    assert str(caught.value) == (
        f"unknown severity {name!r} (one of none, low, medium, high, critical)"
    )


def test_severities_are_ordered_and_labelled() -> None:
    assert Severity.NONE < Severity.LOW < Severity.MEDIUM < Severity.HIGH < Severity.CRITICAL
    assert [s.label for s in Severity] == ["none", "low", "medium", "high", "critical"]


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        (TestCase(name="test_pay", classname="shop.Checkout"), "shop.Checkout.test_pay"),
        (TestCase(name="test_pay"), "test_pay"),
    ],
)
def test_a_test_case_id_is_classname_dot_name_or_the_name(case: TestCase, expected: str) -> None:
    assert case.id == expected


@pytest.mark.parametrize(
    ("outcome", "failed"),
    [
        (CaseOutcome.PASSED, False),
        (CaseOutcome.FAILED, True),
        (CaseOutcome.ERROR, True),
        (CaseOutcome.SKIPPED, False),
    ],
)
def test_failed_and_error_outcomes_are_failures(outcome: CaseOutcome, failed: bool) -> None:
    assert TestCase(name="t", outcome=outcome).failed is failed


def test_a_test_report_counts_outcomes_and_lists_failures_and_flaky() -> None:
    ok = TestCase(name="ok")
    flaky = TestCase(name="retried", flaky=True)
    broken = TestCase(name="broken", outcome=CaseOutcome.FAILED)
    crashed = TestCase(name="crashed", outcome=CaseOutcome.ERROR, flaky=True)
    skipped = TestCase(name="later", outcome=CaseOutcome.SKIPPED)
    report = TestReport(cases=(ok, flaky, broken, crashed, skipped), sources=("unit.xml",))
    assert report.count(CaseOutcome.PASSED) == 2
    assert report.count(CaseOutcome.FAILED) == 1
    assert report.count(CaseOutcome.ERROR) == 1
    assert report.count(CaseOutcome.SKIPPED) == 1
    assert report.failures == (broken, crashed)
    # a test that failed in the end is a failure, not flaky
    assert report.flaky == (flaky,)


def test_test_reports_merge_in_order() -> None:
    a = TestReport(cases=(TestCase(name="a"),), sources=("a.xml",))
    b = TestReport(cases=(TestCase(name="b"), TestCase(name="c")), sources=("b.xml",))
    merged = a.merged(b)
    assert [case.name for case in merged.cases] == ["a", "b", "c"]
    assert merged.sources == ("a.xml", "b.xml")


@pytest.mark.parametrize(
    ("covered", "total", "expected"),
    [(9, 10, 90.0), (0, 10, 0.0), (10, 10, 100.0), (0, 0, None), (3, -1, None)],
)
def test_percent(covered: int, total: int, expected: float | None) -> None:
    assert percent(covered, total) == expected


def test_file_line_percentage() -> None:
    assert FileCoverage(path="a.py", lines_total=8, lines_covered=6).line_pct == 75.0
    assert FileCoverage(path="empty.py", lines_total=0, lines_covered=0).line_pct is None


@pytest.mark.parametrize(
    ("finding", "where"),
    [
        (Finding(rule_id="B101", severity=Severity.LOW, file="app.py", line=12), "app.py:12"),
        (Finding(rule_id="B101", severity=Severity.LOW, file="app.py"), "app.py"),
        (Finding(rule_id="B101", severity=Severity.LOW), "(no location)"),
        (Finding(rule_id="B101", severity=Severity.LOW, line=3), "(no location)"),
    ],
)
def test_finding_where(finding: Finding, where: str) -> None:
    assert finding.where == where


def test_security_reports_merge_without_repeating_tools() -> None:
    a = SecurityReport(
        findings=(Finding(rule_id="B1", severity=Severity.LOW),),
        tools=("bandit",),
        sources=("a.sarif",),
    )
    b = SecurityReport(
        findings=(Finding(rule_id="S2", severity=Severity.HIGH),),
        tools=("semgrep", "bandit"),
        sources=("b.sarif",),
    )
    merged = a.merged(b)
    assert [f.rule_id for f in merged.findings] == ["B1", "S2"]
    assert merged.tools == ("bandit", "semgrep")
    assert merged.sources == ("a.sarif", "b.sarif")


def test_performance_reports_merge_in_order() -> None:
    a = PerformanceReport(benchmarks=(Benchmark(name="a", value=1, unit="s"),), sources=("a",))
    b = PerformanceReport(benchmarks=(Benchmark(name="b", value=2, unit="s"),), sources=("b",))
    merged = a.merged(b)
    assert [bench.name for bench in merged.benchmarks] == ["a", "b"]
    assert merged.sources == ("a", "b")
    assert PerformanceReport(benchmarks=()).sources == ()


# gates and policies -----------------------------------------------------------------------


def test_each_gate_takes_its_report_formats() -> None:
    junit = frozenset({ReportFormat.JUNIT})
    assert {gate: gate.formats for gate in Gate} == {
        Gate.UNIT: junit,
        Gate.INTEGRATION: junit,
        Gate.E2E: junit,
        Gate.COVERAGE: frozenset(
            {
                ReportFormat.COBERTURA,
                ReportFormat.COVERAGE_PY,
                ReportFormat.LCOV,
                ReportFormat.JACOCO,
            }
        ),
        Gate.PERFORMANCE: frozenset({ReportFormat.PYTEST_BENCHMARK, ReportFormat.BENCHMARK_JSON}),
        Gate.SECURITY: frozenset({ReportFormat.SARIF}),
    }
    assert [gate for gate in Gate if gate.is_tests] == [Gate.UNIT, Gate.INTEGRATION, Gate.E2E]


@pytest.mark.parametrize(
    ("verdict", "settled"),
    [
        (Verdict.PASS, True),
        (Verdict.OVERRIDDEN, True),
        (Verdict.FAIL, False),
        (Verdict.PENDING, False),
    ],
)
def test_pass_and_overridden_are_settled(verdict: Verdict, settled: bool) -> None:
    assert verdict.settled is settled


def test_the_default_policy() -> None:
    assert DEFAULT_POLICY.name == "default"
    assert DEFAULT_POLICY.gates == tuple(Gate)
    assert dict(DEFAULT_POLICY.rules) == {
        Gate.UNIT: TestsRule(require=Require.ALL_PASS, critical=(), min_tests=1),
        Gate.INTEGRATION: TestsRule(require=Require.ALL_PASS, critical=(), min_tests=1),
        Gate.E2E: TestsRule(require=Require.ALL_PASS, critical=("checkout*", "login*")),
        Gate.COVERAGE: CoverageRule(min_line=90.0, min_branch=None, max_drop=0.5),
        Gate.PERFORMANCE: PerformanceRule(max_regression_pct=5.0),
        Gate.SECURITY: SecurityRule(fail_on=Severity.HIGH, allow=()),
    }
    assert DEFAULT_POLICY.timeout == timedelta(hours=2)


def test_the_hotfix_policy() -> None:
    assert HOTFIX_POLICY.name == "hotfix"
    assert HOTFIX_POLICY.gates == (Gate.UNIT, Gate.E2E, Gate.SECURITY)
    assert dict(HOTFIX_POLICY.rules) == {
        Gate.UNIT: TestsRule(),
        Gate.E2E: TestsRule(require=Require.CRITICAL, critical=("checkout*", "login*")),
        Gate.SECURITY: SecurityRule(fail_on=Severity.HIGH),
    }
    assert HOTFIX_POLICY.timeout == timedelta(hours=1)


def test_the_built_in_policies_by_name() -> None:
    assert dict(BUILTIN_POLICIES) == {"default": DEFAULT_POLICY, "hotfix": HOTFIX_POLICY}


def test_rule_defaults() -> None:
    assert TestsRule() == TestsRule(require=Require.ALL_PASS, critical=(), min_tests=1)
    assert CoverageRule() == CoverageRule(min_line=90.0, min_branch=None, max_drop=None)
    assert PerformanceRule().max_regression_pct == 5.0
    assert SecurityRule() == SecurityRule(fail_on=Severity.HIGH, allow=())


def test_policy_gates_come_in_the_canonical_order() -> None:
    rules: dict[Gate, Rule] = {
        Gate.SECURITY: SecurityRule(),
        Gate.UNIT: TestsRule(),
        Gate.COVERAGE: CoverageRule(),
    }
    policy = GatePolicy(name="p", rules=MappingProxyType(rules))
    assert policy.gates == (Gate.UNIT, Gate.COVERAGE, Gate.SECURITY)
    assert policy.timeout == timedelta(hours=2)


@pytest.mark.parametrize(
    ("until", "today", "active"),
    [
        (None, date(2030, 1, 1), True),
        (date(2026, 3, 31), date(2026, 3, 30), True),
        (date(2026, 3, 31), date(2026, 3, 31), True),
        (date(2026, 3, 31), date(2026, 4, 1), False),
    ],
)
def test_an_allowance_is_active_until_its_date_inclusive(
    until: date | None, today: date, active: bool
) -> None:
    assert Allowance(rule="B101", reason="test code", until=until).active(today) is active


# decide -----------------------------------------------------------------------------------


def policy_of(*gates: Gate, timeout: timedelta = timedelta(hours=2)) -> GatePolicy:
    rules: dict[Gate, Rule] = {gate: DEFAULT_POLICY.rules[gate] for gate in gates}
    return GatePolicy(name="test", rules=MappingProxyType(rules), timeout=timeout)


def result(gate: Gate, verdict: Verdict) -> GateResult:
    return GateResult(gate=gate, verdict=verdict, summary=f"{gate} {verdict}")


def override(gate: Gate) -> Override:
    return Override(
        gate=gate, actor="U024BE7LH", reason="known flake", at=SINCE + timedelta(minutes=5)
    )


def test_all_gates_passing_pass_the_release() -> None:
    results = {gate: result(gate, Verdict.PASS) for gate in Gate}
    decision = decide(
        policy=DEFAULT_POLICY,
        results=results,
        overrides={},
        since=SINCE,
        now=SINCE + timedelta(minutes=1),
    )
    assert decision.outcome is Outcome.PASSED
    assert decision.deadline is None
    assert decision.failing == ()
    assert decision.statuses == tuple(
        GateStatus(gate=gate, verdict=Verdict.PASS, result=results[gate]) for gate in Gate
    )


def test_an_override_beats_a_failing_result() -> None:
    failed = result(Gate.UNIT, Verdict.FAIL)
    why = override(Gate.UNIT)
    decision = decide(
        policy=policy_of(Gate.UNIT),
        results={Gate.UNIT: failed},
        overrides={Gate.UNIT: why},
        since=SINCE,
        now=SINCE,
    )
    assert decision == Decision(
        outcome=Outcome.PASSED,
        statuses=(
            GateStatus(gate=Gate.UNIT, verdict=Verdict.OVERRIDDEN, result=failed, override=why),
        ),
        deadline=None,
    )


def test_an_override_beats_a_missing_result_after_the_timeout() -> None:
    why = override(Gate.SECURITY)
    decision = decide(
        policy=policy_of(Gate.SECURITY),
        results={},
        overrides={Gate.SECURITY: why},
        since=SINCE,
        now=SINCE + timedelta(days=1),
    )
    assert decision.outcome is Outcome.PASSED
    assert decision.statuses == (
        GateStatus(gate=Gate.SECURITY, verdict=Verdict.OVERRIDDEN, result=None, override=why),
    )


def test_a_missing_result_is_pending_until_the_timeout() -> None:
    decision = decide(
        policy=policy_of(Gate.UNIT, Gate.COVERAGE),
        results={Gate.UNIT: result(Gate.UNIT, Verdict.PASS)},
        overrides={},
        since=SINCE,
        now=SINCE + timedelta(hours=1, minutes=59, seconds=59),
    )
    assert decision.outcome is Outcome.PENDING
    assert decision.deadline == datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    assert decision.statuses[1] == GateStatus(
        gate=Gate.COVERAGE, verdict=Verdict.PENDING, note="waiting"
    )
    assert decision.failing == ()


@pytest.mark.parametrize("after", [timedelta(hours=2), timedelta(hours=2, seconds=1)])
def test_a_missing_result_fails_at_the_timeout(after: timedelta) -> None:
    decision = decide(
        policy=policy_of(Gate.UNIT, Gate.COVERAGE),
        results={Gate.UNIT: result(Gate.UNIT, Verdict.PASS)},
        overrides={},
        since=SINCE,
        now=SINCE + after,
    )
    assert decision.outcome is Outcome.FAILED
    assert decision.deadline is None
    assert decision.statuses[1] == GateStatus(
        gate=Gate.COVERAGE, verdict=Verdict.FAIL, note="no report within 2h"
    )
    assert decision.failing == (Gate.COVERAGE,)


def test_the_timeout_note_uses_the_policys_timeout() -> None:
    decision = decide(
        policy=policy_of(Gate.E2E, timeout=timedelta(hours=1, minutes=30)),
        results={},
        overrides={},
        since=SINCE,
        now=SINCE + timedelta(hours=3),
    )
    assert decision.statuses == (
        GateStatus(gate=Gate.E2E, verdict=Verdict.FAIL, note="no report within 1h30m"),
    )


def test_hotfix_gates_time_out_after_an_hour() -> None:
    pending = decide(policy=HOTFIX_POLICY, results={}, overrides={}, since=SINCE, now=SINCE)
    assert pending.outcome is Outcome.PENDING
    assert pending.deadline == SINCE + timedelta(hours=1)
    failed = decide(
        policy=HOTFIX_POLICY, results={}, overrides={}, since=SINCE, now=pending.deadline
    )
    assert failed.failing == (Gate.UNIT, Gate.E2E, Gate.SECURITY)
    assert {status.note for status in failed.statuses} == {"no report within 1h"}


def test_a_failure_fails_the_release_even_while_others_are_pending() -> None:
    decision = decide(
        policy=DEFAULT_POLICY,
        results={
            Gate.UNIT: result(Gate.UNIT, Verdict.PASS),
            Gate.SECURITY: result(Gate.SECURITY, Verdict.FAIL),
            Gate.INTEGRATION: result(Gate.INTEGRATION, Verdict.FAIL),
        },
        overrides={Gate.E2E: override(Gate.E2E)},
        since=SINCE,
        now=SINCE + timedelta(minutes=30),
    )
    assert decision.outcome is Outcome.FAILED
    assert decision.failing == (Gate.INTEGRATION, Gate.SECURITY)
    # the deadline still says when the pending gates time out
    assert decision.deadline == SINCE + timedelta(hours=2)
    assert [(s.gate, s.verdict) for s in decision.statuses] == [
        (Gate.UNIT, Verdict.PASS),
        (Gate.INTEGRATION, Verdict.FAIL),
        (Gate.E2E, Verdict.OVERRIDDEN),
        (Gate.COVERAGE, Verdict.PENDING),
        (Gate.PERFORMANCE, Verdict.PENDING),
        (Gate.SECURITY, Verdict.FAIL),
    ]


def test_a_pending_result_keeps_the_release_pending() -> None:
    pending = result(Gate.UNIT, Verdict.PENDING)
    decision = decide(
        policy=policy_of(Gate.UNIT),
        results={Gate.UNIT: pending},
        overrides={},
        since=SINCE,
        now=SINCE,
    )
    assert decision.outcome is Outcome.PENDING
    assert decision.deadline == SINCE + timedelta(hours=2)
    assert decision.statuses == (
        GateStatus(gate=Gate.UNIT, verdict=Verdict.PENDING, result=pending),
    )


def test_gates_outside_the_policy_are_ignored() -> None:
    decision = decide(
        policy=policy_of(Gate.UNIT),
        results={
            Gate.UNIT: result(Gate.UNIT, Verdict.PASS),
            Gate.SECURITY: result(Gate.SECURITY, Verdict.FAIL),
        },
        overrides={Gate.COVERAGE: override(Gate.COVERAGE)},
        since=SINCE,
        now=SINCE,
    )
    assert decision.outcome is Outcome.PASSED
    assert [status.gate for status in decision.statuses] == [Gate.UNIT]


def test_a_policy_without_gates_passes_at_once() -> None:
    decision = decide(
        policy=GatePolicy(name="none", rules=MappingProxyType({})),
        results={},
        overrides={},
        since=SINCE,
        now=SINCE,
    )
    assert decision == Decision(outcome=Outcome.PASSED, statuses=(), deadline=None)
