"""A subset of PromQL, evaluated over kept scrapes: what :mod:`integrations.metrics.sim` answers.

:func:`evaluate` takes a query and the :class:`Snapshot` s a scraper kept (every sample of one
scrape, at one time on its clock) and returns a number or an instant vector. ``promql_parser``
(bindings of the Rust PromQL parser) parses, so a query that is not PromQL fails with the
parser's own words; this module evaluates, and a query that is PromQL but outside the subset is
an :class:`~bot.errors.IntegrationError` naming what is not supported.

The subset, with Prometheus's semantics unless said otherwise:

- number literals, unary ``-``, parentheses, and ``+ - * /`` between numbers and instant
  vectors; two vectors match one-to-one on their labels without ``__name__``. ``x / 0`` is
  +/-Inf, ``0 / 0`` NaN. No comparisons, ``and``/``or``/``unless``, ``on``/``ignoring``,
  ``group_left``/``group_right`` or ``bool``.
- selectors ``name{label="v", label!="v", label=~"re", label!~"re"}``; a regex matches the whole
  value (Python's ``re``, close to Prometheus's RE2). An instant selector reads the newest
  scrape, when it is at most :data:`LOOKBACK` old. No ``offset``, ``@`` or subqueries.
- ``sum(…)``, ``sum by (…) (…)`` and ``sum without (…) (…)``; no other aggregation.
- ``rate(s[range])``: ``(last - first) / (t_last - t_first)`` over the scrapes in
  ``(now - range, now]``, where a decrease is a counter reset (the value before it is added
  back). A series with fewer than two scrapes in the range has no sample.
- ``increase(s[range])``: that rate times the range. Prometheus extrapolates the increase
  between the first and last sample to the range's edges only when they are within about one
  scrape interval, so for a series that starts or stops inside the range its figure is lower;
  with regular scrapes both agree.
- ``histogram_quantile(φ, v)`` over the ``le`` buckets of ``v``, interpolated as Prometheus does.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeAlias

import promql_parser as pq

from bot.errors import IntegrationError
from integrations.metrics.prometheus import URL_SETTING

__all__ = ["LOOKBACK", "SUBSET", "Labels", "Snapshot", "Value", "Vector", "evaluate", "key"]

LOOKBACK = 300.0
"""Seconds an instant selector looks back for the newest scrape (Prometheus's default)."""
SUBSET = "numbers, + - * /, sum, rate, increase, histogram_quantile and label selectors"

Labels: TypeAlias = tuple[tuple[str, str], ...]
"""A series' labels, ``__name__`` among them, sorted by name."""
Vector: TypeAlias = dict[Labels, float]
Value: TypeAlias = float | Vector
"""A number (PromQL's scalar) or an instant vector."""

_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: _divide(a, b),
}


@dataclass(frozen=True)
class Snapshot:
    """Every sample of one scrape, taken ``at`` seconds on the scraper's clock."""

    at: float
    samples: Mapping[Labels, float]


def key(name: str, labels: Mapping[str, str]) -> Labels:
    """The :data:`Labels` of the sample ``name{labels}``."""
    return tuple(sorted({**labels, "__name__": name}.items()))


def evaluate(query: str, *, history: Sequence[Snapshot], now: float) -> Value:
    """``query`` at ``now`` over ``history`` (oldest first): a number or an instant vector."""
    try:
        expr = pq.parse(query)
    except ValueError as exc:
        raise IntegrationError(
            f"the query `{query}` is not valid PromQL ({exc}); fix it in the service's "
            "analysis config"
        ) from exc
    while isinstance(expr, pq.ParenExpr):
        expr = expr.expr
    if isinstance(expr, pq.MatrixSelector):
        raise IntegrationError(
            f"the query `{query}` returned a range vector, not one value; drop its [range] "
            "selector, or wrap it in rate(…) and sum(…)"
        )
    return _Evaluator(query, history, now).eval(expr)


