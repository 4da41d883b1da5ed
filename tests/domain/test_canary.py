"""Canary rules: conditions, queries, judging, analysis verdicts, plans and the progression."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.analysis import (
    PLACEHOLDERS,
    AnalysisRun,
    AnalysisSpec,
    Condition,
    Measurement,
    Outcome,
    Verdict,
    check_query,
    judge,
    render_query,
)
from bot.domain.canary import (
    DEFAULT_STEPS,
    SWITCH_WAITS,
    Analyse,
    BlueGreenPlan,
    CanaryPlan,
    CanaryState,
    Move,
    Pause,
    Phase,
    Plan,
    Promote,
    Rollback,
    SetWeight,
    Step,
    Wait,
    apply,
    next_move,
    promote,
    record_measurements,
    resume,
)

T0 = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
S = timedelta(seconds=1)
QUERY = 'sum(rate(http_requests_total{version="{{canary}}",code=~"5.."}[1m]))'


def spec(**changes: object) -> AnalysisSpec:
    values: dict[str, object] = {
        "name": "error-rate",
        "query": QUERY,
        "success": Condition.parse("< 0.01"),
        "failure": Condition.parse("> 0.05"),
    }
    values.update(changes)
    return AnalysisSpec(**values)  # type: ignore[arg-type]


# --- conditions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "below", "equal", "above"),
    [
        ("< 1", True, False, False),
        ("<= 1", True, True, False),
        ("> 1", False, False, True),
        (">= 1", False, True, True),
        ("== 1", False, True, False),
    ],
)
def test_every_operator_holds_as_written(text: str, below: bool, equal: bool, above: bool) -> None:
    condition = Condition.parse(text)
    assert (condition.holds(0.5), condition.holds(1.0), condition.holds(1.5)) == (
        below,
        equal,
        above,
    )


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("< 0.01", "< 0.01"),
        ("<0.01", "< 0.01"),
        ("  >=   0.99 ", ">= 0.99"),
        ("<= 5", "<= 5"),
        ("== 0", "== 0"),
        ("> 5.0", "> 5"),
        ("> 1e-3", "> 0.001"),
        ("< -2.5", "< -2.5"),
        ("> 1e-05", "> 1e-05"),
    ],
)
def test_a_condition_prints_its_canonical_text(text: str, canonical: str) -> None:
    condition = Condition.parse(text)
    assert str(condition) == canonical
    assert Condition.parse(str(condition)) == condition


@pytest.mark.parametrize(
    "text",
    ["", "0.01", "<", "< abc", "< nan", "> inf", "=< 1", "!= 1", "< 1 2", "<< 1", "= 1", "1 <"],
)
def test_anything_else_is_not_a_condition(text: str) -> None:
    with pytest.raises(ValueError, match="is not a condition") as caught:
        Condition.parse(text)
    assert str(caught.value) == (
        f"{text!r} is not a condition: write an operator (<, <=, >, >= or ==) and a number, "
        'such as "< 0.01"'
    )


@pytest.mark.parametrize(("op", "threshold"), [("!=", 1.0), ("<", float("nan"))])
def test_a_condition_built_directly_is_checked_too(op: str, threshold: float) -> None:
    with pytest.raises(ValueError, match="not a condition"):
        Condition(op=op, threshold=threshold)


@given(
    st.sampled_from(["<", "<=", ">", ">=", "=="]), st.floats(allow_nan=False, allow_infinity=False)
)
def test_any_condition_survives_its_text(op: str, threshold: float) -> None:
    condition = Condition(op=op, threshold=threshold)
    assert Condition.parse(str(condition)) == condition


# --- queries ----------------------------------------------------------------------------


def test_placeholders_are_replaced_with_or_without_spaces() -> None:
    query = '{{canary}} {{ stable }} {{service }} {{  release}} up{job="x"}'
    assert render_query(
        query, canary="2.0", stable="1.9", service="checkout", release="web/2.0"
    ) == ('2.0 1.9 checkout web/2.0 up{job="x"}')
    assert PLACEHOLDERS == ("canary", "stable", "service", "release")


def test_values_are_escaped_for_a_promql_string() -> None:
    rendered = render_query(
        'x{v="{{canary}}"}', canary='a"b\\c\nd', stable="", service="", release=""
    )
    assert rendered == 'x{v="a\\"b\\\\c\\nd"}'


def test_an_empty_stable_version_renders_empty() -> None:
    assert render_query('v="{{stable}}"', canary="2", stable="", service="s", release="r") == 'v=""'


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "x{{canry}}",
            "unknown placeholder {{canry}} in the query; did you mean {{canary}}? use {{canary}}, "
            "{{stable}}, {{service}}, {{release}}",
        ),
        (
            "{{ version }}",
            "unknown placeholder {{version}} in the query; use {{canary}}, {{stable}}, "
            "{{service}}, {{release}}",
        ),
        (
            "{{}}",
            "unknown placeholder {{}} in the query; use {{canary}}, {{stable}}, "
            "{{service}}, {{release}}",
        ),
    ],
)
def test_an_unknown_placeholder_is_refused(query: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        render_query(query, canary="2", stable="1", service="s", release="r")
    with pytest.raises(ValueError, match="unknown placeholder"):
        check_query(query)


def test_check_query() -> None:
    check_query(QUERY)
    check_query("up{a='{single}'}")
    with pytest.raises(ValueError, match="a query cannot be empty"):
        check_query("  ")


# --- analysis specs and judging -------------------------------------------------------


def test_spec_defaults_follow_argo_rollouts() -> None:
    default = AnalysisSpec(name="e", query="up", success=Condition.parse("> 0"))
    assert (default.failure, default.interval, default.count) == (None, 30 * S, 5)
    assert (default.failure_limit, default.inconclusive_limit) == (0, 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "an analysis needs a name, such as error-rate"),
        ({"query": ""}, "a query cannot be empty: write the PromQL to measure"),
        ({"interval": timedelta(0)}, "an analysis needs an interval above 0s and a count of"),
        ({"count": 0}, "an analysis needs an interval above 0s and a count of at least 1"),
        (
            {"count": 2, "failure_limit": 2},
            "failure_limit must be from 0 to count - 1 (1), got 2: a limit of count or more "
            "can never be exceeded",
        ),
        ({"inconclusive_limit": -1}, "inconclusive_limit must be from 0 to count - 1 (4), got -1"),
        ({"inconclusive_limit": 5}, "inconclusive_limit must be from 0 to count - 1 (4), got 5"),
    ],
)
def test_a_spec_that_cannot_work_is_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}"):
        spec(**changes)


@pytest.mark.parametrize(
    ("value", "outcome"),
    [
        (None, Outcome.INCONCLUSIVE),
        (0.0, Outcome.SUCCESS),
        (0.0099, Outcome.SUCCESS),
        (0.01, Outcome.INCONCLUSIVE),  # on the success threshold: `<` does not hold
        (0.03, Outcome.INCONCLUSIVE),
        (0.05, Outcome.INCONCLUSIVE),  # on the failure threshold: `>` does not hold
        (0.0501, Outcome.FAILURE),
        (7.0, Outcome.FAILURE),
    ],
)
def test_judge_with_both_conditions(value: float | None, outcome: Outcome) -> None:
    assert judge(spec(), Measurement(value=value, series=1)) is outcome


@pytest.mark.parametrize(
    ("value", "outcome"),
    [(None, Outcome.INCONCLUSIVE), (0.0, Outcome.SUCCESS), (0.01, Outcome.FAILURE)],
)
def test_without_a_failure_condition_anything_but_success_fails(
    value: float | None, outcome: Outcome
) -> None:
    assert judge(spec(failure=None), Measurement(value=value)) is outcome


def test_when_both_conditions_hold_failure_wins() -> None:
    overlapping = spec(success=Condition.parse("<= 1"), failure=Condition.parse(">= 1"))
    assert judge(overlapping, Measurement(1.0)) is Outcome.FAILURE
    assert judge(spec(success=Condition.parse("== 0"), failure=None), Measurement(0.0)) is (
        Outcome.SUCCESS
    )


def test_measurement_usable() -> None:
    assert Measurement(0.0).usable
    assert not Measurement(None, series=0).usable


# --- analysis runs ----------------------------------------------------------------------

OK, BAD, MEH = Outcome.SUCCESS, Outcome.FAILURE, Outcome.INCONCLUSIVE


def run_of(outcomes: list[Outcome], **changes: object) -> AnalysisRun:
    run = AnalysisRun(spec(**changes))
    for outcome in outcomes:
        run = run.record(outcome)
    return run


@pytest.mark.parametrize(
    ("outcomes", "changes", "verdict"),
    [
        ([], {}, Verdict.RUNNING),
        ([OK] * 4, {}, Verdict.RUNNING),
        ([OK] * 5, {}, Verdict.PASSED),
        ([BAD], {}, Verdict.FAILED),  # failure_limit 0: the first failure decides
        ([OK, BAD], {"failure_limit": 1}, Verdict.RUNNING),
        ([OK, BAD, OK, OK, OK], {"failure_limit": 1}, Verdict.PASSED),
        ([OK, BAD, BAD], {"failure_limit": 1}, Verdict.FAILED),
        ([MEH], {}, Verdict.RUNNING),  # inconclusive waits for the count: a failure may follow
        ([MEH, OK, OK, OK, OK], {}, Verdict.INCONCLUSIVE),
        ([MEH, BAD], {}, Verdict.FAILED),
        ([MEH, OK, OK, OK, OK], {"inconclusive_limit": 1}, Verdict.PASSED),
        ([MEH, MEH, OK, OK, OK], {"inconclusive_limit": 1}, Verdict.INCONCLUSIVE),
        (
            [BAD, MEH],
            {"count": 2, "failure_limit": 1, "inconclusive_limit": 1},
            Verdict.INCONCLUSIVE,
        ),
        ([OK], {"count": 1}, Verdict.PASSED),
    ],
)
def test_verdicts(outcomes: list[Outcome], changes: dict[str, object], verdict: Verdict) -> None:
    assert run_of(outcomes, **changes).verdict is verdict


def test_nothing_is_recorded_after_the_verdict() -> None:
    with pytest.raises(ValueError, match="analysis error-rate has its verdict: failed"):
        run_of([BAD]).record(OK)


def test_measure_judges_and_schedules_the_next_measurement() -> None:
    run = AnalysisRun(spec(failure_limit=1)).measure(Measurement(0.2, series=3), now=T0)
    assert run.outcomes == (BAD,)
    assert run.last == Measurement(0.2, series=3)
    assert run.due == T0 + 30 * S
    assert run.record(OK).last == Measurement(0.2, series=3)


def test_explain_gives_the_numbers_conditions_and_last_value() -> None:
    run = AnalysisRun(spec(failure_limit=1))
    run = run.measure(Measurement(0.001), now=T0).measure(Measurement(0.2), now=T0)
    run = run.measure(Measurement(0.07), now=T0)
    assert run.explain() == (
        "error-rate failed: 3 of 5 measurements, 1 succeeded (< 0.01), 2 failed (> 0.05, limit "
        "1), 0 inconclusive (limit 0); last value 0.07"
    )
    empty = AnalysisRun(spec(failure=None)).measure(Measurement(None), now=T0)
    assert empty.explain() == (
        "error-rate running: 1 of 5 measurements, 0 succeeded (< 0.01), 0 failed (not < 0.01, "
        "limit 0), 1 inconclusive (limit 0); last value no data"
    )


@given(st.lists(st.sampled_from(list(Outcome)), max_size=8), st.integers(0, 2), st.integers(0, 2))
def test_a_verdict_is_final(outcomes: list[Outcome], failure_limit: int, inconclusive: int) -> None:
    run = AnalysisRun(spec(count=3, failure_limit=failure_limit, inconclusive_limit=inconclusive))
    decided: Verdict | None = None
    for outcome in outcomes:
        if run.verdict is not Verdict.RUNNING:
            decided = run.verdict
            with pytest.raises(ValueError, match="has its verdict"):
                run.record(outcome)
            break
        run = run.record(outcome)
    assert len(run.outcomes) <= 3
    if decided is Verdict.PASSED:
        assert Outcome.SUCCESS in run.outcomes


# --- steps and plans --------------------------------------------------------------------


@pytest.mark.parametrize("weight", [-1, 101, True])
def test_a_weight_is_a_percentage(weight: int) -> None:
    with pytest.raises(ValueError, match="a weight is a percentage from 0 to 100, got"):
        Step(weight=weight)


def test_a_pause_is_positive() -> None:
    with pytest.raises(ValueError, match="a pause must be more than 0s: leave it out for none"):
        Step(weight=10, pause=timedelta(0))


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ((), "a canary needs at least one step, such as {weight: 100}"),
        ((10, 5, 100), "step 2 has weight 5, but weights must go up: step 1 has 10"),
        ((10, 50, 50, 100), "step 3 has weight 50, but weights must go up: step 2 has 50"),
        ((10, 50), "the last step has weight 50: a canary ends with {weight: 100}"),
        ((100, 100), "step 2 has weight 100, but weights must go up: step 1 has 100"),
    ],
)
def test_invalid_plans(weights: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        CanaryPlan(steps=tuple(Step(weight=w) for w in weights))


def test_analyses_have_distinct_names() -> None:
    with pytest.raises(ValueError, match="two analyses are called 'error-rate'"):
        CanaryPlan(analysis=(spec(), spec()))
    with pytest.raises(ValueError, match="two analyses are called 'error-rate'"):
        BlueGreenPlan(preview_analysis=(spec(), spec()))


def test_the_default_plan() -> None:
    plan = CanaryPlan()
    assert plan.steps == DEFAULT_STEPS
    assert [(s.weight, s.pause) for s in plan.steps] == [(10, 30 * S), (50, 30 * S), (100, None)]
    assert plan.analysis == ()
    assert not any(plan.analysed(step) for step in plan.steps)
    assert CanaryPlan(steps=(Step(weight=100),)).steps[0].weight == 100


def test_which_steps_are_analysed() -> None:
    plan = CanaryPlan(analysis=(spec(),))
    assert not plan.analysed(Step(weight=0, pause=60 * S))
    assert plan.analysed(Step(weight=10))
    assert plan.analysed(Step(weight=50, pause=60 * S))
    assert not plan.analysed(Step(weight=100))
    assert plan.analysed(Step(weight=100, pause=60 * S))


def test_blue_green_plan() -> None:
    plan = BlueGreenPlan()
    assert (plan.preview_analysis, plan.auto_promote, plan.scale_down_delay) == ((), False, 30 * S)
    with pytest.raises(ValueError, match="scale_down_delay cannot be negative"):
        BlueGreenPlan(scale_down_delay=-S)


# --- progression ------------------------------------------------------------------------

Values = Callable[[str, int], float | None]
"""The value an analysis measures at its n-th measurement (from 0, over the whole canary)."""


class Run(NamedTuple):
    moves: list[Move]
    state: CanaryState
    now: datetime


def drive(plan: Plan, values: Values, state: CanaryState | None = None) -> Run:
    """Follow next_move as the service will, with a clock that jumps to each Wait."""
    state, now = state or CanaryState(), T0
    moves: list[Move] = []
    taken: dict[str, int] = {}
    while not state.finished and len(moves) < 500:
        move = next_move(plan, state, now)
        moves.append(move)
        match move:
            case Wait(until=None):
                break
            case Wait(until=until):
                assert until is not None
                assert until > now
                now = until
            case Analyse(names=names):
                results = {n: Measurement(values(n, taken.get(n, 0))) for n in names}
                taken.update({n: taken.get(n, 0) + 1 for n in names})
                state = record_measurements(state, results, now=now)
            case _:
                state = apply(plan, state, move, now=now)
    return Run(moves=moves, state=state, now=now)


def healthy(name: str, n: int) -> float:
    return 0.001


def no_data(name: str, n: int) -> None:
    return None


PLAN = CanaryPlan(
    steps=(Step(10, 5 * 60 * S), Step(50, 10 * 60 * S), Step(100)),
    analysis=(spec(failure_limit=1),),
)
ANALYSE = Analyse(names=("error-rate",))


def at(seconds: int) -> Wait:
    return Wait(until=T0 + seconds * S)


def test_a_healthy_canary_goes_through_every_step_then_promotes() -> None:
    run = drive(PLAN, healthy)
    assert run.moves == [
        SetWeight(step=0, weight=10),
        ANALYSE, at(30), ANALYSE, at(60), ANALYSE, at(90), ANALYSE, at(120), ANALYSE,
        at(300),  # the rest of the 5m pause
        SetWeight(step=1, weight=50),
        ANALYSE, at(330), ANALYSE, at(360), ANALYSE, at(390), ANALYSE, at(420), ANALYSE,
        at(900),
        SetWeight(step=2, weight=100),  # 100% without a pause: not analysed
        Promote(),
    ]  # fmt: skip
    assert run.now == T0 + 15 * 60 * S
    assert (run.state.phase, run.state.weight, run.state.reason) == (Phase.PROMOTED, 100, "")
    assert run.state.finished
    assert not run.state.paused


def test_without_analysis_the_pauses_set_the_pace() -> None:
    plan = CanaryPlan()
    assert drive(plan, healthy).moves == [
        SetWeight(step=0, weight=10),
        Wait(until=T0 + 30 * S),
        SetWeight(step=1, weight=50),
        Wait(until=T0 + 60 * S),
        SetWeight(step=2, weight=100),
        Promote(),
    ]


def test_a_failing_analysis_rolls_back_with_the_values() -> None:
    def bad_at_50(name: str, n: int) -> float:
        return 0.2 if n >= 6 else 0.001

    run = drive(PLAN, bad_at_50)
    assert run.moves[-3:-1] == [at(360), ANALYSE]
    rollback = Rollback(
        reason="error-rate failed: 3 of 5 measurements, 1 succeeded (< 0.01), 2 failed "
        "(> 0.05, limit 1), 0 inconclusive (limit 0); last value 0.2"
    )
    assert run.moves[-1] == rollback
    assert (run.state.phase, run.state.weight, run.state.step_index) == (Phase.ROLLED_BACK, 0, 1)
    assert run.state.reason == rollback.reason


def test_an_inconclusive_analysis_pauses_and_waits_for_a_person() -> None:
    run = drive(PLAN, no_data)
    assert run.moves[-2] == Pause(
        reason="error-rate inconclusive: 5 of 5 measurements, 0 succeeded (< 0.01), 0 failed "
        "(> 0.05, limit 1), 5 inconclusive (limit 0); last value no data"
    )
    assert run.moves[-1] == Wait(until=None)
    assert run.state.paused
    assert run.state.reason.startswith("error-rate inconclusive")
    assert next_move(PLAN, run.state, T0 + 3600 * S) == Wait(until=None)

    # resume: the analysis runs again from now; this time the data is there
    resumed = resume(run.state)
    assert (resumed.phase, resumed.reason) == (Phase.PROGRESSING, "")
    assert resumed.analysis[0].outcomes == ()
    later = drive(PLAN, healthy, resumed).moves
    assert later[0] == ANALYSE
    assert later[-1] == Promote()


def test_promote_accepts_an_inconclusive_step() -> None:
    paused = drive(PLAN, lambda name, n: 0.03).state  # between the thresholds
    assert paused.paused
    promoted = promote(PLAN, paused)
    assert promoted.accepted
    assert not promoted.paused
    assert next_move(PLAN, promoted, T0) == SetWeight(step=1, weight=50)
    entered = apply(PLAN, promoted, SetWeight(step=1, weight=50), now=T0)
    assert (entered.accepted, entered.step_index, entered.weight) == (False, 1, 50)
    assert entered.analysis == (AnalysisRun(PLAN.analysis[0]),)


def test_promote_full_skips_every_step_left() -> None:
    state = apply(PLAN, CanaryState(), SetWeight(step=0, weight=10), now=T0)
    assert next_move(PLAN, promote(PLAN, state, full=True), T0) == Promote()
    before = promote(PLAN, CanaryState())  # promote before the first weight is set
    assert next_move(PLAN, before, T0) == SetWeight(step=1, weight=50)


def test_resume_after_a_pause_by_a_person_goes_on_where_it_was() -> None:
    state = apply(PLAN, CanaryState(), SetWeight(step=0, weight=10), now=T0)
    state = record_measurements(state, {"error-rate": Measurement(0.001)}, now=T0)
    paused = apply(PLAN, state, Pause(reason="paused by <@U1>"), now=T0)
    assert (paused.phase, paused.reason) == (Phase.PAUSED, "paused by <@U1>")
    assert next_move(PLAN, paused, T0 + 600 * S) == Wait(until=None)
    resumed = resume(paused)
    assert resumed.analysis == state.analysis
    assert next_move(PLAN, resumed, T0 + 600 * S) == ANALYSE  # overdue: measure now
    with pytest.raises(ValueError, match="the canary is not paused: progressing"):
        resume(resumed)


def test_a_rollback_by_a_person_ends_the_canary() -> None:
    state = apply(PLAN, CanaryState(), SetWeight(step=0, weight=10), now=T0)
    rolled = apply(PLAN, state, Rollback(reason="rolled back by <@U1>"), now=T0)
    assert (rolled.phase, rolled.weight, rolled.finished) == (Phase.ROLLED_BACK, 0, True)
    for attempt in (
        lambda: next_move(PLAN, rolled, T0),
        lambda: apply(PLAN, rolled, Promote(), now=T0),
        lambda: record_measurements(rolled, {}, now=T0),
        lambda: promote(PLAN, rolled),
    ):
        with pytest.raises(ValueError, match="the canary is over: rolled_back"):
            attempt()


def test_wait_and_analyse_moves_in_apply() -> None:
    state = apply(PLAN, CanaryState(), SetWeight(step=0, weight=10), now=T0)
    assert apply(PLAN, state, Wait(until=T0), now=T0) is state
    with pytest.raises(ValueError, match="an Analyse move is recorded with record_measurements"):
        apply(PLAN, state, ANALYSE, now=T0)
    with pytest.raises(ValueError, match="no analysis called 'latency' runs in this step"):
        record_measurements(state, {"latency": Measurement(1.0)}, now=T0)


def test_analyses_with_their_own_intervals_are_measured_when_each_is_due() -> None:
    latency = spec(name="latency", query="up", success=Condition.parse("< 300"), failure=None,
                   interval=10 * S, count=2)  # fmt: skip
    plan = CanaryPlan(steps=(Step(50), Step(100)), analysis=(spec(count=2), latency))
    state = apply(plan, CanaryState(), SetWeight(step=0, weight=50), now=T0)
    assert next_move(plan, state, T0) == Analyse(names=("error-rate", "latency"))
    both = {"error-rate": Measurement(0.001), "latency": Measurement(120.0)}
    state = record_measurements(state, both, now=T0)
    assert next_move(plan, state, T0) == Wait(until=T0 + 10 * S)
    assert next_move(plan, state, T0 + 10 * S) == Analyse(names=("latency",))
    state = record_measurements(state, {"latency": Measurement(150.0)}, now=T0 + 10 * S)
    assert state.analysis[1].verdict is Verdict.PASSED
    assert state.verdict() is Verdict.RUNNING
    assert next_move(plan, state, T0 + 10 * S) == Wait(until=T0 + 30 * S)
    state = record_measurements(state, {"error-rate": Measurement(0.001)}, now=T0 + 30 * S)
    assert state.verdict() is Verdict.PASSED
    assert next_move(plan, state, T0 + 30 * S) == SetWeight(step=1, weight=100)


def test_one_failed_analysis_rolls_back_while_another_still_runs() -> None:
    plan = CanaryPlan(steps=(Step(50), Step(100)), analysis=(spec(), spec(name="latency")))
    state = apply(plan, CanaryState(), SetWeight(step=0, weight=50), now=T0)
    state = record_measurements(state, {"latency": Measurement(1.0)}, now=T0)
    assert state.verdict() is Verdict.FAILED
    move = next_move(plan, state, T0)
    assert isinstance(move, Rollback)
    assert move.reason.startswith("latency failed: 1 of 5")


def test_an_inconclusive_analysis_waits_for_the_others() -> None:
    plan = CanaryPlan(steps=(Step(50), Step(100)), analysis=(spec(count=1), spec(name="b")))
    state = apply(plan, CanaryState(), SetWeight(step=0, weight=50), now=T0)
    state = record_measurements(state, {"error-rate": Measurement(None)}, now=T0)
    assert state.analysis[0].verdict is Verdict.INCONCLUSIVE
    assert next_move(plan, state, T0) == Analyse(names=("b",))


@given(
    st.lists(st.one_of(st.none(), st.floats(0, 0.2)), min_size=1, max_size=40),
    st.integers(0, 2),
    st.integers(0, 2),
)
def test_any_canary_ends_promoted_rolled_back_or_paused(
    values: list[float | None], failure_limit: int, inconclusive_limit: int
) -> None:
    analysis = spec(count=3, failure_limit=failure_limit, inconclusive_limit=inconclusive_limit)
    plan = CanaryPlan(steps=(Step(10, 60 * S), Step(50), Step(100, 60 * S)), analysis=(analysis,))
    moves = drive(plan, lambda name, n: values[n % len(values)]).moves
    assert isinstance(moves[-1], Promote | Rollback | Wait)
    assert len(moves) < 100
    if isinstance(moves[-1], Wait):
        assert moves[-1].until is None
        assert isinstance(moves[-2], Pause)
    measured = sum(isinstance(m, Analyse) for m in moves)
    assert measured <= 9
    if isinstance(moves[-1], Promote):
        assert measured == 9  # every analysed step measured to its count, 100% included


# --- blue-green ---------------------------------------------------------------------------


def test_a_blue_green_is_one_preview_step_at_weight_0() -> None:
    plan = BlueGreenPlan(preview_analysis=(spec(),))
    assert plan.steps == (Step(weight=0),)
    assert plan.analysis == plan.preview_analysis
    assert plan.analysed(plan.steps[0])
    assert not BlueGreenPlan().analysed(Step(weight=0))


def test_a_blue_green_with_auto_promote_switches_once_the_preview_passes() -> None:
    run = drive(BlueGreenPlan(preview_analysis=(spec(),), auto_promote=True), healthy)
    assert run.moves == [
        SetWeight(step=0, weight=0),
        ANALYSE, at(30), ANALYSE, at(60), ANALYSE, at(90), ANALYSE, at(120), ANALYSE,
        Promote(),
    ]  # fmt: skip
    assert (run.state.phase, run.state.weight) == (Phase.PROMOTED, 100)


def test_a_manual_blue_green_pauses_until_a_person_promotes() -> None:
    plan = BlueGreenPlan()
    run = drive(plan, healthy)
    assert run.moves == [SetWeight(step=0, weight=0), Pause(reason=SWITCH_WAITS), Wait(None)]
    assert (run.state.phase, run.state.reason) == (Phase.PAUSED, SWITCH_WAITS)
    assert next_move(plan, resume(run.state), run.now) == Pause(reason=SWITCH_WAITS)
    promoted = promote(plan, run.state)
    assert next_move(plan, promoted, run.now) == Promote()
    assert apply(plan, promoted, Promote(), now=run.now).phase is Phase.PROMOTED


def test_a_failing_preview_rolls_back_before_any_traffic() -> None:
    run = drive(BlueGreenPlan(preview_analysis=(spec(),), auto_promote=True), lambda n, i: 0.5)
    assert run.moves[-1] == Rollback(reason=run.state.reason)
    assert (run.state.phase, run.state.weight) == (Phase.ROLLED_BACK, 0)
