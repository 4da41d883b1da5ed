"""Canary analysis: Prometheus measurements judged against a service's success and failure
conditions, step by step. Pure: the metrics adapter measures, the deploy adapter moves the
traffic, the service stores the :class:`CanaryState`; this module decides.

A :class:`CanaryPlan` is a list of steps, each a traffic weight and an optional pause. A
step's analyses run after its weight is set, during its pause, never at weight 0 (as in Argo
Rollouts). :func:`next_move` reads the plan, the state and the time and names one
:data:`Move`; the service makes it and records it with :func:`apply` (with
:func:`record_measurements` for an :class:`Analyse`)::

    start ──SetWeight(0)──> at step i ──a measurement is due──> Analyse ──recorded──> at step i
    at step i ──nothing due yet──> Wait(until)
    at step i ──analyses passed, pause over──> SetWeight(i + 1), or Promote after the last step
    at step i ──an analysis failed──> Rollback(reason) ──> rolled_back
    at step i ──an analysis inconclusive──> Pause(reason) ──> paused ──> Wait(None)
    paused ──resume──> at step i (an inconclusive analysis runs again, from now)
    at step i | paused ──promote──> the step counts as passed (``full``: every step)
    any ──Pause | Rollback by a person──> paused | rolled_back

A :class:`BlueGreenPlan` walks the same moves as one step at weight 0 (the preview, where its
analyses run), whose :class:`Promote` is the switch; without ``auto_promote`` it pauses first
(:data:`SWITCH_WAITS`) until a person promotes.

Each analysis is judged by :mod:`bot.domain.analysis`. The steps' pause runs on wall time: a
pause by a person does not stop it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.analysis import AnalysisRun, AnalysisSpec, Measurement, Verdict

__all__ = [
    "DEFAULT_STEPS", "SWITCH_WAITS", "Analyse", "BlueGreenPlan", "CanaryPlan", "CanaryState",
    "Move", "Pause", "Phase", "Plan", "Promote", "Rollback", "SetWeight", "Step", "Wait", "apply",
    "next_move", "promote", "record_measurements", "resume",
]  # fmt: skip


@dataclass(frozen=True)
class Step:
    """Send ``weight`` percent of the traffic to the canary, then wait ``pause`` (if any)."""

    weight: int
    pause: timedelta | None = None

    def __post_init__(self) -> None:
        if isinstance(self.weight, bool) or not 0 <= self.weight <= 100:
            raise ValueError(f"a weight is a percentage from 0 to 100, got {self.weight}")
        if self.pause is not None and self.pause <= timedelta(0):
            raise ValueError("a pause must be more than 0s: leave it out for none")


DEFAULT_STEPS = (
    Step(weight=10, pause=timedelta(seconds=30)),
    Step(weight=50, pause=timedelta(seconds=30)),
    Step(weight=100),
)
"""A service's steps when its config names none."""


def _distinct_names(specs: tuple[AnalysisSpec, ...]) -> None:
    names = [spec.name for spec in specs]
    twice = [name for n, name in enumerate(names) if name in names[:n]]
    if twice:
        raise ValueError(f"two analyses are called {twice[0]!r}: give each its own name")


@dataclass(frozen=True)
class CanaryPlan:
    """Steps of strictly increasing weights that end at 100, and the analyses of each step."""

    steps: tuple[Step, ...] = DEFAULT_STEPS
    analysis: tuple[AnalysisSpec, ...] = ()

    def __post_init__(self) -> None:
        if not self.steps:
            raise ValueError("a canary needs at least one step, such as {weight: 100}")
        for n in range(1, len(self.steps)):
            before, weight = self.steps[n - 1].weight, self.steps[n].weight
            if weight <= before:
                raise ValueError(
                    f"step {n + 1} has weight {weight}, but weights must go up: "
                    f"step {n} has {before}"
                )
        if self.steps[-1].weight != 100:
            raise ValueError(
                f"the last step has weight {self.steps[-1].weight}: a canary ends with "
                "{weight: 100}"
            )
        _distinct_names(self.analysis)

    def analysed(self, step: Step) -> bool:
        """Whether ``step`` runs the analyses: never at 0; at 100 only during a pause."""
        return bool(self.analysis) and step.weight > 0 and (step.weight < 100 or bool(step.pause))


@dataclass(frozen=True)
class BlueGreenPlan:
    """The new version runs beside the old one with no traffic (the preview) while
    ``preview_analysis`` runs against it; then the traffic switches at once, by itself when
    ``auto_promote`` (after the analyses pass), else when a person promotes. The old version
    stays up ``scale_down_delay`` longer, for an instant rollback."""

    preview_analysis: tuple[AnalysisSpec, ...] = ()
    auto_promote: bool = False
    scale_down_delay: timedelta = timedelta(seconds=30)

    def __post_init__(self) -> None:
        if self.scale_down_delay < timedelta(0):
            raise ValueError("scale_down_delay cannot be negative")
        _distinct_names(self.preview_analysis)

    @property
    def steps(self) -> tuple[Step, ...]:
        """One step: the preview at weight 0; the switch is its :class:`Promote`."""
        return (Step(weight=0),)

    @property
    def analysis(self) -> tuple[AnalysisSpec, ...]:
        return self.preview_analysis

    def analysed(self, step: Step) -> bool:
        """The preview's analyses run against the new version before any traffic."""
        return bool(self.preview_analysis)


Plan = CanaryPlan | BlueGreenPlan
"""What :func:`next_move` walks: a blue-green is a one-step plan whose promote switches."""


