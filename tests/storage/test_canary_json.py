"""A canary's state survives the trip to the deployments table's JSON and back, exactly."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.analysis import AnalysisSpec, Condition, Measurement
from bot.domain.canary import (
    Analyse,
    CanaryPlan,
    CanaryState,
    Phase,
    SetWeight,
    Step,
    apply,
    next_move,
    record_measurements,
)
from storage.canary_json import state_from_json, state_to_json

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
ERRORS = AnalysisSpec(
    name="error-rate",
    query='sum(rate(x{version="{{canary}}"}[1m]))',
    success=Condition.parse("< 0.01"),
    failure=Condition.parse("> 0.05"),
    interval=timedelta(seconds=10),
    count=3,
    failure_limit=0,
)
PLAN = CanaryPlan(
    steps=(Step(10, timedelta(seconds=30)), Step(50, timedelta(seconds=30)), Step(100, None)),
    analysis=(ERRORS,),
)


def roundtrip(state: CanaryState) -> CanaryState:
    return state_from_json(json.loads(json.dumps(state_to_json(state))), plan=PLAN)


def test_a_fresh_state_round_trips() -> None:
    assert roundtrip(CanaryState()) == CanaryState()
    entered = apply(PLAN, CanaryState(), SetWeight(step=0, weight=10), now=T0)
    assert roundtrip(entered) == entered  # an analysis not yet measured: no value, no due


def test_a_state_mid_analysis_round_trips_and_goes_on_the_same() -> None:
    state = apply(PLAN, CanaryState(), SetWeight(step=0, weight=10), now=T0)
    move = next_move(PLAN, state, T0)
    assert move == Analyse(names=("error-rate",))
    state = record_measurements(state, {"error-rate": Measurement(0.002, 1)}, now=T0)
    state = record_measurements(
        state, {"error-rate": Measurement(None, 0)}, now=T0 + timedelta(seconds=10)
    )
    again = roundtrip(state)
    assert again == state
    later = T0 + timedelta(seconds=25)
    assert next_move(PLAN, again, later) == next_move(PLAN, state, later)


def test_a_paused_state_keeps_its_reason() -> None:
    state = CanaryState(step_index=1, weight=50, entered_at=T0, phase=Phase.PAUSED, reason="why")
    assert roundtrip(state) == state


def test_an_analysis_the_config_dropped_is_named() -> None:
    state = apply(PLAN, CanaryState(), SetWeight(step=0, weight=10), now=T0)
    stored = state_to_json(state)
    with pytest.raises(ValueError, match="runs analysis 'error-rate', which the config no"):
        state_from_json(stored, plan=CanaryPlan(steps=PLAN.steps))


def test_a_stored_time_without_a_timezone_is_refused() -> None:
    stored = state_to_json(CanaryState(entered_at=T0))
    stored["entered_at"] = "2026-11-24T10:00:00"
    with pytest.raises(ValueError, match="has no timezone"):
        state_from_json(stored, plan=PLAN)
