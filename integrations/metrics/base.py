"""Where canary analysis reads its numbers: one Protocol, a module per source.

``prometheus.py`` evaluates PromQL through Prometheus's HTTP API. Every source answers in the
domain type :class:`bot.domain.canary.Measurement`; :mod:`bot.domain.canary` judges it.
"""

from __future__ import annotations

from typing import Protocol

from bot.domain.analysis import Measurement


class MetricsSource(Protocol):
    async def measure(self, *, query: str) -> Measurement:
        """Evaluate the instant ``query`` now and return its one value.

        Nothing usable is ``Measurement(value=None, series=…)``: an empty result
        (``series=0``), or a NaN or +/-Inf value (``series=1``, e.g. ``0/0`` when a version had
        no traffic). That is too few samples: inconclusive, never a pass.

        A query that returns several series is an error unless it is reduced to one: raise
        :class:`~bot.errors.IntegrationError` "… returned N series; wrap it in sum(…) or
        another aggregation". Any other failure (the source is unreachable, refuses the query,
        or answers a shape that is not a number) is an IntegrationError that names the source
        and what to fix.
        """
        ...
