"""The release state machine: one transition table that every transition reads.

::

    planned -cut-> gating -gates_passed-> awaiting_signoff -approve-> approved
    gating -gate_failed-> blocked -new_results | override(gate, reason)-> gating
    gating -new_results | override(gate, reason)-> gating        (recorded, re-evaluated)
    awaiting_signoff -reject(reason)-> rejected -new_build-> gating
    approved -deploy-> deploying -complete-> released
    deploying -pause (by hand, or an inconclusive analysis)-> paused -resume | promote-> deploying
    deploying | paused | released (inside its monitoring window) | rollback_failed (a retry)
        -rollback-> rolling_back -rollback_succeeded-> rolled_back
                                 -rollback_failed-> rollback_failed
    planned | gating | blocked | awaiting_signoff | rejected | approved -cancel(reason)-> cancelled

:data:`TRANSITIONS` is that diagram as data; :func:`apply` (and the per-transition functions in
:mod:`bot.domain.transitions`), :data:`ALLOWED` and the refusals (:mod:`bot.domain.release_text`)
all read it. A function takes a :class:`Release` snapshot and returns a :class:`Transition`
(the new snapshot and the events to emit), or raises :class:`TransitionRefused`, whose message
names the release and says what to do instead. Nothing here reads a clock: a transition that
needs the time (``complete``, ``rollback``) takes ``now``, a timezone-aware datetime.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NoReturn

from bot.domain.durations import format_duration
from bot.domain.events import EventKind, ReleaseEvent
from bot.domain.release_text import (
    ALREADY as _ALREADY,
)
from bot.domain.release_text import (
    ALREADY_CUT as _ALREADY_CUT,
)
from bot.domain.release_text import (
    CANNOT as _CANNOT,
)
from bot.domain.release_text import (
    GATE_REQUIRED as _GATE_REQUIRED,
)
from bot.domain.release_text import (
    NEXT_STEP as _NEXT_STEP,
)
from bot.domain.release_text import (
    NOTHING_TO_ROLL_BACK as _NOTHING_TO_ROLL_BACK,
)
from bot.domain.release_text import (
    OUTSIDE_WINDOW as _OUTSIDE_WINDOW,
)
from bot.domain.release_text import (
    REASON_REQUIRED as _REASON_REQUIRED,
)
from bot.domain.release_text import (
    ROLL_BACK_FIRST as _ROLL_BACK_FIRST,
)
from bot.domain.release_text import (
    TERMINAL as _TERMINAL,
)
from bot.domain.release_text import (
    VERBS as _VERBS,
)
from bot.errors import NotAllowed

__all__ = [
    "ACTIVE_STATES", "ALLOWED", "TERMINAL_STATES", "TRANSITIONS", "Action", "Release",
    "ReleaseKind", "ReleaseState", "Step", "Transition", "TransitionRefused", "actions_from",
    "apply", "replay",
]  # fmt: skip


class ReleaseState(StrEnum):
    PLANNED = "planned"
    GATING = "gating"
    BLOCKED = "blocked"
    AWAITING_SIGNOFF = "awaiting_signoff"
    APPROVED = "approved"
    REJECTED = "rejected"
    DEPLOYING = "deploying"
    PAUSED = "paused"
    RELEASED = "released"
    ROLLING_BACK = "rolling_back"
    ROLLED_BACK = "rolled_back"
    ROLLBACK_FAILED = "rollback_failed"
    CANCELLED = "cancelled"

    @property
    def phrase(self) -> str:
        """The state in a sentence: ``awaiting sign-off``, ``rolling back``."""
        return self.value.replace("_", " ").replace("signoff", "sign-off")


class ReleaseKind(StrEnum):
    TRAIN = "train"
    HOTFIX = "hotfix"


class Action(StrEnum):
    CUT = "cut"
    GATES_PASSED = "gates_passed"
    GATE_FAILED = "gate_failed"
    NEW_RESULTS = "new_results"
    OVERRIDE = "override"
    APPROVE = "approve"
    REJECT = "reject"
    NEW_BUILD = "new_build"
    DEPLOY = "deploy"
    COMPLETE = "complete"
    PAUSE = "pause"
    RESUME = "resume"
    PROMOTE = "promote"
    ROLLBACK = "rollback"
    ROLLBACK_SUCCEEDED = "rollback_succeeded"
    ROLLBACK_FAILED = "rollback_failed"
    CANCEL = "cancel"


_S = ReleaseState
_CANCELLABLE = (_S.PLANNED, _S.GATING, _S.BLOCKED, _S.AWAITING_SIGNOFF, _S.REJECTED, _S.APPROVED)
_ROLLBACK_SOURCES = (_S.DEPLOYING, _S.PAUSED, _S.RELEASED, _S.ROLLBACK_FAILED)

TRANSITIONS: Final[Mapping[Action, Mapping[ReleaseState, ReleaseState]]] = MappingProxyType({
    Action.CUT: {_S.PLANNED: _S.GATING},
    Action.GATES_PASSED: {_S.GATING: _S.AWAITING_SIGNOFF},
    Action.GATE_FAILED: {_S.GATING: _S.BLOCKED},
    Action.NEW_RESULTS: {_S.BLOCKED: _S.GATING, _S.GATING: _S.GATING},
    Action.OVERRIDE: {_S.BLOCKED: _S.GATING, _S.GATING: _S.GATING},
    Action.APPROVE: {_S.AWAITING_SIGNOFF: _S.APPROVED},
    Action.REJECT: {_S.AWAITING_SIGNOFF: _S.REJECTED},
    Action.NEW_BUILD: {_S.REJECTED: _S.GATING},
    Action.DEPLOY: {_S.APPROVED: _S.DEPLOYING},
    Action.COMPLETE: {_S.DEPLOYING: _S.RELEASED},
    Action.PAUSE: {_S.DEPLOYING: _S.PAUSED},
    Action.RESUME: {_S.PAUSED: _S.DEPLOYING},
    Action.PROMOTE: {_S.PAUSED: _S.DEPLOYING},
    Action.ROLLBACK: dict.fromkeys(_ROLLBACK_SOURCES, _S.ROLLING_BACK),
    Action.ROLLBACK_SUCCEEDED: {_S.ROLLING_BACK: _S.ROLLED_BACK},
    Action.ROLLBACK_FAILED: {_S.ROLLING_BACK: _S.ROLLBACK_FAILED},
    Action.CANCEL: dict.fromkeys(_CANCELLABLE, _S.CANCELLED),
})  # fmt: skip
"""For each action, the states it may start from and the state it leads to."""

ALLOWED: Final[Mapping[ReleaseState, frozenset[ReleaseState]]] = MappingProxyType({
    state: frozenset(edges[state] for edges in TRANSITIONS.values() if state in edges)
    for state in ReleaseState
})  # fmt: skip
"""For each state, the states one transition can lead to (derived from :data:`TRANSITIONS`)."""

TERMINAL_STATES: Final = frozenset({_S.RELEASED, _S.ROLLED_BACK, _S.ROLLBACK_FAILED, _S.CANCELLED})
"""Done states. Only ``rollback`` leaves one: from released inside its window, or as a retry."""

ACTIVE_STATES: Final = frozenset(ReleaseState) - TERMINAL_STATES


def actions_from(state: ReleaseState) -> frozenset[Action]:
    """The actions the table allows from ``state`` (a released one still checks its window)."""
    return frozenset(action for action, edges in TRANSITIONS.items() if state in edges)


_NEEDS_REASON = frozenset({Action.CANCEL, Action.REJECT, Action.OVERRIDE})
_NEEDS_TIME = frozenset({Action.COMPLETE, Action.ROLLBACK})


class TransitionRefused(NotAllowed):
    """The release's state forbids the action now; the message says what to do instead."""

    def __init__(self, message: str, *, release: str, action: Action, state: ReleaseState) -> None:
        super().__init__(message)
        self.release = release
        self.action = action
        self.state = state


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """What a transition needs to know about a release. ``released_at`` is set by ``complete``."""

    train: str
    version: str
    kind: ReleaseKind = ReleaseKind.TRAIN
    state: ReleaseState = ReleaseState.PLANNED
    released_at: datetime | None = None
    monitoring_window: timedelta = timedelta(hours=1)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", ReleaseKind(self.kind))
        object.__setattr__(self, "state", ReleaseState(self.state))
        if self.released_at is not None:
            _require_aware(self.released_at, "released_at")
        if self.state == _S.RELEASED and self.released_at is None:
            raise ValueError(f"{self.label} is released but has no released_at")
        if self.monitoring_window < timedelta(0):
            raise ValueError(f"{self.label} has a negative monitoring window")

    @property
    def label(self) -> str:
        return f"{self.train}/{self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One applied command as an audit row keeps it: enough for :func:`replay` to apply again."""

    action: Action
    actor: str
    reason: str | None = None
    gate: str | None = None
    at: datetime | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transition:
    """An accepted command: the states it moves between, the new snapshot and its events."""

    action: Action
    from_state: ReleaseState
    to_state: ReleaseState
    actor: str
    reason: str | None
    gate: str | None
    at: datetime | None
    after: Release
    events: tuple[ReleaseEvent, ...]

    @property
    def step(self) -> Step:
        return Step(
            action=self.action, actor=self.actor, reason=self.reason, gate=self.gate, at=self.at
        )


