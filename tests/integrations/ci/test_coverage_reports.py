"""The coverage parsers: Cobertura XML, JaCoCo XML, coverage.py JSON and LCOV.

coverage.py's three formats are generated here by running coverage.py on a small module, so
the parsers are checked against real output of the installed version; JaCoCo, Cobertura (in
another tool's style) and geninfo files are checked-in fixtures with hand-counted figures.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest

from bot.domain.reports import CoverageReport, FileCoverage, ReportFormat
from bot.errors import ReportError
from integrations.ci import cobertura, coveragepy, jacoco, lcov

Parser = Callable[..., CoverageReport]
FIXTURES = Path(__file__).parent / "fixtures" / "coverage"
PARSERS: dict[ReportFormat, Parser] = {
    ReportFormat.COBERTURA: cobertura.parse,
    ReportFormat.COVERAGE_PY: coveragepy.parse,
    ReportFormat.LCOV: lcov.parse,
    ReportFormat.JACOCO: jacoco.parse,
}


def parse(parser: Parser, data: bytes | str, name: str = "report") -> CoverageReport:
    raw = data.encode() if isinstance(data, str) else data
    source: BinaryIO = io.BytesIO(raw)
    return parser(source, name=name)


def fails(parser: Parser, data: bytes | str, name: str = "report") -> str:
    """The ReportError message that ``parser`` gives for ``data``."""
    with pytest.raises(ReportError) as caught:
        parse(parser, data, name)
    return caught.value.message


def fixture(file_name: str, parser: Parser) -> CoverageReport:
    with (FIXTURES / file_name).open("rb") as source:
        return parser(source, name=file_name)


# --- coverage.py's own output ----------------------------------------------------------------

# 14 statements; the driver runs 9 of them. Branches: classify's `if` goes one way of two, the
# `for` both ways, unused's `if` neither: 3 of 6.
SHAPES = """\
def classify(n):
    if n > 0:
        return "positive"
    return "not positive"


def total(values):
    result = 0
    for value in values:
        result += value
    return result


def unused(a, b):
    if a:
        return a
    c = a + b
    return c * 2
