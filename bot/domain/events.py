"""Domain events: what happened to a release, for services to post to Slack and write to the audit.

The state machine (:mod:`bot.domain.release`) returns events; it never sends them. A service
stores the transition, then hands each event to the notifier, which decides how it looks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["EventKind", "ReleaseEvent"]


class EventKind(StrEnum):
    """One kind per :class:`~bot.domain.release.Action`, with the same member name.

    The values are stable names for logs, metrics, templates and audit rows.
    """

    CUT = "release.cut"
    GATES_PASSED = "release.gates_passed"
    GATE_FAILED = "release.gate_failed"
    NEW_RESULTS = "release.new_results"
    OVERRIDE = "release.gate_overridden"
    APPROVE = "release.approved"
    REJECT = "release.rejected"
    NEW_BUILD = "release.new_build"
    DEPLOY = "release.deploy_started"
    COMPLETE = "release.released"
    PAUSE = "release.paused"
    RESUME = "release.resumed"
    PROMOTE = "release.promoted"
    ROLLBACK = "release.rollback_started"
    ROLLBACK_SUCCEEDED = "release.rolled_back"
    ROLLBACK_FAILED = "release.rollback_failed"
    CANCEL = "release.cancelled"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseEvent:
    """Something that happened to ``release`` (its ``train/version`` label), and who did it.

    ``gate`` names the gate of an override or a failure; ``at`` is the time the caller passed
    in, when the transition takes one.
    """

    kind: EventKind
    release: str
    actor: str
    reason: str | None = None
    gate: str | None = None
    at: datetime | None = None
