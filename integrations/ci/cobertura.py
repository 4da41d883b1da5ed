"""Cobertura XML coverage, as coverage.py (``coverage xml``), gcovr, istanbul/nyc and Cobertura
itself write it.

The file is streamed through :func:`integrations.ci.xml.events`. Counts come from the
``<line>`` elements of each ``<class>`` (those under ``<methods>`` repeat them and are skipped).
Several classes may share one ``filename`` (Java inner classes): their lines are merged per
file, each line number counted once and covered if any entry has ``hits > 0``. Branches come
from ``condition-coverage="50% (1/2)"``; a report without any is "no branch data" (coverage.py
writes ``branch-rate="0"`` when it did not measure branches), never 0%.

The root's ``lines-valid``/``lines-covered`` (else ``line-rate``) are used only when the report
lists no lines at all. Cobertura has no combined figure, so ``total_pct`` is None.
"""

from __future__ import annotations

import math
import re
from typing import BinaryIO
from xml.etree.ElementTree import Element

from bot.domain.reports import CoverageReport, FileCoverage, ReportFormat, percent
from bot.errors import ReportError
from integrations.ci.xml import events, local_name

__all__ = ["parse"]

_CONDITIONS = re.compile(r"\(\s*(\d+)\s*/\s*(\d+)\s*\)")
_COUNT = re.compile(r"\d+")
_ROOT_ATTRIBUTES = {
    "line": ("lines-valid", "lines-covered", "line-rate"),
    "branch": ("branches-valid", "branches-covered", "branch-rate"),
}

# line number -> (hit, covered branches, branches); one dict per file name.
_Lines = dict[int, tuple[bool, int, int]]


def parse(source: BinaryIO, *, name: str) -> CoverageReport:
    """The coverage in the Cobertura XML file ``source``; ``name`` is used in error messages."""
    files: dict[str, _Lines] = {}
    root: dict[str, str] = {}
    open_tags: list[str] = []
    open_elements: list[Element] = []
    lines: _Lines | None = None  # the lines of the open <class>'s file
    for event, element in events(source, name=name):
        tag = local_name(element.tag)
        if event == "start":
            if not open_tags:
                if tag != "coverage":
                    raise ReportError(
                        f"{name}: not a Cobertura report: the root element is <{tag}>, "
                        "expected <coverage>"
                    )
                root = dict(element.attrib)
            elif tag == "class":
                lines = files.setdefault(_filename(element, name), {})
            open_tags.append(tag)
            open_elements.append(element)
            continue
        open_tags.pop()
        open_elements.pop()
        if tag == "line" and lines is not None and open_tags[-2:] == ["class", "lines"]:
            _add_line(lines, element, name)
        elif tag == "class":
            lines = None
        element.clear()
        if open_elements:
            del open_elements[-1][:]  # drop the closed children, or the root keeps them all
    return _report(files, root, name)


def _filename(element: Element, name: str) -> str:
    filename = element.get("filename")
    if not filename:
        raise ReportError(
            f"{name}: <class name={element.get('name', '')!r}> has no filename attribute"
        )
    return filename


def _add_line(lines: _Lines, element: Element, name: str) -> None:
    number = _count(element, "number", name)
    hit = _count(element, "hits", name) > 0
    covered = total = 0
    if element.get("branch", "").lower() == "true":
        match = _CONDITIONS.search(element.get("condition-coverage", ""))
        if match:
            covered, total = int(match[1]), int(match[2])
    if number in lines:  # the same line in another class of the file
        seen_hit, seen_covered, seen_total = lines[number]
        hit, covered, total = hit or seen_hit, max(covered, seen_covered), max(total, seen_total)
    lines[number] = (hit, min(covered, total), total)


def _count(element: Element, attribute: str, name: str) -> int:
    value = element.get(attribute)
    if value is None or not _COUNT.fullmatch(value.strip()):
        raise ReportError(
            f"{name}: a <{local_name(element.tag)}> has {attribute}={value!r}, "
            "expected a whole number"
        )
    return int(value)


def _report(files: dict[str, _Lines], root: dict[str, str], name: str) -> CoverageReport:
    measured = tuple(
        FileCoverage(
            path=path,
            lines_total=len(lines),
            lines_covered=sum(1 for hit, _, _ in lines.values() if hit),
            branches_total=sum(total for _, _, total in lines.values()),
            branches_covered=sum(covered for _, covered, _ in lines.values()),
        )
        for path, lines in sorted(files.items())
    )
    line_total = sum(f.lines_total for f in measured)
    if line_total:
        line_pct = percent(sum(f.lines_covered for f in measured), line_total)
        branch_pct = percent(
            sum(f.branches_covered for f in measured), sum(f.branches_total for f in measured)
        )
    else:
        line_pct = _root_pct(root, "line", name)
        branch_pct = _root_pct(root, "branch", name)
    if line_pct is None:
        raise ReportError(f"{name}: the coverage report measured no lines")
    return CoverageReport(
        tool=ReportFormat.COBERTURA,
        line_pct=line_pct,
        branch_pct=branch_pct,
        total_pct=None,
        files=measured,
        source=name,
    )


def _root_pct(root: dict[str, str], kind: str, name: str) -> float | None:
    """The ``line``/``branch`` percentage from the root's counts, else from its rate (a zero
    branch rate without counts means "not measured": coverage.py writes ``branch-rate="0"``)."""
    valid_attribute, covered_attribute, rate_attribute = _ROOT_ATTRIBUTES[kind]
    valid, covered = root.get(valid_attribute), root.get(covered_attribute)
    if valid is not None and covered is not None:
        if not (_COUNT.fullmatch(valid.strip()) and _COUNT.fullmatch(covered.strip())):
            raise ReportError(
                f"{name}: <coverage> has {valid_attribute}={valid!r} and "
                f"{covered_attribute}={covered!r}, expected whole numbers"
            )
        return percent(min(int(covered), int(valid)), int(valid))
    rate = root.get(rate_attribute)
    if rate is None:
        return None
    try:
        fraction = float(rate)
    except ValueError:
        fraction = math.nan
    if not 0.0 <= fraction <= 1.0:
        raise ReportError(
            f"{name}: <coverage> has {rate_attribute}={rate!r}, expected a number from 0 to 1"
        )
    return 100.0 * fraction if fraction or kind == "line" else None