"""
DRIVER = "import shapes\n\nshapes.classify(1)\nshapes.total([1, 2])\n"
OUTPUTS = {
    ReportFormat.COVERAGE_PY: ("json", "coverage.json"),
    ReportFormat.COBERTURA: ("xml", "coverage.xml"),
    ReportFormat.LCOV: ("lcov", "coverage.lcov"),
}
DRIVER_FILE = FileCoverage(path="driver.py", lines_total=3, lines_covered=3)


def shapes_file(*, branches_total: int = 0, branches_covered: int = 0) -> FileCoverage:
    return FileCoverage(
        path="shapes.py",
        lines_total=14,
        lines_covered=9,
        branches_total=branches_total,
        branches_covered=branches_covered,
    )


def measure(directory: Path, *, branch: bool) -> dict[ReportFormat, Path]:
    """Run coverage.py on the driver in ``directory``; its JSON, XML and LCOV reports."""
    (directory / "shapes.py").write_text(SHAPES)
    (directory / "driver.py").write_text(DRIVER)
    rcfile = directory / "child.coveragerc"
    rcfile.write_text("[run]\ndata_file = child.coverage\n")
    # The outer test run may itself be measured through COVERAGE_* variables: keep them out.
    env = {key: value for key, value in os.environ.items() if not key.startswith("COVERAGE_")}
    commands = [["run", *(["--branch"] if branch else []), "driver.py"]]
    commands += [[command, "-o", output] for command, output in OUTPUTS.values()]
    for command, *arguments in commands:
        done = subprocess.run(
            [sys.executable, "-m", "coverage", command, f"--rcfile={rcfile}", *arguments],
            cwd=directory,
            env=env,
            check=False,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, f"coverage {command} failed:\n{done.stderr}"
    return {tool: directory / output for tool, (_, output) in OUTPUTS.items()}


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[ReportFormat, Path]:
    return measure(tmp_path_factory.mktemp("branch"), branch=True)


@pytest.fixture(scope="module")
def measured_without_branches(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[ReportFormat, Path]:
    return measure(tmp_path_factory.mktemp("lines"), branch=False)


def read(paths: dict[ReportFormat, Path], tool: ReportFormat) -> CoverageReport:
    with paths[tool].open("rb") as source:
        return PARSERS[tool](source, name=paths[tool].name)


def test_coveragepy_formats_agree_on_the_line_percentage(
    measured: dict[ReportFormat, Path],
) -> None:
    reports = {tool: read(measured, tool) for tool in OUTPUTS}

    line_pcts = [report.line_pct for report in reports.values()]
    assert max(line_pcts) - min(line_pcts) < 0.01
    assert line_pcts[0] == pytest.approx(100 * 12 / 17)
    assert line_pcts[0] < 90
    assert all(report.branch_pct == pytest.approx(50.0) for report in reports.values())
    assert {tool: report.tool for tool, report in reports.items()} == {t: t for t in OUTPUTS}
    assert reports[ReportFormat.LCOV].source == "coverage.lcov"


@pytest.mark.parametrize("tool", list(OUTPUTS))
def test_coveragepy_formats_give_the_per_file_figures(
    measured: dict[ReportFormat, Path], tool: ReportFormat
) -> None:
    report = read(measured, tool)

    assert report.files == (DRIVER_FILE, shapes_file(branches_total=6, branches_covered=3))


def test_coveragepy_total_is_its_own_percent_covered(measured: dict[ReportFormat, Path]) -> None:
    totals = json.loads(measured[ReportFormat.COVERAGE_PY].read_text())["totals"]

    report = read(measured, ReportFormat.COVERAGE_PY)

    assert report.total_pct == totals["percent_covered"]
    assert report.total_pct == pytest.approx(100 * (12 + 3) / (17 + 6))
    assert read(measured, ReportFormat.COBERTURA).total_pct is None
    assert read(measured, ReportFormat.LCOV).total_pct is None


@pytest.mark.parametrize("tool", list(OUTPUTS))
def test_without_branch_measurement_there_is_no_branch_figure(
    measured_without_branches: dict[ReportFormat, Path], tool: ReportFormat
) -> None:
    report = read(measured_without_branches, tool)

    assert report.branch_pct is None
    assert report.line_pct == pytest.approx(100 * 12 / 17)
    assert report.files == (DRIVER_FILE, shapes_file())


# --- JaCoCo ----------------------------------------------------------------------------------


def test_jacoco_report_files_and_totals() -> None:
    report = fixture("jacoco.xml", jacoco.parse)

    assert report.tool is ReportFormat.JACOCO
    assert report.source == "jacoco.xml"
    assert report.line_pct == pytest.approx(75.0)  # the report's LINE counter: 9 of 12
    assert report.branch_pct == pytest.approx(50.0)  # its BRANCH counter: 4 of 8
    assert report.total_pct is None
    assert report.files == (
        FileCoverage(
            path="com/acme/billing/Invoice.java",
            lines_total=8,
            lines_covered=6,
            branches_total=6,
            branches_covered=3,
        ),
        FileCoverage(
            path="com/acme/util/Money.java",
            lines_total=4,
            lines_covered=3,
            branches_total=2,
            branches_covered=1,
        ),
    )


JACOCO_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<!DOCTYPE report PUBLIC "-//JACOCO//DTD Report 1.1//EN" "report.dtd">'
)


def test_jacoco_without_counters_counts_line_elements_and_sums_files() -> None:
    report = parse(
        jacoco.parse,
        JACOCO_HEAD + '<report name="r"><package name="app">'
        '<sourcefile name="Main.java">'
        '<line nr="3" ci="4"/><line nr="4" mi="2" mb="2"/><line nr="5" ci="1" mb="1" cb="3"/>'
        '<line nr="9" mi="1" ci="1"/>'
        "</sourcefile></package></report>",
    )

    assert report.files == (
        FileCoverage(
            path="app/Main.java",
            lines_total=4,
            lines_covered=3,
            branches_total=6,
            branches_covered=3,
        ),
    )
    assert report.line_pct == pytest.approx(75.0)
    assert report.branch_pct == pytest.approx(50.0)


def test_jacoco_groups_prefix_paths_and_repeated_files_are_summed() -> None:
    def module(group: str) -> str:
        return (
            f'<group name="{group}"><package name="com/acme"><sourcefile name="App.java">'
            '<counter type="LINE" missed="1" covered="1"/></sourcefile>'
            '<counter type="LINE" missed="50" covered="50"/></package>'
            '<counter type="LINE" missed="50" covered="50"/></group>'
        )

    report = parse(
        jacoco.parse,
        JACOCO_HEAD
        + '<report name="r">'
        + module("api")
        + module("worker")
        + module("api")
        # A file in the default package has no package prefix.
        + '<package name=""><sourcefile name="Main.java"><counter type="LINE" covered="4"/>'
        "</sourcefile></package></report>",
    )

    assert [(f.path, f.lines_total, f.lines_covered) for f in report.files] == [
        ("Main.java", 4, 4),
        ("api/com/acme/App.java", 4, 2),
        ("worker/com/acme/App.java", 2, 1),
    ]
    assert report.line_pct == pytest.approx(70.0)  # no report-level counter: 7 of 10
    assert report.branch_pct is None


def test_jacoco_report_counters_are_the_totals() -> None:
    report = parse(
        jacoco.parse,
        JACOCO_HEAD + '<report name="r"><package name="p"><sourcefile name="A.java">'
        '<counter type="LINE" missed="3" covered="1"/></sourcefile>'
        '<counter type="LINE" missed="3" covered="1"/></package>'
        '<counter type="INSTRUCTION" missed="9" covered="1"/>'
        '<counter type="LINE" missed="1" covered="9"/></report>',
    )

    assert report.line_pct == pytest.approx(90.0)
    assert report.files[0].line_pct == pytest.approx(25.0)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            '<sessioninfo id="s" start="1" dump="2"/>',
            "report: the coverage report measured no lines",
        ),
        (
            '<package name="p"><sourcefile name="A.java"><counter type="LINE" missed="x"/>'
            "</sourcefile></package>",
            "report: a <counter> has missed='x', expected a whole number",
        ),
        (
            '<package name="p"><sourcefile name="A.java"><line nr="1" ci="-1"/>'
            "</sourcefile></package>",
            "report: a <line> has ci='-1', expected a whole number",
        ),
        (
            '<package name="p"><sourcefile><line nr="1" ci="1"/></sourcefile></package>',
            "report: a <sourcefile> has no name attribute",
        ),
    ],
)
def test_jacoco_unusable_reports(body: str, message: str) -> None:
    assert fails(jacoco.parse, f'{JACOCO_HEAD}<report name="r">{body}</report>') == message


# --- Cobertura -------------------------------------------------------------------------------


def test_cobertura_from_another_tool_merges_classes_of_one_file() -> None:
    report = fixture("cobertura-maven.xml", cobertura.parse)

    # Line 25 is in both Cart and Cart$Item: counted once, and covered (hits 0 and 2).
    assert report.files == (
        FileCoverage(
            path="com/acme/cart/Cart.java",
            lines_total=9,
            lines_covered=7,
            branches_total=6,
            branches_covered=3,
        ),
        FileCoverage(
            path="com/acme/pricing/Discount.java",
            lines_total=4,
            lines_covered=3,
            branches_total=4,
            branches_covered=1,
        ),
    )
    # From the elements (10 of 13), not the root's lines-covered/lines-valid (10 of 14).
    assert report.line_pct == pytest.approx(100 * 10 / 13)
    assert report.branch_pct == pytest.approx(40.0)
    assert (report.tool, report.total_pct, report.source) == (
        ReportFormat.COBERTURA,
        None,
        "cobertura-maven.xml",
    )


def cobertura_xml(attributes: str, classes: str = "") -> str:
    return (
        '<?xml version="1.0" ?>\n'
        f'<coverage version="1" {attributes}><sources><source>/src</source></sources>'
        f'<packages><package name="app"><classes>{classes}</classes></package></packages>'
        "</coverage>"
    )


@pytest.mark.parametrize(
    ("attributes", "line_pct", "branch_pct"),
    [
        (
            'lines-valid="8" lines-covered="6" line-rate="0.1" '
            'branches-valid="0" branches-covered="0" branch-rate="0"',
            75.0,
            None,
        ),
        ('lines-valid="8" lines-covered="6" branches-valid="4" branches-covered="1"', 75.0, 25.0),
        ('line-rate="0.85" branch-rate="0.5"', 85.0, 50.0),
        ('line-rate="0.85" branch-rate="0"', 85.0, None),
        ('line-rate="0"', 0.0, None),
    ],
)
def test_cobertura_without_line_elements_uses_the_root_figures(
    attributes: str, line_pct: float, branch_pct: float | None
) -> None:
    report = parse(cobertura.parse, cobertura_xml(attributes))

    assert report.line_pct == pytest.approx(line_pct)
    assert report.branch_pct == (None if branch_pct is None else pytest.approx(branch_pct))
    assert report.files == ()


def test_cobertura_line_elements_win_over_the_root() -> None:
    classes = (
        '<class name="a" filename="src/a.js"><methods/><lines>'
        '<line number="1" hits="3" branch="false"/>'
        '<line number="2" hits="0" branch="true" condition-coverage="0% (0/2)"/>'
        '<line number="3" hits="1" branch="true"/>'  # no condition-coverage: no branch data
        "</lines></class>"
        '<class name="empty" filename="src/empty.js"><methods/><lines/></class>'
    )

    report = parse(cobertura.parse, cobertura_xml('line-rate="1" branch-rate="1"', classes))

    assert report.files == (
        FileCoverage(
            path="src/a.js", lines_total=3, lines_covered=2, branches_total=2, branches_covered=0
        ),
        FileCoverage(path="src/empty.js", lines_total=0, lines_covered=0),
    )
    assert report.line_pct == pytest.approx(100 * 2 / 3)
    assert report.branch_pct == 0.0


@pytest.mark.parametrize(
    ("attributes", "classes", "message"),
    [
        (
            'lines-valid="0" lines-covered="0" line-rate="1"',
            "",
            "the coverage report measured no lines",
        ),
        ("", "", "the coverage report measured no lines"),
        ('line-rate="1.5"', "", "<coverage> has line-rate='1.5', expected a number from 0 to 1"),
        ('line-rate="NaN"', "", "<coverage> has line-rate='NaN', expected a number from 0 to 1"),
        (
            'line-rate="high"',
            "",
            "<coverage> has line-rate='high', expected a number from 0 to 1",
        ),
        (
            'lines-valid="ten" lines-covered="1"',
            "",
            "<coverage> has lines-valid='ten' and lines-covered='1', expected whole numbers",
        ),
        (
            "",
            '<class name="Orphan"><lines><line number="1" hits="1"/></lines></class>',
            "<class name='Orphan'> has no filename attribute",
        ),
        (
            "",
            '<class name="a" filename="a.c"><lines><line number="1" hits="1.5"/></lines></class>',
            "a <line> has hits='1.5', expected a whole number",
        ),
        (
            "",
            '<class name="a" filename="a.c"><lines><line hits="1"/></lines></class>',
            "a <line> has number=None, expected a whole number",
        ),
    ],
)
def test_cobertura_unusable_reports(attributes: str, classes: str, message: str) -> None:
    assert fails(cobertura.parse, cobertura_xml(attributes, classes), "cov.xml") == (
        f"cov.xml: {message}"
    )


# --- Hostile, broken and misnamed XML --------------------------------------------------------

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE {root} [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<{root}>&lol3;</{root}>
"""
XXE = """<?xml version="1.0"?>
<!DOCTYPE {root} [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<{root}>&secret;</{root}>
"""
XML_PARSERS = [(cobertura.parse, "coverage"), (jacoco.parse, "report")]


