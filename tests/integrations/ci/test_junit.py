"""The JUnit XML parser, on real pytest output, each tool's documented shape and hostile files."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from bot.domain.reports import Outcome, TestCase, TestReport
from bot.errors import ReportError
from integrations.ci.junit import parse

FIXTURES = Path(__file__).parent / "fixtures" / "junit"

P, F, E, S = Outcome.PASSED, Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED


def parse_bytes(data: bytes, name: str = "report.xml") -> TestReport:
    return parse(io.BytesIO(data), name=name)


def parse_fixture(file_name: str) -> TestReport:
    with (FIXTURES / file_name).open("rb") as source:
        return parse(source, name=file_name)


def by_name(report: TestReport) -> dict[str, TestCase]:
    cases = {case.name: case for case in report.cases}
    assert len(cases) == len(report.cases), "test names in a fixture are unique"
    return cases


def one_case(body: str) -> TestCase:
    """The only test case of ``<testsuite name="s">{body}</testsuite>``."""
    (case,) = parse_bytes(f'<testsuite name="s">{body}</testsuite>'.encode()).cases
    return case


# --- a real pytest --junitxml report ----------------------------------------------------------

SAMPLE_TESTS = """
import pytest


@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")


def test_passes():
    assert True


def test_fails():
    assert 1 == 2, "one is not two"


def test_errors(broken):
    pass


