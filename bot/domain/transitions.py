"""One function per release transition, each a named door into :func:`bot.domain.release.apply`.

Services may call ``apply`` with an :class:`Action` (as replay does) or these, which spell out
the arguments each transition takes.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.release import Action, Release, Transition, apply


def cut(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.CUT, actor=actor)


def gates_passed(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.GATES_PASSED, actor=actor)


def gate_failed(release: Release, *, actor: str, gate: str | None = None) -> Transition:
    return apply(release, action=Action.GATE_FAILED, actor=actor, gate=gate)


def new_results(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.NEW_RESULTS, actor=actor)


def override(release: Release, *, actor: str, gate: str, reason: str) -> Transition:
    return apply(release, action=Action.OVERRIDE, actor=actor, gate=gate, reason=reason)


def approve(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.APPROVE, actor=actor)


def reject(release: Release, *, actor: str, reason: str) -> Transition:
    return apply(release, action=Action.REJECT, actor=actor, reason=reason)


def new_build(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.NEW_BUILD, actor=actor)


def deploy(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.DEPLOY, actor=actor)


def complete(release: Release, *, actor: str, now: datetime) -> Transition:
    return apply(release, action=Action.COMPLETE, actor=actor, now=now)


def pause(release: Release, *, actor: str, reason: str | None = None) -> Transition:
    return apply(release, action=Action.PAUSE, actor=actor, reason=reason)


def resume(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.RESUME, actor=actor)


def promote(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.PROMOTE, actor=actor)


def rollback(
    release: Release, *, actor: str, now: datetime, reason: str | None = None
) -> Transition:
    return apply(release, action=Action.ROLLBACK, actor=actor, reason=reason, now=now)


def rollback_succeeded(release: Release, *, actor: str) -> Transition:
    return apply(release, action=Action.ROLLBACK_SUCCEEDED, actor=actor)


def rollback_failed(release: Release, *, actor: str, reason: str | None = None) -> Transition:
    return apply(release, action=Action.ROLLBACK_FAILED, actor=actor, reason=reason)


def cancel(release: Release, *, actor: str, reason: str) -> Transition:
    return apply(release, action=Action.CANCEL, actor=actor, reason=reason)