@pytest.mark.parametrize(("parser", "root"), XML_PARSERS)
@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_xml_is_refused(parser: Parser, root: str, payload: str) -> None:
    message = fails(parser, payload.format(root=root), "evil.xml")

    assert message.startswith("evil.xml: refused: the XML declares entities")


@pytest.mark.parametrize(
    ("parser", "data", "message"),
    [
        (cobertura.parse, b"", "cov.xml is empty or not XML"),
        (jacoco.parse, b"", "cov.xml is empty or not XML"),
        (jacoco.parse, b"SF:a.c\nDA:1,1\nend_of_record\n", "cov.xml is empty or not XML"),
        (
            cobertura.parse,
            cobertura_xml('line-rate="1"')[:-20],
            "cov.xml: not well-formed XML at line 2, column",
        ),
        (
            jacoco.parse,
            (FIXTURES / "jacoco.xml").read_bytes()[:-300],
            "cov.xml: not well-formed XML at line",
        ),
        (
            cobertura.parse,
            b'<?xml version="1.0"?><testsuites tests="1"><testsuite name="s" tests="1">'
            b'<testcase name="t"/></testsuite></testsuites>',
            "cov.xml: not a Cobertura report: the root element is <testsuites>, "
            "expected <coverage>",
        ),
        (
            cobertura.parse,
            (FIXTURES / "jacoco.xml").read_bytes(),
            "cov.xml: not a Cobertura report: the root element is <report>",
        ),
        (
            jacoco.parse,
            (FIXTURES / "cobertura-maven.xml").read_bytes(),
            "cov.xml: not a JaCoCo report: the root element is <coverage>, expected <report>",
        ),
    ],
)
def test_broken_or_misnamed_xml(parser: Parser, data: bytes | str, message: str) -> None:
    assert fails(parser, data, "cov.xml").startswith(message)