def apply(
    release: Release,
    *,
    action: Action,
    actor: str,
    reason: str | None = None,
    gate: str | None = None,
    now: datetime | None = None,
) -> Transition:
    """Apply ``action`` to ``release``; the functions in ``bot.domain.transitions`` all come here.

    Raises :class:`TransitionRefused` when the state forbids it or a reason or gate is missing,
    and ``ValueError`` when ``complete`` or ``rollback`` gets no ``now`` (a caller's bug).
    """
    action = Action(action)
    if now is not None:
        _require_aware(now, "now")
    elif action in _NEEDS_TIME:
        raise ValueError(f"{action} needs the current time: pass now=")
    reason = (reason or "").strip() or None
    gate = (gate or "").strip() or None
    target = TRANSITIONS[action].get(release.state)
    if target is None:
        _refuse(release, action, _refusal(release, action))
    if action == Action.ROLLBACK and release.state == _S.RELEASED:
        _check_window(release, now)
    if action == Action.OVERRIDE and gate is None:
        _refuse(release, action, _GATE_REQUIRED.format(label=release.label))
    if action in _NEEDS_REASON and reason is None:
        verb = _VERBS.get(action, action.value)
        _refuse(release, action, _REASON_REQUIRED.format(verb=verb, label=release.label))
    released_at = now if target == _S.RELEASED else release.released_at
    event = ReleaseEvent(
        kind=EventKind[action.name],
        release=release.label,
        actor=actor,
        reason=reason,
        gate=gate,
        at=now,
    )
    return Transition(
        action=action,
        from_state=release.state,
        to_state=target,
        actor=actor,
        reason=reason,
        gate=gate,
        at=now,
        after=replace(release, state=target, released_at=released_at),
        events=(event,),
    )


