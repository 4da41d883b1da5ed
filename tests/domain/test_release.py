from __future__ import annotations

from collections import deque
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain import transitions as machine
from bot.domain.events import EventKind, ReleaseEvent
from bot.domain.release import (
    ACTIVE_STATES,
    ALLOWED,
    TERMINAL_STATES,
    TRANSITIONS,
    Action,
    Release,
    ReleaseKind,
    ReleaseState,
    Step,
    TransitionRefused,
    actions_from,
    apply,
    replay,
)
from bot.errors import NotAllowed

S = ReleaseState
A = Action
NOW = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)
LABEL = "web/2026.11.2"

# The diagram in ARCHITECTURE.md ("Release state machine"), transcribed edge by edge.
DIAGRAM = {
    (S.PLANNED, A.CUT, S.GATING),
    (S.GATING, A.GATES_PASSED, S.AWAITING_SIGNOFF),
    (S.AWAITING_SIGNOFF, A.APPROVE, S.APPROVED),
    (S.GATING, A.GATE_FAILED, S.BLOCKED),
    (S.BLOCKED, A.NEW_RESULTS, S.GATING),
    (S.BLOCKED, A.OVERRIDE, S.GATING),
    (S.GATING, A.NEW_RESULTS, S.GATING),
    (S.GATING, A.OVERRIDE, S.GATING),
    (S.AWAITING_SIGNOFF, A.REJECT, S.REJECTED),
    (S.REJECTED, A.NEW_BUILD, S.GATING),
    (S.APPROVED, A.DEPLOY, S.DEPLOYING),
    (S.DEPLOYING, A.COMPLETE, S.RELEASED),
    (S.DEPLOYING, A.PAUSE, S.PAUSED),
    (S.PAUSED, A.RESUME, S.DEPLOYING),
    (S.PAUSED, A.PROMOTE, S.DEPLOYING),
    (S.DEPLOYING, A.ROLLBACK, S.ROLLING_BACK),
    (S.PAUSED, A.ROLLBACK, S.ROLLING_BACK),
    (S.RELEASED, A.ROLLBACK, S.ROLLING_BACK),
    (S.ROLLBACK_FAILED, A.ROLLBACK, S.ROLLING_BACK),
    (S.ROLLING_BACK, A.ROLLBACK_SUCCEEDED, S.ROLLED_BACK),
    (S.ROLLING_BACK, A.ROLLBACK_FAILED, S.ROLLBACK_FAILED),
    *(
        (state, A.CANCEL, S.CANCELLED)
        for state in (
            S.PLANNED,
            S.GATING,
            S.BLOCKED,
            S.AWAITING_SIGNOFF,
            S.REJECTED,
            S.APPROVED,
        )
    ),
}


def at(state: ReleaseState, *, released_ago: timedelta = timedelta(minutes=10)) -> Release:
    released_at = NOW - released_ago if state == S.RELEASED else None
    return Release(train="web", version="2026.11.2", state=state, released_at=released_at)


def refusal(release: Release, action: Action, **kwargs: object) -> str:
    with pytest.raises(TransitionRefused) as caught:
        apply(release, action=action, actor="U1", now=NOW, **kwargs)  # type: ignore[arg-type]
    assert caught.value.release == release.label
    assert caught.value.action == action
    assert caught.value.state == release.state
    return str(caught.value)


def test_the_table_is_the_diagram() -> None:
    edges = {
        (src, action, dst) for action, moves in TRANSITIONS.items() for src, dst in moves.items()
    }
    assert edges == DIAGRAM
    assert set(TRANSITIONS) == set(Action)


def test_allowed_is_derived_from_the_table() -> None:
    assert set(ALLOWED) == set(ReleaseState)
    for state in ReleaseState:
        assert ALLOWED[state] == {dst for src, _, dst in DIAGRAM if src == state}
    assert ALLOWED[S.CANCELLED] == frozenset()
    assert ALLOWED[S.RELEASED] == {S.ROLLING_BACK}


def test_terminal_and_active_states_split_every_state() -> None:
    assert {S.RELEASED, S.ROLLED_BACK, S.ROLLBACK_FAILED, S.CANCELLED} == TERMINAL_STATES
    assert set(ReleaseState) == ACTIVE_STATES | TERMINAL_STATES
    assert not ACTIVE_STATES & TERMINAL_STATES
    # only rollback leaves a terminal state
    for state in TERMINAL_STATES:
        assert actions_from(state) <= {A.ROLLBACK}


def test_every_state_is_reachable_and_every_active_state_can_finish() -> None:
    seen, queue = {S.PLANNED}, deque([S.PLANNED])
    while queue:
        for nxt in ALLOWED[queue.popleft()] - seen:
            seen.add(nxt)
            queue.append(nxt)
    assert seen == set(ReleaseState)
    for state in ACTIVE_STATES:
        frontier, reached = {state}, set()
        while frontier:
            reached |= frontier
            frontier = set().union(*(ALLOWED[s] for s in frontier)) - reached
        assert reached & TERMINAL_STATES, state


