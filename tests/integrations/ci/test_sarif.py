"""SARIF 2.1.0: real bandit output, semgrep/trivy/CodeQL fixtures, severity rules, bad files."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.domain.reports import Finding, SecurityReport, Severity
from bot.errors import ReportError
from integrations.ci.sarif import MAX_MESSAGE, parse

FIXTURES = Path(__file__).parent / "fixtures" / "sarif"


def parse_fixture(name: str) -> SecurityReport:
    with (FIXTURES / name).open("rb") as source:
        return parse(source, name=name)


def parse_bytes(data: bytes, name: str = "scan.sarif") -> SecurityReport:
    return parse(io.BytesIO(data), name=name)


def sarif(
    results: list[dict[str, Any]],
    *,
    rules: list[dict[str, Any]] | None = None,
    tool: str = "scanner",
    **run: Any,
) -> bytes:
    """A one-run SARIF 2.1.0 file holding ``results``."""
    driver: dict[str, Any] = {"name": tool, "rules": rules or []}
    return json.dumps(
        {"version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results, **run}]}
    ).encode()


def only(data: bytes) -> Finding:
    (finding,) = parse_bytes(data).findings
    return finding


def summary(report: SecurityReport) -> list[tuple[str, Severity, str | None, int | None]]:
    return [(f.rule_id, f.severity, f.file, f.line) for f in report.findings]


def test_real_bandit_output(tmp_path: Path) -> None:
    code = tmp_path / "deploy.py"
    code.write_text(
        "import subprocess\n"
        "\n"
        "\n"
        "def run(cmd):\n"
        "    subprocess.call(cmd, shell=True)\n"
        "    assert cmd\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-f", "sarif", "-o", "out.sarif", "deploy.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr  # bandit exits 1 when it finds issues

    with (tmp_path / "out.sarif").open("rb") as source:
        report = parse(source, name="out.sarif")

    assert report.tools == ("Bandit",)
    assert report.sources == ("out.sarif",)
    by_rule = {finding.rule_id: finding for finding in report.findings}
    assert (by_rule["B602"].severity, by_rule["B602"].where) == (Severity.HIGH, "deploy.py:5")
    assert (by_rule["B101"].severity, by_rule["B101"].where) == (Severity.LOW, "deploy.py:6")
    assert "shell=True" in by_rule["B602"].message
    assert all(finding.tool == "Bandit" for finding in report.findings)


def test_checked_in_bandit_output() -> None:
    report = parse_fixture("bandit.sarif")
    assert summary(report) == [
        ("B404", Severity.LOW, "app/shell.py", 3),
        ("B101", Severity.LOW, "app/shell.py", 7),
        ("B602", Severity.HIGH, "app/shell.py", 8),
    ]


def test_semgrep_severity_comes_from_the_rules_default_level() -> None:
    report = parse_fixture("semgrep.sarif")
    assert report.tools == ("Semgrep OSS",)
    assert summary(report) == [
        (
            "python.lang.security.audit.subprocess-shell-true.subprocess-shell-true",
            Severity.HIGH,  # defaultConfiguration.level "error"
            "app/deploy.py",
            41,
        ),
        (
            "python.flask.security.audit.secure-set-cookie.secure-set-cookie",
            Severity.MEDIUM,  # defaultConfiguration.level "warning"
            "app/web/session.py",
            17,
        ),
    ]  # the third result is suppressed with nosemgrep
    assert report.findings[0].message.endswith("Use 'shell=False' instead.")  # 289 characters
    long_message = report.findings[1].message
    assert len(long_message) == MAX_MESSAGE
    assert long_message.startswith("Found a Flask cookie with insecurely configured properties.")
    assert long_message.endswith("…")


def test_trivy_security_severity_on_rules_wins_over_the_level() -> None:
    report = parse_fixture("trivy.sarif")
    assert report.tools == ("Trivy",)
    assert summary(report) == [
        ("CVE-2023-37920", Severity.CRITICAL, "poetry.lock", 112),  # 9.8, level error
        ("CVE-2024-35195", Severity.MEDIUM, "poetry.lock", 640),  # 5.6
        (
            "CVE-2024-6345",
            Severity.HIGH,  # 8.8
            "/usr/lib/python3/dist-packages/setuptools-68.0.0.dist-info/METADATA",
            1,
        ),
    ]
    assert report.findings[0].message.startswith("Package: certifi\nInstalled Version")


def test_codeql_rules_by_rule_index_with_numeric_and_string_scores() -> None:
    report = parse_fixture("codeql.sarif")
    assert report.tools == ("CodeQL",)
    assert summary(report) == [
        ("py/sql-injection", Severity.HIGH, "app/db.py", 27),  # "8.8"
        ("py/clear-text-logging-sensitive-data", Severity.HIGH, "app/views.py", 44),  # 7.5
        ("py/flask-debug", Severity.HIGH, "app/views.py", 60),
        ("py/unused-import", Severity.LOW, "app/db.py", 1),  # no score: level note
    ]
    assert report.findings[0].message == "This SQL query depends on a [user-provided value](1)."


def test_suppressed_and_absent_results_are_skipped() -> None:
    report = parse_fixture("suppressed.sarif")
    assert [finding.file for finding in report.findings] == [
        "conf/staging.py",  # under review: still counts
        "conf/prod.py",  # rejected suppression
        "conf/new.py",  # new since the baseline, empty suppressions
    ]
    assert {finding.severity for finding in report.findings} == {Severity.HIGH}


@pytest.mark.parametrize(
    ("result_properties", "rule_properties", "expected"),
    [
        pytest.param({"security-severity": "9.1"}, {"security-severity": "2.0"}, Severity.CRITICAL,
                     id="result score first"),
        pytest.param({"issue_severity": "LOW"}, {"security-severity": "7.0"}, Severity.HIGH,
                     id="any score before any issue_severity"),
        pytest.param({"security-severity": 4}, {}, Severity.MEDIUM, id="numeric score"),
        pytest.param({"security-severity": "0.0"}, {}, Severity.NONE, id="zero score"),
        pytest.param({"issue_severity": "MEDIUM"}, {"issue_severity": "HIGH"}, Severity.MEDIUM,
                     id="result issue_severity first"),
        pytest.param({}, {"issue_severity": "high"}, Severity.HIGH, id="rule issue_severity"),
        pytest.param({"security-severity": "high"}, {}, Severity.HIGH,
                     id="unreadable score falls through to the level"),
        pytest.param({"security-severity": "nan"}, {"security-severity": True}, Severity.HIGH,
                     id="NaN and booleans are not scores"),
        pytest.param({"security-severity": "1e400"}, {}, Severity.HIGH, id="infinite score"),
        pytest.param({"security-severity": 10**400}, {}, Severity.HIGH, id="huge integer score"),
        pytest.param({"issue_severity": "UNDEFINED"}, {}, Severity.HIGH,
                     id="bandit UNDEFINED falls through to the level"),
    ],
)  # fmt: skip
def test_severity_preference(
    result_properties: dict[str, Any], rule_properties: dict[str, Any], expected: Severity
) -> None:
    rule = {"id": "R1", "properties": rule_properties}
    result = {"ruleId": "R1", "ruleIndex": 0, "level": "error", "properties": result_properties}
    assert only(sarif([result], rules=[rule])).severity is expected


@pytest.mark.parametrize(
    ("result", "default_level", "expected"),
    [
        ({"level": "error"}, "note", Severity.HIGH),
        ({"level": "warning"}, None, Severity.MEDIUM),
        ({"level": "note"}, "error", Severity.LOW),
        ({"level": "none"}, None, Severity.NONE),
        ({}, "error", Severity.HIGH),
        ({}, "note", Severity.LOW),
        ({}, None, Severity.MEDIUM),  # SARIF's default level is warning
        ({"kind": "fail"}, None, Severity.MEDIUM),
        ({"kind": "informational"}, None, Severity.NONE),  # not a failure: level none
        ({"kind": "review", "level": "note"}, None, Severity.LOW),
    ],
)
def test_severity_from_the_sarif_level(
    result: dict[str, Any], default_level: str | None, expected: Severity
) -> None:
    rule: dict[str, Any] = {"id": "R1"}
    if default_level is not None:
        rule["defaultConfiguration"] = {"level": default_level}
    assert only(sarif([{"ruleId": "R1", **result}], rules=[rule])).severity is expected


@pytest.mark.parametrize("kind", ["pass", "notApplicable"])
def test_results_that_are_not_problems_are_skipped(kind: str) -> None:
    data = sarif([{"ruleId": "R1", "kind": kind}, {"ruleId": "R2"}])
    assert [finding.rule_id for finding in parse_bytes(data).findings] == ["R2"]


def test_an_unknown_level_is_an_error() -> None:
    data = sarif([{"ruleId": "R1"}, {"ruleId": "R1", "level": "fatal"}])
    with pytest.raises(ReportError) as caught:
        parse_bytes(data)
    assert str(caught.value) == (
        "scan.sarif: runs[0].results[1]: unknown level 'fatal' "
        "(SARIF levels: error, warning, note, none)"
    )


@pytest.mark.parametrize(
    ("result", "expected"),
    [
        ({"ruleId": "R9", "rule": {"id": "other", "index": 1}}, "R9"),
        ({"rule": {"id": "R2"}}, "R2"),
        ({"ruleIndex": 1}, "second"),
        ({"rule": {"index": 0}}, "first"),
        ({}, "(no rule id)"),
    ],
)
def test_rule_id(result: dict[str, Any], expected: str) -> None:
    rules = [{"id": "first"}, {"id": "second"}]
    assert only(sarif([result], rules=rules)).rule_id == expected


def test_rules_are_found_by_id_when_there_is_no_index() -> None:
    rules = [{"id": "A", "properties": {"security-severity": "3"}},
             {"id": "B", "properties": {"security-severity": "9.5"}}]  # fmt: skip
    data = sarif([{"ruleId": "B"}, {"rule": {"id": "A"}}, {"ruleId": "C"}], rules=rules)
    assert [f.severity for f in parse_bytes(data).findings] == [
        Severity.CRITICAL,
        Severity.LOW,
        Severity.MEDIUM,  # no such rule: the default level
    ]


def test_an_out_of_range_rule_index_falls_back_to_the_id() -> None:
    rules = [{"id": "A", "properties": {"security-severity": "9.5"}}]
    assert only(sarif([{"ruleId": "A", "ruleIndex": 7}], rules=rules)).severity is Severity.CRITICAL


def test_rules_of_a_codeql_extension_through_the_tool_component() -> None:
    pack = {"name": "codeql/python-queries", "rules": [
        {"id": "py/path-injection", "properties": {"security-severity": "7.5"}},
        {"id": "py/weak-crypto", "properties": {"security-severity": "4.0"}},
    ]}  # fmt: skip
    results = [
        {"ruleId": "py/weak-crypto", "rule": {"id": "py/weak-crypto", "index": 1,
                                              "toolComponent": {"index": 0}}},
        {"ruleId": "py/path-injection", "rule": {"id": "py/path-injection",
                                                 "toolComponent": {"index": 0}}},
        {"ruleId": "py/missing", "rule": {"id": "py/missing", "toolComponent": {"index": 3}}},
    ]  # fmt: skip
    data = json.dumps({"version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "CodeQL"}, "extensions": [pack]}, "results": results,
    }]}).encode()  # fmt: skip
    assert [(f.rule_id, f.severity) for f in parse_bytes(data).findings] == [
        ("py/weak-crypto", Severity.MEDIUM),
        ("py/path-injection", Severity.HIGH),
        ("py/missing", Severity.MEDIUM),
    ]


@pytest.mark.parametrize(
    ("location", "where"),
    [
        ({"artifactLocation": {"uri": "src/app.py"}, "region": {"startLine": 4}}, "src/app.py:4"),
        ({"artifactLocation": {"uri": "file:///repo/src/app.py"}, "region": {"startLine": 2}},
         "/repo/src/app.py:2"),
        ({"artifactLocation": {"uri": "src/my%20app.py", "uriBaseId": "%SRCROOT%"}},
         "src/my app.py"),
        ({"artifactLocation": {"index": 1}, "region": {"startLine": 9}}, "lib/b.py:9"),
        ({"artifactLocation": {"index": 5}, "region": {"startLine": 9}}, "(no location)"),
        ({"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 0}}, "a.py"),
        ({"artifactLocation": {"uri": "a.py"}, "region": {"startLine": True}}, "a.py"),
        ({}, "(no location)"),
    ],
)  # fmt: skip
def test_location(location: dict[str, Any], where: str) -> None:
    artifacts = [{"location": {"uri": "lib/a.py"}}, {"location": {"uri": "lib/b.py"}}]
    result = {"ruleId": "R", "locations": [{"physicalLocation": location}]}
    assert only(sarif([result], artifacts=artifacts)).where == where


def test_a_result_without_locations_has_no_place() -> None:
    finding = only(sarif([{"ruleId": "R", "locations": []}]))
    assert (finding.file, finding.line, finding.where) == (None, None, "(no location)")


def test_only_the_first_location_counts() -> None:
    locations = [
        {"physicalLocation": {"artifactLocation": {"uri": "first.py"}, "region": {"startLine": 1}}},
        {"physicalLocation": {"artifactLocation": {"uri": "second.py"}}},
    ]
    assert only(sarif([{"ruleId": "R", "locations": locations}])).where == "first.py:1"


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({"text": "  plain text \n"}, "plain text"),
        ({"id": "default", "arguments": ["eval", "app.py"]}, "Call to eval in app.py."),
        ({"id": "default", "arguments": ["eval"]}, "Call to eval in {1}."),
        ({"id": "default"}, "Call to {0} in {1}."),
        ({"id": "missing"}, ""),
        ({"text": "Uses {0}", "arguments": ["md5"]}, "Uses md5"),
        ({}, ""),
    ],
)
def test_message(message: dict[str, Any], expected: str) -> None:
    rule = {"id": "R", "messageStrings": {"default": {"text": "Call to {0} in {1}."}}}
    result = {"ruleId": "R", "ruleIndex": 0, "message": message}
    assert only(sarif([result], rules=[rule])).message == expected


def test_a_message_of_exactly_the_limit_is_kept_whole() -> None:
    text = "x" * MAX_MESSAGE
    assert only(sarif([{"ruleId": "R", "message": {"text": text}}])).message == text


def test_several_runs_give_unique_tools_in_order() -> None:
    def run(tool: str, *rule_ids: str) -> dict[str, Any]:
        return {"tool": {"driver": {"name": tool}}, "results": [{"ruleId": r} for r in rule_ids]}

    runs = [run("Bandit", "B1"), run("Semgrep OSS", "S1"), run("Bandit", "B2"), run("Trivy")]
    report = parse_bytes(json.dumps({"version": "2.1.0", "runs": runs}).encode())
    assert report.tools == ("Bandit", "Semgrep OSS", "Trivy")
    assert [(f.tool, f.rule_id) for f in report.findings] == [
        ("Bandit", "B1"),
        ("Semgrep OSS", "S1"),
        ("Bandit", "B2"),
    ]


def test_no_runs_and_no_results_is_an_empty_report() -> None:
    empty = parse_bytes(b'{"version": "2.1.0", "runs": []}', name="none.sarif")
    assert empty == SecurityReport(findings=(), tools=(), sources=("none.sarif",))
    assert parse_bytes(sarif([])).findings == ()


def test_a_bom_is_allowed() -> None:
    data = b"\xef\xbb\xbf" + sarif([{"ruleId": "R"}])
    assert only(data).rule_id == "R"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "scan.sarif is empty; expected SARIF 2.1.0 JSON"),
        (b" \n\t", "scan.sarif is empty; expected SARIF 2.1.0 JSON"),
        (b'{"version": "2.1.0",\n  "runs": [', "scan.sarif: invalid JSON at line 2, column 12: "
                                                "Expecting value (a truncated upload?)"),
        (b'{"version": "2.1.0", "runs": [}', "scan.sarif: invalid JSON at line 1, column 31"),
        (b"[]", 'scan.sarif: not SARIF 2.1.0: the file is a JSON list, not an object with '
                '"version" and "runs"'),
        (b'"2.1.0"', "scan.sarif: not SARIF 2.1.0: the file is a bare JSON value"),
        (b'{"meta": {"format": 3, "version": "7.6.1"}, "files": {}, "totals": {}}',
         'scan.sarif: not SARIF 2.1.0: no "runs" (its top-level keys: meta, files, totals)'),
        (b'{"machine_info": {}, "benchmarks": [], "version": "5.1.0"}',
         'scan.sarif: not SARIF 2.1.0: no "runs"'),
        (b'<?xml version="1.0"?>\n<testsuites><testsuite name="x"/></testsuites>',
         "scan.sarif: it is XML, not JSON (a JUnit or coverage report?); "
         "expected SARIF 2.1.0 JSON"),
        (b'{"version": "2.0.0", "runs": []}',
         "scan.sarif: SARIF version '2.0.0' is not supported; expected \"2.1.0\""),
        (b'{"runs": []}', "scan.sarif: SARIF version None is not supported"),
        (b'{"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0"}',
         'scan.sarif: "runs" must be a list'),
        (b'{"version": "2.1.0", "runs": {}}', 'scan.sarif: "runs" must be a list'),
        (b'{"version": "2.1.0", "runs": [[]]}', "scan.sarif: runs[0] is not an object"),
        (b'{"version": "2.1.0", "runs": [{"results": []}]}',
         "scan.sarif: runs[0].tool.driver.name is missing (SARIF requires it)"),
        (b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": {}}]}',
         "scan.sarif: runs[0].results is not a list"),
        (b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy"}}, "results": '
         b'null}]}',
         "scan.sarif: runs[0] (Trivy) has no results list: the scan did not complete; rerun it "
         "(a clean scan writes an empty list)"),
        (b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "Trivy"}}}]}',
         "scan.sarif: runs[0] (Trivy) has no results list"),
        (b"{}", 'scan.sarif: not SARIF 2.1.0: no "runs" (its top-level keys: none)'),
        (b'{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [1]}]}',
         "scan.sarif: runs[0].results[0] is not an object"),
        (b'{"version": "\xff"}', "scan.sarif: not UTF-8 text (bad byte at offset 13); "
                               "expected SARIF 2.1.0 JSON"),
        (b"[" * 100_000, "scan.sarif: refused: the JSON is nested too deeply; "
                        "expected SARIF 2.1.0 JSON"),
        (b'{"version": "2.1.0", "runs": [], "n": 1' + b"0" * 5000 + b"}",
         "scan.sarif: unreadable JSON (Exceeds the limit"),
    ],
)  # fmt: skip
def test_unusable_files(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        parse_bytes(data)
    assert str(caught.value).startswith(message)
