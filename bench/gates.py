"""Parse-plus-judge time and peak memory of big CI reports, against a bare defusedxml parse.

Writes a JUnit file (100 suites, 50,000 test cases, ~1% failing with a stack trace, some skipped,
a few ``system-out`` blocks) and a Cobertura file shaped like ``coverage xml`` (5,000 classes of
20-200 lines, some branch lines) to a temporary directory. For each file it times, best of N,
our ``read_report`` + ``judge`` and, in the same run, a bare ``defusedxml.ElementTree.parse`` of
the whole tree and a bare ``iterparse`` loop that clears elements. Peak memory comes from
``tracemalloc`` in separate passes, as tracing slows everything down. Targets: ours within 2x of
the bare parse, and our peak well below 10x the file size.

    python bench/gates.py            # full size, best of 5; exits 2 when a target is missed
    python bench/gates.py --smoke    # small files, one run, for CI: exits 0 whatever the ratio

Both modes exit 1 when a parse finds other counts than were generated.
"""

from __future__ import annotations

import argparse
import gc
import math
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from defusedxml.ElementTree import iterparse
from defusedxml.ElementTree import parse as bare_parse

from bot.domain.gate_checks import judge
from bot.domain.gates import DEFAULT_POLICY, Gate, GateResult
from bot.domain.reports import CoverageReport, Outcome, TestReport
from integrations.ci import read_report

SEED = 20_260_511
MAX_RATIO = 2.0
MAX_PEAK_PER_SIZE = 10.0
MB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Expected:
    """What a generated file holds, for the sanity check."""

    counts: dict[str, int]


# -- generating the files --------------------------------------------------------------------


def _traceback(rng: random.Random, module: str, n: int) -> tuple[str, str]:
    got, want = rng.randint(0, 99), rng.randint(100, 199)
    message = f"AssertionError: assert {got} == {want}"
    frames = "\n".join(
        f"src/app/{module}/helpers.py:{rng.randint(10, 400)}: in helper_{k}\n"
        f"    return compute(value, &lt;{k}&gt;)"
        for k in range(rng.randint(3, 8))
    )
    trace = (
        f"self = <tests.{module}.test_{module}.Test{module.title()} object at 0x7f3a{n:08x}>\n\n"
        f"    def test_case_{n}(self):\n        result = run(self.fixture)\n"
        f">       assert result == {want}\nE       {message}\n\n{frames}\n"
        f"tests/{module}/test_{module}.py:{rng.randint(10, 900)}: AssertionError"
    )
    return message, trace


def write_junit(path: Path, *, cases: int, suites: int = 100) -> Expected:
    rng = random.Random(SEED)
    counts = dict.fromkeys(("cases", "failed", "skipped", "passed"), 0)
    per_suite = math.ceil(cases / suites)
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.write('<?xml version="1.0" encoding="utf-8"?>\n<testsuites name="pytest tests">\n')
        for s in range(suites):
            count = min(per_suite, cases - counts["cases"])
            if count <= 0:
                break
            module = f"module{s:03d}"
            body: list[str] = []
            failed = skipped = 0
            for c in range(count):
                n = counts["cases"] + c
                attrs = (
                    f'classname="tests.{module}.test_{module}.Test{module.title()}" '
                    f'name="test_case_{n}[param-{n % 7}]" file="tests/{module}/test_{module}.py" '
                    f'line="{10 + c * 12}" time="{rng.expovariate(200):.3f}"'
                )
                roll = rng.random()
                if roll < 0.01:
                    failed += 1
                    message, trace = _traceback(rng, module, n)
                    body.append(
                        f"    <testcase {attrs}>\n      <failure message={quoteattr(message)}>"
                        f"{escape(trace)}</failure>\n    </testcase>\n"
                    )
                elif roll < 0.04:
                    skipped += 1
                    body.append(
                        f'    <testcase {attrs}>\n      <skipped type="pytest.skip" '
                        f'message="needs postgres">tests/{module}/conftest.py:12: needs postgres'
                        "</skipped>\n    </testcase>\n"
                    )
                elif roll < 0.045:
                    log = "\n".join(
                        f"2026-05-11 10:{k % 60:02d}:00 INFO app.{module} step {k} &amp; ok"
                        for k in range(rng.randint(20, 60))
                    )
                    body.append(f"    <testcase {attrs}>\n      <system-out>{log}</system-out>\n")
                    body.append("    </testcase>\n")
                else:
                    body.append(f"    <testcase {attrs}/>\n")
            out.write(
                f'  <testsuite name="tests.{module}" errors="0" failures="{failed}" '
                f'skipped="{skipped}" tests="{count}" time="{count * 0.004:.3f}" '
                f'timestamp="2026-05-11T10:00:00" hostname="ci-runner-7">\n'
            )
            out.writelines(body)
            out.write("  </testsuite>\n")
            counts["cases"] += count
            counts["failed"] += failed
            counts["skipped"] += skipped
        out.write("</testsuites>\n")
    counts["passed"] = counts["cases"] - counts["failed"] - counts["skipped"]
    return Expected(counts)