def test_skipped():
    pytest.skip("not today")


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False
"""


@pytest.mark.parametrize(("family", "file"), [("xunit2", None), ("xunit1", "test_sample.py")])
def test_a_real_pytest_report(tmp_path: Path, family: str, file: str | None) -> None:
    (tmp_path / "test_sample.py").write_text(SAMPLE_TESTS)
    out = tmp_path / "out.xml"
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    command = [sys.executable, "-m", "pytest", str(tmp_path / "test_sample.py")]
    command += [f"--junitxml={out}", "-p", "no:cacheprovider", "-q", "-c", "/dev/null"]
    command += ["--rootdir", str(tmp_path), "-o", f"junit_family={family}"]
    run = subprocess.run(
        command,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 1, run.stdout + run.stderr  # 1: some tests failed

    with out.open("rb") as source:
        report = parse(source, name="out.xml")

    assert report.sources == ("out.xml",)
    assert [(case.name, case.outcome) for case in report.cases] == [
        ("test_passes", P),
        ("test_fails", F),
        ("test_errors", E),
        ("test_skipped", S),
        ("test_xfail", S),
    ]
    assert [case.id for case in report.failures] == [
        "test_sample.test_fails",
        "test_sample.test_errors",
    ]
    assert {case.suite for case in report.cases} == {"pytest"}
    assert {case.file for case in report.cases} == {file}
    cases = by_name(report)
    assert cases["test_fails"].message.startswith("AssertionError: one is not two")
    assert "RuntimeError: fixture exploded" in cases["test_errors"].message
    assert cases["test_skipped"].message == "not today"
    assert cases["test_xfail"].message == "known bug"
    assert cases["test_passes"].message == ""
    assert not report.flaky


# --- checked-in reports in each tool's shape --------------------------------------------------


def test_surefire_reruns_flaky_and_failing() -> None:
    report = parse_fixture("TEST-com.example.CalculatorTest.xml")
    cases = by_name(report)

    assert {n: (c.outcome, c.flaky) for n, c in cases.items()} == {
        "addsTwoNumbers": (P, False),
        "dividesOverNetwork": (P, True),  # flakyFailure, then passed on a rerun
        "subtractsAlwaysWrong": (F, False),  # failure + rerunFailure: failed every time
        "multipliesWithDatabase": (E, False),  # error + rerunError
        "squareRootOfNegative": (S, False),
    }
    assert [case.name for case in report.flaky] == ["dividesOverNetwork"]
    assert cases["dividesOverNetwork"].message == "expected: <4> but was: <0>"
    assert cases["subtractsAlwaysWrong"].message == "expected: <1> but was: <-1>"
    assert cases["multipliesWithDatabase"].message == "Connection refused"
    assert cases["multipliesWithDatabase"].seconds == 1234.5  # time="1,234.5"
    assert cases["squareRootOfNegative"].message == "not implemented yet"
    assert {c.suite for c in report.cases} == {"com.example.CalculatorTest"}
    assert {c.classname for c in report.cases} == {"com.example.CalculatorTest"}
    assert {c.file for c in report.cases} == {None}


def test_gradle_failure_with_stack_text_and_system_out() -> None:
    report = parse_fixture("TEST-com.example.GreeterTest.xml")

    assert [(c.id, c.outcome) for c in report.cases] == [
        ("com.example.GreeterTest.greetsByName()", P),
        ("com.example.GreeterTest.greetsInFrench()", F),
        ("com.example.GreeterTest.greetsInKlingon()", S),
    ]
    failed = report.failures[0]
    assert failed.message == (
        "org.opentest4j.AssertionFailedError: expected: <Bonjour, Ada> but was: <Hello, Ada>"
    )
    assert failed.seconds == 0.019
    assert report.cases[2].message == ""


def test_jest_junit_trusts_testcases_over_lying_totals() -> None:
    report = parse_fixture("jest-junit.xml")  # its totals say failures="0"
    cases = by_name(report)

    assert report.count(F) == 1
    assert report.count(P) == 3
    assert report.count(S) == 1
    failed = cases["sum adds floats"]
    # jest-junit writes no message attribute: the first line of the text is the message.
    assert failed.message == "Error: expect(received).toBe(expected) // Object.is equality"
    assert (failed.suite, failed.classname, failed.file) == ("src/sum.test.js", "sum", failed.file)
    assert failed.file == "src/sum.test.js"
    plain = cases["formats an empty string"]
    assert (plain.classname, plain.id, plain.file) == ("", "formats an empty string", None)
    assert plain.suite == "src/format.test.js"


def test_go_junit_report_packages_as_suites() -> None:
    report = parse_fixture("go-junit-report.xml")

    assert [(c.suite, c.name, c.outcome) for c in report.cases] == [
        ("github.com/example/calc", "TestAdd", P),
        ("github.com/example/calc", "TestDivide/by_zero", F),
        ("github.com/example/calc", "TestNetwork", S),
        ("github.com/example/broken", "[build failed]", E),
        ("github.com/example/plain", "TestNothing", P),
    ]
    cases = by_name(report)
    assert cases["TestDivide/by_zero"].message == "Failed"
    assert cases["TestNetwork"].message == "calc_test.go:30: needs network"
    assert cases["[build failed]"].message == "Build error"
    assert cases["TestNothing"].id == "TestNothing"  # empty classname: the name alone
    assert cases["TestDivide/by_zero"].seconds == 0.01


def test_nested_suites_name_the_innermost_suite() -> None:
    report = parse_fixture("nested-suites.xml")  # every total says 0 failures

    assert [(c.name, c.suite, c.outcome) for c in report.cases] == [
        ("before_inner", "outer", P),
        ("deep_pass", "inner", P),
        ("deepest_fail", "innermost", F),
        ("after_innermost", "inner", P),
        ("after_inner", "outer", E),
        ("sibling_pass", "sibling", P),
    ]
    cases = by_name(report)
    assert cases["deepest_fail"].message == "deep failure"
    assert cases["after_inner"].message == "RuntimeError: teardown blew up"
    assert cases["after_innermost"].seconds == 0.0  # time="abc"
    assert cases["after_inner"].seconds == 0.0  # no time at all
    assert (cases["sibling_pass"].classname, cases["sibling_pass"].id) == ("", "sibling_pass")


def test_repeated_strings_are_interned() -> None:
    first, second, *_ = parse_fixture("jest-junit.xml").cases

    assert first.classname is second.classname
    assert first.suite is second.suite
    assert first.file is second.file


# --- outcomes and fields, case by case --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "outcome", "flaky", "message"),
    [
        ("", P, False, ""),
        ('<failure message="boom"/>', F, False, "boom"),
        ('<error message="crash"/>', E, False, "crash"),
        ('<skipped message="later"/>', S, False, "later"),
        ("<skipped/>", S, False, ""),
        ('<skipped message="later"/><failure message="boom"/>', F, False, "boom"),
        ('<error message="teardown"/><failure message="body"/>', F, False, "body"),
        ('<rerunFailure message="again"/><rerunFailure message="and again"/>', F, False, "again"),
        ('<rerunError message="again"/>', E, False, "again"),
        ('<flakyFailure message="once"/><flakyFailure message="twice"/>', P, True, "once"),
        ("<flakyError><stackTrace>\n  java.io.IOException: reset\n at x</stackTrace></flakyError>",
         P, True, "java.io.IOException: reset"),
        ('<flakyFailure message="once"/><failure message="later for good"/>',
         F, False, "later for good"),
        ("<failure>\n\n   first line  \nsecond line</failure>", F, False, "first line"),
        ('<failure message="  ">text wins</failure>', F, False, "text wins"),
        ("<failure/>", F, False, ""),
        ("<failure><stackTrace/></failure>", F, False, ""),
        ("<system-out>noise</system-out><system-err>more</system-err>", P, False, ""),
    ],
)  # fmt: skip
def test_outcome_flaky_and_message(body: str, outcome: Outcome, flaky: bool, message: str) -> None:
    case = one_case(f'<testcase name="t" classname="c">{body}</testcase>')

    assert (case.outcome, case.flaky, case.message) == (outcome, flaky, message)


@pytest.mark.parametrize(
    ("length", "expected"), [(499, 499), (500, 500), (501, 500), (20_000, 500)]
)
def test_messages_are_cut_to_500_characters(length: int, expected: int) -> None:
    text = "x" * length
    case = one_case(f'<testcase name="t"><failure message="{text}"/></testcase>')

    assert len(case.message) == expected
    assert case.message.endswith("…") == (length > 500)


@pytest.mark.parametrize(
    ("time", "seconds"),
    [
        ("0.5", 0.5),
        (" 2 ", 2.0),
        ("1,234.5", 1234.5),
        ("1.234,5", 1234.5),
        ("0,25", 0.25),
        ("1,234,567", 1234567.0),
        ("", 0.0),
        ("abc", 0.0),
        ("1.2.3", 0.0),
        ("-1", 0.0),
        ("nan", 0.0),
        ("inf", 0.0),
    ],
)
def test_time_attribute_tolerates_locales_and_garbage(time: str, seconds: float) -> None:
    assert one_case(f'<testcase name="t" time="{time}"/>').seconds == seconds


def test_missing_attributes_default_to_empty() -> None:
    case = one_case('<testcase file=""/>')

    assert (case.name, case.classname, case.file, case.seconds) == ("", "", None, 0.0)


def test_namespaced_report() -> None:
    report = parse_bytes(
        b'<j:testsuites xmlns:j="urn:example:junit"><j:testsuite name="s">'
        b'<j:testcase name="t"><j:failure message="m"/></j:testcase>'
        b"</j:testsuite></j:testsuites>"
    )

    assert [(c.name, c.suite, c.outcome, c.message) for c in report.cases] == [("t", "s", F, "m")]


def test_a_testcase_outside_any_suite() -> None:
    report = parse_bytes(b'<testsuites><testcase name="loose"/></testsuites>')

    assert [(c.name, c.suite) for c in report.cases] == [("loose", "")]


@pytest.mark.parametrize(
    "data",
    [
        b"<testsuites/>",
        b'<?xml version="1.0"?>\n<testsuites name="none" tests="3" failures="1"></testsuites>',
        b'<testsuite name="empty" tests="2"><properties><property name="a" value="b"/>'
        b"</properties><system-out>x</system-out></testsuite>",
    ],
)
def test_a_report_without_testcases_is_empty_not_an_error(data: bytes) -> None:
    report = parse_bytes(data, name="empty.xml")

    assert report == TestReport(cases=(), sources=("empty.xml",))


# --- files that are not usable JUnit ----------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
  <!ENTITY lol "lol">
  <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
  <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
  <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
  <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
  <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
  <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
  <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<testsuites><testsuite name="s"><testcase name="&lol9;"/></testsuite></testsuites>
"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE testsuite [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<testsuite name="s"><testcase name="t"><failure message="&xxe;"/></testcase></testsuite>
"""


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_xml_is_refused(data: bytes) -> None:
    with pytest.raises(ReportError, match=r"^evil\.xml: refused: .*entities") as raised:
        parse_bytes(data, name="evil.xml")

    assert "root:" not in str(raised.value)  # nothing of /etc/passwd leaks into the message


