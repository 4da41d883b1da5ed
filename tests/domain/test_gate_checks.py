"""Judging one gate's reports against its rule: verdicts, summaries and the reasons shown."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.gate_checks import (
    MAX_FAILURES,
    judge,
    judge_coverage,
    judge_performance,
    judge_security,
    judge_tests,
)
from bot.domain.gates import (
    Allowance,
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
    Finding,
    Outcome,
    PerformanceReport,
    Report,
    ReportFormat,
    SecurityReport,
    Severity,
    TestCase,
    TestReport,
    merge_coverage,
)

TODAY = date(2026, 3, 31)
FAILED, ERROR, SKIPPED = Outcome.FAILED, Outcome.ERROR, Outcome.SKIPPED


def case(
    name: str,
    outcome: Outcome = Outcome.PASSED,
    *,
    classname: str = "",
    flaky: bool = False,
    message: str = "",
) -> TestCase:
    return TestCase(name=name, classname=classname, outcome=outcome, flaky=flaky, message=message)


def junit(*cases: TestCase) -> TestReport:
    return TestReport(cases=cases)


def judged(
    report: TestReport,
    rule: TestsRule | None = None,
    *,
    known: frozenset[str] | None = None,
    gate: Gate = Gate.UNIT,
) -> GateResult:
    return judge_tests(report, rule or TestsRule(), gate=gate, known_failures=known)


# tests: counts ----------------------------------------------------------------------------


def test_all_passing_tests_pass() -> None:
    result = judged(junit(case("a"), case("b"), case("c")), gate=Gate.INTEGRATION)
    assert result == GateResult(
        gate=Gate.INTEGRATION, verdict=Verdict.PASS, summary="3 passed, 0 failed"
    )


def test_failing_tests_are_named_in_the_reason() -> None:
    result = judged(junit(case("a"), case("b", FAILED, message="assert 1 == 2"), case("c")))
    assert result.verdict is Verdict.FAIL
    assert result.summary == "2 passed, 1 failed"
    assert result.reasons == ("1 test failed: b",)
    assert result.failures == (FailedTest(name="b", message="assert 1 == 2"),)


def test_after_five_failures_the_reason_counts_the_rest() -> None:
    report = junit(*(case(f"t{i}", FAILED) for i in range(1, 8)))
    result = judged(report)
    assert result.summary == "0 passed, 7 failed"
    assert result.reasons == ("7 tests failed: t1, t2, t3, t4, t5 and 2 more",)
    assert [f.name for f in result.failures] == [f"t{i}" for i in range(1, 8)]


def test_exactly_five_failures_are_all_named() -> None:
    result = judged(junit(*(case(f"t{i}", FAILED) for i in range(1, 6))))
    assert result.reasons == ("5 tests failed: t1, t2, t3, t4, t5",)


def test_an_error_counts_as_a_failure() -> None:
    result = judged(junit(case("a"), case("boom", ERROR, classname="db.Pool", message="EOF")))
    assert result.verdict is Verdict.FAIL
    assert result.summary == "1 passed, 1 failed"
    assert result.reasons == ("1 test failed: db.Pool.boom",)
    assert result.failures == (FailedTest(name="db.Pool.boom", message="EOF"),)


def test_skipped_tests_are_counted_and_do_not_fail() -> None:
    result = judged(junit(case("a"), case("b", SKIPPED), case("c"), case("d", SKIPPED)))
    assert result.verdict is Verdict.PASS
    assert result.summary == "2 passed, 0 failed, 2 skipped"


def test_a_flaky_test_passes_and_is_listed() -> None:
    report = junit(case("a"), case("retried", classname="api.Orders", flaky=True))
    result = judged(report)
    assert result.verdict is Verdict.PASS
    assert result.summary == "2 passed, 0 failed, 1 flaky"
    assert result.flaky == ("api.Orders.retried",)
    assert result.reasons == ()


def test_a_flaky_test_that_failed_in_the_end_is_a_failure_not_flaky() -> None:
    result = judged(junit(case("a", FAILED, flaky=True), case("b", SKIPPED)))
    assert result.summary == "0 passed, 1 failed, 1 skipped"
    assert result.flaky == ()
    assert result.reasons == ("1 test failed: a",)


def test_every_count_in_the_summary() -> None:
    report = junit(case("a"), case("b", FAILED), case("c", SKIPPED), case("d", flaky=True))
    assert judged(report).summary == "2 passed, 1 failed, 1 skipped, 1 flaky"


def test_a_report_without_test_cases_fails_because_nothing_ran() -> None:
    result = judged(junit())
    assert result == GateResult(
        gate=Gate.UNIT,
        verdict=Verdict.FAIL,
        summary="0 passed, 0 failed",
        reasons=("the report has 0 test cases: nothing ran",),
    )


def test_fewer_cases_than_min_tests_fails() -> None:
    result = judged(junit(case("a")), TestsRule(min_tests=2))
    assert result.verdict is Verdict.FAIL
    assert result.reasons == ("the report has 1 test case: nothing ran",)


def test_min_tests_zero_lets_an_empty_report_pass() -> None:
    result = judged(junit(), TestsRule(min_tests=0))
    assert result.verdict is Verdict.PASS
    assert result.reasons == ()


def test_skipped_cases_count_toward_min_tests() -> None:
    result = judged(junit(case("a", SKIPPED)))
    assert result.verdict is Verdict.PASS
    assert result.summary == "0 passed, 0 failed, 1 skipped"


# tests: critical patterns ------------------------------------------------------------------


def replace_outcome(test: TestCase, outcome: Outcome) -> TestCase:
    return TestCase(name=test.name, classname=test.classname, outcome=outcome)


CRITICAL = TestsRule(require=Require.CRITICAL, critical=("checkout*", "login*"))


def test_a_failing_critical_test_fails_the_gate_even_with_require_critical() -> None:
    report = junit(case("checkout_pays", FAILED), case("login_ok"), case("search_finds", FAILED))
    result = judged(report, CRITICAL, gate=Gate.E2E)
    assert result.verdict is Verdict.FAIL
    assert result.reasons == (
        "1 critical test failed: checkout_pays",
        "1 non-critical failure allowed: search_finds",
    )
    assert result.failures == (
        FailedTest(name="checkout_pays", critical=True),
        FailedTest(name="search_finds", allowed=True),
    )


def test_non_critical_failures_are_allowed_with_require_critical() -> None:
    report = junit(
        case("checkout_pays"), case("login_ok"), case("search", FAILED), case("cart", ERROR)
    )
    result = judged(report, CRITICAL, gate=Gate.E2E)
    assert result.verdict is Verdict.PASS
    assert result.summary == "2 passed, 2 failed"
    assert result.reasons == ("2 non-critical failures allowed: search, cart",)
    assert all(f.allowed and not f.critical for f in result.failures)


def test_with_all_pass_critical_and_other_failures_both_fail() -> None:
    rule = TestsRule(critical=("checkout*",))
    result = judged(junit(case("checkout_pays", FAILED), case("search", FAILED)), rule)
    assert result.reasons == ("2 tests failed: checkout_pays, search",)
    assert result.failures == (
        FailedTest(name="checkout_pays", critical=True),
        FailedTest(name="search"),
    )


def test_with_all_pass_only_critical_failures_say_critical() -> None:
    rule = TestsRule(critical=("checkout*",))
    result = judged(junit(case("checkout_a", FAILED), case("checkout_b", FAILED)), rule)
    assert result.reasons == ("2 critical tests failed: checkout_a, checkout_b",)


@pytest.mark.parametrize(
    "cases",
    [
        pytest.param((case("checkout_pays"), case("search")), id="no-match"),
        pytest.param((case("checkout_pays"), case("login_ok", SKIPPED)), id="only-skipped"),
    ],
)
def test_a_critical_pattern_that_ran_no_test_fails_naming_it(cases: tuple[TestCase, ...]) -> None:
    result = judged(junit(*cases), CRITICAL, gate=Gate.E2E)
    assert result.verdict is Verdict.FAIL
    assert result.reasons == ("no test matching the critical pattern `login*` ran",)


def test_every_unmatched_critical_pattern_is_named() -> None:
    result = judged(junit(case("search")), CRITICAL)
    assert result.reasons == (
        "no test matching the critical pattern `checkout*` ran",
        "no test matching the critical pattern `login*` ran",
    )


@pytest.mark.parametrize(
    ("pattern", "test"),
    [
        ("checkout*", case("checkout_pays", classname="e2e.Shop")),
        ("e2e.Checkout.*", case("test_pays", classname="e2e.Checkout")),
        ("*.Checkout.test_pays", case("test_pays", classname="e2e.Checkout")),
        ("test_pays", case("test_pays", classname="e2e.Checkout")),
    ],
)
def test_a_critical_pattern_matches_the_name_or_the_id(pattern: str, test: TestCase) -> None:
    rule = TestsRule(require=Require.CRITICAL, critical=(pattern,))
    result = judged(junit(replace_outcome(test, FAILED)), rule)
    assert result.failures == (FailedTest(name=test.id, critical=True),)
    assert result.reasons == (f"1 critical test failed: {test.id}",)


def test_critical_patterns_are_case_sensitive() -> None:
    rule = TestsRule(require=Require.CRITICAL, critical=("checkout*",))
    result = judged(junit(case("Checkout_pays", FAILED)), rule)
    assert result.reasons == (
        "no test matching the critical pattern `checkout*` ran",
        "1 non-critical failure allowed: Checkout_pays",
    )


# tests: new and known failures ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("known", "new"),
    [
        (None, None),
        (frozenset({"api.Orders.test_refund"}), False),
        (frozenset({"test_refund", "api.Other.test_refund"}), True),
        (frozenset(), True),
    ],
)
def test_a_failure_is_new_unless_the_baseline_knew_it(
    known: frozenset[str] | None, new: bool | None
) -> None:
    result = judged(junit(case("test_refund", FAILED, classname="api.Orders")), known=known)
    assert result.failures == (FailedTest(name="api.Orders.test_refund", new=new),)


def test_failures_come_critical_first_then_new_then_known() -> None:
    report = junit(
        case("known_a", FAILED),
        case("new_b", FAILED),
        case("checkout_c", FAILED),
        case("new_d", ERROR),
        case("known_e", FAILED),
        case("checkout_f", FAILED),
    )
    rule = TestsRule(critical=("checkout*",))
    known = frozenset({"known_a", "known_e", "checkout_c"})
    result = judged(report, rule, known=known)
    assert [(f.name, f.critical, f.new) for f in result.failures] == [
        ("checkout_f", True, True),
        ("checkout_c", True, False),
        ("new_b", False, True),
        ("new_d", False, True),
        ("known_a", False, False),
        ("known_e", False, False),
    ]
    assert result.reasons == (
        "6 tests failed: checkout_f, checkout_c, new_b, new_d, known_a and 1 more",
    )


def test_without_a_baseline_failures_keep_report_order_after_critical_ones() -> None:
    report = junit(case("z", FAILED), case("checkout", FAILED), case("a", FAILED))
    result = judged(report, TestsRule(critical=("checkout",)))
    assert [f.name for f in result.failures] == ["checkout", "z", "a"]


def test_failures_and_flaky_are_capped_at_max_failures() -> None:
    failing = [case(f"f{i}", FAILED) for i in range(MAX_FAILURES + 2)]
    flaky = [case(f"r{i}", flaky=True) for i in range(MAX_FAILURES + 1)]
    result = judged(junit(*failing, *flaky))
    assert MAX_FAILURES == 5_000
    assert len(result.failures) == MAX_FAILURES
    assert result.failures[-1].name == f"f{MAX_FAILURES - 1}"
    assert len(result.flaky) == MAX_FAILURES
    assert result.summary == "5001 passed, 5002 failed, 5001 flaky"
    assert result.reasons == ("5002 tests failed: f0, f1, f2, f3, f4 and 4997 more",)


# coverage -----------------------------------------------------------------------------------


def coverage(
    line: float,
    *,
    branch: float | None = None,
    total: float | None = None,
    files: tuple[FileCoverage, ...] = (),
) -> CoverageReport:
    return CoverageReport(
        tool=ReportFormat.COBERTURA, line_pct=line, branch_pct=branch, total_pct=total, files=files
    )


def source(path: str, covered: int, total: int = 100) -> FileCoverage:
    return FileCoverage(path=path, lines_total=total, lines_covered=covered)


def test_coverage_above_the_minimum_passes_and_shows_every_figure() -> None:
    result = judge_coverage(
        coverage(92.345, branch=81.0, total=88.04), CoverageRule(), baseline=None
    )
    assert result == GateResult(
        gate=Gate.COVERAGE,
        verdict=Verdict.PASS,
        summary="line 92.3% · branch 81.0% · total 88.0%",
        line_pct=92.345,
    )


def test_missing_branch_and_total_figures_show_as_n_a() -> None:
    result = judge_coverage(coverage(95.0), CoverageRule(), baseline=None)
    assert result.summary == "line 95.0% · branch n/a · total n/a"


def test_exactly_the_minimum_passes() -> None:
    assert judge_coverage(coverage(90.0), CoverageRule(), baseline=None).verdict is Verdict.PASS


def test_coverage_below_the_minimum_names_it_and_the_files_lowest_first() -> None:
    files = (
        source("bot/c.py", 80),
        source("bot/a.py", 95),
        source("bot/b.py", 42, total=84),
        source("bot/empty.py", 0, total=0),
        source("bot/d.py", 80),
    )
    result = judge_coverage(coverage(85.0, files=files), CoverageRule(), baseline=None)
    assert result.verdict is Verdict.FAIL
    assert result.reasons == (
        "line coverage 85.0% is below 90%",
        "3 files below 90%: bot/b.py 50.0%, bot/c.py 80.0%, bot/d.py 80.0%",
    )
    assert result.line_pct == 85.0


def test_one_file_below_and_a_fractional_minimum() -> None:
    result = judge_coverage(
        coverage(80.0, files=(source("x.py", 80),)), CoverageRule(min_line=85.5), baseline=None
    )
    assert result.reasons == (
        "line coverage 80.0% is below 85.5%",
        "1 file below 85.5%: x.py 80.0%",
    )


def test_many_files_below_are_cut_after_five() -> None:
    files = tuple(source(f"f{i}.py", 10 * i) for i in range(1, 8))
    result = judge_coverage(coverage(40.0, files=files), CoverageRule(), baseline=None)
    assert result.reasons[1] == (
        "7 files below 90%: f1.py 10.0%, f2.py 20.0%, f3.py 30.0%, f4.py 40.0%, f5.py 50.0% "
        "and 2 more"
    )


def test_below_the_minimum_without_file_details() -> None:
    result = judge_coverage(coverage(89.9), CoverageRule(), baseline=None)
    assert result.reasons == ("line coverage 89.9% is below 90%",)


@pytest.mark.parametrize(
    ("branch", "reasons"),
    [
        (80.0, ()),
        (92.0, ()),
        (75.5, ("branch coverage 75.5% is below 80%",)),
        (None, ("branch coverage was not measured, and min_branch is 80%",)),
    ],
)
def test_min_branch(branch: float | None, reasons: tuple[str, ...]) -> None:
    rule = CoverageRule(min_line=50, min_branch=80)
    result = judge_coverage(coverage(95.0, branch=branch), rule, baseline=None)
    assert result.reasons == reasons
    assert result.verdict is (Verdict.FAIL if reasons else Verdict.PASS)


def test_a_drop_beyond_max_drop_names_the_baseline() -> None:
    rule = CoverageRule(max_drop=0.5)
    result = judge_coverage(
        coverage(91.0), rule, baseline=Baseline(version="2026.03.1", line_pct=92.25)
    )
    assert result.verdict is Verdict.FAIL
    assert result.reasons == (
        "line coverage dropped 1.25 points from 92.2% in 2026.03.1 (at most 0.5 allowed)",
    )


def test_a_drop_and_a_low_figure_are_both_reasons() -> None:
    result = judge_coverage(
        coverage(80.0), CoverageRule(max_drop=0), baseline=Baseline(version="v7", line_pct=95.0)
    )
    assert result.reasons == (
        "line coverage 80.0% is below 90%",
        "line coverage dropped 15.00 points from 95.0% in v7 (at most 0 allowed)",
    )


@pytest.mark.parametrize(
    ("before", "now"),
    [(91.5, 91.0), (93.0, 93.0), (90.0, 96.0)],
)
def test_a_drop_up_to_max_drop_passes(before: float, now: float) -> None:
    rule = CoverageRule(max_drop=0.5)
    result = judge_coverage(coverage(now), rule, baseline=Baseline(version="v1", line_pct=before))
    assert result.verdict is Verdict.PASS
    assert result.reasons == ()


@pytest.mark.parametrize(("before", "now"), [(90.2, 90.0), (95.3, 95.1)])
def test_a_drop_of_exactly_a_fractional_max_drop_passes(before: float, now: float) -> None:
    rule = CoverageRule(max_drop=0.2)
    result = judge_coverage(coverage(now), rule, baseline=Baseline(version="v1", line_pct=before))
    assert result.reasons == ()


@pytest.mark.parametrize(
    ("rule", "baseline"),
    [
        (CoverageRule(max_drop=0.5), None),
        (CoverageRule(max_drop=0.5), Baseline(version="v1")),
        (CoverageRule(max_drop=None), Baseline(version="v1", line_pct=99.0)),
    ],
)
def test_no_drop_check_without_a_baseline_figure_or_max_drop(
    rule: CoverageRule, baseline: Baseline | None
) -> None:
    assert judge_coverage(coverage(91.0), rule, baseline=baseline).verdict is Verdict.PASS


def test_merging_coverage_sums_the_files() -> None:
    web = CoverageReport(
        tool=ReportFormat.LCOV,
        line_pct=80.0,
        branch_pct=50.0,
        total_pct=70.0,
        files=(
            FileCoverage(
                path="web/a.ts",
                lines_total=10,
                lines_covered=8,
                branches_total=4,
                branches_covered=2,
            ),
        ),
        source="web/lcov.info",
    )
    api = CoverageReport(
        tool=ReportFormat.COBERTURA,
        line_pct=100.0,
        files=(FileCoverage(path="api/b.py", lines_total=30, lines_covered=30),),
        source="api/coverage.xml",
    )
    merged = merge_coverage([web, api])
    assert merged == CoverageReport(
        tool=ReportFormat.LCOV,
        line_pct=95.0,
        branch_pct=50.0,
        total_pct=None,
        files=web.files + api.files,
        source="web/lcov.info, api/coverage.xml",
    )


def test_merging_reports_without_files_takes_the_lowest_line_figure() -> None:
    merged = merge_coverage([coverage(88.0, branch=70.0), coverage(93.0), coverage(91.0)])
    assert merged.line_pct == 88.0
    assert merged.branch_pct is None
    assert merged.files == ()


def test_merging_one_report_returns_it_unchanged() -> None:
    only = coverage(77.7, branch=66.6, total=70.0, files=(source("a.py", 1),))
    assert merge_coverage([only]) is only


# performance --------------------------------------------------------------------------------


def bench(name: str, value: float, unit: str = "ms", *, lower: bool = True) -> Benchmark:
    return Benchmark(name=name, value=value, unit=unit, lower_is_better=lower)


def perf(*benches: Benchmark) -> PerformanceReport:
    return PerformanceReport(benchmarks=benches)


def baseline(*benches: Benchmark, version: str = "2026.03.1") -> Baseline:
    return Baseline(version=version, benchmarks={b.name: b for b in benches})


RULE = PerformanceRule(max_regression_pct=5)


def test_a_report_without_benchmarks_fails() -> None:
    result = judge_performance(perf(), RULE, baseline=baseline(bench("a", 1)))
    assert result == GateResult(
        gate=Gate.PERFORMANCE,
        verdict=Verdict.FAIL,
        summary="no benchmarks",
        reasons=("the report has no benchmarks",),
    )


@pytest.mark.parametrize("before", [None, Baseline(version="v1")])
def test_without_a_baseline_the_benchmarks_pass_and_become_it(before: Baseline | None) -> None:
    benches = (bench("checkout", 120), bench("search", 40))
    result = judge_performance(perf(*benches), RULE, baseline=before)
    assert result == GateResult(
        gate=Gate.PERFORMANCE,
        verdict=Verdict.PASS,
        summary="2 benchmarks; no baseline yet, so these become the baseline",
        benchmarks=benches,
    )


def test_one_benchmark_without_a_baseline() -> None:
    result = judge_performance(perf(bench("a", 1)), RULE, baseline=None)
    assert result.summary == "1 benchmark; no baseline yet, so these become the baseline"


def test_a_regression_beyond_the_maximum_fails_naming_the_benchmark() -> None:
    report = perf(bench("checkout", 132), bench("search", 41))
    before = baseline(bench("checkout", 120), bench("search", 40))
    result = judge_performance(report, RULE, baseline=before)
    assert result == GateResult(
        gate=Gate.PERFORMANCE,
        verdict=Verdict.FAIL,
        summary="2 benchmarks, 2 compared with 2026.03.1",
        reasons=(
            "1 benchmark regressed more than 5% against 2026.03.1: "
            "checkout +10.0% (120 ms → 132 ms)",
        ),
        benchmarks=report.benchmarks,
    )


def test_regressions_are_listed_worst_first_and_cut_after_five() -> None:
    names = "abcdefg"
    report = perf(*(bench(n, 100 + 10 * (i + 1), "s") for i, n in enumerate(names)))
    before = baseline(*(bench(n, 100, "s") for n in names))
    result = judge_performance(report, RULE, baseline=before)
    assert result.reasons == (
        "7 benchmarks regressed more than 5% against 2026.03.1: "
        "g +70.0% (100 s → 170 s), f +60.0% (100 s → 160 s), e +50.0% (100 s → 150 s), "
        "d +40.0% (100 s → 140 s), c +30.0% (100 s → 130 s) and 2 more",
    )


@pytest.mark.parametrize(
    ("before", "now", "verdict"),
    [(1000, 900, Verdict.FAIL), (1000, 1100, Verdict.PASS), (1000, 960, Verdict.PASS)],
)
def test_throughput_regresses_when_it_falls(before: float, now: float, verdict: Verdict) -> None:
    report = perf(bench("orders", now, "req/s", lower=False))
    result = judge_performance(
        report, RULE, baseline=baseline(bench("orders", before, "req/s", lower=False))
    )
    assert result.verdict is verdict
    if verdict is Verdict.FAIL:
        assert result.reasons == (
            "1 benchmark regressed more than 5% against 2026.03.1: "
            "orders +10.0% (1000 req/s → 900 req/s)",
        )


def test_a_faster_time_is_not_a_regression() -> None:
    result = judge_performance(perf(bench("a", 50)), RULE, baseline=baseline(bench("a", 100)))
    assert result.verdict is Verdict.PASS
    assert result.reasons == ()


@pytest.mark.parametrize(
    ("before", "now"),
    [
        pytest.param(bench("a", 0.12, "s"), bench("a", 500), id="unit-mismatch"),
        pytest.param(bench("a", 0), bench("a", 500), id="zero-baseline"),
        pytest.param(bench("b", 1), bench("a", 500), id="not-in-baseline"),
    ],
)
def test_benchmarks_that_cannot_be_compared_are_skipped(before: Benchmark, now: Benchmark) -> None:
    result = judge_performance(perf(now), RULE, baseline=baseline(before, version="v9"))
    assert result.verdict is Verdict.PASS
    assert result.summary == "1 benchmark, 0 compared with v9"
    assert result.reasons == ()


@pytest.mark.parametrize(
    ("before", "now", "lower"),
    [(100, 105, True), (200, 210, True), (100, 95, False)],
)
def test_a_regression_exactly_at_the_maximum_passes(before: float, now: float, lower: bool) -> None:
    result = judge_performance(
        perf(bench("a", now, lower=lower)), RULE, baseline=baseline(bench("a", before, lower=lower))
    )
    assert result.verdict is Verdict.PASS
    assert result.summary == "1 benchmark, 1 compared with 2026.03.1"


@pytest.mark.parametrize(("before", "now", "lower"), [(1.0, 1.05, True), (1.0, 0.95, False)])
def test_a_fractional_regression_exactly_at_the_maximum_passes(
    before: float, now: float, lower: bool
) -> None:
    result = judge_performance(
        perf(bench("a", now, "s", lower=lower)),
        RULE,
        baseline=baseline(bench("a", before, "s", lower=lower)),
    )
    assert result.reasons == ()


def test_values_show_four_significant_digits_and_no_unit_when_there_is_none() -> None:
    result = judge_performance(
        perf(bench("tiny", 0.0185184, ""), bench("big", 24690, "ns")),
        RULE,
        baseline=baseline(bench("tiny", 0.0123456, ""), bench("big", 12345, "ns")),
    )
    assert result.reasons == (
        "2 benchmarks regressed more than 5% against 2026.03.1: "
        "big +100.0% (1.234e+04 ns → 2.469e+04 ns), tiny +50.0% (0.01235 → 0.01852)",
    )


def test_a_negative_baseline_is_compared_by_its_size() -> None:
    result = judge_performance(
        perf(bench("drift", -90, "ms")), RULE, baseline=baseline(bench("drift", -100, "ms"))
    )
    assert result.reasons == (
        "1 benchmark regressed more than 5% against 2026.03.1: drift +10.0% (-100 ms → -90 ms)",
    )


# security -----------------------------------------------------------------------------------


def finding(
    rule_id: str, severity: Severity, file: str | None = "app.py", line: int | None = 1
) -> Finding:
    return Finding(rule_id=rule_id, severity=severity, file=file, line=line)


def security(*findings: Finding) -> SecurityReport:
    return SecurityReport(findings=findings)


def test_the_summary_counts_findings_by_severity() -> None:
    report = security(
        finding("L1", Severity.LOW),
        finding("H1", Severity.HIGH),
        finding("L2", Severity.LOW),
        finding("N1", Severity.NONE),
        finding("M1", Severity.MEDIUM),
        finding("L3", Severity.LOW),
    )
    result = judge_security(report, SecurityRule(fail_on=Severity.CRITICAL), today=TODAY)
    assert result == GateResult(
        gate=Gate.SECURITY, verdict=Verdict.PASS, summary="0 critical, 1 high, 1 medium, 3 low"
    )


def test_no_findings_pass() -> None:
    result = judge_security(security(), SecurityRule(), today=TODAY)
    assert result.verdict is Verdict.PASS
    assert result.summary == "0 critical, 0 high, 0 medium, 0 low"


def test_findings_at_or_above_fail_on_fail_naming_rule_severity_and_place() -> None:
    report = security(
        finding("B105", Severity.HIGH, "bot/settings.py", 12),
        finding("B101", Severity.MEDIUM, "bot/x.py", 3),
        finding("CVE-2026-1", Severity.CRITICAL, "requirements.txt", None),
        finding("S1", Severity.HIGH, None, None),
    )
    result = judge_security(report, SecurityRule(fail_on=Severity.HIGH), today=TODAY)
    assert result.verdict is Verdict.FAIL
    assert result.summary == "1 critical, 2 high, 1 medium, 0 low"
    assert result.reasons == (
        "3 findings at high or above: CVE-2026-1 (critical) at requirements.txt, "
        "B105 (high) at bot/settings.py:12, S1 (high) at (no location)",
    )


def test_one_finding_and_many_findings() -> None:
    rule = SecurityRule(fail_on=Severity.MEDIUM)
    one = judge_security(security(finding("B1", Severity.MEDIUM, "a.py", 7)), rule, today=TODAY)
    assert one.reasons == ("1 finding at medium or above: B1 (medium) at a.py:7",)
    many = security(*(finding(f"B{i}", Severity.HIGH, "a.py", i) for i in range(1, 8)))
    assert judge_security(many, rule, today=TODAY).reasons == (
        "7 findings at medium or above: B1 (high) at a.py:1, B2 (high) at a.py:2, "
        "B3 (high) at a.py:3, B4 (high) at a.py:4, B5 (high) at a.py:5 and 2 more",
    )


def test_findings_below_fail_on_pass() -> None:
    report = security(finding("B1", Severity.MEDIUM), finding("B2", Severity.LOW))
    result = judge_security(report, SecurityRule(fail_on=Severity.HIGH), today=TODAY)
    assert result.verdict is Verdict.PASS
    assert result.reasons == ()


@pytest.mark.parametrize("fail_on", list(Severity))
def test_none_severity_findings_never_fail(fail_on: Severity) -> None:
    report = security(finding("INFO", Severity.NONE))
    result = judge_security(report, SecurityRule(fail_on=fail_on), today=TODAY)
    assert result.verdict is Verdict.PASS
    assert result.reasons == ()


def test_with_fail_on_none_a_low_finding_still_fails() -> None:
    report = security(finding("INFO", Severity.NONE), finding("L1", Severity.LOW, "a.py", 2))
    result = judge_security(report, SecurityRule(fail_on=Severity.NONE), today=TODAY)
    assert result.reasons == ("1 finding at none or above: L1 (low) at a.py:2",)


@pytest.mark.parametrize("until", [None, TODAY, date(2027, 1, 31)])
def test_an_active_allowance_allows_the_finding_with_its_reason(until: date | None) -> None:
    rule = SecurityRule(
        allow=(Allowance(rule="B105", reason="test fixtures hold fake passwords", until=until),)
    )
    report = security(finding("B105", Severity.HIGH, "tests/conftest.py", 8))
    result = judge_security(report, rule, today=TODAY)
    assert result.verdict is Verdict.PASS
    assert result.reasons == (
        "1 finding allowed (B105: test fixtures hold fake passwords): "
        "B105 (high) at tests/conftest.py:8",
    )


def test_an_expired_allowance_does_not_allow_and_says_when_it_expired() -> None:
    rule = SecurityRule(allow=(Allowance(rule="B105", reason="fixtures", until=date(2026, 3, 30)),))
    report = security(finding("B105", Severity.HIGH, "tests/conftest.py", 8))
    result = judge_security(report, rule, today=TODAY)
    assert result.verdict is Verdict.FAIL
    assert result.reasons == (
        "1 finding at high or above: B105 (high) at tests/conftest.py:8",
        "the allowance for B105 expired on 2026-03-30",
    )


def test_blocked_lapsed_and_allowed_findings_together() -> None:
    rule = SecurityRule(
        allow=(
            Allowance(rule="S9", reason="vendored", until=date(2026, 1, 1)),
            Allowance(rule="B2", reason="fixtures"),
            Allowance(rule="A1", reason="behind VPN", until=date(2026, 4, 30)),
            Allowance(rule="M1", reason="never hit", until=date(2026, 1, 1)),
            Allowance(rule="L1", reason="unused"),
        )
    )
    report = security(
        finding("B2", Severity.HIGH, "t.py", 1),
        finding("S9", Severity.CRITICAL, "vendor/x.js", 10),
        finding("X1", Severity.HIGH, "app.py", 4),
        finding("A1", Severity.CRITICAL, "nginx.conf", None),
        finding("B2", Severity.HIGH, "t.py", 9),
        finding("M1", Severity.MEDIUM, "m.py", 1),
    )
    result = judge_security(report, rule, today=TODAY)
    assert result.verdict is Verdict.FAIL
    assert result.reasons == (
        "2 findings at high or above: S9 (critical) at vendor/x.js:10, X1 (high) at app.py:4",
        "the allowance for S9 expired on 2026-01-01",
        "3 findings allowed (A1: behind VPN; B2: fixtures): A1 (critical) at nginx.conf, "
        "B2 (high) at t.py:1, B2 (high) at t.py:9",
    )


def test_an_allowance_renewed_with_a_later_date_applies() -> None:
    rule = SecurityRule(
        allow=(
            Allowance(rule="B1", reason="old", until=date(2026, 1, 1)),
            Allowance(rule="B1", reason="renewed", until=date(2026, 6, 30)),
        )
    )
    result = judge_security(security(finding("B1", Severity.HIGH)), rule, today=TODAY)
    assert result.verdict is Verdict.PASS
    assert result.reasons == ("1 finding allowed (B1: renewed): B1 (high) at app.py:1",)


# judge --------------------------------------------------------------------------------------


def test_judge_passes_the_gates_known_failures_to_the_tests_check() -> None:
    report = junit(case("old", FAILED), case("fresh", FAILED))
    before = Baseline(
        version="v1",
        failing={Gate.INTEGRATION: frozenset({"old"}), Gate.UNIT: frozenset({"fresh"})},
    )
    result = judge(Gate.INTEGRATION, report, TestsRule(), baseline=before, today=TODAY)
    assert result.gate is Gate.INTEGRATION
    assert [(f.name, f.new) for f in result.failures] == [("fresh", True), ("old", False)]
    without = judge(Gate.INTEGRATION, report, TestsRule(), baseline=None, today=TODAY)
    assert [(f.name, f.new) for f in without.failures] == [("old", None), ("fresh", None)]


def test_judge_dispatches_coverage_performance_and_security() -> None:
    before = Baseline(version="v1", line_pct=95.0, benchmarks={"a": bench("a", 100)})
    cov = judge(
        Gate.COVERAGE, coverage(93.0), CoverageRule(max_drop=1), baseline=before, today=TODAY
    )
    assert cov.reasons == (
        "line coverage dropped 2.00 points from 95.0% in v1 (at most 1 allowed)",
    )
    speed = judge(Gate.PERFORMANCE, perf(bench("a", 120)), RULE, baseline=before, today=TODAY)
    assert speed.reasons == (
        "1 benchmark regressed more than 5% against v1: a +20.0% (100 ms → 120 ms)",
    )
    rule = SecurityRule(allow=(Allowance(rule="B1", reason="ok", until=TODAY),))
    sec = judge(
        Gate.SECURITY,
        security(finding("B1", Severity.HIGH)),
        rule,
        baseline=None,
        today=date(2026, 4, 1),
    )
    assert sec.reasons == (
        "1 finding at high or above: B1 (high) at app.py:1",
        "the allowance for B1 expired on 2026-03-31",
    )


@pytest.mark.parametrize(
    ("gate", "report", "rule", "kind"),
    [
        (
            Gate.UNIT,
            CoverageReport(tool=ReportFormat.LCOV, line_pct=1),
            TestsRule(),
            "CoverageReport",
        ),
        (Gate.COVERAGE, TestReport(cases=()), CoverageRule(), "TestReport"),
        (Gate.PERFORMANCE, SecurityReport(findings=()), PerformanceRule(), "SecurityReport"),
        (Gate.SECURITY, PerformanceReport(benchmarks=()), SecurityRule(), "PerformanceReport"),
    ],
)
def test_judge_refuses_a_report_of_another_kind(
    gate: Gate, report: Report, rule: Rule, kind: str
) -> None:
    with pytest.raises(TypeError) as caught:
        judge(gate, report, rule, baseline=None, today=TODAY)
    assert str(caught.value) == f"the {gate.value} gate cannot judge a {kind}"