# number, hits, (covered branches, branches) or None
_Line = tuple[int, int, tuple[int, int] | None]


def _class_lines(index: int) -> list[_Line]:
    rng = random.Random(SEED * 31 + index)
    coverage = rng.uniform(0.75, 1.0)
    lines: list[_Line] = []
    number = 0
    for _ in range(rng.randint(20, 200)):
        number += rng.randint(1, 4)
        hits = 1 if rng.random() < coverage else 0
        branch = None
        if rng.random() < 0.12:
            branch = (rng.choice((0, 1, 2)) if hits else 0, 2)
        lines.append((number, hits, branch))
    return lines


def _totals(lines: list[_Line]) -> tuple[int, int, int, int]:
    branches = [b for _, _, b in lines if b is not None]
    return (
        len(lines),
        sum(1 for _, hits, _ in lines if hits),
        sum(total for _, total in branches),
        sum(covered for covered, _ in branches),
    )


def _rate(covered: int, total: int) -> str:
    return f"{covered / total:.4g}" if total else "1"


def write_cobertura(path: Path, *, classes: int, per_package: int = 20) -> Expected:
    totals = [0, 0, 0, 0]  # lines, covered, branches, covered branches: computed before writing
    for index in range(classes):
        for k, value in enumerate(_totals(_class_lines(index))):
            totals[k] += value
    lines_valid, lines_covered, branches_valid, branches_covered = totals
    with path.open("w", encoding="utf-8", buffering=1 << 20) as out:
        out.write(
            f'<?xml version="1.0" ?>\n<coverage version="7.6.1" timestamp="1778493600000" '
            f'lines-valid="{lines_valid}" lines-covered="{lines_covered}" '
            f'line-rate="{_rate(lines_covered, lines_valid)}" '
            f'branches-covered="{branches_covered}" branches-valid="{branches_valid}" '
            f'branch-rate="{_rate(branches_covered, branches_valid)}" complexity="0">\n'
            "\t<!-- Generated by coverage.py: https://coverage.readthedocs.io/en/7.6.1 -->\n"
            "\t<!-- Based on https://raw.githubusercontent.com/cobertura/web/master/htdocs/xml/"
            "coverage-04.dtd -->\n\t<sources>\n\t\t<source>/home/runner/work/app/app/src</source>"
            "\n\t</sources>\n\t<packages>\n"
        )
        for index in range(classes):
            package, item = divmod(index, per_package)
            if item == 0:
                if index:
                    out.write("\t\t\t</classes>\n\t\t</package>\n")
                out.write(
                    f'\t\t<package name="app.pkg{package:04d}" line-rate="0.9" '
                    'branch-rate="0.8" complexity="0">\n\t\t\t<classes>\n'
                )
            lines = _class_lines(index)
            total, covered, branches, branches_hit = _totals(lines)
            out.write(
                f'\t\t\t\t<class name="mod{item:02d}.py" filename="app/pkg{package:04d}/'
                f'mod{item:02d}.py" complexity="0" line-rate="{_rate(covered, total)}" '
                f'branch-rate="{_rate(branches_hit, branches)}">\n'
                "\t\t\t\t\t<methods/>\n\t\t\t\t\t<lines>\n"
            )
            for number, hits, branch in lines:
                extra = ""
                if branch is not None:
                    hit, of = branch
                    extra = f' branch="true" condition-coverage="{100 * hit // of}% ({hit}/{of})"'
                    if hit < of:
                        extra += f' missing-branches="{number + 1}"'
                out.write(f'\t\t\t\t\t\t<line number="{number}" hits="{hits}"{extra}/>\n')
            out.write("\t\t\t\t\t</lines>\n\t\t\t\t</class>\n")
        if classes:
            out.write("\t\t\t</classes>\n\t\t</package>\n")
        out.write("\t</packages>\n</coverage>\n")
    names = ("files", "lines", "covered", "branches", "branches_covered")
    return Expected(dict(zip(names, (classes, *totals), strict=True)))


