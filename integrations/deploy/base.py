"""How a version reaches a service's traffic: one Protocol, one module per deploy target.

Adapters (one module each, all implementing :class:`DeployAdapter`):

- ``command``: runs the team's executable (a script, Helm, kubectl) without a shell, with the
  step in ``ACTION``, ``SERVICE``, ``VERSION``, ``PREVIOUS_VERSION``, ``WEIGHT``, ``RELEASE``;
- ``webhook``: POSTs the step as signed JSON to the team's own deploy service, then polls its
  status (or takes a signed callback on ``POST /hooks/deploy``);
- ``argo_rollouts``: drives an Argo Rollouts ``Rollout`` through the Kubernetes API;
- ``github_actions``: ``workflow_dispatch``, then polls the run;
- ``sim``: the built-in loopback fleet for local mode, tests and benchmarks.

A canary is :meth:`~DeployAdapter.start` (weight 0), one :meth:`~DeployAdapter.set_weight` per
step, then :meth:`~DeployAdapter.promote`; blue-green is ``start`` then
:meth:`~DeployAdapter.switch`; :meth:`~DeployAdapter.rollback` sends all traffic back to
``previous_version`` from any point. ``weight`` is always the share of traffic, in percent,
served by ``target.version``.

Exceptions: every failure is a :class:`DeployError` (an :class:`~bot.errors.IntegrationError`),
whose message names the service, the step and what to do, and whose ``output`` holds the tail of
what the target said (a command's output, a service's answer) for the release thread. An action
returns only once its step is done (state :attr:`DeployState.HEALTHY`). When the target ends
the step in another terminal state (degraded, failed, aborted) the action raises, with that
status in ``DeployError.status``. :meth:`~DeployAdapter.status` never raises for a bad state:
it reports it; it raises only when it cannot ask.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from bot.errors import IntegrationError

__all__ = [
    "Action",
    "DeployAdapter",
    "DeployError",
    "DeployState",
    "DeployStatus",
    "StepAdapter",
    "Target",
    "outcome",
    "parse_status",
    "step_fields",
]


class Action(StrEnum):
    """A step, as the ``ACTION`` variable and the webhook's ``action`` field name it."""

    DEPLOY = "deploy"
    SET_WEIGHT = "set_weight"
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    SWITCH = "switch"


@dataclass(frozen=True)
class Target:
    """What a step acts on. For a rollback, ``version`` is the version being removed and
    ``previous_version`` the one restored; None for a train's first release."""

    service: str
    version: str
    previous_version: str | None
    release: str  # "train/version"


class DeployState(StrEnum):
    PROGRESSING = "progressing"  # the step is under way
    HEALTHY = "healthy"  # the step is done and the service serves as asked
    DEGRADED = "degraded"  # the step finished, but the service is unhealthy
    FAILED = "failed"  # the step failed
    ABORTED = "aborted"  # the target gave up the step (someone aborted it)
    UNKNOWN = "unknown"  # the adapter cannot tell

    @property
    def terminal(self) -> bool:
        """Whether the step is over (a poll may stop)."""
        return self not in (DeployState.PROGRESSING, DeployState.UNKNOWN)


@dataclass(frozen=True)
class DeployStatus:
    """Where a service's traffic is: ``weight`` percent on ``canary_version`` (the new one)."""

    state: DeployState
    weight: int
    stable_version: str | None
    canary_version: str | None
    message: str
    at: datetime

    def __post_init__(self) -> None:
        if not 0 <= self.weight <= 100:
            raise ValueError(f"weight must be 0-100, not {self.weight}")


