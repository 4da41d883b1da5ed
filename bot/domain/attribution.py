"""Which release most likely caused an alert: pure rules, no I/O.

An alert names its service in a label (``service`` by default; the config may name others, tried
in order). A release is a suspect when one of its train's services is that service and it is
deploying, paused, or released less than its monitoring window ago. Of several suspects the
most recently deployed wins (ties: the later release). A release a person marked "not related"
for this group is never a suspect again.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["Attribution", "Suspect", "SuspectState", "attribute", "services_named"]


class SuspectState(StrEnum):
    DEPLOYING = "deploying"
    PAUSED = "paused"
    RELEASED = "released"


@dataclass(frozen=True, kw_only=True)
class Suspect:
    """A release that may cause alerts now, and what it deployed when."""

    release_id: int
    label: str
    version: str
    services: frozenset[str]
    state: SuspectState
    deployed_at: datetime
    deployed_by: str
    released_at: datetime | None = None
    window: timedelta = timedelta(hours=1)

    def watched(self, now: datetime) -> bool:
        """Deploying, paused, or released inside its monitoring window."""
        if self.state is not SuspectState.RELEASED:
            return True
        return self.released_at is not None and now < self.released_at + self.window


@dataclass(frozen=True, kw_only=True)
class Attribution:
    release_id: int
    label: str
    version: str
    service: str
    deployed_at: datetime
    deployed_by: str
    in_flight: bool
    """The release is still deploying: its canary takes traffic now."""


def services_named(
    labels: Iterable[Mapping[str, str]], *, service_labels: Sequence[str]
) -> list[str]:
    """The services the alerts name, in first-seen order: per alert, its first label of
    ``service_labels`` that is set."""
    found: dict[str, None] = {}
    for alert in labels:
        for name in service_labels:
            value = (alert.get(name) or "").strip()
            if value:
                found[value] = None
                break
    return list(found)


def attribute(
    *,
    services: Sequence[str],
    suspects: Iterable[Suspect],
    now: datetime,
    excluded: frozenset[int] = frozenset(),
) -> Attribution | None:
    """The suspect that most likely caused alerts on ``services``, or None."""
    best: tuple[Suspect, str] | None = None
    for suspect in suspects:
        if suspect.release_id in excluded or not suspect.watched(now):
            continue
        service = next((s for s in services if s in suspect.services), None)
        if service is None:
            continue
        key = (suspect.deployed_at, suspect.release_id)
        if best is None or key > (best[0].deployed_at, best[0].release_id):
            best = (suspect, service)
    if best is None:
        return None
    suspect, service = best
    return Attribution(
        release_id=suspect.release_id,
        label=suspect.label,
        version=suspect.version,
        service=service,
        deployed_at=suspect.deployed_at,
        deployed_by=suspect.deployed_by,
        in_flight=suspect.state is SuspectState.DEPLOYING,
    )