def test_a_truncated_file_names_the_line() -> None:
    data = (FIXTURES / "TEST-com.example.GreeterTest.xml").read_bytes()
    cut = data[: data.index(b"<skipped/>")]
    line = cut.count(b"\n") + 1

    with pytest.raises(ReportError, match=rf"^cut\.xml: not well-formed XML at line {line},"):
        parse_bytes(cut, name="cut.xml")


@pytest.mark.parametrize(
    "data", [b"", b'{"tests": [], "summary": {"failed": 0}}'], ids=["empty", "json"]
)
def test_empty_or_non_xml_files_are_refused(data: bytes) -> None:
    with pytest.raises(ReportError, match=r"^report\.xml is empty or not XML$"):
        parse_bytes(data)


def test_a_blank_file_is_refused() -> None:
    with pytest.raises(ReportError, match=r"^blank\.xml: .*no element found"):
        parse_bytes(b"   \n", name="blank.xml")


def test_a_cobertura_report_names_its_root() -> None:
    cobertura = b"""<?xml version="1.0" ?>
<!DOCTYPE coverage SYSTEM "http://cobertura.sourceforge.net/xml/coverage-04.dtd">
<coverage version="7.5.1" timestamp="1714640000000" lines-valid="10" lines-covered="9"
          line-rate="0.9" branches-covered="0" branches-valid="0" branch-rate="0" complexity="0">
  <sources><source>/src</source></sources>
  <packages/>
</coverage>
"""
    with pytest.raises(ReportError) as raised:
        parse_bytes(cobertura, name="coverage.xml")

    assert str(raised.value) == (
        "coverage.xml: not a JUnit report: the root element is <coverage>, "
        "expected <testsuites> or <testsuite>"
    )


