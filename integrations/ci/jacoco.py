"""JaCoCo XML coverage (``jacoco:report``, Gradle's ``jacocoTestReport``), per JaCoCo's
``report.dtd``.

The file is streamed through :func:`integrations.ci.xml.events`. Files are the
``<sourcefile>`` elements, named ``package/File.java`` (prefixed with the names of enclosing
``<group>`` elements, as multi-module reports write them). A file's counts come from its own
``LINE`` and ``BRANCH`` counters, else from its ``<line>`` elements (a line is covered when
``ci > 0``). ``<counter>`` elements appear at every level, so only the ``<report>``'s own are
read for the totals, falling back to the sum of the files. JaCoCo leaves out zero attributes
and empty counters, so a missing one counts as 0. ``total_pct`` is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO
from xml.etree.ElementTree import Element

from bot.domain.reports import CoverageReport, FileCoverage, ReportFormat, percent
from bot.errors import ReportError
from integrations.ci.xml import events, local_name

__all__ = ["parse"]

_COUNT = re.compile(r"\d+")

# A counter's (missed, covered), by type: "LINE", "BRANCH", ...
_Counters = dict[str, tuple[int, int]]


@dataclass(slots=True)
class _SourceFile:
    """What has been read of the open ``<sourcefile>``."""

    path: str
    counters: _Counters = field(default_factory=dict)
    lines: int = 0
    lines_covered: int = 0
    branches: int = 0
    branches_covered: int = 0

    def coverage(self) -> FileCoverage:
        lines = self.counters.get("LINE")
        branches = self.counters.get("BRANCH")
        return FileCoverage(
            path=self.path,
            lines_total=self.lines if lines is None else sum(lines),
            lines_covered=self.lines_covered if lines is None else lines[1],
            branches_total=self.branches if branches is None else sum(branches),
            branches_covered=self.branches_covered if branches is None else branches[1],
        )


def parse(source: BinaryIO, *, name: str) -> CoverageReport:
    """The coverage in the JaCoCo XML file ``source``; ``name`` is used in error messages."""
    files: dict[str, FileCoverage] = {}
    totals: _Counters = {}
    open_tags: list[str] = []
    open_elements: list[Element] = []
    prefix: list[str] = []  # names of the open <group>s, then of the open <package>
    current: _SourceFile | None = None
    for event, element in events(source, name=name):
        tag = local_name(element.tag)
        if event == "start":
            if not open_tags and tag != "report":
                raise ReportError(
                    f"{name}: not a JaCoCo report: the root element is <{tag}>, expected <report>"
                )
            if tag in ("group", "package"):
                prefix.append(element.get("name", ""))
            elif tag == "sourcefile":
                current = _SourceFile(
                    path="/".join(p for p in (*prefix, _name(element, name)) if p)
                )
            open_tags.append(tag)
            open_elements.append(element)
            continue
        open_tags.pop()
        open_elements.pop()
        parent = open_tags[-1] if open_tags else ""
        if tag == "counter" and open_tags == ["report"]:
            _add_counter(totals, element, name)
        elif tag == "counter" and parent == "sourcefile" and current is not None:
            _add_counter(current.counters, element, name)
        elif tag == "line" and parent == "sourcefile" and current is not None:
            _add_line(current, element, name)
        elif tag == "sourcefile" and current is not None:
            _merge(files, current.coverage())
            current = None
        elif tag in ("group", "package"):
            prefix.pop()
        element.clear()
        if open_elements:
            del open_elements[-1][:]  # drop the closed children, or the root keeps them all
    return _report(files, totals, name)


def _name(element: Element, name: str) -> str:
    filename = element.get("name")
    if not filename:
        raise ReportError(f"{name}: a <sourcefile> has no name attribute")
    return filename


def _add_counter(counters: _Counters, element: Element, name: str) -> None:
    counters[element.get("type", "")] = (
        _count(element, "missed", name),
        _count(element, "covered", name),
    )


def _add_line(source: _SourceFile, element: Element, name: str) -> None:
    source.lines += 1
    source.lines_covered += _count(element, "ci", name) > 0
    missed, covered = _count(element, "mb", name), _count(element, "cb", name)
    source.branches += missed + covered
    source.branches_covered += covered


def _count(element: Element, attribute: str, name: str) -> int:
    value = element.get(attribute, "0")
    if not _COUNT.fullmatch(value.strip()):
        raise ReportError(
            f"{name}: a <{local_name(element.tag)}> has {attribute}={value!r}, "
            "expected a whole number"
        )
    return int(value)


def _merge(files: dict[str, FileCoverage], found: FileCoverage) -> None:
    """Add ``found``, summing it with a file of the same path seen before."""
    seen = files.get(found.path)
    if seen is not None:
        found = FileCoverage(
            path=found.path,
            lines_total=seen.lines_total + found.lines_total,
            lines_covered=seen.lines_covered + found.lines_covered,
            branches_total=seen.branches_total + found.branches_total,
            branches_covered=seen.branches_covered + found.branches_covered,
        )
    files[found.path] = found


def _report(files: dict[str, FileCoverage], totals: _Counters, name: str) -> CoverageReport:
    measured = tuple(files[path] for path in sorted(files))
    lines = totals.get("LINE") or (
        sum(f.lines_total - f.lines_covered for f in measured),
        sum(f.lines_covered for f in measured),
    )
    branches = totals.get("BRANCH") or (
        sum(f.branches_total - f.branches_covered for f in measured),
        sum(f.branches_covered for f in measured),
    )
    line_pct = percent(lines[1], sum(lines))
    if line_pct is None:
        raise ReportError(f"{name}: the coverage report measured no lines")
    return CoverageReport(
        tool=ReportFormat.JACOCO,
        line_pct=line_pct,
        branch_pct=percent(branches[1], sum(branches)),
        total_pct=None,
        files=measured,
        source=name,
    )
