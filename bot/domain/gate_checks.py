"""Judging one gate's reports against its rule: a :class:`GateResult` with numbers and reasons.

Reasons name what failed with its figures: the failing tests, the files below the threshold,
the rule ids and locations of findings, the regressed benchmarks. Lists are cut after
:data:`NAMED` entries with "and N more"; the result keeps every failing test (up to
:data:`MAX_FAILURES`) for the full list and for the next release's baseline.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from fnmatch import fnmatchcase

from bot.domain.gates import (
    Baseline,
    CoverageRule,
    FailedTest,
    Gate,
    GateResult,
    PerformanceRule,
    Require,
    Rule,
    SecurityRule,
    TestsRule,
    Verdict,
)
from bot.domain.reports import (
    Benchmark,
    CoverageReport,
    FileCoverage,
    Outcome,
    PerformanceReport,
    Report,
    SecurityReport,
    Severity,
    TestCase,
    TestReport,
)

__all__ = [
    "MAX_FAILURES", "NAMED", "judge", "judge_coverage", "judge_performance", "judge_security",
    "judge_tests",
]  # fmt: skip

NAMED = 5
MAX_FAILURES = 5_000
PRECISION = 9
"""Decimal places differences are rounded to, so 90.2 - 90.0 is a drop of 0.2, not 0.2000…03."""


def judge(
    gate: Gate, report: Report, rule: Rule, *, baseline: Baseline | None, today: date
) -> GateResult:
    """Dispatch on the rule's kind; the report must be of the kind the gate takes."""
    if isinstance(rule, TestsRule) and isinstance(report, TestReport):
        known = baseline.failing.get(gate) if baseline is not None else None
        return judge_tests(report, rule, gate=gate, known_failures=known)
    if isinstance(rule, CoverageRule) and isinstance(report, CoverageReport):
        return judge_coverage(report, rule, baseline=baseline)
    if isinstance(rule, PerformanceRule) and isinstance(report, PerformanceReport):
        return judge_performance(report, rule, baseline=baseline)
    if isinstance(rule, SecurityRule) and isinstance(report, SecurityReport):
        return judge_security(report, rule, today=today)
    raise TypeError(f"the {gate} gate cannot judge a {type(report).__name__}")


def _listing(items: Sequence[str], *, limit: int = NAMED) -> str:
    shown = ", ".join(items[:limit])
    rest = len(items) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _below_pct(value: float, threshold: float) -> str:
    """``value`` as a percentage that never rounds up to the threshold it is below."""
    shown = f"{value:.1f}"
    return f"{value:.2f}%" if float(shown) >= threshold else f"{shown}%"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"


# -- tests -----------------------------------------------------------------------------------


def _is_critical(case: TestCase, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(case.name, p) or fnmatchcase(case.id, p) for p in patterns)


def judge_tests(
    report: TestReport, rule: TestsRule, *, gate: Gate, known_failures: frozenset[str] | None
) -> GateResult:
    cases = report.cases
    failing = [case for case in cases if case.failed]
    flaky = [case.id for case in cases if case.flaky and not case.failed]
    passed = sum(1 for case in cases if case.outcome is Outcome.PASSED)
    skipped = sum(1 for case in cases if case.outcome is Outcome.SKIPPED)
    parts = [f"{passed} passed", f"{len(failing)} failed"]
    if skipped:
        parts.append(f"{skipped} skipped")
    if flaky:
        parts.append(f"{len(flaky)} flaky")
    reasons: list[str] = []
    if len(cases) < rule.min_tests:
        reasons.append(f"the report has {_plural(len(cases), 'test case')}: nothing ran")
    for pattern in rule.critical:
        if not any(_is_critical(case, (pattern,)) and case.outcome is not Outcome.SKIPPED
                   for case in cases):  # fmt: skip
            reasons.append(f"no test matching the critical pattern `{pattern}` ran")
    failures = []
    for case in failing:
        critical = _is_critical(case, rule.critical)
        allowed = rule.require is Require.CRITICAL and not critical
        new = None if known_failures is None else case.id not in known_failures
        failures.append(
            FailedTest(
                name=case.id, message=case.message, critical=critical, allowed=allowed, new=new
            )
        )
    # critical first, then new, then the rest, each in report order
    failures.sort(key=lambda f: (not f.critical, f.new is False, f.allowed))
    blocking = [f for f in failures if not f.allowed]
    if blocking:
        label = "critical test" if all(f.critical for f in blocking) else "test"
        names = [f.name for f in blocking]
        reasons.append(f"{_plural(len(blocking), label)} failed: {_listing(names)}")
    let_pass = [f.name for f in failures if f.allowed]
    notes = [f"{_plural(len(let_pass), 'non-critical failure')} allowed: {_listing(let_pass)}"]
    return GateResult(
        gate=gate,
        verdict=Verdict.FAIL if reasons else Verdict.PASS,
        summary=", ".join(parts),
        reasons=tuple(reasons) + (tuple(notes) if let_pass else ()),
        failures=tuple(failures[:MAX_FAILURES]),
        flaky=tuple(flaky[:MAX_FAILURES]),
    )


# -- coverage --------------------------------------------------------------------------------


def _below(files: Iterable[FileCoverage], threshold: float) -> list[str]:
    low = [(f.line_pct, f.path) for f in files if f.line_pct is not None and f.line_pct < threshold]
    return [f"{path} {pct:.1f}%" for pct, path in sorted(low)]


