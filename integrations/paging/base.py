"""What Stationmaster asks of a paging service, and the one error it raises.

An alert group pages through :meth:`Pager.trigger`, and is later acknowledged or resolved with
the same ``dedup_key``. The vendor keeps one open incident per key: a second trigger for an
open key adds to that incident instead of paging again, and acknowledging or resolving a key
with no open incident is accepted and does nothing. Every failure is a :class:`PagingError`
whose message says which event failed and what to check; it never contains a secret.

PagerDuty's Events API v2 refuses dedup keys over 255 characters, so callers pass group keys
through :func:`dedup_key_for`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Protocol

from bot.errors import IntegrationError

__all__ = ["DEDUP_KEY_LIMIT", "Pager", "PagingError", "dedup_key_for"]

DEDUP_KEY_LIMIT = 255  # PagerDuty: "The maximum permitted length of this property is 255"


class PagingError(IntegrationError):
    """The paging service did not take an event; the message names the event and what to do."""


class Pager(Protocol):
    """One paging service (a PagerDuty service's Events API v2 integration, or a fake)."""

    async def trigger(
        self,
        *,
        dedup_key: str,
        summary: str,
        severity: str,
        source: str,
        details: Mapping[str, str],
        links: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Open an incident for ``dedup_key``, or add to the open one.

        ``severity`` is Stationmaster's label (``critical``, ``warning``, ``p1``…), which the
        adapter maps to its vendor's scale; ``source`` names the affected system (the service);
        ``details`` are shown on the incident; each link is ``(href, text)``, as in
        PagerDuty's ``links`` objects.
        """
        ...

    async def acknowledge(self, *, dedup_key: str) -> None:
        """Acknowledge ``dedup_key``'s open incident (no notifications until it is resolved)."""
        ...

    async def resolve(self, *, dedup_key: str) -> None:
        """Resolve ``dedup_key``'s open incident; a later trigger opens a new one."""
        ...


def dedup_key_for(group_key: str) -> str:
    """``group_key`` itself when it fits PagerDuty's 255 characters, else ``sha256:<hex>``.

    The hash form is stable (same group key, same dedup key, on every replica and restart) and
    71 characters long, so triggers, acknowledgements and resolves of one group always meet.
    """
    if len(group_key) <= DEDUP_KEY_LIMIT:
        return group_key
    return "sha256:" + hashlib.sha256(group_key.encode()).hexdigest()
