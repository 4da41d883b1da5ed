"""Random command sequences against the release state machine."""

from __future__ import annotations

import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.release import (
    ALLOWED,
    TERMINAL_STATES,
    TRANSITIONS,
    Action,
    Release,
    ReleaseKind,
    ReleaseState,
    Step,
    Transition,
    TransitionRefused,
    apply,
    replay,
)

START = datetime(2026, 11, 12, 10, 0, tzinfo=UTC)

commands = st.lists(
    st.tuples(
        st.sampled_from(Action),
        st.sampled_from(["U1", "U2", "ci", "deployer"]),
        st.one_of(st.none(), st.sampled_from(["", "  ", "flaky", " wrong commit "]), st.text()),
        st.one_of(st.none(), st.sampled_from(["", "coverage", "lint"])),
        st.integers(min_value=-30, max_value=6 * 60).map(lambda m: START + timedelta(minutes=m)),
    ),
    max_size=60,
)
initial_releases = st.builds(
    Release,
    train=st.sampled_from(["web", "ios"]),
    version=st.sampled_from(["2026.11.2", "1.4.0"]),
    kind=st.sampled_from(ReleaseKind),
    monitoring_window=st.sampled_from([timedelta(0), timedelta(minutes=30), timedelta(hours=1)]),
)


def attempt(
    release: Release,
    *,
    action: Action,
    actor: str,
    reason: str | None,
    gate: str | None,
    now: datetime,
) -> Transition | TransitionRefused:
    try:
        return apply(release, action=action, actor=actor, reason=reason, gate=gate, now=now)
    except TransitionRefused as refused:
        return refused


def run(
    release: Release, script: list[tuple[Action, str, str | None, str | None, datetime]]
) -> tuple[Release, list[Transition]]:
    applied: list[Transition] = []
    for action, actor, reason, gate, now in script:
        before = replace(release)  # a copy, compared field by field below
        t = attempt(release, action=action, actor=actor, reason=reason, gate=gate, now=now)
        if isinstance(t, TransitionRefused):
            assert release == before  # a refusal changes nothing
            assert release.label in str(t)
            assert t.state == release.state
            continue
        assert t.from_state == release.state
        assert t.to_state in ALLOWED[t.from_state]
        assert TRANSITIONS[t.action][t.from_state] == t.to_state
        released_at = now if t.to_state == ReleaseState.RELEASED else release.released_at
        assert t.after == replace(release, state=t.to_state, released_at=released_at)
        assert len(t.events) == 1
        assert t.events[0].kind.name == t.action.name
        applied.append(t)
        release = t.after
    return release, applied


@settings(max_examples=400)
@given(initial=initial_releases, script=commands)
def test_random_commands_follow_the_diagram_and_replay_reproduces_them(
    initial: Release, script: list[tuple[Action, str, str | None, str | None, datetime]]
) -> None:
    final, applied = run(initial, script)
    assert final.state in ReleaseState
    assert replay(initial=initial, steps=[t.step for t in applied]) == final
    for earlier, later in itertools.pairwise(applied):
        assert earlier.to_state == later.from_state


@given(initial=initial_releases, script=commands)
def test_terminal_states_only_leave_by_rollback(
    initial: Release, script: list[tuple[Action, str, str | None, str | None, datetime]]
) -> None:
    _, applied = run(initial, script)
    for t in applied:
        if t.from_state in TERMINAL_STATES:
            assert t.action == Action.ROLLBACK
            assert t.from_state in {ReleaseState.RELEASED, ReleaseState.ROLLBACK_FAILED}


@given(
    reason=st.one_of(st.none(), st.text(alphabet=" \t\n", max_size=5)),
    state=st.sampled_from(list(TRANSITIONS[Action.CANCEL])),
)
def test_a_blank_reason_never_cancels(reason: str | None, state: ReleaseState) -> None:
    release = Release(train="web", version="2026.11.2", state=state)
    with pytest.raises(TransitionRefused) as refused:
        apply(release, action=Action.CANCEL, actor="U1", reason=reason)
    assert str(refused.value) == "a reason is required to cancel web/2026.11.2"


def test_steps_round_trip_through_a_transition() -> None:
    t = apply(Release(train="web", version="1"), action=Action.CUT, actor="U1", now=START)
    assert t.step == Step(action=Action.CUT, actor="U1", at=START)