@pytest.mark.parametrize("parser", [cobertura.parse, jacoco.parse])
def test_the_wrong_xml_format_fails_at_the_root(parser: Parser) -> None:
    # A large unterminated JUnit file: the parser must stop at the root, not read it all.
    data = b'<?xml version="1.0"?><testsuites><testsuite name="s">' + (
        b'<testcase classname="c" name="t"/>' * 50_000
    )
    source = io.BytesIO(data)

    with pytest.raises(ReportError, match="the root element is <testsuites>"):
        parser(source, name="junit.xml")
    assert source.tell() < len(data) // 10


# --- coverage.py JSON ------------------------------------------------------------------------


def coveragepy_json(*, branch: bool = True, **totals: object) -> str:
    summary = {
        "covered_lines": 3,
        "num_statements": 4,
        "percent_covered": 62.5,
        "missing_lines": 1,
        "excluded_lines": 0,
        "num_branches": 4,
        "covered_branches": 2,
    }
    document = {
        "meta": {"format": 3, "version": "7.6.1", "branch_coverage": branch},
        "files": {"pkg/mod.py": {"summary": summary}},
        "totals": {**summary, **totals},
    }
    return json.dumps(document)


@pytest.mark.parametrize(
    ("document", "branch_pct", "file_branches"),
    [
        (coveragepy_json(), 50.0, (4, 2)),
        (coveragepy_json(branch=False), None, (0, 0)),
        (coveragepy_json(num_branches=0, covered_branches=0), None, (4, 2)),
    ],
)
def test_coveragepy_branch_figure(
    document: str, branch_pct: float | None, file_branches: tuple[int, int]
) -> None:
    report = parse(coveragepy.parse, document)

    assert report.line_pct == pytest.approx(75.0)
    assert report.branch_pct == branch_pct
    assert report.total_pct == 62.5
    assert (report.files[0].branches_total, report.files[0].branches_covered) == file_branches