class Phase(StrEnum):
    PROGRESSING = "progressing"
    PAUSED = "paused"
    PROMOTED = "promoted"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class CanaryState:
    """Where a canary is. ``entered_at`` is when the current step's weight was set (None:
    not yet); ``accepted`` means a person promoted past the current step."""

    step_index: int = 0
    weight: int = 0
    entered_at: datetime | None = None
    analysis: tuple[AnalysisRun, ...] = ()
    phase: Phase = Phase.PROGRESSING
    reason: str = ""
    accepted: bool = False

    @property
    def paused(self) -> bool:
        return self.phase is Phase.PAUSED

    @property
    def finished(self) -> bool:
        return self.phase in (Phase.PROMOTED, Phase.ROLLED_BACK)

    def verdict(self) -> Verdict:
        """The step's analyses together: a failure first, then any still running."""
        verdicts = {run.verdict for run in self.analysis}
        for verdict in (Verdict.FAILED, Verdict.RUNNING, Verdict.INCONCLUSIVE):
            if verdict in verdicts:
                return verdict
        return Verdict.PASSED


@dataclass(frozen=True)
class SetWeight:
    step: int
    weight: int


@dataclass(frozen=True)
class Analyse:
    """Measure these analyses now, then :func:`record_measurements`."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Wait:
    """Nothing to do before ``until``; None: until a person resumes, promotes or rolls back."""

    until: datetime | None


@dataclass(frozen=True)
class Promote:
    pass


@dataclass(frozen=True)
class Rollback:
    reason: str


@dataclass(frozen=True)
class Pause:
    reason: str


Move = SetWeight | Analyse | Wait | Promote | Rollback | Pause
"""One thing to do, named by :func:`next_move`."""


def _reasons(state: CanaryState, verdict: Verdict) -> str:
    return "; ".join(run.explain() for run in state.analysis if run.verdict is verdict)


def _unfinished(state: CanaryState) -> None:
    if state.finished:
        raise ValueError(f"the canary is over: {state.phase}")


SWITCH_WAITS = "the preview passed its analyses; promote to switch the traffic to it"
"""Why a blue-green without ``auto_promote`` pauses before its switch."""


def next_move(plan: Plan, state: CanaryState, now: datetime) -> Move:
    """What to do next (see the diagram at the top of this module)."""
    _unfinished(state)
    if state.paused:
        return Wait(until=None)
    step = plan.steps[state.step_index]
    if state.accepted:
        return _onwards(plan, state)
    if state.entered_at is None:
        return SetWeight(step=state.step_index, weight=step.weight)
    verdict = state.verdict()
    if verdict is Verdict.FAILED:
        return Rollback(reason=_reasons(state, verdict))
    if verdict is Verdict.INCONCLUSIVE:
        return Pause(reason=_reasons(state, verdict))
    if verdict is Verdict.RUNNING:
        running = [run for run in state.analysis if run.verdict is Verdict.RUNNING]
        names = tuple(run.spec.name for run in running if run.due is None or run.due <= now)
        if names:
            return Analyse(names=names)
        return Wait(until=min(run.due for run in running if run.due is not None))
    if step.pause is not None and now < state.entered_at + step.pause:
        return Wait(until=state.entered_at + step.pause)
    if isinstance(plan, BlueGreenPlan) and not plan.auto_promote:
        return Pause(reason=SWITCH_WAITS)
    return _onwards(plan, state)


def _onwards(plan: Plan, state: CanaryState) -> Move:
    if state.step_index == len(plan.steps) - 1:
        return Promote()
    return SetWeight(step=state.step_index + 1, weight=plan.steps[state.step_index + 1].weight)


def apply(plan: Plan, state: CanaryState, move: Move, *, now: datetime) -> CanaryState:
    """The state once ``move`` is done. A person's pause or rollback is applied the same way."""
    _unfinished(state)
    match move:
        case SetWeight(step=index, weight=weight):
            step = plan.steps[index]
            runs = tuple(AnalysisRun(spec) for spec in plan.analysis) if plan.analysed(step) else ()
            return CanaryState(step_index=index, weight=weight, entered_at=now, analysis=runs)
        case Promote():
            return replace(state, phase=Phase.PROMOTED, weight=100, reason="")
        case Rollback(reason=reason):
            return replace(state, phase=Phase.ROLLED_BACK, weight=0, reason=reason)
        case Pause(reason=reason):
            return replace(state, phase=Phase.PAUSED, reason=reason)
        case Wait():
            return state
    raise ValueError("an Analyse move is recorded with record_measurements()")


def record_measurements(
    state: CanaryState, results: Mapping[str, Measurement], *, now: datetime
) -> CanaryState:
    """Record what was measured at ``now``, by analysis name; other analyses stay as they are."""
    _unfinished(state)
    unknown = set(results) - {run.spec.name for run in state.analysis}
    if unknown:
        raise ValueError(f"no analysis called {sorted(unknown)[0]!r} runs in this step")
    runs = tuple(
        run.measure(results[run.spec.name], now=now) if run.spec.name in results else run
        for run in state.analysis
    )
    return replace(state, analysis=runs)


def resume(state: CanaryState) -> CanaryState:
    """Go on after a pause; an inconclusive analysis runs again, from now."""
    if not state.paused:
        raise ValueError(f"the canary is not paused: {state.phase}")
    runs = state.analysis
    if state.verdict() is Verdict.INCONCLUSIVE:
        runs = tuple(AnalysisRun(run.spec) for run in runs)
    return replace(state, phase=Phase.PROGRESSING, reason="", analysis=runs)


def promote(plan: Plan, state: CanaryState, *, full: bool = False) -> CanaryState:
    """A person's promote: the current step counts as passed, paused or not; ``full`` skips
    every remaining step, so the next move is :class:`Promote`."""
    _unfinished(state)
    index = len(plan.steps) - 1 if full else state.step_index
    return replace(state, step_index=index, accepted=True, phase=Phase.PROGRESSING, reason="")
