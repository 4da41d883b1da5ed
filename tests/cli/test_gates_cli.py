"""``stationmaster gates evaluate`` and ``gates submit``, in process, on reports made by the tools.

The JUnit, coverage and SARIF files are written by pytest, coverage.py and bandit run in
subprocesses; the Surefire and jest-junit files are the parser fixtures. ``submit`` talks to the
real bot served on loopback, from a worker thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot import gates_cli
from bot.ci_signing import DELIVERY_HEADER, SIGNATURE_HEADER, sign
from bot.cli import build_parser, main
from bot.config import parse_config
from bot.errors import UsageError
from tests.harness import ROLES_YAML, Running, running_bot

FIXTURES = Path(__file__).resolve().parents[1] / "integrations" / "ci" / "fixtures"
SUREFIRE = FIXTURES / "junit" / "TEST-com.example.CalculatorTest.xml"
JEST = FIXTURES / "junit" / "jest-junit.xml"
SECRET = "s3cret"

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE coverage [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
]>
<coverage line-rate="1">&lol2;</coverage>
"""


# -- reports written by the real tools --------------------------------------------------------


def _tool(*args: str, cwd: Path, ok: tuple[int, ...] = (0,)) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k != "PYTEST_ADDOPTS" and not k.startswith("COVERAGE_")
    }
    done = subprocess.run(
        [sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode in ok, done.stdout + done.stderr


@dataclass(frozen=True)
class Reports:
    junit_failing: Path
    junit_passing: Path
    junit_many: Path
    cov_json: Path
    cov_xml: Path
    cov_lcov: Path
    sarif_high: Path
    sarif_clean: Path


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Reports:
    root = tmp_path_factory.mktemp("reports")
    tests = root / "tests"
    tests.mkdir()
    (tests / "test_sample.py").write_text(
        "def test_adds():\n    assert 1 + 1 == 2\n\n\n"
        "def test_breaks():\n    assert 1 + 1 == 3, 'arithmetic is broken'\n"
    )
    (tests / "test_many.py").write_text(
        "import pytest\n\n\n@pytest.mark.parametrize('n', range(25))\n"
        "def test_many(n):\n    assert n < 0\n"
    )
    pytest_args = ("pytest", "-q", "-p", "no:cacheprovider")
    _tool(*pytest_args, "--junitxml=../failing.xml", "test_sample.py", cwd=tests, ok=(1,))
    _tool(*pytest_args, "--junitxml=../passing.xml", "-k", "adds", "test_sample.py", cwd=tests)
    _tool(*pytest_args, "--junitxml=../many.xml", "test_many.py", cwd=tests, ok=(1,))

    app = root / "app"
    app.mkdir()
    (app / "shop.py").write_text(
        textwrap.dedent("""\
            def price(n):
                if n > 10:
                    return n * 0.9
                return n


            def refund(n):
                total = -n
                total += 1
                return total
            """)
    )
    (app / "main.py").write_text("import shop\n\nshop.price(5)\n")
    _tool("coverage", "run", "--branch", "main.py", cwd=app)
    _tool("coverage", "json", "-o", "../cov.json", cwd=app)
    _tool("coverage", "xml", "-o", "../cov.xml", cwd=app)
    _tool("coverage", "lcov", "-o", "../cov.info", cwd=app)

    code = root / "code"
    code.mkdir()
    (code / "danger.py").write_text(
        "import subprocess\n\n\ndef run(command):\n"
        "    return subprocess.call(command, shell=True)\n"
    )
    (code / "safe.py").write_text("def add(a, b):\n    return a + b\n")
    bandit = ("bandit", "-q", "-f", "sarif", "-o")
    _tool(*bandit, "../high.sarif", "danger.py", cwd=code, ok=(1,))
    _tool(*bandit, "../clean.sarif", "safe.py", cwd=code)
    return Reports(
        junit_failing=root / "failing.xml",
        junit_passing=root / "passing.xml",
        junit_many=root / "many.xml",
        cov_json=root / "cov.json",
        cov_xml=root / "cov.xml",
        cov_lcov=root / "cov.info",
        sarif_high=root / "high.sarif",
        sarif_clean=root / "clean.sarif",
    )


@pytest.fixture(autouse=True)
def _no_config_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATIONMASTER_CONFIG", raising=False)
    monkeypatch.delenv("STATIONMASTER_CI_SECRET", raising=False)
    monkeypatch.delenv("STATIONMASTER_SECRETS_DIR", raising=False)


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


def run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    code = main(["gates", *(str(a) for a in args)])
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err)


def assert_one_line_error(result: Run, *expected: str) -> None:
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("stationmaster: ")
    assert "Traceback" not in result.err
    for text in expected:
        assert text in result.err, result.err


# -- evaluate: verdicts and names -------------------------------------------------------------


def test_pytest_junit_with_a_failing_test_fails_the_unit_gate(
    capsys: pytest.CaptureFixture[str], reports: Reports
) -> None:
    result = run(capsys, "evaluate", "--junit", reports.junit_failing)
    assert result.code == 1
    lines = result.out.splitlines()
    assert lines[0] == "unit: FAIL  1 passed, 1 failed"
    assert "  1 test failed: test_sample.test_breaks" in lines
    assert "  failing tests:" in lines
    failing = next(line for line in lines if line.startswith("    test_sample.test_breaks: "))
    assert "arithmetic is broken" in failing
    for gate in ("integration", "e2e", "coverage", "performance", "security"):
        assert f"{gate}: not evaluated (no report given)" in lines
    assert lines[-1] == "overall: FAIL  unit failed (policy default; 5 not evaluated)"
    assert result.err == ""


@pytest.mark.parametrize(
    ("report", "names", "flaky"),
    [
        (
            SUREFIRE,
            [
                "com.example.CalculatorTest.subtractsAlwaysWrong",
                "com.example.CalculatorTest.multipliesWithDatabase",
            ],
            "com.example.CalculatorTest.dividesOverNetwork",
        ),
        (JEST, ["sum.sum adds floats"], None),
    ],
    ids=["surefire", "jest-junit"],
)
def test_surefire_and_jest_junit_fail_with_their_failing_names(
    capsys: pytest.CaptureFixture[str], report: Path, names: list[str], flaky: str | None
) -> None:
    result = run(capsys, "evaluate", "--junit", report)
    assert result.code == 1
    assert result.out.startswith("unit: FAIL  ")
    for name in names:
        assert f"    {name}: " in result.out
    assert f"{len(names)} test{'s' if len(names) > 1 else ''} failed: {names[0]}" in result.out
    if flaky is not None:
        assert f"  flaky tests:\n    {flaky}\n" in result.out


@pytest.mark.parametrize("kind", ["cov_json", "cov_xml", "cov_lcov"])
def test_coverage_below_90_fails_with_the_files_below(
    capsys: pytest.CaptureFixture[str], reports: Reports, kind: str
) -> None:
    result = run(capsys, "evaluate", "--coverage", getattr(reports, kind))
    assert result.code == 1
    assert result.out.startswith("coverage: FAIL  line 60.0%")
    assert "  line coverage 60.0% is below 90%\n" in result.out
    assert "  1 file below 90%: shop.py 50.0%\n" in result.out
    assert "overall: FAIL  coverage failed" in result.out


def test_bandit_sarif_with_a_high_finding_fails_security(
    capsys: pytest.CaptureFixture[str], reports: Reports
) -> None:
    result = run(capsys, "evaluate", "--sarif", reports.sarif_high)
    assert result.code == 1
    assert result.out.startswith("security: FAIL  0 critical, 1 high")
    assert "  1 finding at high or above: B602 (high) at danger.py:5\n" in result.out


def test_passing_reports_exit_0_and_the_rest_is_not_evaluated(
    capsys: pytest.CaptureFixture[str], reports: Reports
) -> None:
    result = run(
        capsys, "evaluate", "--junit", reports.junit_passing, "--sarif", reports.sarif_clean
    )
    assert result.code == 0, result.out
    lines = result.out.splitlines()
    assert lines[0] == "unit: PASS  1 passed, 0 failed"
    assert "security: PASS  0 critical, 0 high, 0 medium, 0 low" in lines
    assert "coverage: not evaluated (no report given)" in lines
    assert lines[-1] == "overall: PASS  unit, security passed (policy default; 4 not evaluated)"


def test_failures_are_listed_up_to_20_then_counted(
    capsys: pytest.CaptureFixture[str], reports: Reports
) -> None:
    result = run(capsys, "evaluate", "--integration", reports.junit_many, "--policy", "hotfix")
    assert result.code == 0  # hotfix does not require the integration gate
    assert result.out.startswith(
        "integration: FAIL  0 passed, 25 failed  (not required by the policy)\n"
    )
    assert "25 tests failed: test_many.test_many[0], " in result.out
    listed = [line for line in result.out.splitlines() if line.startswith("    test_many.")]
    assert len(listed) == 20
    assert "    and 5 more\n" in result.out
    assert "overall: PASS  no gate the hotfix policy requires was evaluated" in result.out


def test_e2e_names_the_critical_journeys_that_did_not_run(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run(capsys, "evaluate", "--e2e", JEST)
    assert result.code == 1
    assert "  no test matching the critical pattern `checkout*` ran\n" in result.out


def test_a_gate_outside_the_policy_is_shown_but_does_not_count(
    capsys: pytest.CaptureFixture[str], reports: Reports
) -> None:
    result = run(
        capsys, "evaluate", "--policy", "hotfix", "--junit", reports.junit_passing,
        "--coverage", reports.cov_xml,
    )  # fmt: skip
    assert result.code == 0
    assert "coverage: FAIL  line 60.0%" in result.out
    assert "(not required by the policy)" in result.out
    assert result.out.endswith(
        "e2e: not evaluated (no report given)\nsecurity: not evaluated (no report given)\n"
        "overall: PASS  unit passed (policy hotfix; 2 not evaluated)\n"
    )


def test_json_output(capsys: pytest.CaptureFixture[str], reports: Reports) -> None:
    result = run(
        capsys, "evaluate", "--junit", reports.junit_failing, "--coverage", reports.cov_json,
        "--sarif", reports.sarif_clean, "--format", "json",
    )  # fmt: skip
    assert result.code == 1
    data = json.loads(result.out)
    assert data["policy"] == "default"
    assert data["passed"] is False
    assert list(data["gates"]) == [
        "unit", "integration", "e2e", "coverage", "performance", "security"
    ]  # fmt: skip
    unit = data["gates"]["unit"]
    assert unit["verdict"] == "fail"
    assert unit["required"] is True
    assert unit["summary"] == "1 passed, 1 failed"
    assert unit["reasons"] == ["1 test failed: test_sample.test_breaks"]
    [failure] = unit["failures"]
    assert failure["name"] == "test_sample.test_breaks"
    assert "arithmetic is broken" in failure["message"]
    assert failure["critical"] is False
    assert unit["flaky"] == []
    assert data["gates"]["coverage"]["verdict"] == "fail"
    assert data["gates"]["security"]["verdict"] == "pass"
    assert data["gates"]["e2e"] == {
        "verdict": "not_evaluated", "required": True, "summary": "", "reasons": [],
        "failures": [], "flaky": [],
    }  # fmt: skip


def test_json_output_of_a_pass(capsys: pytest.CaptureFixture[str], reports: Reports) -> None:
    result = run(capsys, "evaluate", "--sarif", reports.sarif_clean, "--format", "json")
    assert result.code == 0
    assert json.loads(result.out)["passed"] is True


# -- evaluate: policies from the config -------------------------------------------------------

LENIENT = """
gate_policies:
  lenient:
    coverage: {min_line: 50}
  default:
    coverage: {min_line: 50}
    security: {fail_on: critical}
"""


def test_a_config_policy_with_min_line_50_passes_the_same_coverage(
    capsys: pytest.CaptureFixture[str], reports: Reports, tmp_path: Path
) -> None:
    config = tmp_path / "stationmaster.yml"
    config.write_text(LENIENT)
    strict = run(capsys, "evaluate", "--coverage", reports.cov_xml)
    assert strict.code == 1
    result = run(
        capsys, "evaluate", "--config", config, "--policy", "lenient", "--coverage", reports.cov_xml
    )
    assert result.code == 0, result.out
    assert result.out.startswith("coverage: PASS  line 60.0%")
    assert result.out.splitlines()[-1] == "overall: PASS  coverage passed (policy lenient)"


def test_stationmaster_config_names_the_config_and_its_default_replaces_the_builtin(
    capsys: pytest.CaptureFixture[str],
    reports: Reports,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = tmp_path / "gates.yml"
    config.write_text(LENIENT)
    monkeypatch.setenv("STATIONMASTER_CONFIG", str(config))
    result = run(capsys, "evaluate", "--coverage", reports.cov_lcov, "--sarif", reports.sarif_high)
    assert result.code == 0, result.out
    assert "overall: PASS  coverage, security passed (policy default)" in result.out
    unknown = run(capsys, "evaluate", "--policy", "strict", "--sarif", reports.sarif_high)
    assert_one_line_error(
        unknown, "unknown gate policy 'strict': the policies are default, hotfix, lenient"
    )


def test_an_unknown_policy_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "evaluate", "--policy", "nightly", "--junit", JEST)
    assert_one_line_error(result, "unknown gate policy 'nightly': the policies are default, hotfix")


def test_a_missing_or_invalid_config_is_unusable_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = run(capsys, "evaluate", "--config", tmp_path / "nope.yml", "--junit", JEST)
    assert_one_line_error(missing, "config file not found")
    bad = tmp_path / "bad.yml"
    bad.write_text("gate_policies:\n  lenient:\n    coverage: {min_line: 150}\n")
    invalid = run(capsys, "evaluate", "--config", bad, "--junit", JEST)
    assert_one_line_error(invalid, f"{bad}: line 3: gate_policies.lenient.coverage.min_line")


# -- evaluate: unusable input -----------------------------------------------------------------


def test_bad_input_is_exit_2_in_one_line(
    capsys: pytest.CaptureFixture[str], reports: Reports, tmp_path: Path
) -> None:
    hostile = tmp_path / "cov.xml"
    hostile.write_text(BILLION_LAUGHS)
    truncated = tmp_path / "truncated.xml"
    truncated.write_bytes(reports.cov_xml.read_bytes()[:300])
    odd = tmp_path / "odd.xml"
    odd.write_text('<?xml version="1.0" encoding="UTF-H"?>\n<testsuite/>\n')
    cases = {
        ("--junit", tmp_path / "missing.xml"): f"{tmp_path / 'missing.xml'}: no such file",
        ("--junit", tmp_path): f"{tmp_path}: is a directory",
        ("--coverage", hostile): f"{hostile}: refused: the XML declares entities",
        ("--coverage", truncated): f"{truncated}: not well-formed XML at line ",
        ("--coverage", reports.junit_failing): (
            f"{reports.junit_failing} is a junit report, which cannot feed the coverage gate"
        ),
        ("--sarif", reports.cov_json): "is a coveragepy report, which cannot feed the security",
        ("--junit", odd): f"{odd}: the XML declares an unknown encoding (unknown encoding: UTF-H)",
    }
    for args, expected in cases.items():
        assert_one_line_error(run(capsys, "evaluate", *args), expected)


def test_nothing_to_evaluate(capsys: pytest.CaptureFixture[str]) -> None:
    result = run(capsys, "evaluate", "--policy", "hotfix")
    assert_one_line_error(result, "nothing to evaluate: give at least one report")


def test_bad_flags_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["gates", "evaluate", "--format", "xml", "--junit", str(JEST)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "invalid choice: 'xml'" in err
    with pytest.raises(SystemExit) as exited:
        main(["gates"])
    assert exited.value.code == 2
    assert "{evaluate,submit}" in capsys.readouterr().err


@pytest.mark.parametrize("args", [(), ("evaluate",), ("submit",)])
def test_help(capsys: pytest.CaptureFixture[str], args: tuple[str, ...]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["gates", *args, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith("usage: stationmaster gates")


# -- evaluate: performance against a baseline -------------------------------------------------


def _benchmarks(path: Path, **values: float) -> Path:
    rows = [
        {"name": name.replace("_", " "), "value": v, "unit": "ms"} for name, v in values.items()
    ]
    path.write_text(json.dumps(rows))
    return path


def test_a_benchmark_regression_against_the_baseline_fails(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    before = _benchmarks(tmp_path / "before.json", checkout_render=40.0, login=10.0)
    now = _benchmarks(tmp_path / "now.json", checkout_render=50.0, login=10.2)
    result = run(capsys, "evaluate", "--benchmark", now, "--baseline", before)
    assert result.code == 1
    assert result.out.startswith("performance: FAIL  2 benchmarks, 2 compared with baseline\n")
    assert (
        "  1 benchmark regressed more than 5% against baseline: "
        "checkout render +25.0% (40 ms → 50 ms)\n"
    ) in result.out
    assert "login" not in result.out.split("against baseline:", 1)[1]

    alone = run(capsys, "evaluate", "--benchmark", now)
    assert alone.code == 0
    assert "no baseline yet" in alone.out


def test_a_baseline_needs_benchmarks_of_its_kind(
    capsys: pytest.CaptureFixture[str], reports: Reports, tmp_path: Path
) -> None:
    now = _benchmarks(tmp_path / "now.json", checkout=50.0)
    lone = run(capsys, "evaluate", "--baseline", now, "--junit", JEST)
    assert_one_line_error(lone, "--baseline needs --benchmark")
    wrong = run(capsys, "evaluate", "--benchmark", now, "--baseline", reports.cov_json)
    assert_one_line_error(wrong, "cannot feed the performance gate")


# -- submit: the multipart body, retries, answers (MockTransport) -----------------------------


def _submit_args(*args: str | Path) -> list[str]:
    return ["gates", "submit", *(str(a) for a in args)]


def _answer_with(status: int, body: object, seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if isinstance(body, bytes):
            return httpx.Response(status, content=body)
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handler)


PASSED = {
    "ok": True, "release": "web/2026.11.1", "gate": "unit", "verdict": "pass",
    "gates": "pending", "state": "gating", "duplicate": False, "required": True,
}  # fmt: skip


def test_submit_signs_the_exact_body_it_sends(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STATIONMASTER_CI_SECRET", SECRET)
    seen: list[httpx.Request] = []
    args = build_parser().parse_args(
        _submit_args(
            "--url", "https://bot.example.com/", "--release", "web/2026.11.1", "--gate", "unit",
            "--format", "junit", "--build-url", "https://ci.example.com/runs/7",
            "--commit", "abc1234", SUREFIRE, JEST,
        )
    )  # fmt: skip
    code = gates_cli.submit(args, transport=_answer_with(200, PASSED, seen))
    assert code == 0
    assert capsys.readouterr().out == "web/2026.11.1 unit: pass; gates pending; release is gating\n"
    [request] = seen
    assert str(request.url) == "https://bot.example.com/hooks/ci"
    body = request.content
    assert request.headers[SIGNATURE_HEADER] == sign(body, SECRET)
    assert re.fullmatch(r"submit-[0-9a-f-]{36}", request.headers[DELIVERY_HEADER])
    boundary = request.headers["Content-Type"].split("boundary=", 1)[1]
    assert body.startswith(f"--{boundary}\r\n".encode())
    assert body.endswith(f"--{boundary}--\r\n".encode())
    for name, value in (("release", "web/2026.11.1"), ("format", "junit"), ("commit", "abc1234")):
        assert f'name="{name}"\r\n\r\n{value}\r\n'.encode() in body
    assert b'name="file"; filename="jest-junit.xml"\r\n' in body
    assert SUREFIRE.read_bytes() in body


def test_submit_retries_5xx_and_429_with_one_delivery_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATIONMASTER_CI_SECRET", SECRET)
    seen: list[httpx.Request] = []
    answers = iter([
        httpx.Response(503, json={"ok": False, "error": "not configured"}),
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(502, content=b"<html>bad gateway</html>"),
        httpx.Response(200, json={**PASSED, "verdict": "fail", "gates": "failed"}),
    ])  # fmt: skip

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return next(answers)

    waits: list[float] = []
    args = build_parser().parse_args(
        _submit_args("--url", "http://bot:3000", "--release", "v", "--gate", "unit", JEST)
    )
    code = gates_cli.submit(args, transport=httpx.MockTransport(handler), sleep=waits.append)
    assert code == 1
    assert waits == [0.5, 7.0, 2.0]
    assert len({r.headers[DELIVERY_HEADER] for r in seen}) == 1
    assert len({r.content for r in seen}) == 1


def test_submit_gives_up_after_the_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[httpx.Request] = []
    waits: list[float] = []
    with pytest.raises(UsageError) as failed:
        gates_cli.post(
            "http://bot/hooks/ci",
            body=b"x",
            headers={},
            transport=_answer_with(500, {"ok": False, "error": "boom"}, seen),
            sleep=waits.append,
        )
    assert str(failed.value) == "http://bot/hooks/ci answered 500: boom (gave up after 4 attempts)"
    assert len(seen) == 4
    assert waits == [0.5, 1.0, 2.0]


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b"<html>hello</html>", "http://bot/hooks/ci answered 200 without the webhook's JSON"),
        (200, ["ok"], "answered 200 without the webhook's JSON"),
        (400, {"ok": False, "error": "missing form field 'release'"}, "(400): missing form"),
        (413, {"ok": False}, "the bot refused the report (413): no reason given"),
    ],
)
def test_submit_answers_that_are_not_a_verdict_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    body: object,
    expected: str,
) -> None:
    monkeypatch.setenv("STATIONMASTER_CI_SECRET", SECRET)
    args = build_parser().parse_args(
        _submit_args("--url", "http://bot", "--release", "v", "--gate", "unit", JEST)
    )
    with pytest.raises(UsageError) as failed:
        gates_cli.submit(args, transport=_answer_with(status, body, []))
    assert expected in str(failed.value)
    assert capsys.readouterr().out == ""


def test_submit_unusable_arguments(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    base = ("--release", "v", "--gate", "unit")
    no_secret = run(capsys, "submit", "--url", "http://bot", *base, JEST)
    assert_one_line_error(no_secret, "set STATIONMASTER_CI_SECRET")
    monkeypatch.setenv("STATIONMASTER_CI_SECRET", SECRET)
    for args, expected in {
        ("--url", "bot.example.com", *base, JEST): "--url 'bot.example.com' is not an http(s) URL",
        ("--url", "http://bot", "--delivery", "a b", *base, JEST): "--delivery must be 1-200",
        ("--url", "http://bot", *base, tmp_path / "nope.xml"): "nope.xml: no such file",
        ("--url", "http://bot", *base, tmp_path): "cannot read it",
    }.items():
        assert_one_line_error(run(capsys, "submit", *args), expected)


def test_hook_url_keeps_a_full_path() -> None:
    assert gates_cli.hook_url("https://x.example/hooks/ci") == "https://x.example/hooks/ci"
    assert gates_cli.hook_url("https://x.example/sm/hooks/ci?a=1") == (
        "https://x.example/sm/hooks/ci?a=1"
    )
    assert gates_cli.hook_url(" http://127.0.0.1:3000 ") == "http://127.0.0.1:3000/hooks/ci"


# -- submit: against the running bot ----------------------------------------------------------

BOT_CONFIG = parse_config(
    text=ROLES_YAML
    + """
services:
  checkout: {}
trains:
  web:
    channel: "#releases"
    services: [checkout]
"""
)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_bot(
        tmp_path=tmp_path, config=BOT_CONFIG, ci_secret=SecretStr(SECRET)
    ) as running:
        yield running


async def cut(bot: Running) -> str:
    before = len(bot.sim.ephemerals_for("alice"))
    response = await bot.people.slash_command(user="alice", text="cut web")
    assert response.status == 200, response.body
    reply = (response.json or {}).get("text")
    if not reply:
        shown = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("alice")[before:], timeout=10)
        reply = shown[-1].text
    found = re.search(r"\*web/([0-9.]+)\*", str(reply))
    assert found, reply
    return f"web/{found.group(1)}"


@pytest.fixture
def ci_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATIONMASTER_CI_SECRET", SECRET)


# the in-process bot's log lines (structlog's default console output) share stdout
BOT_LOG = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \[", re.MULTILINE)


async def submit(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Run:
    code = await asyncio.to_thread(main, _submit_args(*args))
    captured = capsys.readouterr()
    out = "".join(line for line in captured.out.splitlines(True) if not BOT_LOG.match(line))
    return Run(code, out, captured.err)


@pytest.mark.usefixtures("ci_secret")
async def test_submit_to_the_running_bot(
    bot: Running, capsys: pytest.CaptureFixture[str], reports: Reports
) -> None:
    label = await cut(bot)
    common = ("--url", bot.url, "--release", label)
    passed = await submit(
        capsys, *common, "--gate", "unit", "--delivery", "run-1-unit", reports.junit_passing
    )
    assert passed.code == 0, passed.err
    assert passed.out == f"{label} unit: pass; gates pending; release is gating\n"

    again = await submit(
        capsys, *common, "--gate", "unit", "--delivery", "run-1-unit", reports.junit_passing
    )
    assert again.code == 0, again.err
    assert (
        again.out == f"{label} unit: pass (a repeated delivery); gates pending; release is gating\n"
    )

    failed = await submit(
        capsys, *common, "--gate", "coverage",
        "--build-url", "https://ci.example.com/acme/shop/actions/runs/42",
        "--commit", "0123abc", reports.cov_xml, reports.cov_lcov,
    )  # fmt: skip
    assert failed.code == 1, failed.err
    assert failed.out == f"{label} coverage: fail; gates failed; release is blocked\n"

    hostile = bot.url  # the full URL works as well
    refused = await submit(
        capsys, "--url", f"{hostile}/hooks/ci", "--release", label, "--gate", "coverage",
        reports.junit_failing,
    )  # fmt: skip
    assert_one_line_error(refused, "the bot refused the report (422): ", "cannot feed the coverage")


@pytest.mark.usefixtures("ci_secret")
async def test_submit_refusals_exit_2_with_the_reason(
    bot: Running,
    capsys: pytest.CaptureFixture[str],
    reports: Reports,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unknown = await submit(
        capsys, "--url", bot.url, "--release", "web/1999.1.1", "--gate", "unit",
        reports.junit_passing,
    )  # fmt: skip
    assert_one_line_error(unknown, "the bot refused the report (404): ", "1999.1.1")

    monkeypatch.setenv("STATIONMASTER_CI_SECRET", "not-the-secret")
    forged = await submit(
        capsys, "--url", bot.url, "--release", "web/1999.1.1", "--gate", "unit",
        reports.junit_passing,
    )  # fmt: skip
    assert_one_line_error(forged, "the bot refused the report (401): bad signature")


@pytest.mark.usefixtures("ci_secret")
async def test_submit_to_an_unreachable_bot_gives_up(
    capsys: pytest.CaptureFixture[str], unused_tcp_port: int
) -> None:
    result = await submit(
        capsys, "--url", f"http://127.0.0.1:{unused_tcp_port}", "--release", "web/1.0.0",
        "--gate", "unit", JEST,
    )  # fmt: skip
    assert_one_line_error(
        result, f"cannot reach http://127.0.0.1:{unused_tcp_port}/hooks/ci", "after 4 attempts"
    )
