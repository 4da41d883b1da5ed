"""Quality gates: the policy a release's CI reports are judged by, and the overall decision.

::

    report ──judge (gate_checks)──> GateResult (pass | fail, reasons, numbers)
    policy + results + overrides + now ──decide──> GateStatus per gate ──> passed | failed | pending

A :class:`GatePolicy` names the gates a release needs and a :class:`Rule` for each. A gate with a
result is pass or fail; one without is pending until ``timeout`` after gating began, then fail;
an override (a release manager's reason) beats both. The built-in ``default`` policy always
exists and a config entry of the same name replaces it; ``hotfix`` is built in the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from bot.domain.durations import format_duration
from bot.domain.reports import Benchmark, ReportFormat, Severity

__all__ = [
    "BUILTIN_POLICIES", "DEFAULT_POLICY", "HOTFIX_POLICY", "Allowance", "Baseline",
    "CoverageRule", "Decision", "FailedTest", "Gate", "GatePolicy", "GateResult", "GateStatus",
    "Outcome", "Override", "PerformanceRule", "Require", "Rule", "SecurityRule", "TestsRule",
    "Verdict", "decide",
]  # fmt: skip


class Gate(StrEnum):
    UNIT = "unit"
    INTEGRATION = "integration"
    E2E = "e2e"
    COVERAGE = "coverage"
    PERFORMANCE = "performance"
    SECURITY = "security"

    @property
    def formats(self) -> frozenset[ReportFormat]:
        """The report formats that feed this gate."""
        return _FORMATS[self]

    @property
    def is_tests(self) -> bool:
        return self in (Gate.UNIT, Gate.INTEGRATION, Gate.E2E)


_F = ReportFormat
_TESTS = frozenset({_F.JUNIT})
_FORMATS: Final = MappingProxyType({
    Gate.UNIT: _TESTS,
    Gate.INTEGRATION: _TESTS,
    Gate.E2E: _TESTS,
    Gate.COVERAGE: frozenset({_F.COBERTURA, _F.COVERAGE_PY, _F.LCOV, _F.JACOCO}),
    Gate.PERFORMANCE: frozenset({_F.PYTEST_BENCHMARK, _F.BENCHMARK_JSON}),
    Gate.SECURITY: frozenset({_F.SARIF}),
})  # fmt: skip


class Verdict(StrEnum):
    PASS = "pass"  # noqa: S105
    FAIL = "fail"
    PENDING = "pending"
    OVERRIDDEN = "overridden"

    @property
    def settled(self) -> bool:
        """Pass and overridden let the release move on."""
        return self in (Verdict.PASS, Verdict.OVERRIDDEN)


class Require(StrEnum):
    """What a test gate demands: every test passes, or only the critical ones."""

    ALL_PASS = "all_pass"  # noqa: S105
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestsRule:
    """unit, integration, e2e. ``critical`` holds fnmatch patterns over test names and ids.

    Every critical pattern must match at least one test that ran, and those tests must pass.
    With ``require: critical`` other failures are listed as allowed; with ``all_pass`` they fail
    the gate too. A report with fewer than ``min_tests`` test cases fails: nothing ran.
    """

    __test__ = False

    require: Require = Require.ALL_PASS
    critical: tuple[str, ...] = ()
    min_tests: int = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageRule:
    """``min_line`` judges the line percentage; ``max_drop`` (points) compares with the baseline."""

    min_line: float = 90.0
    min_branch: float | None = None
    max_drop: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceRule:
    """Each benchmark may be at most ``max_regression_pct`` worse than the baseline's."""

    max_regression_pct: float = 5.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowance:
    """A security rule id accepted until a date (inclusive), with the reason why."""

    rule: str
    reason: str
    until: date | None = None

    def active(self, today: date) -> bool:
        return self.until is None or today <= self.until


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityRule:
    """Findings at ``fail_on`` or above fail the gate, unless an active allowance covers them."""

    fail_on: Severity = Severity.HIGH
    allow: tuple[Allowance, ...] = ()


Rule = TestsRule | CoverageRule | PerformanceRule | SecurityRule


@dataclass(frozen=True, slots=True, kw_only=True)
class GatePolicy:
    name: str
    rules: Mapping[Gate, Rule]
    timeout: timedelta = timedelta(hours=2)

    @property
    def gates(self) -> tuple[Gate, ...]:
        """The gates this policy requires, in the canonical order."""
        return tuple(gate for gate in Gate if gate in self.rules)