SARIF = json.dumps({"$schema": "https://json.schemastore.org/sarif-2.1.0.json", "runs": []})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "cov.json is empty"),
        (b"  \n", "cov.json is empty"),
        (
            coveragepy_json()[:-1],
            f"cov.json: invalid JSON at line 1, column {len(coveragepy_json())}: "
            "Expecting ',' delimiter (a truncated upload?); "
            "expected coverage.py JSON (the output of `coverage json`)",
        ),
        (
            coveragepy_json()[:40],
            "cov.json: invalid JSON at line 1, column 35: Unterminated string starting (",
        ),
        (
            b'{\n  "meta": {},\n  "files": nope\n}',
            "cov.json: invalid JSON at line 3, column 12: Expecting value (",
        ),
        (
            b"SF:a.py\nDA:1,1\nend_of_record\n",
            "cov.json: invalid JSON at line 1, column 1: Expecting value (",
        ),
        (SARIF, "cov.json: not coverage.py JSON (it looks like SARIF): no meta or files or totals"),
        (b"[]", "cov.json: not coverage.py JSON: the top level is a JSON array"),
        (b'"totals"', "cov.json: not coverage.py JSON: the top level is a JSON string"),
        (b"42", "cov.json: not coverage.py JSON: the top level is a JSON number"),
        (b'{"meta": {}, "files": {}}', "cov.json: not coverage.py JSON: no totals object"),
        (
            b'{"meta": {}, "files": {"a.py": 1}, "totals": {}}',
            "cov.json: not coverage.py JSON: files['a.py'] has no summary object",
        ),
        (
            coveragepy_json().replace("62.5", "NaN"),
            "cov.json: refused: the JSON holds NaN, not a finite number",
        ),
        (
            coveragepy_json().replace("62.5", "-Infinity"),
            "cov.json: refused: the JSON holds -Infinity",
        ),
        (coveragepy_json().replace("62.5", "1e999"), "cov.json: refused: the JSON holds 1e999"),
        (
            coveragepy_json().replace("62.5", "1" + "0" * 5000),
            "cov.json: unreadable JSON (Exceeds the limit (4300 digits)",
        ),
        (
            coveragepy_json(covered_lines="3"),
            "cov.json: totals.covered_lines is '3', expected a whole number",
        ),
        (
            coveragepy_json(num_statements=True),
            "cov.json: totals.num_statements is True, expected a whole number",
        ),
        (
            coveragepy_json(percent_covered=250),
            "cov.json: totals.percent_covered is 250, expected a percentage",
        ),
        (
            coveragepy_json(num_statements=0, covered_lines=0),
            "cov.json: the coverage report measured no lines",
        ),
        (
            coveragepy_json().replace('"num_branches": 4, ', "", 1),
            "cov.json: files['pkg/mod.py'].summary.num_branches is None, expected a whole number",
        ),
        (b'{"meta": "\xff"}', "cov.json: not UTF-8 text (bad byte at offset 10)"),
        (b"[" * 100_000, "cov.json: refused: the JSON is nested too deeply"),
    ],
)
def test_coveragepy_unusable_files(data: bytes | str, message: str) -> None:
    assert fails(coveragepy.parse, data, "cov.json").startswith(message)


