"""Where the deployment of one service of a release is: its phases, as the deploy service moves
it and the ``deployments`` table stores it::

    pending ──start──> running <──pause / resume──> paused
    running ──the last step passes──> promoting ──> done
    pending | running ──a step fails──> failed ──resume──> pending | running
    any but skipped ──rollback──> rolling_back ──> rolled_back | rollback_failed
    pending ──rollback of the release──> skipped
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ACTIVE_PHASES", "DeployPhase"]


class DeployPhase(StrEnum):
    """Where the deployment of one service of a release is."""

    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    PROMOTING = "promoting"
    DONE = "done"
    FAILED = "failed"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    SKIPPED = "skipped"


ACTIVE_PHASES = frozenset(
    {DeployPhase.RUNNING, DeployPhase.PAUSED, DeployPhase.PROMOTING, DeployPhase.ROLLING_BACK}
)
"""The phases of a deployment under way: the reconciler picks these up after a restart."""
