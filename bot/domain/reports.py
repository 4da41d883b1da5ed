"""What CI reports say, once parsed: test cases, coverage, security findings and benchmarks.

The parsers in ``integrations/ci`` turn JUnit XML, Cobertura, coverage.py JSON, LCOV, JaCoCo,
SARIF and benchmark JSON into these types; :mod:`bot.domain.gates` judges them. Nothing here
knows a file format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

__all__ = [
    "Benchmark",
    "CoverageReport",
    "FileCoverage",
    "Finding",
    "Outcome",
    "PerformanceReport",
    "Report",
    "ReportFormat",
    "SecurityReport",
    "Severity",
    "TestCase",
    "TestReport",
    "merge",
    "merge_coverage",
    "percent",
]  # fmt: skip


class ReportFormat(StrEnum):
    """The report formats Stationmaster reads (the ``format`` field of the webhook)."""

    JUNIT = "junit"
    COBERTURA = "cobertura"
    COVERAGE_PY = "coveragepy"
    LCOV = "lcov"
    JACOCO = "jacoco"
    SARIF = "sarif"
    PYTEST_BENCHMARK = "pytest-benchmark"
    BENCHMARK_JSON = "benchmark-json"


class Outcome(StrEnum):
    """A test case's final outcome. A flaky test passed in the end: its outcome is PASSED."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class TestCase:
    """One ``testcase``. ``flaky`` means it failed at least once and passed on a rerun."""

    __test__ = False  # not a pytest class

    name: str
    classname: str = ""
    suite: str = ""
    file: str | None = None
    outcome: Outcome = Outcome.PASSED
    flaky: bool = False
    message: str = ""
    seconds: float = 0.0

    @property
    def id(self) -> str:
        """How the test is named in reports: ``classname.name``, or the name alone."""
        return f"{self.classname}.{self.name}" if self.classname else self.name

    @property
    def failed(self) -> bool:
        return self.outcome in (Outcome.FAILED, Outcome.ERROR)


@dataclass(frozen=True, slots=True, kw_only=True)
class TestReport:
    """The test cases of one or more JUnit files, in file order."""

    __test__ = False

    cases: tuple[TestCase, ...]
    sources: tuple[str, ...] = ()

    def count(self, outcome: Outcome) -> int:
        return sum(1 for case in self.cases if case.outcome is outcome)

    @property
    def failures(self) -> tuple[TestCase, ...]:
        return tuple(case for case in self.cases if case.failed)

    @property
    def flaky(self) -> tuple[TestCase, ...]:
        return tuple(case for case in self.cases if case.flaky and not case.failed)

    def merged(self, other: TestReport) -> TestReport:
        return TestReport(cases=self.cases + other.cases, sources=self.sources + other.sources)


def percent(covered: int, total: int) -> float | None:
    """``covered / total`` as a percentage, or None when there is nothing to cover."""
    return None if total <= 0 else 100.0 * covered / total


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCoverage:
    """One source file's line (and branch) counts."""

    path: str
    lines_total: int
    lines_covered: int
    branches_total: int = 0
    branches_covered: int = 0

    @property
    def line_pct(self) -> float | None:
        return percent(self.lines_covered, self.lines_total)


@dataclass(frozen=True, slots=True, kw_only=True)
class CoverageReport:
    """A coverage report's totals and files.

    ``line_pct`` is what ``min_line`` judges. ``branch_pct`` is None when the tool measured no
    branches. ``total_pct`` is the tool's own combined figure where it gives one (coverage.py's
    ``percent_covered`` counts branches too), else None.
    """

    tool: ReportFormat
    line_pct: float
    branch_pct: float | None = None
    total_pct: float | None = None
    files: tuple[FileCoverage, ...] = ()
    source: str = ""


class Severity(IntEnum):
    """A finding's severity, ordered so that ``fail_on: high`` means ``>= HIGH``."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def named(cls, name: str) -> Severity:
        """``"high"`` / ``"HIGH"`` to HIGH; ValueError for anything else."""
        try:
            return cls[name.strip().upper()]
        except KeyError:
            known = ", ".join(s.label for s in cls)
            raise ValueError(f"unknown severity {name!r} (one of {known})") from None

    @classmethod
    def from_cvss(cls, score: float) -> Severity:
        """CVSS v3 bands, as GitHub reads ``security-severity``: 9+ critical, 7+ high, 4+ medium."""
        if score >= 9.0:
            return cls.CRITICAL
        if score >= 7.0:
            return cls.HIGH
        if score >= 4.0:
            return cls.MEDIUM
        if score > 0.0:
            return cls.LOW
        return cls.NONE


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One security result: which rule, how bad, and where."""

    rule_id: str
    severity: Severity
    tool: str = ""
    file: str | None = None
    line: int | None = None
    message: str = ""

    @property
    def where(self) -> str:
        if self.file is None:
            return "(no location)"
        return f"{self.file}:{self.line}" if self.line is not None else self.file


@dataclass(frozen=True, slots=True, kw_only=True)
class SecurityReport:
    findings: tuple[Finding, ...]
    tools: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()

    def merged(self, other: SecurityReport) -> SecurityReport:
        return SecurityReport(
            findings=self.findings + other.findings,
            tools=self.tools + tuple(t for t in other.tools if t not in self.tools),
            sources=self.sources + other.sources,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Benchmark:
    """One measured figure. ``lower_is_better`` is true for times, false for throughput."""

    name: str
    value: float
    unit: str
    lower_is_better: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceReport:
    benchmarks: tuple[Benchmark, ...]
    sources: tuple[str, ...] = field(default=())

    def merged(self, other: PerformanceReport) -> PerformanceReport:
        return PerformanceReport(
            benchmarks=self.benchmarks + other.benchmarks, sources=self.sources + other.sources
        )


Report = TestReport | CoverageReport | SecurityReport | PerformanceReport
"""Whatever one parser returns."""


def merge_coverage(reports: Sequence[CoverageReport]) -> CoverageReport:
    """Several coverage reports (a frontend's LCOV, a backend's Cobertura) as one, by file."""
    if len(reports) == 1:
        return reports[0]
    files = tuple(f for report in reports for f in report.files)
    lines = percent(sum(f.lines_covered for f in files), sum(f.lines_total for f in files))
    branches = percent(sum(f.branches_covered for f in files), sum(f.branches_total for f in files))
    return CoverageReport(
        tool=reports[0].tool,
        line_pct=lines if lines is not None else min(r.line_pct for r in reports),
        branch_pct=branches,
        total_pct=None,
        files=files,
        source=", ".join(r.source for r in reports),
    )


def merge(reports: Sequence[Report]) -> Report:
    """Several reports of one kind as one: sharded JUnit files, a frontend's LCOV with a
    backend's Cobertura, several scanners' SARIF. ValueError for none or mixed kinds."""
    kinds = {type(report) for report in reports}
    if len(kinds) != 1:
        raise ValueError(
            f"merge takes reports of one kind, got {sorted(k.__name__ for k in kinds)}"
        )
    if isinstance(reports[0], CoverageReport):
        return merge_coverage([r for r in reports if isinstance(r, CoverageReport)])
    merged = reports[0]
    for report in reports[1:]:
        merged = merged.merged(report)  # type: ignore[arg-type]  # one kind, checked above
    return merged