# --- LCOV ------------------------------------------------------------------------------------


def test_lcov_merges_records_of_the_same_file() -> None:
    report = fixture("geninfo-merged.info", lcov.parse)

    assert report.files == (
        # Unit and integration records: line 15 never ran; branch 14/0/1 was never taken.
        FileCoverage(
            path="/home/ci/work/calc/src/calc.c",
            lines_total=8,
            lines_covered=7,
            branches_total=4,
            branches_covered=3,
        ),
        FileCoverage(
            path="/home/ci/work/calc/src/parse.c",
            lines_total=4,
            lines_covered=3,
            branches_total=2,
            branches_covered=1,
        ),
    )
    assert report.line_pct == pytest.approx(100 * 10 / 12)
    assert report.branch_pct == pytest.approx(100 * 4 / 6)
    assert (report.tool, report.total_pct) == (ReportFormat.LCOV, None)


@pytest.mark.parametrize(
    ("data", "files", "line_pct", "branch_pct"),
    [
        # No DA or BRDA lines: the summaries count, the largest of repeated records.
        (
            "TN:\nSF:a.c\nLF:10\nLH:7\nBRF:4\nBRH:1\nend_of_record\n"
            "SF:a.c\nLF:10\nLH:2\nend_of_record\n",
            [("a.c", 10, 7, 4, 1)],
            70.0,
            25.0,
        ),
        # DA and BRDA win over the summaries; a repeated line counts once.
        (
            "SF:b.c\nDA:1,0\nDA:1,3\nDA:2,0,abc\nLF:99\nLH:99\n"
            "BRDA:1,e0,0,-\nBRDA:1,e0,1,0\nBRDA:1,e0,1,2\nBRF:9\nBRH:9\nend_of_record",
            [("b.c", 2, 1, 2, 1)],
            50.0,
            50.0,
        ),
        # A byte order mark, CRLF line ends, blank lines, and records it does not use.
        (
            "\ufeffVER:2\r\nSF:c.c\r\n\r\nFN:1,3,main\r\nFNL:0,1,3\r\nDA:1,1\r\nDA:2,0\r\n"
            "end_of_record\r\n",
            [("c.c", 2, 1, 0, 0)],
            50.0,
            None,
        ),
    ],
)
def test_lcov_counts(
    data: str, files: list[tuple[str, int, int, int, int]], line_pct: float, branch_pct: float
) -> None:
    report = parse(lcov.parse, data)

    assert [
        (f.path, f.lines_total, f.lines_covered, f.branches_total, f.branches_covered)
        for f in report.files
    ] == files
    assert report.line_pct == pytest.approx(line_pct)
    assert report.branch_pct == (None if branch_pct is None else pytest.approx(branch_pct))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "cov.info is empty"),
        (b"\n \n", "cov.info is empty"),
        (b"TN:\nVER:2\n", "cov.info: not an LCOV tracefile: it has no SF: (source file) record"),
        (
            b'<?xml version="1.0"?>\n<coverage/>',
            "cov.info: not an LCOV tracefile: it starts with '<', like XML",
        ),
        (coveragepy_json(), "cov.info: not an LCOV tracefile: it starts with '{', like JSON"),
        (
            b"SF:a.c\nDA:1,1\nDA:two,1\nend_of_record\n",
            "cov.info: line 3: DA:two,1 is not DA:<line>,<hits>",
        ),
        (b"SF:a.c\nDA:1\nend_of_record\n", "cov.info: line 2: DA:1 is not DA:<line>,<hits>"),
        (
            b"SF:a.c\nBRDA:1,0\nend_of_record\n",
            "cov.info: line 2: BRDA:1,0 is not BRDA:<line>,<block>,<branch>,<taken>",
        ),
        (b"SF:a.c\nLF:many\nend_of_record\n", "cov.info: line 2: LF:many is not a whole number"),
        (b"DA:1,1\n", "cov.info: line 1: DA outside a record (no SF: before it)"),
        (b"SF:a.c\nthis is not lcov\n", "cov.info: line 2 is not an LCOV record: 'this is"),
        (
            b"SF:a.c\nDA:1,1\n",
            "cov.info: the record for a.c has no end_of_record (a truncated upload?)",
        ),
        (
            b"SF:a.c\nDA:1,1\nDA:2,\xff\nend_of_record\n",
            "cov.info: line 3 is not UTF-8 text (bad byte at column 6)",
        ),
        (
            b"SF:a.c\nLF:0\nLH:0\nend_of_record\n",
            "cov.info: the coverage report measured no lines",
        ),
    ],
)
def test_lcov_unusable_files(data: bytes | str, message: str) -> None:
    assert fails(lcov.parse, data, "cov.info").startswith(message)