_CRITICAL_JOURNEYS = ("checkout*", "login*")

DEFAULT_POLICY: Final = GatePolicy(
    name="default",
    rules=MappingProxyType({
        Gate.UNIT: TestsRule(),
        Gate.INTEGRATION: TestsRule(),
        Gate.E2E: TestsRule(critical=_CRITICAL_JOURNEYS),
        Gate.COVERAGE: CoverageRule(min_line=90.0, max_drop=0.5),
        Gate.PERFORMANCE: PerformanceRule(max_regression_pct=5.0),
        Gate.SECURITY: SecurityRule(fail_on=Severity.HIGH),
    }),
)  # fmt: skip
"""The policy every release gets unless its train names another."""

HOTFIX_POLICY: Final = GatePolicy(
    name="hotfix",
    rules=MappingProxyType({
        Gate.UNIT: TestsRule(),
        Gate.E2E: TestsRule(require=Require.CRITICAL, critical=_CRITICAL_JOURNEYS),
        Gate.SECURITY: SecurityRule(fail_on=Severity.HIGH),
    }),
    timeout=timedelta(hours=1),
)  # fmt: skip
"""A hotfix is urgent and small: unit tests, the critical journeys and security, within 1h."""

BUILTIN_POLICIES: Final = MappingProxyType({"default": DEFAULT_POLICY, "hotfix": HOTFIX_POLICY})


@dataclass(frozen=True, slots=True, kw_only=True)
class FailedTest:
    """A failing test as the gate report shows it. ``new`` is None without a baseline."""

    __test__ = False

    name: str
    message: str = ""
    critical: bool = False
    allowed: bool = False
    new: bool | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    """One gate's judgement of the reports it received.

    ``summary`` is one line of numbers; ``reasons`` say why it failed (or what was allowed).
    The rest is the evidence the next release compares against: failing test ids, the line
    percentage, the benchmarks.
    """

    gate: Gate
    verdict: Verdict
    summary: str
    reasons: tuple[str, ...] = ()
    failures: tuple[FailedTest, ...] = ()
    flaky: tuple[str, ...] = ()
    line_pct: float | None = None
    benchmarks: tuple[Benchmark, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Baseline:
    """What the train's last released version measured, for drops, regressions and new failures."""

    version: str
    failing: Mapping[Gate, frozenset[str]] = field(default_factory=dict)
    line_pct: float | None = None
    benchmarks: Mapping[str, Benchmark] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    gate: Gate
    actor: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class GateStatus:
    """A gate's place in the decision: its verdict now, and the result or override behind it."""

    gate: Gate
    verdict: Verdict
    result: GateResult | None = None
    override: Override | None = None
    note: str = ""


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    PENDING = "pending"


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    outcome: Outcome
    statuses: tuple[GateStatus, ...]
    deadline: datetime | None
    """When the pending gates time out (None when nothing is pending)."""

    @property
    def failing(self) -> tuple[Gate, ...]:
        return tuple(s.gate for s in self.statuses if s.verdict is Verdict.FAIL)


def decide(
    *,
    policy: GatePolicy,
    results: Mapping[Gate, GateResult],
    overrides: Mapping[Gate, Override],
    since: datetime,
    now: datetime,
) -> Decision:
    """Each required gate's verdict and the release's outcome, ``now``, gating since ``since``."""
    deadline = since + policy.timeout
    statuses = []
    for gate in policy.gates:
        result, override = results.get(gate), overrides.get(gate)
        if override is not None:
            statuses.append(
                GateStatus(gate=gate, verdict=Verdict.OVERRIDDEN, result=result, override=override)
            )
        elif result is not None:
            statuses.append(GateStatus(gate=gate, verdict=result.verdict, result=result))
        elif now >= deadline:
            note = f"no report within {format_duration(policy.timeout)}"
            statuses.append(GateStatus(gate=gate, verdict=Verdict.FAIL, note=note))
        else:
            statuses.append(GateStatus(gate=gate, verdict=Verdict.PENDING, note="waiting"))
    verdicts = {status.verdict for status in statuses}
    if Verdict.FAIL in verdicts:
        outcome = Outcome.FAILED
    elif Verdict.PENDING in verdicts:
        outcome = Outcome.PENDING
    else:
        outcome = Outcome.PASSED
    waiting = deadline if Verdict.PENDING in verdicts else None
    return Decision(outcome=outcome, statuses=tuple(statuses), deadline=waiting)
