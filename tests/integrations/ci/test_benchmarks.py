"""Benchmark JSON: real pytest-benchmark output, its fixture, and the generic list format."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.domain.reports import Benchmark, PerformanceReport
from bot.errors import ReportError
from integrations.ci.benchmarks import parse_generic, parse_pytest_benchmark

FIXTURES = Path(__file__).parent / "fixtures" / "benchmarks"


def generic(data: bytes, name: str = "bench.json") -> PerformanceReport:
    return parse_generic(io.BytesIO(data), name=name)


def pytest_benchmark(data: bytes, name: str = "bench.json") -> PerformanceReport:
    return parse_pytest_benchmark(io.BytesIO(data), name=name)


def test_real_pytest_benchmark_output(tmp_path: Path) -> None:
    (tmp_path / "bench_file.py").write_text(
        "import pytest\n"
        "\n"
        "\n"
        "def test_sum(benchmark):\n"
        "    assert benchmark(sum, range(100)) == 4950\n"
        "\n"
        "\n"
        "@pytest.mark.parametrize('n', [3, 30])\n"
        "def test_sorted(benchmark, n):\n"
        "    benchmark(sorted, range(n, 0, -1))\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_ADDOPTS"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "bench_file.py", "--benchmark-json=out.json",
         "-p", "no:cacheprovider", "-q", "-c", "/dev/null", "--rootdir", str(tmp_path),
         "--benchmark-min-rounds=3", "--benchmark-max-time=0.05"],
        cwd=tmp_path, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    with (tmp_path / "out.json").open("rb") as source:
        report = parse_pytest_benchmark(source, name="out.json")

    assert report.sources == ("out.json",)
    assert sorted(b.name for b in report.benchmarks) == [
        "bench_file.py::test_sorted[30]",
        "bench_file.py::test_sorted[3]",
        "bench_file.py::test_sum",
    ]
    assert all(b.value > 0 and b.unit == "s" and b.lower_is_better for b in report.benchmarks)
    raw = json.loads((tmp_path / "out.json").read_bytes())
    medians = {entry["fullname"]: entry["stats"]["median"] for entry in raw["benchmarks"]}
    assert {b.name: b.value for b in report.benchmarks} == medians


def test_pytest_benchmark_fixture_uses_the_median() -> None:
    with (FIXTURES / "pytest_benchmark.json").open("rb") as source:
        report = parse_pytest_benchmark(source, name="pytest_benchmark.json")
    assert report == PerformanceReport(
        benchmarks=(
            Benchmark(name="tests/test_perf.py::test_render_changelog", value=4.4e-06, unit="s"),
            Benchmark(name="tests/test_perf.py::test_parse_junit[10]", value=2.5e-07, unit="s"),
            Benchmark(name="tests/test_perf.py::test_parse_junit[1000]", value=1.31e-05, unit="s"),
        ),
        sources=("pytest_benchmark.json",),
    )  # the means (5.2e-06, 3.1e-07, 2.11e-05) are pulled up by outliers


def test_pytest_benchmark_name_when_there_is_no_fullname() -> None:
    data = b'{"benchmarks": [{"name": "test_a", "stats": {"median": 2}}]}'
    assert pytest_benchmark(data).benchmarks == (Benchmark(name="test_a", value=2.0, unit="s"),)


def test_pytest_benchmark_with_no_benchmarks() -> None:
    report = pytest_benchmark(b'{"machine_info": {}, "benchmarks": [], "version": "5.1.0"}')
    assert report == PerformanceReport(benchmarks=(), sources=("bench.json",))


PYTEST_JSON = 'pytest-benchmark JSON (an object with a "benchmarks" list, from --benchmark-json)'
PYTEST_FORMAT = f"not {PYTEST_JSON}"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", f"bench.json is empty; expected {PYTEST_JSON}"),
        (b'{"benchmarks": [', "bench.json: invalid JSON at line 1, column 17: Expecting value "
                             f"(a truncated upload?); expected {PYTEST_JSON}"),
        (b'{"machine_info": {}}', f"bench.json: {PYTEST_FORMAT}"),
        (b'{"benchmarks": {}}', f"bench.json: {PYTEST_FORMAT}"),
        (b'[{"name": "a", "value": 1, "unit": "s"}]',
         f"bench.json: {PYTEST_FORMAT}; a JSON list is the generic format=benchmark-json"),
        (b'{"benchmarks": [7]}',
         "bench.json: benchmark 0: expected an object with name, fullname and stats"),
        (b'{"benchmarks": [{"stats": {"median": 1}}]}',
         'bench.json: benchmark 0: "fullname" or "name" must be a non-empty string'),
        (b'{"benchmarks": [{"name": "", "fullname": "", "stats": {"median": 1}}]}',
         'bench.json: benchmark 0: "fullname" or "name" must be a non-empty string'),
        (b'{"benchmarks": [{"fullname": "t.py::a", "stats": {"mean": 1}}]}',
         'bench.json: benchmark 0 (t.py::a): "stats.median" must be a finite number'),
        (b'{"benchmarks": [{"fullname": "t.py::a", "stats": {"median": NaN}}]}',
         'bench.json: benchmark 0 (t.py::a): "stats.median" must be a finite number'),
        (b'{"benchmarks": [{"fullname": "t.py::a", "stats": 3}]}',
         'bench.json: benchmark 0 (t.py::a): "stats.median" must be a finite number'),
        (b'{"benchmarks": [{"fullname": "t.py::a", "stats": {"median": 1}},'
         b' {"fullname": "t.py::a", "stats": {"median": 2}}]}',
         'bench.json: benchmark 1: duplicate name "t.py::a" (first at 0)'),
    ],
)  # fmt: skip
def test_unusable_pytest_benchmark_files(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        pytest_benchmark(data)
    assert str(caught.value) == message


def test_generic_fixture() -> None:
    with (FIXTURES / "generic.json").open("rb") as source:
        report = parse_generic(source, name="generic.json")
    assert report == PerformanceReport(
        benchmarks=(
            Benchmark(name="release train: plan 200 releases", value=41.7, unit="ms"),
            Benchmark(
                name="webhook: reports parsed per second",
                value=1830.0,
                unit="ops/s",
                lower_is_better=False,
            ),
            Benchmark(name="startup: import bot", value=0.38, unit="s", lower_is_better=True),
        ),
        sources=("generic.json",),
    )


def test_generic_accepts_github_action_benchmark_extras_and_a_bom() -> None:
    data = b'\xef\xbb\xbf[{"name": "a", "value": -2, "unit": "ms", "range": "3", "extra": "x"}]'
    assert generic(data).benchmarks == (Benchmark(name="a", value=-2.0, unit="ms"),)


def test_generic_empty_list() -> None:
    assert generic(b"[]") == PerformanceReport(benchmarks=(), sources=("bench.json",))


def test_generic_names_the_failing_item() -> None:
    items = [{"name": f"b{i}", "value": i, "unit": "ms"} for i in range(3)]
    data = json.dumps(items).encode()[:-1] + b', {"name": "b3", "value": NaN, "unit": "ms"}]'
    with pytest.raises(ReportError) as caught:
        generic(data)
    assert str(caught.value) == 'bench.json: item 3: "value" must be a finite number'


GENERIC_FORMAT = "a JSON list of {name, value, unit, lower_is_better} objects"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", f"bench.json is empty; expected {GENERIC_FORMAT}"),
        (b"\n  \n", f"bench.json is empty; expected {GENERIC_FORMAT}"),
        (b'[{"name": "a",\n "value": 1,,', "bench.json: invalid JSON at line 2, column 13: "
                                           "Expecting property name enclosed in double quotes "
                                           "(a truncated upload?); "
                                           f"expected {GENERIC_FORMAT}"),
        (b'["\xff"]', "bench.json: not UTF-8 text (bad byte at offset 2); "
                     f"expected {GENERIC_FORMAT}"),
        (b"[" * 100_000, "bench.json: refused: the JSON is nested too deeply; "
                        f"expected {GENERIC_FORMAT}"),
        (b'{"name": "a", "value": 1, "unit": "s"}', f"bench.json: expected {GENERIC_FORMAT}"),
        (b'{"machine_info": {}, "benchmarks": []}',
         f"bench.json: expected {GENERIC_FORMAT}; this looks like pytest-benchmark JSON: "
         "name it format=pytest-benchmark"),
        (b'[["a", 1, "s"]]', 'bench.json: item 0: expected an object with "name", "value" and '
                            '"unit"'),
        (b'[{"value": 1, "unit": "ms"}]', 'bench.json: item 0: "name" is required'),
        (b'[{"name": "a", "unit": "ms"}]', 'bench.json: item 0: "value" is required'),
        (b'[{"name": "a", "value": 1}]', 'bench.json: item 0: "unit" is required'),
        (b'[{"name": "a", "value": 1, "unit": "ms", "lower_is_beter": false}]',
         'bench.json: item 0: unknown field "lower_is_beter" '
         "(fields: name, value, unit, lower_is_better)"),
        (b'[{"name": "", "value": 1, "unit": "ms"}]',
         'bench.json: item 0: "name" must be a non-empty string'),
        (b'[{"name": 5, "value": 1, "unit": "ms"}]',
         'bench.json: item 0: "name" must be a non-empty string'),
        (b'[{"name": "a", "value": "fast", "unit": "ms"}]',
         'bench.json: item 0: "value" must be a finite number'),
        (b'[{"name": "a", "value": true, "unit": "ms"}]',
         'bench.json: item 0: "value" must be a finite number'),
        (b'[{"name": "a", "value": null, "unit": "ms"}]',
         'bench.json: item 0: "value" must be a finite number'),
        (b'[{"name": "a", "value": NaN, "unit": "ms"}]',
         'bench.json: item 0: "value" must be a finite number'),
        (b'[{"name": "a", "value": Infinity, "unit": "ms"}]',
         'bench.json: item 0: "value" must be a finite number'),
        (b'[{"name": "a", "value": -Infinity, "unit": "ms"}]',
         'bench.json: item 0: "value" must be a finite number'),
        (b'[{"name": "a", "value": 1e999, "unit": "ms"}]',
         'bench.json: item 0: "value" must be a finite number'),
        (b'[{"name": "a", "value": 1' + b"0" * 400 + b', "unit": "ms"}]',
         'bench.json: item 0: "value" must be a finite number'),
        (b'[{"name": "a", "value": 1' + b"0" * 5000 + b', "unit": "ms"}]',
         "bench.json: unreadable JSON (Exceeds the limit (4300 digits)"),
        (b'[{"name": "a", "value": 1, "unit": ""}]',
         'bench.json: item 0: "unit" must be a non-empty string, such as "ms" or "ops/s"'),
        (b'[{"name": "a", "value": 1, "unit": 1000}]',
         'bench.json: item 0: "unit" must be a non-empty string, such as "ms" or "ops/s"'),
        (b'[{"name": "a", "value": 1, "unit": "ms", "lower_is_better": "yes"}]',
         'bench.json: item 0: "lower_is_better" must be true or false'),
        (b'[{"name": "a", "value": 1, "unit": "ms", "lower_is_better": 1}]',
         'bench.json: item 0: "lower_is_better" must be true or false'),
        (b'[{"name": "a", "value": 1, "unit": "ms"}, {"name": "b", "value": 2, "unit": "ms"},'
         b' {"name": "a", "value": 3, "unit": "ms"}]',
         'bench.json: item 2: duplicate name "a" (first at 0)'),
    ],
)  # fmt: skip
def test_unusable_generic_files(data: bytes, message: str) -> None:
    with pytest.raises(ReportError) as caught:
        generic(data)
    assert str(caught.value).startswith(message)