def test_actions_from_reads_the_table() -> None:
    assert actions_from(S.GATING) == {
        A.GATES_PASSED,
        A.GATE_FAILED,
        A.NEW_RESULTS,
        A.OVERRIDE,
        A.CANCEL,
    }
    assert actions_from(S.CANCELLED) == frozenset()


def test_every_action_has_an_event_kind_of_the_same_name() -> None:
    assert [kind.name for kind in EventKind] == [action.name for action in Action]
    assert all(kind.value.startswith("release.") for kind in EventKind)


def test_a_train_release_from_cut_to_released() -> None:
    release = Release(train="web", version="2026.11.2")
    assert release.label == LABEL
    assert release.kind == ReleaseKind.TRAIN
    assert release.state == S.PLANNED
    t = machine.cut(release, actor="U1")
    assert (t.action, t.from_state, t.to_state, t.actor) == (A.CUT, S.PLANNED, S.GATING, "U1")
    assert t.events == (ReleaseEvent(kind=EventKind.CUT, release=LABEL, actor="U1"),)
    t = machine.gates_passed(t.after, actor="ci")
    t = machine.approve(t.after, actor="U2")
    assert t.to_state == S.APPROVED
    t = machine.deploy(t.after, actor="U1")
    t = machine.complete(t.after, actor="deployer", now=NOW)
    assert t.after.state == S.RELEASED
    assert t.after.released_at == NOW
    assert t.events[0].kind == EventKind.COMPLETE
    assert EventKind.COMPLETE.value == "release.released"
    assert t.events[0].at == NOW


def test_a_blocked_release_is_overridden_and_each_override_is_recorded() -> None:
    blocked = machine.gate_failed(at(S.GATING), actor="ci", gate="coverage").after
    assert blocked.state == S.BLOCKED
    t = machine.override(blocked, actor="U1", gate=" coverage ", reason=" flaky report ")
    assert (t.from_state, t.to_state) == (S.BLOCKED, S.GATING)
    assert (t.gate, t.reason) == ("coverage", "flaky report")
    assert t.events == (
        ReleaseEvent(
            kind=EventKind.OVERRIDE,
            release=LABEL,
            actor="U1",
            reason="flaky report",
            gate="coverage",
        ),
    )
    again = machine.override(t.after, actor="U2", gate="lint", reason="known")
    assert (again.from_state, again.to_state) == (S.GATING, S.GATING)
    assert again.events[0].gate == "lint"


def test_new_results_re_evaluate_a_blocked_release() -> None:
    assert machine.new_results(at(S.BLOCKED), actor="ci").to_state == S.GATING
    assert machine.new_results(at(S.GATING), actor="ci").to_state == S.GATING


def test_a_rejected_release_is_rebuilt() -> None:
    t = machine.reject(at(S.AWAITING_SIGNOFF), actor="QA1", reason="checkout broken")
    assert t.after.state == S.REJECTED
    assert t.events[0].reason == "checkout broken"
    assert machine.new_build(t.after, actor="ci").to_state == S.GATING


def test_pause_resume_and_promote() -> None:
    paused = machine.pause(at(S.DEPLOYING), actor="analysis", reason="inconclusive").after
    assert paused.state == S.PAUSED
    assert machine.resume(paused, actor="U1").to_state == S.DEPLOYING
    assert machine.promote(paused, actor="U1").to_state == S.DEPLOYING


@pytest.mark.parametrize("state", [S.DEPLOYING, S.PAUSED, S.RELEASED])
def test_rollback_from_a_live_release(state: ReleaseState) -> None:
    t = machine.rollback(at(state), actor="U9", now=NOW, reason="errors up")
    assert (t.to_state, t.reason, t.at) == (S.ROLLING_BACK, "errors up", NOW)
    assert machine.rollback_succeeded(t.after, actor="deployer").to_state == S.ROLLED_BACK


def test_a_failed_rollback_can_be_retried() -> None:
    failed = machine.rollback_failed(at(S.ROLLING_BACK), actor="deployer", reason="timeout").after
    assert failed.state == S.ROLLBACK_FAILED
    assert machine.rollback(failed, actor="U9", now=NOW).to_state == S.ROLLING_BACK


@pytest.mark.parametrize(
    "ago",
    [timedelta(0), timedelta(hours=1), timedelta(minutes=-5)],
    ids=["just-released", "window-edge", "clock-skew"],
)
def test_rollback_inside_the_monitoring_window(ago: timedelta) -> None:
    released = at(S.RELEASED, released_ago=ago)
    assert machine.rollback(released, actor="U9", now=NOW).after.released_at == NOW - ago


