"""coverage.py's JSON report (``coverage json``, formats 2 and 3).

``line_pct`` is ``covered_lines / num_statements`` of ``totals``. ``branch_pct`` is
``covered_branches / num_branches``, only when ``meta.branch_coverage`` is true and there were
branches, else None. ``total_pct`` is coverage.py's own ``percent_covered``, which counts
branches too (the figure ``coverage report`` prints). NaN and infinities are refused.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from bot.domain.reports import CoverageReport, FileCoverage, ReportFormat, percent
from bot.errors import ReportError
from integrations.ci import jsonio

__all__ = ["parse"]

_SECTIONS = ("meta", "files", "totals")
_WHAT = "coverage.py JSON (the output of `coverage json`)"


def parse(source: BinaryIO, *, name: str) -> CoverageReport:
    """The coverage in the coverage.py JSON file ``source``; ``name`` is used in error messages."""
    document = _checked(jsonio.load(source, name=name, what=_WHAT, allow_nan=False), name)
    branches = document["meta"].get("branch_coverage") is True
    totals = document["totals"]
    files = tuple(
        _file(path, entry, branches, name) for path, entry in sorted(document["files"].items())
    )
    line_pct = percent(
        _count(totals, "covered_lines", "totals", name),
        _count(totals, "num_statements", "totals", name),
    )
    if line_pct is None:
        raise ReportError(f"{name}: the coverage report measured no lines")
    branch_pct = None
    if branches:
        branch_pct = percent(
            _count(totals, "covered_branches", "totals", name),
            _count(totals, "num_branches", "totals", name),
        )
    return CoverageReport(
        tool=ReportFormat.COVERAGE_PY,
        line_pct=line_pct,
        branch_pct=branch_pct,
        total_pct=_percentage(totals, "percent_covered", name),
        files=files,
        source=name,
    )


def _file(path: str, entry: Any, branches: bool, name: str) -> FileCoverage:
    summary = entry.get("summary") if isinstance(entry, dict) else None
    if not isinstance(summary, dict):
        raise ReportError(f"{name}: not coverage.py JSON: files[{path!r}] has no summary object")
    where = f"files[{path!r}].summary"
    return FileCoverage(
        path=path,
        lines_total=_count(summary, "num_statements", where, name),
        lines_covered=_count(summary, "covered_lines", where, name),
        branches_total=_count(summary, "num_branches", where, name) if branches else 0,
        branches_covered=_count(summary, "covered_branches", where, name) if branches else 0,
    )


def _checked(document: object, name: str) -> dict[str, Any]:
    """``document``, once it has coverage.py's three top-level sections."""
    if not isinstance(document, dict):
        raise ReportError(
            f"{name}: not coverage.py JSON: the top level is a JSON {_kind(document)}, "
            "expected an object with meta, files and totals"
        )
    missing = [s for s in _SECTIONS if not isinstance(document.get(s), dict)]
    if missing:
        hint = " (it looks like SARIF)" if "runs" in document else ""
        raise ReportError(
            f"{name}: not coverage.py JSON{hint}: no {' or '.join(missing)} object; "
            "expected the output of `coverage json`"
        )
    return document


def _kind(value: object) -> str:
    return {list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), "number"
    )


def _count(section: dict[str, Any], key: str, where: str, name: str) -> int:
    value = section.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ReportError(f"{name}: {where}.{key} is {value!r}, expected a whole number")
    return value


def _percentage(section: dict[str, Any], key: str, name: str) -> float:
    value = section.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
        raise ReportError(f"{name}: totals.{key} is {value!r}, expected a percentage")
    return float(value)
