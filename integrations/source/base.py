"""Where cuts take their commit and notes their commits: one Protocol, a module per vendor.

``git.py`` reads a local clone with the ``git`` command; ``github.py`` reads a GitHub repository
through the REST API. Both answer in domain types (:class:`bot.domain.notes.SourceCommit`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.notes import Person, SourceCommit


@dataclass(frozen=True)
class Head:
    """The commit at the tip of a branch when a release is cut."""

    sha: str
    ref: str


class SourceRepository(Protocol):
    async def head(self, *, branch: str) -> Head:
        """The commit ``branch`` points at; IntegrationError when it cannot be read."""
        ...

    async def resolve(self, *, ref: str) -> str:
        """The full sha of the commit ``ref`` (a sha, tag or branch) names; NotFound when
        there is none."""
        ...

    async def commits(self, *, base: str | None, head: str) -> list[SourceCommit]:
        """The commits reachable from ``head`` and not from ``base`` (all of ``head``'s
        history when None), oldest first, merge commits included."""
        ...

    async def touching(
        self, *, base: str | None, head: str, paths: Sequence[str]
    ) -> frozenset[str]:
        """The shas of the range's commits that change a file under one of ``paths``."""
        ...

    async def known_before(self, *, ref: str | None, people: Sequence[Person]) -> frozenset[str]:
        """The :attr:`Person.keys` of those of ``people`` who authored or co-authored a commit
        reachable from ``ref`` (none when ``ref`` is None)."""
        ...
