"""Benchmark results: pytest-benchmark's ``--benchmark-json`` file, and our generic JSON list.

pytest-benchmark
    Each entry of ``benchmarks`` becomes one :class:`~bot.domain.reports.Benchmark` named by its
    ``fullname`` (``tests/test_x.py::test_y[param]``, else ``name``), in seconds, lower is
    better. The figure is ``stats.median``, not the mean: one slow round (a GC pause, a noisy CI
    neighbour) moves the mean but hardly the median, so the gate does not flap on outliers.

Generic (``benchmark-json``)
    A JSON list of ``{"name": str, "value": number, "unit": str, "lower_is_better": bool}``
    objects; ``lower_is_better`` is optional (default true), ``unit`` is required. ``range`` and
    ``extra`` (as in github-action-benchmark's custom format) are accepted and ignored; any other
    key is refused, so that a typo such as ``lower_is_beter`` cannot flip a gate silently.
    Items are counted from 0 in error messages.

In both, names must be unique and values finite (``NaN`` and ``Infinity``, which Python's json
module accepts, are refused).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, BinaryIO, TypeGuard

from bot.domain.reports import Benchmark, PerformanceReport
from bot.errors import ReportError
from integrations.ci import jsonio

__all__ = ["parse_generic", "parse_pytest_benchmark"]

_GENERIC = "a JSON list of {name, value, unit, lower_is_better} objects"
_PYTEST = 'pytest-benchmark JSON (an object with a "benchmarks" list, from --benchmark-json)'
_KNOWN_KEYS = frozenset({"name", "value", "unit", "lower_is_better", "range", "extra"})


def parse_pytest_benchmark(source: BinaryIO, *, name: str) -> PerformanceReport:
    """The benchmarks of pytest-benchmark's JSON ``source``; ``name`` is used in error messages."""
    doc = jsonio.load(source, name=name, what=_PYTEST)
    entries = doc.get("benchmarks") if isinstance(doc, Mapping) else None
    if not isinstance(entries, list):
        hint = "; a JSON list is the generic format=benchmark-json" if isinstance(doc, list) else ""
        raise ReportError(f"{name}: not {_PYTEST}{hint}")
    benchmarks: list[Benchmark] = []
    for i, entry in enumerate(entries):
        at = f"{name}: benchmark {i}"
        if not isinstance(entry, Mapping):
            raise ReportError(f"{at}: expected an object with name, fullname and stats")
        label = entry.get("fullname") or entry.get("name")
        if not isinstance(label, str) or not label:
            raise ReportError(f'{at}: "fullname" or "name" must be a non-empty string')
        median = _obj(entry.get("stats")).get("median")
        if not _finite(median):
            raise ReportError(f'{at} ({label}): "stats.median" must be a finite number')
        benchmarks.append(Benchmark(name=label, value=float(median), unit="s"))
    return PerformanceReport(
        benchmarks=_unique(benchmarks, at=f"{name}: benchmark"), sources=(name,)
    )


def parse_generic(source: BinaryIO, *, name: str) -> PerformanceReport:
    """The benchmarks of our generic JSON list ``source``; ``name`` is used in error messages."""
    doc = jsonio.load(source, name=name, what=_GENERIC)
    if not isinstance(doc, list):
        hint = ""
        if isinstance(doc, Mapping) and "benchmarks" in doc:
            hint = "; this looks like pytest-benchmark JSON: name it format=pytest-benchmark"
        raise ReportError(f"{name}: expected {_GENERIC}{hint}")
    benchmarks = [_item(item, at=f"{name}: item {i}") for i, item in enumerate(doc)]
    return PerformanceReport(benchmarks=_unique(benchmarks, at=f"{name}: item"), sources=(name,))


def _item(item: Any, *, at: str) -> Benchmark:
    if not isinstance(item, Mapping):
        raise ReportError(f'{at}: expected an object with "name", "value" and "unit"')
    unknown = sorted(str(key) for key in item if key not in _KNOWN_KEYS)
    if unknown:
        raise ReportError(
            f'{at}: unknown field "{unknown[0]}" (fields: name, value, unit, lower_is_better)'
        )
    for key in ("name", "value", "unit"):
        if key not in item:
            raise ReportError(f'{at}: "{key}" is required')
    label, value, unit = item["name"], item["value"], item["unit"]
    lower_is_better = item.get("lower_is_better", True)
    if not isinstance(label, str) or not label.strip():
        raise ReportError(f'{at}: "name" must be a non-empty string')
    if not _finite(value):
        raise ReportError(f'{at}: "value" must be a finite number')
    if not isinstance(unit, str) or not unit.strip():
        raise ReportError(f'{at}: "unit" must be a non-empty string, such as "ms" or "ops/s"')
    if not isinstance(lower_is_better, bool):
        raise ReportError(f'{at}: "lower_is_better" must be true or false')
    return Benchmark(name=label, value=float(value), unit=unit, lower_is_better=lower_is_better)


def _unique(benchmarks: list[Benchmark], *, at: str) -> tuple[Benchmark, ...]:
    first: dict[str, int] = {}
    for i, benchmark in enumerate(benchmarks):
        if benchmark.name in first:
            raise ReportError(
                f'{at} {i}: duplicate name "{benchmark.name}" (first at {first[benchmark.name]})'
            )
        first[benchmark.name] = i
    return tuple(benchmarks)


def _finite(value: object) -> TypeGuard[int | float]:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too big for a float
        return False


def _obj(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
