"""The ``sim`` adapter: drives the built-in loopback fleet (:mod:`bot.sim.fleet`) through its
control API, for local mode, tests and benchmarks. Every step is one HTTP call, answered when
the fleet serves as asked. A failed step is remembered, so :meth:`SimAdapter.status` reports
it until the next step succeeds (as the command adapter does)."""

from __future__ import annotations

from typing import Any

import httpx

from bot.clock import Clock, utc_now
from integrations.deploy.base import (
    Action,
    DeployError,
    DeployState,
    DeployStatus,
    StepAdapter,
    Target,
)

__all__ = ["SimAdapter"]

_PATHS = {
    Action.DEPLOY: "deploy",
    Action.SET_WEIGHT: "weight",
    Action.PROMOTE: "promote",
    Action.ROLLBACK: "rollback",
    Action.SWITCH: "switch",
}


class SimAdapter(StepAdapter):
    def __init__(
        self, *, http: httpx.AsyncClient, url: str, timeout: float = 5.0, clock: Clock = utc_now
    ) -> None:
        self._http = http
        self._url = url.rstrip("/")
        self._timeout = timeout
        self._clock = clock
        self._failed: dict[str, DeployStatus] = {}

    async def status(self, *, target: Target) -> DeployStatus:
        if target.service in self._failed:
            return self._failed[target.service]
        return self._as_status(target, await self._state(target), DeployState.HEALTHY, "")

    async def _step(self, action: Action, target: Target, weight: int) -> DeployStatus:
        body: dict[str, Any] = {}
        if action is Action.DEPLOY:
            body = {"version": target.version}
        elif action is Action.SET_WEIGHT:
            body = {"weight": weight}
        elif action is Action.ROLLBACK:
            body = {"to": target.previous_version}
        what = f"{action.value} of {target.service} {target.version}"
        url = f"{self._url}/services/{target.service}/{_PATHS[action]}"
        try:
            response = await self._http.post(url, json=body, timeout=self._timeout)
        except httpx.HTTPError as exc:
            raise DeployError(
                f"{what}: the sim fleet at {self._url} did not answer ({exc!r})"
            ) from exc
        if response.status_code != 200:
            state = await self._state(target)
            failed = self._as_status(target, state, DeployState.FAILED, response.text[-500:])
            self._failed[target.service] = failed
            raise DeployError(
                f"{what} failed: the sim fleet answered {response.status_code}",
                output=response.text[-2000:],
                status=failed,
            )
        self._failed.pop(target.service, None)
        return self._as_status(target, response.json(), DeployState.HEALTHY, "")

    async def _state(self, target: Target) -> dict[str, Any]:
        try:
            response = await self._http.get(
                f"{self._url}/services/{target.service}", timeout=self._timeout
            )
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise DeployError(f"the sim fleet at {self._url} did not answer: {exc!r}") from exc
        found: dict[str, Any] = response.json()
        return found

    def _as_status(
        self, target: Target, state: dict[str, Any], health: DeployState, message: str
    ) -> DeployStatus:
        canary = state.get("canary")
        if canary is not None:
            weight = int(state.get("weight", 0))
        else:  # all traffic on stable: the new version's share is all or nothing
            weight = 100 if state.get("stable") == target.version else 0
        return DeployStatus(
            state=health,
            weight=weight,
            stable_version=state.get("stable"),
            canary_version=canary,
            message=message,
            at=self._clock(),
        )
