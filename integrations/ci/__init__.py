"""Readers for CI reports: JUnit, coverage, SARIF and benchmark files.

:func:`read_gate` is the one entry point the webhook and the CLI use: it names or detects each
file's format, checks that the format feeds the gate, parses every file (streaming) and merges
them into one report for the gate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import BinaryIO, Final

from bot.domain.gates import Gate
from bot.domain.reports import Report, ReportFormat, merge
from bot.errors import ReportError
from bot.observability.logs import get_logger
from integrations.ci import benchmarks, cobertura, coveragepy, jacoco, junit, lcov, sarif
from integrations.ci.base import Parser
from integrations.ci.detect import detect

__all__ = ["HEAD_BYTES", "PARSERS", "ReportFile", "format_named", "read_gate", "read_report"]

log = get_logger(__name__)

HEAD_BYTES = 8192
"""How much of a file format detection looks at."""

PARSERS: Final[Mapping[ReportFormat, Parser[Report]]] = MappingProxyType({
    ReportFormat.JUNIT: junit.parse,
    ReportFormat.COBERTURA: cobertura.parse,
    ReportFormat.COVERAGE_PY: coveragepy.parse,
    ReportFormat.LCOV: lcov.parse,
    ReportFormat.JACOCO: jacoco.parse,
    ReportFormat.SARIF: sarif.parse,
    ReportFormat.PYTEST_BENCHMARK: benchmarks.parse_pytest_benchmark,
    ReportFormat.BENCHMARK_JSON: benchmarks.parse_generic,
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class ReportFile:
    """A report on disk (an upload is spooled to a temporary file first)."""

    path: Path
    name: str


def format_named(text: str) -> ReportFormat:
    """``junit`` to ReportFormat.JUNIT; ReportError listing the formats otherwise."""
    try:
        return ReportFormat(text.strip().lower())
    except ValueError:
        known = ", ".join(f.value for f in ReportFormat)
        raise ReportError(f"unknown report format {text!r}: use one of {known}") from None


def read_report(
    source: BinaryIO, *, name: str, format: ReportFormat | None = None
) -> tuple[ReportFormat, Report]:
    """Parse one seekable report, detecting its format from its first bytes when not named."""
    if format is None:
        format = detect(source.read(HEAD_BYTES), name=name)
        source.seek(0)
    try:
        return format, PARSERS[format](source, name=name)
    except ReportError:
        raise
    except Exception as exc:  # a parser bug must still be a clear 422 / exit 2, never a 5xx
        log.exception("a report parser failed unexpectedly", report=name, format=format.value)
        raise ReportError(
            f"{name} could not be read as {format.value} ({type(exc).__name__}); "
            "check that it is a complete report of that format"
        ) from exc


def read_gate(
    gate: Gate, files: Sequence[ReportFile], *, format: ReportFormat | None = None
) -> tuple[list[ReportFormat], Report]:
    """Every file of one gate, parsed and merged; ReportError names the file that is unusable."""
    if not files:
        raise ReportError(f"no report files for the {gate} gate")
    formats: list[ReportFormat] = []
    reports: list[Report] = []
    for file in files:
        with file.path.open("rb") as source:
            found = format or detect(source.read(HEAD_BYTES), name=file.name)
            if found not in gate.formats:  # before parsing: the wrong kind says so, not "broken"
                takes = ", ".join(sorted(f.value for f in gate.formats))
                raise ReportError(
                    f"{file.name} is a {found.value} report, which cannot feed the {gate} gate "
                    f"(it takes {takes})"
                )
            source.seek(0)
            _, report = read_report(source, name=file.name, format=found)
        formats.append(found)
        reports.append(report)
    return formats, merge(reports)
