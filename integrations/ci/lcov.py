"""LCOV tracefiles (geninfo's format), as lcov/geninfo, coverage.py (``coverage lcov``),
c8/nyc, ``cargo llvm-cov`` and others write them.

The file is read line by line. A record runs from ``SF:<path>`` to ``end_of_record``; records
for the same path (merged tracefiles) are merged. Lines come from ``DA:`` (each line number
counted once, covered if any record has hits > 0), else from the largest ``LF:``/``LH:`` seen;
branches from ``BRDA:`` (taken ``-`` means never reached), else ``BRF:``/``BRH:``. Function
records and unknown ones (``VER:``, ``FNL:``, ``MCDC:`` ...) are ignored. LCOV has no combined
figure, so ``total_pct`` is None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO

from bot.domain.reports import CoverageReport, FileCoverage, ReportFormat, percent
from bot.errors import ReportError

__all__ = ["parse"]

_TAG = re.compile(r"[A-Z][A-Z0-9_]*")
_LINE = re.compile(r"(\d+),(-?\d+)(?:,[^,]*)?")  # DA:<line>,<hits>[,<checksum>]
_BRANCH = re.compile(r"(\d+),(.+),(-|\d+)")  # BRDA:<line>,<block>,<branch>,<taken>
_COUNT = re.compile(r"\d+")
_SUMMARIES = ("LF", "LH", "BRF", "BRH")
_LOOKS_LIKE = {"<": "XML", "{": "JSON", "[": "JSON"}


@dataclass(slots=True)
class _File:
    """Everything the records of one ``SF:`` path said."""

    lines: dict[int, bool] = field(default_factory=dict)  # line number -> covered
    branches: dict[tuple[int, str], bool] = field(default_factory=dict)  # (line, id) -> taken
    summaries: dict[str, int] = field(default_factory=dict)  # LF, LH, BRF, BRH: the largest

    def coverage(self, path: str) -> FileCoverage:
        lines_total, lines_covered = len(self.lines), sum(self.lines.values())
        if not self.lines:
            lines_total, lines_covered = self.summaries.get("LF", 0), self.summaries.get("LH", 0)
        branches_total, branches_covered = len(self.branches), sum(self.branches.values())
        if not self.branches:
            branches_total = self.summaries.get("BRF", 0)
            branches_covered = self.summaries.get("BRH", 0)
        return FileCoverage(
            path=path,
            lines_total=lines_total,
            lines_covered=min(lines_covered, lines_total),
            branches_total=branches_total,
            branches_covered=min(branches_covered, branches_total),
        )


def parse(source: BinaryIO, *, name: str) -> CoverageReport:
    """The coverage in the LCOV tracefile ``source``; ``name`` is used in error messages."""
    files: dict[str, _File] = {}
    path: str | None = None  # of the open record
    started = False
    for number, raw in enumerate(source, start=1):
        line = _decode(raw, number, name).strip()
        if not line:
            continue
        if not started and line[0] in _LOOKS_LIKE:
            raise ReportError(
                f"{name}: not an LCOV tracefile: it starts with {line[0]!r}, "
                f"like {_LOOKS_LIKE[line[0]]}"
            )
        started = True
        if line == "end_of_record":
            path = None
            continue
        tag, colon, value = line.partition(":")
        if not colon or not _TAG.fullmatch(tag):
            raise ReportError(f"{name}: line {number} is not an LCOV record: {line[:60]!r}")
        if tag == "SF":
            path = value
            files.setdefault(path, _File())
        elif path is not None:
            _read(files[path], tag, value, f"{name}: line {number}")
        elif tag in ("DA", "BRDA", *_SUMMARIES):
            raise ReportError(f"{name}: line {number}: {tag} outside a record (no SF: before it)")
    if path is not None:
        raise ReportError(
            f"{name}: the record for {path} has no end_of_record (a truncated upload?)"
        )
    if not files:
        raise ReportError(
            f"{name}: not an LCOV tracefile: it has no SF: (source file) record"
            if started
            else f"{name} is empty"
        )
    return _report(files, name)


def _decode(raw: bytes, number: int, name: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as undecodable:
        raise ReportError(
            f"{name}: line {number} is not UTF-8 text (bad byte at column {undecodable.start + 1})"
        ) from None
    return text.removeprefix("\ufeff") if number == 1 else text


def _read(record: _File, tag: str, value: str, where: str) -> None:
    """Add one ``TAG:value`` line to the record; ``where`` starts error messages."""
    if tag == "DA":
        match = _LINE.fullmatch(value)
        if not match:
            raise ReportError(f"{where}: DA:{value} is not DA:<line>,<hits>")
        line = int(match[1])
        record.lines[line] = record.lines.get(line, False) or int(match[2]) > 0
    elif tag == "BRDA":
        match = _BRANCH.fullmatch(value)
        if not match:
            raise ReportError(f"{where}: BRDA:{value} is not BRDA:<line>,<block>,<branch>,<taken>")
        key = (int(match[1]), match[2])
        record.branches[key] = record.branches.get(key, False) or (
            match[3] != "-" and int(match[3]) > 0
        )
    elif tag in _SUMMARIES:
        if not _COUNT.fullmatch(value):
            raise ReportError(f"{where}: {tag}:{value} is not a whole number")
        record.summaries[tag] = max(record.summaries.get(tag, 0), int(value))


def _report(files: dict[str, _File], name: str) -> CoverageReport:
    measured = tuple(files[path].coverage(path) for path in sorted(files))
    line_pct = percent(sum(f.lines_covered for f in measured), sum(f.lines_total for f in measured))
    if line_pct is None:
        raise ReportError(f"{name}: the coverage report measured no lines")
    return CoverageReport(
        tool=ReportFormat.LCOV,
        line_pct=line_pct,
        branch_pct=percent(
            sum(f.branches_covered for f in measured), sum(f.branches_total for f in measured)
        ),
        total_pct=None,
        files=measured,
        source=name,
    )
