"""The CI report adapter: one parser per format, each a plain function of a binary stream.

A parser reads the stream once, front to back (XML through :mod:`integrations.ci.xml`'s
streaming, defused ``iterparse``), and returns a domain report from :mod:`bot.domain.reports`.
Anything it cannot use raises :class:`bot.errors.ReportError` naming the file and the problem.
"""

from __future__ import annotations

from typing import BinaryIO, Protocol, TypeVar

from bot.domain.reports import Report

R_co = TypeVar("R_co", bound=Report, covariant=True)


class Parser(Protocol[R_co]):
    def __call__(self, source: BinaryIO, *, name: str) -> R_co:
        """Parse ``source``; ``name`` (the file name) is used in error messages."""
        ...