@pytest.mark.parametrize(
    ("ago", "window", "shown"),
    [
        (timedelta(hours=3), timedelta(hours=1), "3h ago, outside its 1h"),
        (timedelta(hours=1, seconds=1), timedelta(hours=1), "1h1m ago, outside its 1h"),
        (timedelta(seconds=45), timedelta(seconds=30), "45s ago, outside its 30s"),
        (timedelta(days=2, minutes=3), timedelta(minutes=90), "2d3m ago, outside its 1h30m"),
    ],
)
def test_rollback_outside_the_window_says_ship_a_hotfix(
    ago: timedelta, window: timedelta, shown: str
) -> None:
    released = replace(at(S.RELEASED, released_ago=ago), monitoring_window=window)
    assert refusal(released, A.ROLLBACK) == (
        f"{LABEL} was released {shown} monitoring window: ship a hotfix instead"
    )


def test_the_brief_s_window_example() -> None:
    assert refusal(at(S.RELEASED, released_ago=timedelta(hours=3)), A.ROLLBACK) == (
        "web/2026.11.2 was released 3h ago, outside its 1h monitoring window: ship a hotfix instead"
    )


ROLL_BACK_FIRST = "roll back first (/release rollback web/2026.11.2)"


@pytest.mark.parametrize(
    ("state", "action", "message"),
    [
        (S.RELEASED, A.CUT, "web/2026.11.2 is already released; use /release hotfix"),
        (S.RELEASED, A.CANCEL, "web/2026.11.2 is already released; use /release hotfix"),
        (S.RELEASED, A.COMPLETE, "web/2026.11.2 is already released; use /release hotfix"),
        (S.DEPLOYING, A.CANCEL, f"web/2026.11.2 is deploying: {ROLL_BACK_FIRST}"),
        (S.PAUSED, A.CANCEL, f"web/2026.11.2 is paused: {ROLL_BACK_FIRST}"),
        (S.CANCELLED, A.DEPLOY, "web/2026.11.2 is cancelled; cut a new release"),
        (S.CANCELLED, A.CANCEL, "web/2026.11.2 is cancelled; cut a new release"),
        (
            S.ROLLED_BACK,
            A.ROLLBACK,
            "web/2026.11.2 was rolled back; cut a new release or use /release hotfix",
        ),
        (
            S.ROLLBACK_FAILED,
            A.CANCEL,
            "the rollback of web/2026.11.2 failed: try again "
            "(/release rollback web/2026.11.2) or restore the previous version by hand",
        ),
        (S.GATING, A.CUT, "web/2026.11.2 was already cut; it is gating"),
        (S.APPROVED, A.CUT, "web/2026.11.2 was already cut; it is approved"),
        (S.PAUSED, A.PAUSE, "web/2026.11.2 is already paused"),
        (S.DEPLOYING, A.RESUME, "web/2026.11.2 is already deploying"),
        (S.ROLLING_BACK, A.ROLLBACK, "web/2026.11.2 is already rolling back"),
        (S.AWAITING_SIGNOFF, A.GATES_PASSED, "web/2026.11.2 is already awaiting sign-off"),
        (
            S.APPROVED,
            A.ROLLBACK,
            "web/2026.11.2 is approved and was never deployed: nothing to roll back; "
            "cancel it instead (/release cancel web/2026.11.2 REASON)",
        ),
        (
            S.PLANNED,
            A.DEPLOY,
            "cannot deploy web/2026.11.2 while it is planned: cut it first (/release cut web)",
        ),
        (
            S.GATING,
            A.DEPLOY,
            "cannot deploy web/2026.11.2 while it is gating: "
            "wait for its gates (/release gates web/2026.11.2)",
        ),
        (
            S.AWAITING_SIGNOFF,
            A.DEPLOY,
            "cannot deploy web/2026.11.2 while it is awaiting sign-off: "
            "wait for QA sign-off (/release signoff web/2026.11.2)",
        ),
        (
            S.BLOCKED,
            A.APPROVE,
            "cannot approve web/2026.11.2 while it is blocked: "
            "fix the failing gate or override it (/release gates web/2026.11.2)",
        ),
        (
            S.ROLLING_BACK,
            A.CANCEL,
            "cannot cancel web/2026.11.2 while it is rolling back: "
            "wait for the rollback to finish (/release status web/2026.11.2)",
        ),
        (
            S.DEPLOYING,
            A.ROLLBACK_SUCCEEDED,
            "cannot finish the rollback of web/2026.11.2 while it is deploying: wait for the "
            "deploy, pause it or roll it back (/release status web/2026.11.2)",
        ),
    ],
)
def test_refusal_messages(state: ReleaseState, action: Action, message: str) -> None:
    kwargs = {"reason": "because", "gate": "coverage"}
    assert refusal(at(state), action, **kwargs) == message


