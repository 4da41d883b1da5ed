"""``read_gate``: the one entry point from uploaded files to one report per gate.

Small real reports are written to ``tmp_path``; each is read as the webhook and the CLI read
them, detecting the format or taking the one named, and merged per gate.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.domain.gates import Gate
from bot.domain.reports import (
    Benchmark,
    CoverageReport,
    FileCoverage,
    Finding,
    Outcome,
    PerformanceReport,
    ReportFormat,
    SecurityReport,
    Severity,
    TestReport,
    merge_coverage,
)
from bot.errors import ReportError
from integrations.ci import ReportFile, format_named, read_gate, read_report

Write = Callable[[str, str], ReportFile]

JUNIT_A = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<testsuites><testsuite name="api" tests="2" failures="1">'
    '<testcase classname="api.Orders" name="test_create" time="0.5"/>'
    '<testcase classname="api.Orders" name="test_refund"><failure message="boom">trace'
    "</failure></testcase></testsuite></testsuites>"
)
JUNIT_B = (
    '<testsuite name="web" tests="1"><testcase classname="web.Cart" name="test_add"/></testsuite>'
)
COBERTURA = (
    '<?xml version="1.0" ?>\n<coverage version="7.6.1" line-rate="0.5" branch-rate="0" '
    'lines-covered="1" lines-valid="2"><packages><package name="app"><classes>'
    '<class name="orders" filename="app/orders.py"><lines><line number="1" hits="1"/>'
    '<line number="2" hits="0"/></lines></class></classes></package></packages></coverage>'
)
LCOV = "TN:\nSF:web/cart.js\nDA:1,1\nDA:2,1\nDA:3,1\nend_of_record\n"
JACOCO = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><report name="svc">'
    '<package name="com/acme"><sourcefile name="Svc.java">'
    '<counter type="LINE" missed="1" covered="3"/></sourcefile></package>'
    '<counter type="LINE" missed="1" covered="3"/></report>'
)
SUMMARY = {"covered_lines": 9, "num_statements": 10, "percent_covered": 90.0}
COVERAGE_PY = json.dumps({
    "meta": {"format": 3, "version": "7.6.1", "branch_coverage": False},
    "files": {"cli/main.py": {"summary": SUMMARY}},
    "totals": SUMMARY,
})  # fmt: skip


def sarif(tool: str, *rules: str) -> str:
    return json.dumps({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": tool}},
            "results": [{"ruleId": rule, "level": "error", "message": {"text": rule}}
                        for rule in rules],
        }],
    })  # fmt: skip


PYTEST_BENCHMARK = json.dumps({
    "machine_info": {"node": "ci"},
    "benchmarks": [{"name": "test_plan", "fullname": "bench/test_plan.py::test_plan",
                    "stats": {"median": 0.25, "mean": 0.3}}],
})  # fmt: skip
GENERIC_BENCHMARKS = json.dumps(
    [{"name": "webhook: reports/s", "value": 1830, "unit": "ops/s", "lower_is_better": False}]
)


@pytest.fixture
def write(tmp_path: Path) -> Write:
    def writer(name: str, text: str) -> ReportFile:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return ReportFile(path=path, name=f"reports/{name}")

    return writer


def failure(gate: Gate, files: list[ReportFile], **options: ReportFormat) -> str:
    with pytest.raises(ReportError) as caught:
        read_gate(gate, files, **options)
    return caught.value.message


@pytest.mark.parametrize(
    ("gate", "name", "text", "found", "kind"),
    [
        (Gate.UNIT, "junit.xml", JUNIT_A, ReportFormat.JUNIT, TestReport),
        (Gate.COVERAGE, "coverage.xml", COBERTURA, ReportFormat.COBERTURA, CoverageReport),
        (Gate.COVERAGE, "coverage.json", COVERAGE_PY, ReportFormat.COVERAGE_PY, CoverageReport),
        (Gate.COVERAGE, "lcov.info", LCOV, ReportFormat.LCOV, CoverageReport),
        (Gate.COVERAGE, "jacoco.xml", JACOCO, ReportFormat.JACOCO, CoverageReport),
        (Gate.SECURITY, "bandit.sarif", sarif("Bandit", "B602"), ReportFormat.SARIF,
         SecurityReport),
        (Gate.PERFORMANCE, "bench.json", PYTEST_BENCHMARK, ReportFormat.PYTEST_BENCHMARK,
         PerformanceReport),
        (Gate.PERFORMANCE, "custom.json", GENERIC_BENCHMARKS, ReportFormat.BENCHMARK_JSON,
         PerformanceReport),
    ],
)  # fmt: skip
def test_each_format_is_detected_from_its_content(
    write: Write, gate: Gate, name: str, text: str, found: ReportFormat, kind: type
) -> None:
    # The file name says nothing: detection reads the first bytes only.
    formats, report = read_gate(gate, [write(f"upload-{name}.bin", text)])
    assert formats == [found]
    assert isinstance(report, kind)


def test_junit_files_are_merged_with_their_cases_in_file_order(write: Write) -> None:
    formats, report = read_gate(Gate.UNIT, [write("a.xml", JUNIT_A), write("b.xml", JUNIT_B)])

    assert formats == [ReportFormat.JUNIT, ReportFormat.JUNIT]
    assert isinstance(report, TestReport)
    assert [case.id for case in report.cases] == [
        "api.Orders.test_create",
        "api.Orders.test_refund",
        "web.Cart.test_add",
    ]
    assert [case.id for case in report.failures] == ["api.Orders.test_refund"]
    assert report.cases[1].outcome is Outcome.FAILED
    assert report.sources == ("reports/a.xml", "reports/b.xml")


def test_coverage_files_of_different_tools_are_merged_by_file(write: Write) -> None:
    files = [
        write("coverage.xml", COBERTURA),
        write("lcov.info", LCOV),
        write("coverage.json", COVERAGE_PY),
    ]

    formats, report = read_gate(Gate.COVERAGE, files)

    assert formats == [ReportFormat.COBERTURA, ReportFormat.LCOV, ReportFormat.COVERAGE_PY]
    singles = []
    for file in files:
        with file.path.open("rb") as source:
            _, single = read_report(source, name=file.name)
        assert isinstance(single, CoverageReport)
        singles.append(single)
    assert report == merge_coverage(singles)
    assert isinstance(report, CoverageReport)
    assert report.files == (
        FileCoverage(path="app/orders.py", lines_total=2, lines_covered=1),
        FileCoverage(path="web/cart.js", lines_total=3, lines_covered=3),
        FileCoverage(path="cli/main.py", lines_total=10, lines_covered=9),
    )
    assert report.line_pct == pytest.approx(100 * 13 / 15)
    assert report.source == "reports/coverage.xml, reports/lcov.info, reports/coverage.json"


def test_one_coverage_file_is_its_own_report(write: Write) -> None:
    _, report = read_gate(Gate.COVERAGE, [write("coverage.json", COVERAGE_PY)])
    assert isinstance(report, CoverageReport)
    assert report.total_pct == 90.0  # merging would drop the tool's own total


def test_sarif_files_are_merged_with_every_finding_and_each_tool_once(write: Write) -> None:
    files = [
        write("bandit.sarif", sarif("Bandit", "B602", "B105")),
        write("semgrep.sarif", sarif("Semgrep OSS", "python.flask.xss")),
        write("bandit-2.sarif", sarif("Bandit", "B301")),
    ]

    formats, report = read_gate(Gate.SECURITY, files)

    assert formats == [ReportFormat.SARIF] * 3
    assert isinstance(report, SecurityReport)
    assert [(f.tool, f.rule_id) for f in report.findings] == [
        ("Bandit", "B602"),
        ("Bandit", "B105"),
        ("Semgrep OSS", "python.flask.xss"),
        ("Bandit", "B301"),
    ]
    assert report.findings[0] == Finding(
        rule_id="B602", severity=Severity.HIGH, tool="Bandit", message="B602"
    )
    assert report.tools == ("Bandit", "Semgrep OSS")
    assert report.sources == tuple(file.name for file in files)


def test_benchmark_files_of_both_formats_are_merged(write: Write) -> None:
    files = [write("bench.json", PYTEST_BENCHMARK), write("custom.json", GENERIC_BENCHMARKS)]

    formats, report = read_gate(Gate.PERFORMANCE, files)

    assert formats == [ReportFormat.PYTEST_BENCHMARK, ReportFormat.BENCHMARK_JSON]
    assert report == PerformanceReport(
        benchmarks=(
            Benchmark(name="bench/test_plan.py::test_plan", value=0.25, unit="s"),
            Benchmark(name="webhook: reports/s", value=1830.0, unit="ops/s", lower_is_better=False),
        ),
        sources=("reports/bench.json", "reports/custom.json"),
    )


@pytest.mark.parametrize(
    ("gate", "name", "text", "message"),
    [
        (Gate.COVERAGE, "scan.sarif", sarif("Bandit"),
         "reports/scan.sarif is a sarif report, which cannot feed the coverage gate "
         "(it takes cobertura, coveragepy, jacoco, lcov)"),
        (Gate.SECURITY, "junit.xml", JUNIT_A,
         "reports/junit.xml is a junit report, which cannot feed the security gate "
         "(it takes sarif)"),
        (Gate.E2E, "coverage.xml", COBERTURA,
         "reports/coverage.xml is a cobertura report, which cannot feed the e2e gate "
         "(it takes junit)"),
        (Gate.PERFORMANCE, "lcov.info", LCOV,
         "reports/lcov.info is a lcov report, which cannot feed the performance gate "
         "(it takes benchmark-json, pytest-benchmark)"),
    ],
)  # fmt: skip
def test_a_report_of_the_wrong_kind_for_the_gate_is_refused(
    write: Write, gate: Gate, name: str, text: str, message: str
) -> None:
    assert failure(gate, [write(name, text)]) == message


def test_the_refusal_names_the_one_file_of_the_wrong_kind(write: Write) -> None:
    files = [write("a.xml", JUNIT_A), write("coverage.xml", COBERTURA), write("b.xml", JUNIT_B)]
    assert failure(Gate.UNIT, files).startswith("reports/coverage.xml is a cobertura report")


def test_a_named_format_is_used_without_detection(write: Write) -> None:
    # SARIF whose "runs" come after 8 KiB of properties: detection cannot tell what it is.
    padded = json.loads(sarif("Trivy", "CVE-2024-1"))
    padded = {"properties": {"note": "x" * 9000}, **padded}
    file = write("trivy.json", json.dumps(padded))
    assert "cannot tell the report's format" in failure(Gate.SECURITY, [file])

    formats, report = read_gate(Gate.SECURITY, [file], format=ReportFormat.SARIF)

    assert formats == [ReportFormat.SARIF]
    assert isinstance(report, SecurityReport)
    assert [finding.rule_id for finding in report.findings] == ["CVE-2024-1"]


@pytest.mark.parametrize(
    ("name", "text", "forced", "message"),
    [
        ("custom.json", GENERIC_BENCHMARKS, ReportFormat.PYTEST_BENCHMARK,
         "reports/custom.json: not pytest-benchmark JSON (an object with a \"benchmarks\" list, "
         "from --benchmark-json); a JSON list is the generic format=benchmark-json"),
        ("lcov.info", LCOV, ReportFormat.BENCHMARK_JSON,
         "reports/lcov.info: invalid JSON at line 1, column 1: Expecting value"),
        ("junit.xml", JUNIT_A, ReportFormat.SARIF,
         "reports/junit.xml: it is XML, not JSON (a JUnit or coverage report?); "
         "expected SARIF 2.1.0 JSON"),
        ("coverage.xml", COBERTURA, ReportFormat.JACOCO,
         "reports/coverage.xml: not a JaCoCo report: the root element is <coverage>"),
    ],
)  # fmt: skip
def test_a_wrong_named_format_is_the_parsers_error(
    write: Write, name: str, text: str, forced: ReportFormat, message: str
) -> None:
    gate = next(gate for gate in Gate if forced in gate.formats)
    assert failure(gate, [write(name, text)], format=forced).startswith(message)


def test_a_named_format_that_does_not_feed_the_gate_is_refused_after_parsing(
    write: Write,
) -> None:
    message = failure(Gate.UNIT, [write("scan.sarif", sarif("Bandit"))], format=ReportFormat.SARIF)
    assert message == (
        "reports/scan.sarif is a sarif report, which cannot feed the unit gate (it takes junit)"
    )


def test_an_unreadable_file_among_several_is_named(write: Write) -> None:
    files = [write("a.xml", JUNIT_A), write("b.xml", JUNIT_B[:-30])]
    assert failure(Gate.UNIT, files).startswith("reports/b.xml: not well-formed XML at line 1")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "reports/upload.txt is empty; there is no report to read"),
        ("hello", "reports/upload.txt: cannot tell the report's format; name it with format= "
                  "(one of junit, cobertura, coveragepy, lcov, jacoco, sarif, "
                  "pytest-benchmark, benchmark-json)"),
    ],
)  # fmt: skip
def test_a_file_whose_format_cannot_be_told_is_named(write: Write, text: str, message: str) -> None:
    assert failure(Gate.UNIT, [write("upload.txt", text)]) == message


def test_no_files_is_an_error() -> None:
    with pytest.raises(ReportError) as caught:
        read_gate(Gate.SECURITY, [])
    assert caught.value.message == "no report files for the security gate"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("junit", ReportFormat.JUNIT),
        (" JUnit\n", ReportFormat.JUNIT),
        ("coveragepy", ReportFormat.COVERAGE_PY),
        ("Pytest-Benchmark", ReportFormat.PYTEST_BENCHMARK),
        ("benchmark-json", ReportFormat.BENCHMARK_JSON),
    ],
)
def test_format_named(text: str, found: ReportFormat) -> None:
    assert format_named(text) is found


@pytest.mark.parametrize("text", ["xunit", "", "coverage.py", "JUNIT.xml"])
def test_an_unknown_format_name_lists_the_formats(text: str) -> None:
    with pytest.raises(ReportError) as caught:
        format_named(text)
    assert caught.value.message == (
        f"unknown report format {text!r}: use one of junit, cobertura, coveragepy, lcov, "
        "jacoco, sarif, pytest-benchmark, benchmark-json"
    )
