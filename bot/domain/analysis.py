"""Canary analysis: one query's measurements judged against its success and failure
conditions. Pure: the metrics adapter measures (:class:`Measurement`), this decides.

One analysis (:class:`AnalysisRun`) is FAILED as soon as more than ``failure_limit``
measurements failed. After ``count`` measurements it is INCONCLUSIVE (a person decides) when
more than ``inconclusive_limit`` were inconclusive or none succeeded, else PASSED. A measurement
with no usable value is inconclusive, never a pass. Queries name the versions with
``{{canary}}``, ``{{stable}}``, ``{{service}}`` and ``{{release}}`` (:func:`render_query`).
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.names import closest

__all__ = [
    "PLACEHOLDERS", "AnalysisRun", "AnalysisSpec", "Condition", "Measurement", "Outcome",
    "Verdict", "check_query", "judge", "render_query",
]  # fmt: skip


@dataclass(frozen=True)
class Measurement:
    """One evaluation of an analysis query: its value, and how many series answered.

    ``value`` is None when the query returned nothing usable (an empty vector, NaN or
    +/-Inf): too few samples, which is inconclusive, never a pass.
    """

    value: float | None
    series: int = 0

    @property
    def usable(self) -> bool:
        return self.value is not None


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}
_CONDITION = re.compile(r"\s*(<=|>=|==|<|>)\s*(\S+)\s*")


@dataclass(frozen=True)
class Condition:
    """``value <op> threshold``; written ``"< 0.01"``, ``"<= 5"``, ``">= 0.99"``, ``"== 0"``."""

    op: str
    threshold: float

    def __post_init__(self) -> None:
        if self.op not in _OPERATORS or not math.isfinite(self.threshold):
            raise ValueError(f"not a condition: {self.op} {self.threshold}")

    @classmethod
    def parse(cls, text: str) -> Condition:
        match = _CONDITION.fullmatch(text)
        if match is not None:
            try:
                threshold = float(match[2])
            except ValueError:
                threshold = math.nan
            if math.isfinite(threshold):
                return cls(op=match[1], threshold=threshold)
        raise ValueError(
            f"{text!r} is not a condition: write an operator (<, <=, >, >= or ==) and a "
            'number, such as "< 0.01"'
        )

    def holds(self, value: float) -> bool:
        return _OPERATORS[self.op](value, self.threshold)

    def __str__(self) -> str:
        return f"{self.op} {repr(self.threshold).removesuffix('.0')}"


PLACEHOLDERS = ("canary", "stable", "service", "release")
"""What a query may hold as ``{{name}}``: the new version, the previous one, the service and
``train/version``."""
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


def render_query(query: str, *, canary: str, stable: str, service: str, release: str) -> str:
    """``query`` with each ``{{name}}`` (spaces inside the braces allowed) replaced by its value,
    escaped to stand inside a PromQL double-quoted string. An unknown name is a ValueError."""
    values = {"canary": canary, "stable": stable, "service": service, "release": release}

    def value(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            close = closest(name, PLACEHOLDERS)
            hint = f"did you mean {{{{{close}}}}}? " if close else ""
            known = ", ".join(f"{{{{{known}}}}}" for known in PLACEHOLDERS)
            raise ValueError(f"unknown placeholder {{{{{name}}}}} in the query; {hint}use {known}")
        return values[name].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return _PLACEHOLDER.sub(value, query)


def check_query(query: str) -> None:
    """Raise ValueError when ``query`` is empty or holds an unknown ``{{name}}``."""
    if not query.strip():
        raise ValueError("a query cannot be empty: write the PromQL to measure")
    render_query(query, canary="", stable="", service="", release="")


class Outcome(StrEnum):
    """How one measurement is judged."""

    SUCCESS = "success"
    FAILURE = "failure"
    INCONCLUSIVE = "inconclusive"


class Verdict(StrEnum):
    """Where one analysis stands (:attr:`AnalysisRun.verdict`)."""

    RUNNING = "running"
    PASSED = "passed"
    FAILED = "failed"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class AnalysisSpec:
    """One query measured ``count`` times, every ``interval``, during a step.

    With ``failure`` None every measurement that is not a success fails. When both
    conditions hold, failure wins. Defaults as Argo Rollouts' limits: no failure and no
    inconclusive measurement is tolerated.
    """

    name: str
    query: str
    success: Condition
    failure: Condition | None = None
    interval: timedelta = timedelta(seconds=30)
    count: int = 5
    failure_limit: int = 0
    inconclusive_limit: int = 0

    def __post_init__(self) -> None:
        check_query(self.query)
        if not self.name.strip():
            raise ValueError("an analysis needs a name, such as error-rate")
        if self.interval <= timedelta(0) or self.count < 1:
            raise ValueError("an analysis needs an interval above 0s and a count of at least 1")
        for key in ("failure_limit", "inconclusive_limit"):
            limit = getattr(self, key)
            if not 0 <= limit < self.count:
                raise ValueError(
                    f"{key} must be from 0 to count - 1 ({self.count - 1}), got {limit}: "
                    "a limit of count or more can never be exceeded"
                )


def judge(spec: AnalysisSpec, m: Measurement) -> Outcome:
    """One measurement: no value is inconclusive; failure before success; between the two
    conditions inconclusive (a failure when there is no failure condition)."""
    if m.value is None:
        return Outcome.INCONCLUSIVE
    if spec.failure is not None and spec.failure.holds(m.value):
        return Outcome.FAILURE
    if spec.success.holds(m.value):
        return Outcome.SUCCESS
    return Outcome.FAILURE if spec.failure is None else Outcome.INCONCLUSIVE


@dataclass(frozen=True)
class AnalysisRun:
    """One analysis during one step: its outcomes so far, the last measurement, and when the
    next one is due (None: now)."""

    spec: AnalysisSpec
    outcomes: tuple[Outcome, ...] = ()
    last: Measurement | None = None
    due: datetime | None = None

    @property
    def verdict(self) -> Verdict:
        spec, outcomes = self.spec, self.outcomes
        if outcomes.count(Outcome.FAILURE) > spec.failure_limit:
            return Verdict.FAILED
        if len(outcomes) < spec.count:
            return Verdict.RUNNING
        if outcomes.count(Outcome.INCONCLUSIVE) > spec.inconclusive_limit:
            return Verdict.INCONCLUSIVE
        return Verdict.PASSED if Outcome.SUCCESS in outcomes else Verdict.INCONCLUSIVE

    def record(
        self,
        outcome: Outcome,
        measurement: Measurement | None = None,
        *,
        due: datetime | None = None,
    ) -> AnalysisRun:
        """This run with one more outcome; refused once the verdict is in."""
        if self.verdict is not Verdict.RUNNING:
            raise ValueError(f"analysis {self.spec.name} has its verdict: {self.verdict}")
        last = self.last if measurement is None else measurement
        return replace(self, outcomes=(*self.outcomes, outcome), last=last, due=due)

    def measure(self, m: Measurement, *, now: datetime) -> AnalysisRun:
        """Judge and record ``m``, taken at ``now``; the next one is due an interval later."""
        return self.record(judge(self.spec, m), m, due=now + self.spec.interval)

    def explain(self) -> str:
        """The verdict with its numbers, the conditions and the last value."""
        spec, counted = self.spec, self.outcomes.count
        failure = f"not {spec.success}" if spec.failure is None else str(spec.failure)
        value = (
            "no data" if self.last is None or self.last.value is None else f"{self.last.value:.4g}"
        )
        return (
            f"{spec.name} {self.verdict}: {len(self.outcomes)} of {spec.count} measurements, "
            f"{counted(Outcome.SUCCESS)} succeeded ({spec.success}), "
            f"{counted(Outcome.FAILURE)} failed ({failure}, limit {spec.failure_limit}), "
            f"{counted(Outcome.INCONCLUSIVE)} inconclusive (limit {spec.inconclusive_limit}); "
            f"last value {value}"
        )