def replay(*, initial: Release, steps: Iterable[Step]) -> Release:
    """Apply recorded ``steps`` in order from ``initial``: the audit trail's final snapshot.

    A step the machine refuses raises :class:`TransitionRefused`: the trail is inconsistent.
    """
    release = initial
    for step in steps:
        release = apply(
            release,
            action=step.action,
            actor=step.actor,
            reason=step.reason,
            gate=step.gate,
            now=step.at,
        ).after
    return release


def _refusal(release: Release, action: Action) -> str:
    state, label = release.state, release.label
    fields = {"label": label, "train": release.train, "state": state.phrase}
    if state in _TERMINAL:
        return _TERMINAL[state].format(**fields)
    if action == Action.CANCEL and state in (_S.DEPLOYING, _S.PAUSED):
        return _ROLL_BACK_FIRST.format(**fields)
    if action == Action.CUT:
        return _ALREADY_CUT.format(**fields)
    if action == Action.ROLLBACK and state != _S.ROLLING_BACK:
        return _NOTHING_TO_ROLL_BACK.format(**fields)
    if state in TRANSITIONS[action].values():
        return _ALREADY.format(**fields)
    next_step = _NEXT_STEP[state].format(**fields)
    return _CANNOT.format(verb=_VERBS.get(action, action.value), next_step=next_step, **fields)


def _check_window(release: Release, now: datetime | None) -> None:
    assert now is not None  # apply requires it for a rollback
    assert release.released_at is not None  # Release requires it when released
    elapsed = now - release.released_at
    if elapsed > release.monitoring_window:
        # rounded up to the minute (or second): never "released 1h ago, outside its 1h window"
        unit = timedelta(minutes=1) if elapsed > timedelta(minutes=1) else timedelta(seconds=1)
        message = _OUTSIDE_WINDOW.format(
            label=release.label,
            ago=format_duration(-(-elapsed // unit) * unit),
            window=format_duration(release.monitoring_window),
        )
        _refuse(release, Action.ROLLBACK, message)


def _refuse(release: Release, action: Action, message: str) -> NoReturn:
    raise TransitionRefused(message, release=release.label, action=action, state=release.state)


def _require_aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got {moment.isoformat()}")


# -- one function per transition (see TRANSITIONS for where each may start) ---------------------