def judge_coverage(
    report: CoverageReport, rule: CoverageRule, *, baseline: Baseline | None
) -> GateResult:
    line = report.line_pct
    shown = f"branch {_pct(report.branch_pct)} · total {_pct(report.total_pct)}"
    summary = f"line {_pct(line)} · {shown}"
    reasons = []
    if line < rule.min_line:
        reasons.append(
            f"line coverage {_below_pct(line, rule.min_line)} is below {rule.min_line:g}%"
        )
        low = _below(report.files, rule.min_line)
        if low:
            reasons.append(f"{_plural(len(low), 'file')} below {rule.min_line:g}%: {_listing(low)}")
    branch, floor = report.branch_pct, rule.min_branch
    if floor is not None and branch is None:
        reasons.append(f"branch coverage was not measured, and min_branch is {floor:g}%")
    elif floor is not None and branch is not None and branch < floor:
        reasons.append(f"branch coverage {_below_pct(branch, floor)} is below {floor:g}%")
    if rule.max_drop is not None and baseline is not None and baseline.line_pct is not None:
        drop = round(baseline.line_pct - line, PRECISION)
        if drop > rule.max_drop:
            reasons.append(
                f"line coverage dropped {drop:.2f} points from {baseline.line_pct:.1f}% in "
                f"{baseline.version} (at most {rule.max_drop:g} allowed)"
            )
    return GateResult(
        gate=Gate.COVERAGE,
        verdict=Verdict.FAIL if reasons else Verdict.PASS,
        summary=summary,
        reasons=tuple(reasons),
        line_pct=line,
    )


# -- performance -----------------------------------------------------------------------------


def _show(bench: Benchmark) -> str:
    return f"{bench.value:.4g} {bench.unit}".rstrip()


def _regression(now: Benchmark, before: Benchmark) -> float | None:
    if before.value == 0 or now.unit != before.unit:
        return None
    change = (now.value - before.value) / abs(before.value) * 100.0
    return round(change if now.lower_is_better else -change, PRECISION)


def judge_performance(
    report: PerformanceReport, rule: PerformanceRule, *, baseline: Baseline | None
) -> GateResult:
    benches = report.benchmarks
    if not benches:
        return GateResult(
            gate=Gate.PERFORMANCE,
            verdict=Verdict.FAIL,
            summary="no benchmarks",
            reasons=("the report has no benchmarks",),
        )
    count = _plural(len(benches), "benchmark")
    if baseline is None or not baseline.benchmarks:
        return GateResult(
            gate=Gate.PERFORMANCE,
            verdict=Verdict.PASS,
            summary=f"{count}; no baseline yet, so these become the baseline",
            benchmarks=benches,
        )
    regressed: list[tuple[float, str]] = []
    compared = 0
    for bench in benches:
        before = baseline.benchmarks.get(bench.name)
        change = None if before is None else _regression(bench, before)
        if before is None or change is None:
            continue
        compared += 1
        if change > rule.max_regression_pct:
            text = f"{bench.name} {change:+.1f}% ({_show(before)} → {_show(bench)})"
            regressed.append((change, text))
    regressed.sort(reverse=True)
    reasons = []
    if regressed:
        reasons.append(
            f"{_plural(len(regressed), 'benchmark')} regressed more than "
            f"{rule.max_regression_pct:g}% against {baseline.version}: "
            f"{_listing([text for _, text in regressed])}"
        )
    return GateResult(
        gate=Gate.PERFORMANCE,
        verdict=Verdict.FAIL if reasons else Verdict.PASS,
        summary=f"{count}, {compared} compared with {baseline.version}",
        reasons=tuple(reasons),
        benchmarks=benches,
    )


# -- security --------------------------------------------------------------------------------


def judge_security(report: SecurityReport, rule: SecurityRule, *, today: date) -> GateResult:
    counts = dict.fromkeys(Severity, 0)
    for finding in report.findings:
        counts[finding.severity] += 1
    shown = [s for s in sorted(Severity, reverse=True) if s is not Severity.NONE]
    summary = ", ".join(f"{counts[s]} {s.label}" for s in shown)
    active = {a.rule: a for a in rule.allow if a.active(today)}
    expired = {a.rule: a for a in rule.allow if not a.active(today)}
    blocking: list[str] = []
    allowed: list[str] = []
    used: set[str] = set()
    lapsed: set[str] = set()
    for finding in sorted(report.findings, key=lambda f: -f.severity):
        if finding.severity < rule.fail_on or finding.severity is Severity.NONE:
            continue
        text = f"{finding.rule_id} ({finding.severity.label}) at {finding.where}"
        if finding.rule_id in active:
            allowed.append(text)
            used.add(finding.rule_id)
            continue
        blocking.append(text)
        if finding.rule_id in expired:
            lapsed.add(finding.rule_id)
    reasons = []
    if blocking:
        reasons.append(
            f"{_plural(len(blocking), 'finding')} at {rule.fail_on.label} or above: "
            f"{_listing(blocking)}"
        )
    for rule_id in sorted(lapsed):
        until = expired[rule_id].until
        reasons.append(f"the allowance for {rule_id} expired on {until}")
    if allowed:
        why = "; ".join(f"{rule_id}: {active[rule_id].reason}" for rule_id in sorted(used))
        reasons.append(f"{_plural(len(allowed), 'finding')} allowed ({why}): {_listing(allowed)}")
    return GateResult(
        gate=Gate.SECURITY,
        verdict=Verdict.FAIL if blocking else Verdict.PASS,
        summary=summary,
        reasons=tuple(reasons),
    )