@pytest.mark.parametrize("reason", [None, "", "   \n"])
@pytest.mark.parametrize(
    ("action", "verb"),
    [(A.CANCEL, "cancel"), (A.REJECT, "reject"), (A.OVERRIDE, "override a gate of")],
)
def test_cancel_reject_and_override_need_a_reason(
    action: Action, verb: str, reason: str | None
) -> None:
    state = S.GATING if action == A.CANCEL else next(iter(TRANSITIONS[action]))
    message = refusal(at(state), action, reason=reason, gate="coverage")
    assert message == f"a reason is required to {verb} web/2026.11.2"


@pytest.mark.parametrize("gate", [None, "", "  "])
def test_override_needs_a_gate(gate: str | None) -> None:
    message = refusal(at(S.BLOCKED), A.OVERRIDE, gate=gate, reason="flaky")
    assert message == "name the gate to override on web/2026.11.2"


def test_the_state_is_explained_before_a_missing_reason() -> None:
    assert refusal(at(S.DEPLOYING), A.CANCEL) == f"web/2026.11.2 is deploying: {ROLL_BACK_FIRST}"


def test_a_cancel_with_a_reason_cancels_and_records_it() -> None:
    t = machine.cancel(at(S.APPROVED), actor="U1", reason="  wrong commit ")
    assert (t.from_state, t.to_state, t.reason) == (S.APPROVED, S.CANCELLED, "wrong commit")
    assert t.events == (
        ReleaseEvent(kind=EventKind.CANCEL, release=LABEL, actor="U1", reason="wrong commit"),
    )


@pytest.mark.parametrize(
    ("state", "action"),
    [(s, a) for s in ReleaseState for a in Action if s not in TRANSITIONS[a]],
)
def test_every_missing_edge_is_refused_with_a_message_naming_the_release(
    state: ReleaseState, action: Action
) -> None:
    message = refusal(at(state), action, reason="because", gate="coverage")
    assert LABEL in message
    assert "{" not in message


def test_a_refusal_is_not_allowed_for_the_error_handler() -> None:
    with pytest.raises(NotAllowed):
        machine.cut(at(S.CANCELLED), actor="U1")


def test_time_must_be_given_and_aware() -> None:
    with pytest.raises(ValueError, match="complete needs the current time"):
        apply(at(S.DEPLOYING), action=A.COMPLETE, actor="U1")
    with pytest.raises(ValueError, match="now must be timezone-aware"):
        machine.rollback(at(S.DEPLOYING), actor="U1", now=NOW.replace(tzinfo=None))


def test_a_snapshot_checks_itself() -> None:
    with pytest.raises(ValueError, match=r"web/2026\.11\.2 is released but has no released_at"):
        Release(train="web", version="2026.11.2", state=S.RELEASED)
    with pytest.raises(ValueError, match="released_at must be timezone-aware"):
        Release(train="web", version="1", released_at=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="negative monitoring window"):
        Release(train="web", version="1", monitoring_window=timedelta(seconds=-1))


def test_a_snapshot_accepts_stored_strings() -> None:
    release = Release(train="web", version="1", kind="hotfix", state="gating")  # type: ignore[arg-type]
    assert release.kind is ReleaseKind.HOTFIX
    assert release.state is S.GATING
    assert apply(release, action="gates_passed", actor="ci").action is A.GATES_PASSED  # type: ignore[arg-type]


def test_replay_reproduces_the_snapshot_from_recorded_steps() -> None:
    start = Release(train="web", version="2026.11.2", kind=ReleaseKind.HOTFIX)
    steps = [
        Step(action=A.CUT, actor="U1"),
        Step(action=A.GATE_FAILED, actor="ci", gate="lint"),
        Step(action=A.OVERRIDE, actor="U1", gate="lint", reason="style only"),
        Step(action=A.GATES_PASSED, actor="ci"),
        Step(action=A.APPROVE, actor="QA1"),
        Step(action=A.DEPLOY, actor="U1"),
        Step(action=A.COMPLETE, actor="deployer", at=NOW),
        Step(action=A.ROLLBACK, actor="U9", reason="5xx", at=NOW + timedelta(minutes=20)),
    ]
    final = replay(initial=start, steps=steps)
    assert final == replace(start, state=S.ROLLING_BACK, released_at=NOW)
    t = machine.override(at(S.BLOCKED), actor="U1", gate="lint", reason="style only")
    assert t.step == steps[2]


def test_replay_of_an_inconsistent_trail_is_refused() -> None:
    with pytest.raises(TransitionRefused, match="cannot deploy"):
        replay(initial=at(S.PLANNED), steps=[Step(action=A.DEPLOY, actor="U1")])
