"""Where cuts take their commit from. Notes (a later issue) add the commit range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Head:
    """The commit at the tip of a branch when a release is cut."""

    sha: str
    ref: str


class SourceRepository(Protocol):
    async def head(self, *, branch: str) -> Head:
        """The commit ``branch`` points at; IntegrationError when it cannot be read."""
        ...