def test_the_wrong_root_is_refused_before_the_rest_is_read() -> None:
    data = b"<coverage>" + b'<line number="1" hits="1"/>' * 200_000 + b"</coverage>"
    source = io.BytesIO(data)

    with pytest.raises(ReportError, match=r"root element is <coverage>"):
        parse(source, name="coverage.xml")

    assert source.tell() < len(data) // 10


# --- a 50 MB report in bounded memory ---------------------------------------------------------

FIFTY_MB = 50 * 1024 * 1024
OUTPUT_LINE = "2024-05-02 09:14:03.112 INFO  [worker-3] c.e.Service - handled request #%06d\n"


def write_big_report(path: Path) -> tuple[int, dict[Outcome, int]]:
    """A JUnit file of at least 50 MB with a large system-out per case: (its size, counts)."""
    counts = dict.fromkeys(Outcome, 0)
    output = "".join(OUTPUT_LINE % n for n in range(100))  # about 8 KB per case
    size = 0
    with path.open("w", encoding="utf-8") as out:
        size += out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites tests="0">\n')
        n = 0
        while size < FIFTY_MB:
            size += out.write(f'<testsuite name="suite{n // 500}" tests="500" failures="0">\n')
            for _ in range(500):
                if n % 10 == 3:
                    outcome, body = F, f'<failure message="case {n} failed">trace</failure>'
                elif n % 25 == 7:
                    outcome, body = S, "<skipped/>"
                else:
                    outcome, body = P, ""
                counts[outcome] += 1
                size += out.write(
                    f'<testcase name="test_{n}" classname="pkg.Module{n % 7}" time="0.01">'
                    f"{body}<system-out><![CDATA[{output}]]></system-out></testcase>\n"
                )
                n += 1
            size += out.write("<system-err>suite done</system-err></testsuite>\n")
        size += out.write("</testsuites>\n")
    return path.stat().st_size, counts


def test_a_50_mb_report_is_parsed_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    size, counts = write_big_report(path)
    assert size >= FIFTY_MB

    tracemalloc.start()
    try:
        with path.open("rb") as source:
            report = parse(source, name="big.xml")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert peak < size // 10, f"peak {peak:,} bytes for a {size:,} byte file"
    assert {outcome: report.count(outcome) for outcome in Outcome} == counts
    assert len(report.cases) == sum(counts.values())
    assert report.cases[3].message == "case 3 failed"
    assert report.cases[-1].suite == f"suite{(len(report.cases) - 1) // 500}"
    assert len({id(case.classname) for case in report.cases}) == 7  # interned


def test_an_xml_declaration_naming_an_unknown_encoding_is_refused() -> None:
    data = b'<?xml version="1.0" encoding="UTF-H"?><testsuite/>'
    with pytest.raises(ReportError, match=r"j\.xml: the XML declares an unknown encoding"):
        parse(io.BytesIO(data), name="j.xml")