class DeployError(IntegrationError):
    """A step failed. ``reason`` (the message) says what and what to do; ``output`` is the tail
    of what the target printed or answered; ``status`` the target's last known status."""

    def __init__(
        self, reason: str, *, output: str = "", status: DeployStatus | None = None
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.output = output
        self.status = status


class DeployAdapter(Protocol):
    async def start(self, *, target: Target) -> DeployStatus:
        """Install ``target.version`` beside the stable one, at weight 0."""
        ...

    async def set_weight(self, *, target: Target, weight: int) -> DeployStatus:
        """Send ``weight`` percent (0-100) of the traffic to ``target.version``."""
        ...

    async def promote(self, *, target: Target) -> DeployStatus:
        """``target.version`` takes all the traffic and becomes the stable version."""
        ...

    async def rollback(self, *, target: Target) -> DeployStatus:
        """All traffic back to ``target.previous_version``; ``target.version`` is removed."""
        ...

    async def switch(self, *, target: Target) -> DeployStatus:
        """Blue-green: move all traffic to ``target.version`` at once."""
        ...

    async def status(self, *, target: Target) -> DeployStatus:
        """Where ``target``'s service is now; see each adapter for how much it can tell."""
        ...


class StepAdapter(ABC):
    """A :class:`DeployAdapter` whose every action is one step: ``start`` leaves weight 0,
    ``set_weight`` the given weight, ``promote`` and ``switch`` 100, ``rollback`` 0. A vendor
    module implements :meth:`_step` (and :meth:`status`)."""

    async def start(self, *, target: Target) -> DeployStatus:
        return await self._step(Action.DEPLOY, target, 0)

    async def set_weight(self, *, target: Target, weight: int) -> DeployStatus:
        if not 0 <= weight <= 100:
            raise ValueError(f"weight must be 0-100, not {weight}")
        return await self._step(Action.SET_WEIGHT, target, weight)

    async def promote(self, *, target: Target) -> DeployStatus:
        return await self._step(Action.PROMOTE, target, 100)

    async def rollback(self, *, target: Target) -> DeployStatus:
        return await self._step(Action.ROLLBACK, target, 0)

    async def switch(self, *, target: Target) -> DeployStatus:
        return await self._step(Action.SWITCH, target, 100)

    @abstractmethod
    async def status(self, *, target: Target) -> DeployStatus: ...

    @abstractmethod
    async def _step(self, action: Action, target: Target, weight: int) -> DeployStatus:
        """Make ``action`` happen, leaving ``weight`` percent on ``target.version``."""


def step_fields(action: Action, target: Target, weight: int) -> dict[str, str | int | None]:
    """A step's fields, as both the command's environment (upper-cased, None as empty) and the
    webhook's JSON name them."""
    if not 0 <= weight <= 100:
        raise ValueError(f"weight must be 0-100, not {weight}")
    return {
        "action": action.value,
        "service": target.service,
        "version": target.version,
        "previous_version": target.previous_version,
        "weight": weight,
        "release": target.release,
    }


def outcome(
    action: Action, target: Target, weight: int, *, at: datetime, message: str = ""
) -> DeployStatus:
    """The status a service is in once ``action`` is done (what a target that cannot be asked
    is assumed to be in)."""
    healthy = DeployState.HEALTHY
    if action in (Action.PROMOTE, Action.SWITCH):
        return DeployStatus(healthy, 100, target.version, None, message, at)
    if action is Action.ROLLBACK:
        return DeployStatus(healthy, 0, target.previous_version, None, message, at)
    return DeployStatus(healthy, weight, target.previous_version, target.version, message, at)


def parse_status(data: Any, *, at: datetime) -> DeployStatus:
    """A status JSON object (``state``, ``weight``, ``stable_version``, ``canary_version``,
    ``message``) as a :class:`DeployStatus`; ValueError saying which field is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError("the status is not a JSON object")
    state = data.get("state")
    try:
        parsed = DeployState(state if isinstance(state, str) else "")
    except ValueError:
        known = ", ".join(s.value for s in DeployState)
        raise ValueError(f"'state' is {state!r}, not one of {known}") from None
    weight = data.get("weight", 0)
    if isinstance(weight, bool) or not isinstance(weight, int) or not 0 <= weight <= 100:
        raise ValueError(f"'weight' is {weight!r}, not an integer from 0 to 100")
    versions: list[str | None] = []
    for key in ("stable_version", "canary_version"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"'{key}' is {value!r}, not a string or null")
        versions.append(value or None)
    message = data.get("message") or ""
    if not isinstance(message, str):
        raise ValueError(f"'message' is {message!r}, not a string")
    return DeployStatus(parsed, weight, versions[0], versions[1], message[:2000], at)
