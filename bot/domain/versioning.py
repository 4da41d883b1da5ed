"""Version numbers for train cuts and hotfixes, under a train's scheme.

**calver** ``YYYY.M.N``: the year, the month (not zero-padded, as calver.org's ``MM`` and as
PEP 440 normalises it: ``2026.1.3``, never ``2026.01.3``) and N, which counts the train's cuts
in that calendar month from 1. The month is the one of the local date the caller passes in,
taken in the train's timezone. A hotfix adds a fourth part: ``2026.11.2.1``, then ``.2``.

**semver** ``MAJOR.MINOR.PATCH``: a train cut bumps MINOR with PATCH 0, starting at ``0.1.0``
(a new train has made no compatibility promise yet; go to 1.0.0 by hand when it does); a hotfix
bumps PATCH. Pre-release and build suffixes (``-rc.1``, ``+abc``) are not produced or read.

Rules both schemes share:

- ``existing`` holds the train's versions. One of another shape (``v1.2``, ``2026.01.1``,
  ``1.4.0`` in a calver train) is ignored, never an error. The shapes overlap the other way:
  in a semver train every ``A.B.C`` counts, ``2026.11.2`` too.
- Numbers only go up: a cut never fills a gap (``2026.11.1``, ``2026.11.5`` gives ``2026.11.6``),
  and when the latest calver cut is in a month later than today's (the clock or the timezone
  moved back) the cut continues that month's count rather than go backwards.
- A hotfix of a hotfix is allowed and joins the same line: the base ``2026.11.2.1`` gives
  ``2026.11.2.2`` (or the next free number), and ``1.4.1`` gives ``1.4.2``. Whether the base
  exists is the caller's question.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "Scheme",
    "Version",
    "VersionError",
    "is_version",
    "next_hotfix_version",
    "next_train_version",
    "parse_version",
]

_NUMBER = r"(?:0|[1-9][0-9]{0,8})"
_PATTERN = re.compile(rf"{_NUMBER}(?:\.{_NUMBER}){{2,3}}", re.ASCII)
_FORMS = "YYYY.M.N or YYYY.M.N.H (calver), MAJOR.MINOR.PATCH (semver)"


class VersionError(ValueError):
    """Text that is not a version of the expected scheme; the message shows the forms."""


class Scheme(StrEnum):
    CALVER = "calver"
    SEMVER = "semver"

    @property
    def forms(self) -> str:
        return "YYYY.M.N or YYYY.M.N.H" if self == Scheme.CALVER else "MAJOR.MINOR.PATCH"


@dataclass(frozen=True, order=True, slots=True)
class Version:
    """Three or four numbers, ordered as numbers: ``2026.11.2 < 2026.11.2.1 < 2026.11.10``."""

    parts: tuple[int, ...]

    def __str__(self) -> str:
        return ".".join(map(str, self.parts))

    def fits(self, scheme: Scheme) -> bool:
        """Whether this version has the shape of ``scheme``."""
        if scheme == Scheme.SEMVER:
            return len(self.parts) == 3
        year, month, count = self.parts[:3]
        hotfix_ok = len(self.parts) == 3 or self.parts[3] >= 1
        return 1000 <= year <= 9999 and 1 <= month <= 12 and count >= 1 and hotfix_ok


def parse_version(text: str, *, scheme: Scheme | None = None) -> Version:
    """Parse ``text`` as a version, of ``scheme`` when given; :class:`VersionError` if not.

    >>> parse_version("2026.11.2.1", scheme=Scheme.CALVER)
    Version(parts=(2026, 11, 2, 1))
    """
    stripped = text.strip()
    if not _PATTERN.fullmatch(stripped):
        raise VersionError(
            f"{text!r} is not a version: use {_FORMS}, numbers without leading zeros"
        )
    version = Version(tuple(int(part) for part in stripped.split(".")))
    if scheme is not None and not version.fits(scheme):
        raise VersionError(f"{stripped} is not a {scheme} version: use {scheme.forms}")
    return version


def is_version(text: str, *, scheme: Scheme | None = None) -> bool:
    """Whether :func:`parse_version` accepts ``text``."""
    try:
        parse_version(text, scheme=scheme)
    except VersionError:
        return False
    return True


def next_train_version(*, scheme: Scheme, existing: Collection[str], today: date) -> str:
    """The version of the train's next cut, given its versions so far and today's local date."""
    known = list(_versions(existing, scheme))
    if scheme == Scheme.SEMVER:
        major, minor = max((v.parts[:2] for v in known), default=(0, 0))
        return str(Version((major, minor + 1, 0)))
    if not 1000 <= today.year <= 9999:
        raise VersionError(f"calver needs a four-digit year, not {today.year}")
    month = max([(today.year, today.month), *(v.parts[:2] for v in known)])
    count = max((v.parts[2] for v in known if v.parts[:2] == month), default=0)
    return str(Version((*month, count + 1)))


def next_hotfix_version(*, scheme: Scheme, base: str, existing: Collection[str]) -> str:
    """The version of the next hotfix of ``base``; :class:`VersionError` if ``base`` is not one
    of ``scheme``'s versions."""
    base_version = parse_version(base, scheme=scheme)
    if scheme == Scheme.SEMVER:
        line = base_version.parts[:2]
        patch = max(
            (v.parts[2] for v in _versions(existing, scheme) if v.parts[:2] == line),
            default=0,
        )
        return str(Version((*line, max(patch, base_version.parts[2]) + 1)))
    line = base_version.parts[:3]
    hotfix = max(
        (v.parts[3] for v in _versions(existing, scheme) if v.parts[:3] == line and v.parts[3:]),
        default=0,
    )
    return str(Version((*line, max([hotfix, *base_version.parts[3:]]) + 1)))


def _versions(texts: Collection[str], scheme: Scheme) -> Iterator[Version]:
    for text in texts:
        try:
            yield parse_version(text, scheme=scheme)
        except VersionError:
            continue
