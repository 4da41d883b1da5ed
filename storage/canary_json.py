"""A canary's state as the JSON ``deployments.state`` holds, and back.

Analysis specs are not stored: they come from the service's plan, matched by name, so a
state always reads back against the config it runs under. A stored run whose analysis the
plan no longer has is an error naming it (the config changed mid-deploy).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.domain.analysis import AnalysisRun, Measurement, Outcome
from bot.domain.canary import CanaryState, Phase, Plan

__all__ = ["state_from_json", "state_to_json"]


def _time(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _parse_time(value: Any) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        raise ValueError(f"the stored time {value!r} has no timezone")
    return moment


def state_to_json(state: CanaryState) -> dict[str, Any]:
    return {
        "step_index": state.step_index,
        "weight": state.weight,
        "entered_at": _time(state.entered_at),
        "phase": state.phase.value,
        "reason": state.reason,
        "accepted": state.accepted,
        "analysis": [
            {
                "name": run.spec.name,
                "outcomes": [outcome.value for outcome in run.outcomes],
                "last": None
                if run.last is None
                else {"value": run.last.value, "series": run.last.series},
                "due": _time(run.due),
            }
            for run in state.analysis
        ],
    }


def state_from_json(data: dict[str, Any], *, plan: Plan) -> CanaryState:
    """The stored state, its analyses matched to ``plan``'s specs by name; ValueError when
    the data is not a stored state or names an analysis the plan lacks."""
    specs = {spec.name: spec for spec in plan.analysis}
    runs = []
    for stored in data.get("analysis") or []:
        spec = specs.get(stored["name"])
        if spec is None:
            raise ValueError(
                f"the stored canary runs analysis {stored['name']!r}, which the config no "
                "longer has"
            )
        last = stored.get("last")
        runs.append(
            AnalysisRun(
                spec=spec,
                outcomes=tuple(Outcome(value) for value in stored.get("outcomes") or []),
                last=None
                if last is None
                else Measurement(value=last.get("value"), series=int(last.get("series", 0))),
                due=_parse_time(stored.get("due")),
            )
        )
    return CanaryState(
        step_index=int(data["step_index"]),
        weight=int(data["weight"]),
        entered_at=_parse_time(data.get("entered_at")),
        analysis=tuple(runs),
        phase=Phase(data.get("phase", Phase.PROGRESSING.value)),
        reason=str(data.get("reason") or ""),
        accepted=bool(data.get("accepted", False)),
    )
