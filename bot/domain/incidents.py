"""An incident's timeline: from the release's deploy to the alerts' resolution, with the
durations on-call is measured by. Pure: the service gathers the instants, this orders them.

::

    deployed ──time to detect──> first alert ──time to acknowledge──> acknowledged
    rollback started ──rollback time──> rollback finished
    first alert ──time to resolve──> resolved
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = ["Durations", "IncidentTimes", "Step", "StepKind", "timeline"]


class StepKind(StrEnum):
    DEPLOYED = "deployed"
    FIRST_ALERT = "first_alert"
    ACKNOWLEDGED = "acknowledged"
    ROLLBACK_STARTED = "rollback_started"
    ROLLBACK_FINISHED = "rollback_finished"
    RESOLVED = "resolved"


@dataclass(frozen=True, kw_only=True)
class IncidentTimes:
    """The instants an incident is made of; any may be unknown (not happened yet)."""

    deployed_at: datetime | None = None
    deployed_by: str | None = None
    first_alert_at: datetime | None = None
    first_alert: str | None = None
    """The first alert's name."""
    acked_at: datetime | None = None
    acked_by: str | None = None
    rollback_started_at: datetime | None = None
    rollback_by: str | None = None
    rollback_finished_at: datetime | None = None
    rollback_failed: bool = False
    resolved_at: datetime | None = None
    resolved_by: str | None = None


@dataclass(frozen=True, kw_only=True)
class Durations:
    """What the incident's metrics are made of; None where an end is not known yet."""

    detect: timedelta | None
    acknowledge: timedelta | None
    rollback: timedelta | None
    resolve: timedelta | None

    @classmethod
    def of(cls, times: IncidentTimes) -> Durations:
        return cls(
            detect=_between(times.deployed_at, times.first_alert_at),
            acknowledge=_between(times.first_alert_at, times.acked_at),
            rollback=_between(times.rollback_started_at, times.rollback_finished_at),
            resolve=_between(times.first_alert_at, times.resolved_at),
        )


@dataclass(frozen=True, kw_only=True)
class Step:
    """One line of the timeline: what happened when, by whom, and the duration it ends."""

    kind: StepKind
    at: datetime
    who: str | None = None
    took: timedelta | None = None
    detail: str | None = None


def timeline(times: IncidentTimes) -> list[Step]:
    """The steps that happened, in time order (ties keep the incident's logical order)."""
    durations = Durations.of(times)
    candidates = [
        (StepKind.DEPLOYED, times.deployed_at, times.deployed_by, None, None),
        (StepKind.FIRST_ALERT, times.first_alert_at, None, durations.detect, times.first_alert),
        (StepKind.ACKNOWLEDGED, times.acked_at, times.acked_by, durations.acknowledge, None),
        (StepKind.ROLLBACK_STARTED, times.rollback_started_at, times.rollback_by, None, None),
        (
            StepKind.ROLLBACK_FINISHED,
            times.rollback_finished_at,
            None,
            durations.rollback,
            "failed" if times.rollback_failed else None,
        ),
        (StepKind.RESOLVED, times.resolved_at, times.resolved_by, durations.resolve, None),
    ]
    steps = [
        Step(kind=kind, at=at, who=who, took=took, detail=detail)
        for kind, at, who, took, detail in candidates
        if at is not None
    ]
    order = list(StepKind)
    return sorted(steps, key=lambda step: (step.at, order.index(step.kind)))


def _between(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return max(end - start, timedelta(0))