class _Evaluator:
    def __init__(self, query: str, history: Sequence[Snapshot], now: float) -> None:
        self._query = query
        self._history = history
        self._now = now

    def eval(self, expr: pq.Expr) -> Value:
        if isinstance(expr, pq.NumberLiteral):
            return float(expr.val)
        if isinstance(expr, pq.ParenExpr):
            return self.eval(expr.expr)
        if isinstance(expr, pq.UnaryExpr):
            value = self.eval(expr.expr)
            if isinstance(value, dict):
                return {_unnamed(labels): -v for labels, v in value.items()}
            return -value
        if isinstance(expr, pq.BinaryExpr):
            return self._binary(expr)
        if isinstance(expr, pq.AggregateExpr):
            return self._sum(expr)
        if isinstance(expr, pq.Call):
            return self._call(expr)
        if isinstance(expr, pq.VectorSelector):
            return self._instant(expr)
        if isinstance(expr, pq.SubqueryExpr):
            raise self._unsupported(f"the subquery `{expr.prettify()}`")
        raise self._unsupported(f"`{expr.prettify()}` here")  # a string literal

    def _binary(self, expr: pq.BinaryExpr) -> Value:
        op = str(expr.op)
        if op not in _ARITHMETIC:
            raise self._unsupported(f"the operator `{op}`")
        if expr.modifier is not None:
            raise self._unsupported(f"vector matching `{op} {str(expr.modifier).strip()}`")
        apply, left, right = _ARITHMETIC[op], self.eval(expr.lhs), self.eval(expr.rhs)
        if isinstance(left, dict):
            if isinstance(right, dict):  # one-to-one on the labels without __name__
                lhs, rhs = self._one_to_one(left, op, "left"), self._one_to_one(right, op, "right")
                return {labels: apply(v, rhs[labels]) for labels, v in lhs.items() if labels in rhs}
            return {_unnamed(labels): apply(v, right) for labels, v in left.items()}
        if isinstance(right, dict):
            return {_unnamed(labels): apply(left, v) for labels, v in right.items()}
        return apply(left, right)

    def _one_to_one(self, vector: Vector, op: str, side: str) -> Vector:
        matched: Vector = {}
        for labels, value in vector.items():
            bare = _unnamed(labels)
            if bare in matched:
                raise IntegrationError(
                    f"in the query `{self._query}`, several series on the {side} of `{op}` "
                    f"have the labels {_show(bare)}; wrap that side in sum(…)"
                )
            matched[bare] = value
        return matched

    def _sum(self, expr: pq.AggregateExpr) -> Vector:
        op = str(expr.op)
        if op != "sum":
            raise self._unsupported(f"the aggregation {op}(…)")
        names, by = frozenset[str](), True  # plain sum(…): by no label
        if expr.modifier is not None:
            names = frozenset(expr.modifier.labels)
            by = expr.modifier.type == pq.AggModifierType.By
        sums: defaultdict[Labels, float] = defaultdict(float)
        for labels, value in self._vector(self.eval(expr.expr)).items():
            # by: only the names listed; without: all but those, and never __name__
            group = tuple(p for p in labels if (p[0] in names) == by and (by or p[0] != "__name__"))
            sums[group] += value
        return dict(sums)

    def _call(self, expr: pq.Call) -> Vector:
        name = expr.func.name
        if name in ("rate", "increase"):
            matrix = expr.args[0]
            while isinstance(matrix, pq.ParenExpr):
                matrix = matrix.expr
            if not isinstance(matrix, pq.MatrixSelector):
                raise self._unsupported(f"{name}(…) of a subquery")
            window = matrix.range.total_seconds()
            rates = self._rates(matrix.vector_selector, window)
            return rates if name == "rate" else {k: v * window for k, v in rates.items()}
        if name == "histogram_quantile":
            phi = self.eval(expr.args[0])
            if isinstance(phi, dict):  # pragma: no cover - the parser allows only a scalar
                raise self._unsupported("a vector as the quantile")
            return _quantiles(phi, self._vector(self.eval(expr.args[1])))
        raise self._unsupported(f"the function {name}(…)")

    def _instant(self, selector: pq.VectorSelector) -> Vector:
        matches = self._matcher(selector)
        for snapshot in reversed(self._history):
            if snapshot.at <= self._now - LOOKBACK:
                break
            if snapshot.at <= self._now:
                return {k: v for k, v in snapshot.samples.items() if matches(k)}
        return {}

    def _rates(self, selector: pq.VectorSelector, window: float) -> Vector:
        matches = self._matcher(selector)
        points: defaultdict[Labels, list[tuple[float, float]]] = defaultdict(list)
        for snapshot in self._history:
            if self._now - window < snapshot.at <= self._now:
                for labels, value in snapshot.samples.items():
                    if matches(labels):
                        points[labels].append((snapshot.at, value))
        rates = {_unnamed(labels): _rate(series) for labels, series in points.items()}
        return {labels: rate for labels, rate in rates.items() if rate is not None}

    def _matcher(self, selector: pq.VectorSelector) -> Callable[[Labels], bool]:
        if selector.offset is not None or selector.at is not None:
            raise self._unsupported("offset or @ modifiers")
        if selector.matchers.or_matchers:
            raise self._unsupported("`or` between label matchers")
        tests = [self._test(m) for m in selector.matchers.matchers]
        if selector.name is not None:
            tests.append(("__name__", selector.name.__eq__))
        seen: dict[Labels, bool] = {}

        def matches(labels: Labels) -> bool:
            if labels not in seen:
                found = dict(labels)
                seen[labels] = all(test(found.get(name, "")) for name, test in tests)
            return seen[labels]

        return matches

    def _test(self, matcher: pq.Matcher) -> tuple[str, Callable[[str], bool]]:
        wanted = matcher.value
        if matcher.op == pq.MatchOp.Equal:
            return matcher.name, wanted.__eq__
        if matcher.op == pq.MatchOp.NotEqual:
            return matcher.name, wanted.__ne__
        try:
            pattern = re.compile(wanted, re.DOTALL)
        except re.error as exc:
            raise IntegrationError(
                f"the regex `{wanted}` in the query `{self._query}` is one the sim metrics "
                f"source cannot read ({exc}); simplify it, or set {URL_SETTING} for Prometheus"
            ) from exc
        if matcher.op == pq.MatchOp.Re:
            return matcher.name, lambda value: pattern.fullmatch(value) is not None
        return matcher.name, lambda value: pattern.fullmatch(value) is None

    def _vector(self, value: Value) -> Vector:
        if isinstance(value, dict):
            return value
        raise self._unsupported("a number here")  # pragma: no cover - the parser checks types

    def _unsupported(self, what: str) -> IntegrationError:
        return IntegrationError(
            f"the sim metrics source does not support {what} (in the query `{self._query}`); "
            f"it evaluates {SUBSET}. Rewrite the query in that subset, or set {URL_SETTING} "
            "to query Prometheus, which has full PromQL"
        )


