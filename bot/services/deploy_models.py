"""What the deploy service hands to interfaces: the deploy progress of a release, one line per
service, as plain snapshots (no rows, no Block Kit)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from bot.domain.analysis import AnalysisRun
from bot.domain.deployments import DeployPhase
from bot.domain.release import ReleaseState
from bot.services.models import ReleaseCard, ReleaseInfo
from bot.services.notify import Notifier

__all__ = ["DeployNotifier", "DeployView", "ServiceDeploy"]

#: The release states in which a person may roll back (see bot.domain.release).
ROLLBACK_STATES = frozenset(
    {
        ReleaseState.DEPLOYING,
        ReleaseState.PAUSED,
        ReleaseState.RELEASED,
        ReleaseState.ROLLBACK_FAILED,
    }
)


@dataclass(frozen=True)
class ServiceDeploy:
    """One service of a release: where its rollout is."""

    service: str
    adapter: str
    strategy: str
    """``canary`` or ``blue_green``."""
    phase: DeployPhase
    weight: int
    """Percent of the service's traffic on the new version."""
    step: int
    """The current step's index in ``steps``."""
    steps: tuple[int, ...]
    """The plan's weights: a canary's steps; blue-green is ``(0, 100)`` (preview, switch)."""
    analysis: tuple[AnalysisRun, ...]
    """The current step's analyses and their last values."""
    message: str
    """Why it paused, failed or rolled back; empty otherwise."""
    previous_version: str | None


@dataclass(frozen=True)
class DeployView:
    """A release's deployment: what the progress message and ``/release status`` show."""

    release: ReleaseInfo
    services: tuple[ServiceDeploy, ...]

    @property
    def active(self) -> bool:
        return self.release.state in (ReleaseState.DEPLOYING, ReleaseState.PAUSED)

    @property
    def can_promote(self) -> bool:
        return self.active and any(
            s.phase in (DeployPhase.RUNNING, DeployPhase.PAUSED) for s in self.services
        )

    @property
    def can_pause(self) -> bool:
        return self.release.state is ReleaseState.DEPLOYING

    @property
    def can_resume(self) -> bool:
        return self.release.state is ReleaseState.PAUSED

    @property
    def can_roll_back(self) -> bool:
        return self.release.state in ROLLBACK_STATES


class DeployNotifier(Notifier, Protocol):
    async def deploy_progress(self, *, card: ReleaseCard, view: DeployView) -> None:
        """Post the release's one progress message in its thread, or update it in place."""
        ...
