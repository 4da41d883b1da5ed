"""A canary's analyses measured: each query rendered for the release and evaluated by the
service's metrics source, and a failure explained with its query, values and thresholds."""

from __future__ import annotations

from collections.abc import Callable, Collection

from bot import messages
from bot.domain.analysis import AnalysisSpec, Measurement, Verdict, render_query
from bot.errors import IntegrationError
from bot.observability.logs import get_logger
from bot.services.deploy_rows import Tracked
from bot.services.models import ReleaseInfo
from integrations.metrics.base import MetricsSource

__all__ = ["Measurer", "MetricsFor"]

MetricsFor = Callable[[str], MetricsSource | None]
"""Where a service's analyses read their numbers; None: nowhere (every measurement is then
inconclusive, never a pass)."""
NO_SOURCE = "no metrics source: set integrations.prometheus.url"

log = get_logger(__name__)


class Measurer:
    def __init__(self, metrics_for: MetricsFor) -> None:
        self._metrics_for = metrics_for

    def query(self, release: ReleaseInfo, t: Tracked, spec: AnalysisSpec) -> str:
        return render_query(
            spec.query,
            canary=release.version,
            stable=t.previous or "",
            service=t.service,
            release=release.label,
        )

    async def measure(
        self, release: ReleaseInfo, t: Tracked, names: Collection[str]
    ) -> tuple[dict[str, Measurement], str]:
        """The named analyses measured now, and what went wrong measuring (empty if nothing):
        a source that fails gives no value, which is inconclusive."""
        source = self._metrics_for(t.service)
        results: dict[str, Measurement] = {}
        problems: list[str] = []
        for run in t.canary.analysis:
            name = run.spec.name
            if name not in names:
                continue
            results[name] = Measurement(value=None)
            if source is None:
                problems.append(f"{name}: {NO_SOURCE}")
                continue
            try:
                results[name] = await source.measure(query=self.query(release, t, run.spec))
            except IntegrationError as exc:
                log.warning("an analysis could not be measured", analysis=name, error=str(exc))
                problems.append(f"{name}: {exc}")
        return results, "; ".join(problems)

    def explain_failure(self, release: ReleaseInfo, t: Tracked) -> str:
        """Each failed analysis: its numbers, thresholds and last value, and its query."""
        lines = []
        for run in t.canary.analysis:
            if run.verdict is Verdict.FAILED:
                query = self.query(release, t, run.spec)
                lines.append(
                    f"• {messages.escape(run.explain())}\n   query: `{messages.escape(query)}`"
                )
        return "\n".join(lines)