def _divide(a: float, b: float) -> float:
    if b != 0:
        return a / b
    if a == 0 or math.isnan(a):
        return math.nan
    return math.copysign(math.inf, a) * math.copysign(1.0, b)


def _rate(points: list[tuple[float, float]]) -> float | None:
    if len(points) < 2 or points[-1][0] <= points[0][0]:
        return None
    resets = sum(before for (_, before), (_, after) in itertools.pairwise(points) if after < before)
    return (points[-1][1] - points[0][1] + resets) / (points[-1][0] - points[0][0])


def _quantiles(phi: float, vector: Vector) -> Vector:
    """``histogram_quantile``: one quantile per label set, from its ``le`` buckets."""
    groups: defaultdict[Labels, defaultdict[float, float]] = defaultdict(lambda: defaultdict(float))
    for labels, count in vector.items():
        rest = dict(labels)
        rest.pop("__name__", None)
        try:
            bound = float(rest.pop("le"))
        except (KeyError, ValueError):
            continue  # not a bucket: Prometheus ignores it too
        groups[tuple(sorted(rest.items()))][bound] += count
    return {labels: _bucket_quantile(phi, buckets) for labels, buckets in groups.items()}


def _bucket_quantile(phi: float, buckets: Mapping[float, float]) -> float:
    """Prometheus's ``bucketQuantile``: linear interpolation inside the bucket of rank φ."""
    if math.isnan(phi):
        return math.nan
    if phi < 0 or phi > 1:
        return math.copysign(math.inf, phi)
    bounds = sorted(buckets)
    if len(bounds) < 2 or bounds[-1] != math.inf:
        return math.nan
    counts = list(itertools.accumulate((buckets[b] for b in bounds), max))
    if counts[-1] == 0:
        return math.nan
    rank = phi * counts[-1]
    b = bisect.bisect_left(counts, rank, 0, len(counts) - 1)
    if b == len(counts) - 1:
        return bounds[-2]
    if b == 0 and bounds[0] <= 0:
        return bounds[0]
    start, below = (bounds[b - 1], counts[b - 1]) if b else (0.0, 0.0)
    return start + (bounds[b] - start) * _divide(rank - below, counts[b] - below)


def _unnamed(labels: Labels) -> Labels:
    return tuple(pair for pair in labels if pair[0] != "__name__")


def _show(labels: Labels) -> str:
    return "{" + ", ".join(f'{name}="{value}"' for name, value in labels) + "}"