# -- what is measured ------------------------------------------------------------------------


def ours(path: Path, gate: Gate) -> tuple[object, GateResult]:
    """What the webhook does with one file: detect, parse (streaming), judge."""
    with path.open("rb") as source:
        _, report = read_report(source, name=path.name)
    today = datetime.now(UTC).date()
    result = judge(gate, report, DEFAULT_POLICY.rules[gate], baseline=None, today=today)
    return report, result


def bare_tree(path: Path) -> object:
    """The naive tool: the whole tree in memory."""
    return bare_parse(path).getroot()


def bare_stream(path: Path) -> int:
    """The cheapest streaming pass: every element cleared once it closes."""
    seen = 0
    for _, element in iterparse(path, events=("end",)):
        seen += 1
        element.clear()
    return seen


def best_time(runs: int, work: Callable[[], object]) -> float:
    best = math.inf
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
        del result  # freeing the tree is not part of the parse
    return best


def peak_memory(work: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    try:
        result = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak


def check(path: Path, gate: Gate, expected: Expected) -> list[str]:
    """The differences between what our parse and judge found and what was generated."""
    report, result = ours(path, gate)
    want: dict[str, object] = dict(expected.counts)
    found: dict[str, object]
    if isinstance(report, TestReport):
        outcomes = [case.outcome for case in report.cases]
        found = {
            "cases": len(outcomes),
            "failed": outcomes.count(Outcome.FAILED),
            "skipped": outcomes.count(Outcome.SKIPPED),
            "passed": outcomes.count(Outcome.PASSED),
            "judge summary": result.summary,
        }
        c = expected.counts
        want["judge summary"] = (
            f"{c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"
        )
    elif isinstance(report, CoverageReport):
        files = report.files
        found = {
            "files": len(files),
            "lines": sum(f.lines_total for f in files),
            "covered": sum(f.lines_covered for f in files),
            "branches": sum(f.branches_total for f in files),
            "branches_covered": sum(f.branches_covered for f in files),
            "judge line %": None if result.line_pct is None else round(result.line_pct, 6),
        }
        want["judge line %"] = round(100 * expected.counts["covered"] / expected.counts["lines"], 6)
    else:
        return [f"{path.name}: unexpected report {type(report).__name__}"]
    return [
        f"{path.name}: {key} found {found.get(key)!r}, generated {want.get(key)!r}"
        for key in sorted(found.keys() | want.keys())
        if found.get(key) != want.get(key)
    ]


@dataclass(frozen=True, slots=True)
class Row:
    name: str
    size: int
    ours_s: float
    tree_s: float
    stream_s: float
    ours_peak: int
    tree_peak: int
    stream_peak: int


def measure(name: str, path: Path, gate: Gate, runs: int) -> Row:
    def work() -> object:
        return ours(path, gate)

    def tree() -> object:
        return bare_tree(path)

    def stream() -> object:
        return bare_stream(path)

    return Row(
        name=name,
        size=path.stat().st_size,
        ours_s=best_time(runs, work),
        tree_s=best_time(runs, tree),
        stream_s=best_time(runs, stream),
        ours_peak=peak_memory(work),
        tree_peak=peak_memory(tree),
        stream_peak=peak_memory(stream),
    )


def verdicts(rows: list[Row]) -> Iterator[tuple[bool, str]]:
    for row in rows:
        ratio, per_size = row.ours_s / row.tree_s, row.ours_peak / row.size
        yield (
            ratio <= MAX_RATIO,
            f"{row.name}: time {ratio:.2f}x the bare parse (target <= {MAX_RATIO:g}x)",
        )
        yield (
            per_size < MAX_PEAK_PER_SIZE,
            f"{row.name}: peak {row.ours_peak / MB:.1f} MB = {per_size:.2f}x the file size "
            f"(target < {MAX_PEAK_PER_SIZE:g}x)",
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="small files, one run, for CI")
    parser.add_argument("--cases", type=int, default=50_000, help="JUnit test cases")
    parser.add_argument("--classes", type=int, default=5_000, help="Cobertura classes")
    parser.add_argument("--runs", type=int, default=5, help="best of this many runs")
    args = parser.parse_args()
    cases, classes, runs = (5_000, 500, 1) if args.smoke else (args.cases, args.classes, args.runs)

    with tempfile.TemporaryDirectory(prefix="bench-gates-") as tmp:
        junit, cobertura = Path(tmp) / "junit.xml", Path(tmp) / "coverage.xml"
        started = time.perf_counter()
        files = [
            ("junit", junit, Gate.UNIT, write_junit(junit, cases=cases)),
            ("cobertura", cobertura, Gate.COVERAGE, write_cobertura(cobertura, classes=classes)),
        ]
        print(f"generated in {time.perf_counter() - started:.1f} s:")
        for name, path, _, expected in files:
            shown = ", ".join(f"{k} {v:,}" for k, v in expected.counts.items())
            print(f"  {name:<10} {path.stat().st_size / MB:7.2f} MB  ({shown})")
        problems = [p for _, path, gate, expected in files for p in check(path, gate, expected)]
        rows = [measure(name, path, gate, runs) for name, path, gate, _ in files]

    print(f"\nbest of {runs} (ms); peak via tracemalloc in separate runs (MB)")
    head = (
        f"{'file':<10} {'size MB':>8} {'ours ms':>9} {'parse ms':>9} {'ours/parse':>10} "
        f"{'iterparse ms':>12} {'ours peak':>9} {'parse peak':>10} {'iter peak':>9} "
        f"{'peak/size':>9}"
    )
    print(head)
    for r in rows:
        print(
            f"{r.name:<10} {r.size / MB:>8.2f} {r.ours_s * 1000:>9.1f} {r.tree_s * 1000:>9.1f} "
            f"{r.ours_s / r.tree_s:>9.2f}x {r.stream_s * 1000:>12.1f} "
            f"{r.ours_peak / MB:>9.1f} {r.tree_peak / MB:>10.1f} {r.stream_peak / MB:>9.1f} "
            f"{r.ours_peak / r.size:>8.2f}x"
        )
    print("  ours = read_report + judge; parse = defusedxml parse of the whole tree;")
    print("  iterparse = defusedxml iterparse clearing each element (the cheapest pass)\n")
    results = list(verdicts(rows))
    for ok, text in results:
        print(f"{'PASS' if ok else 'WARN'} {text}")
    for problem in problems:
        print(f"FAIL {problem}")
    if problems:
        return 1
    if args.smoke or all(ok for ok, _ in results):
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
