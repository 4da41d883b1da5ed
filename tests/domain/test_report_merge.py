"""merge: several reports of one kind as one; mixed kinds or none are a caller's bug."""

from __future__ import annotations

import pytest

from bot.domain.reports import (
    Benchmark,
    CoverageReport,
    FileCoverage,
    Finding,
    PerformanceReport,
    ReportFormat,
    SecurityReport,
    Severity,
    TestCase,
    TestReport,
    merge,
)


def test_test_reports_keep_every_case_in_order() -> None:
    a = TestReport(cases=(TestCase(name="a"),), sources=("a.xml",))
    b = TestReport(cases=(TestCase(name="b"), TestCase(name="c")), sources=("b.xml",))
    merged = merge([a, b, a])
    assert isinstance(merged, TestReport)
    assert [c.name for c in merged.cases] == ["a", "b", "c", "a"]
    assert merged.sources == ("a.xml", "b.xml", "a.xml")


def test_security_and_performance_reports_add_up() -> None:
    high = Finding(rule_id="B602", severity=Severity.HIGH)
    low = Finding(rule_id="B101", severity=Severity.LOW)
    security = merge([
        SecurityReport(findings=(high,), tools=("bandit",)),
        SecurityReport(findings=(low,), tools=("bandit", "semgrep")),
    ])  # fmt: skip
    assert security == SecurityReport(findings=(high, low), tools=("bandit", "semgrep"))
    p99 = Benchmark(name="p99", value=1.0, unit="ms")
    rps = Benchmark(name="rps", value=900.0, unit="req/s", lower_is_better=False)
    perf = merge([PerformanceReport(benchmarks=(p99,)), PerformanceReport(benchmarks=(rps,))])
    assert perf == PerformanceReport(benchmarks=(p99, rps))


def test_coverage_reports_are_combined_by_file() -> None:
    web = CoverageReport(
        tool=ReportFormat.LCOV,
        line_pct=50.0,
        files=(FileCoverage(path="web.ts", lines_total=10, lines_covered=5),),
    )
    api = CoverageReport(
        tool=ReportFormat.COBERTURA,
        line_pct=100.0,
        files=(FileCoverage(path="api.py", lines_total=30, lines_covered=30),),
    )
    merged = merge([web, api])
    assert isinstance(merged, CoverageReport)
    assert merged.line_pct == pytest.approx(87.5)
    assert [f.path for f in merged.files] == ["web.ts", "api.py"]


@pytest.mark.parametrize(
    "reports",
    [[], [TestReport(cases=()), SecurityReport(findings=())]],
)
def test_none_or_mixed_kinds_are_refused(reports: list[TestReport | SecurityReport]) -> None:
    with pytest.raises(ValueError, match="reports of one kind"):
        merge(reports)
