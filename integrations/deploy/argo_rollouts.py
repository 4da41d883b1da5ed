"""The ``argo_rollouts`` deploy adapter: one Argo Rollouts ``Rollout`` (``argoproj.io/v1alpha1``,
``rollouts`` and its ``status`` subresource) through the Kubernetes API.

Stationmaster runs the canary steps itself: it keeps the Rollout's canary steps at one weight and
a pause. The rest is what ``kubectl argo rollouts`` does:

- ``start``: a JSON patch sets the container's image (``image`` with ``{version}`` filled in) and
  ``spec.strategy.canary.steps`` to ``[{setWeight: 0}, {pause: {}}]``. Argo starts a new
  ReplicaSet and holds it at the pause. The version running before goes into the
  ``stationmaster/stable-version`` annotation. Done when ``Paused`` at weight 0.
- ``set_weight``: ``steps`` becomes ``[{setWeight: W}, {pause: {}}]``. Changed steps send Argo
  back to step 0, so it sets W and pauses. Done when ``Paused`` at W.
- ``promote`` and ``switch``: ``promote --full``, that is ``{"status": {"promoteFull": true}}`` on
  the status subresource. Done when ``Healthy`` with ``currentPodHash == stableRS``.
- ``rollback``: ``abort`` (``{"status": {"abort": true}}``) sends the traffic back to the stable
  ReplicaSet at once. Then ``undo``: the image goes back to ``previous_version`` (else the
  annotated one) with no steps. Done when ``Healthy`` on that image.
- ``start`` or ``set_weight`` on an aborted Rollout first does what ``retry`` does
  (``{"status": {"abort": false}}``).

An action counts only statuses the controller wrote after its change (``observedGeneration``, and
a new ``resourceVersion`` after a status patch). It polls every ``poll_interval`` seconds, for at
most ``step_timeout``. ``status``: Healthy and Paused are healthy, Progressing is progressing.
Degraded is aborted (``status.abort``), failed (a canary in flight) or degraded. The weight is
``status.canary.weights.canary.weight``, else the last ``setWeight`` reached.

Limits: the Rollout must already run a stable version. It needs a canary strategy (with
``trafficRouting`` for exact weights; without it, Argo approximates them with replica counts) or
a blue-green one with ``autoPromotionEnabled: false`` (no weights, so ``set_weight`` fails).
Nothing else may own its image or steps (such as a GitOps sync with self-heal). Argo's own step
list and step analysis are replaced. Argo Rollouts v0.10 or later (the status subresource).

Errors: 404 (no such Rollout), 401 and 403 (the token, or RBAC: get and patch on ``rollouts``
and ``rollouts/status``) and other 4xx answers fail at once. 429, 5xx, timeouts and lost
connections are retried ``retries`` times with exponential backoff. A spec patch has
``metadata.resourceVersion`` as its precondition: on a 409, the Rollout is read and patched again.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import aiohttp
from kubernetes_asyncio.client import ApiClient, ApiException, CustomObjectsApi

from bot.clock import Clock, utc_now
from bot.observability.logs import get_logger
from integrations.deploy.base import (
    Action,
    DeployError,
    DeployState,
    DeployStatus,
    StepAdapter,
    Target,
)

__all__ = ["STABLE_ANNOTATION", "ArgoRolloutsAdapter"]

GROUP, API_VERSION, PLURAL = "argoproj.io", "v1alpha1", "rollouts"
STABLE_ANNOTATION = "stationmaster/stable-version"
_MERGE_PATCH = "application/merge-patch+json"
_RETRY = frozenset({429, 500, 502, 503, 504})
_CONFLICT_ATTEMPTS = 5
_HINTS = {
    401: "check the service account token Stationmaster uses",
    403: "grant it get and patch on rollouts and rollouts/status in {ns}",
    404: "check `namespace` and `rollout` in the service's deploy config",
}
_NO_CANARY = (
    "it went Healthy without holding a canary (it needs canary steps that nothing overrides, "
    "or blueGreen with autoPromotionEnabled: false)"
)
_PHASES = {"Healthy": DeployState.HEALTHY, "Paused": DeployState.HEALTHY}
_log = get_logger(__name__)

Rollout = dict[str, Any]


class _Conflict(Exception):
    """A 409: the Rollout changed after it was read."""


class ArgoRolloutsAdapter(StepAdapter):
    """Drives ``namespace/rollout``; see the module docstring for the mapping and its limits."""

    def __init__(
        self,
        *,
        api: ApiClient,
        namespace: str,
        rollout: str,
        image: str,
        container: str | None = None,
        poll_interval: float = 1.0,
        step_timeout: float = 600,
        request_timeout: float = 10,
        retries: int = 3,
        backoff: float = 0.5,
        clock: Clock = utc_now,
    ) -> None:
        if image.count("{version}") != 1:
            raise ValueError(f"the image {image!r} must contain {{version}} exactly once")
        if min(poll_interval, step_timeout, request_timeout) <= 0 or min(retries, backoff) < 0:
            raise ValueError("intervals and timeouts must be > 0, retries and backoff >= 0")
        self._objects = CustomObjectsApi(api)
        self._ns, self._name, self._container = namespace, rollout, container
        self._image = image
        prefix, _, suffix = image.partition("{version}")
        self._version_in = re.compile(f"{re.escape(prefix)}(.+){re.escape(suffix)}")
        self._poll, self._step_timeout = poll_interval, step_timeout
        self._timeout, self._retries, self._backoff = request_timeout, retries, backoff
        self._clock = clock
        self._where = f"the Rollout {namespace}/{rollout}"

    async def status(self, *, target: Target) -> DeployStatus:
        """What the Rollout reports now (any phase; raises only when it cannot be read)."""
        return self._as_status(target, await self._get(f"the status of {target.service}"))

    # -- the steps ----------------------------------------------------------------------------

    async def _step(self, action: Action, target: Target, weight: int) -> DeployStatus:
        what = f"{action.value} of {target.service} {target.version}"
        deadline = asyncio.get_running_loop().time() + self._step_timeout
        ro = await self._get(what)
        st, since = _status(ro), None  # since: the resourceVersion a status patch left
        if action is Action.SET_WEIGHT and "canary" not in _get(ro, "spec", "strategy"):
            raise DeployError(
                f"{self._where} has no canary strategy, so no traffic weights for {what}; "
                f"give it `strategy: canary` with trafficRouting, or use a switch"
            )
        if action in (Action.DEPLOY, Action.SET_WEIGHT):
            steps = [{"setWeight": weight}, {"pause": {}}]
            new = target if action is Action.DEPLOY else None
            ro = await self._patch_spec(what, ro, new.version if new else None, steps, new)
            if _status(ro).get("abort"):  # what `kubectl argo rollouts retry` does
                ro = await self._patch_status(what, {"abort": False})
                since = _version(ro)
        elif action is Action.ROLLBACK:
            restore = target.previous_version or _annotations(ro).get(STABLE_ANNOTATION)
            if _in_flight(ro) and not st.get("abort"):
                ro = await self._patch_status(what, {"abort": True})
            if not restore:
                raise DeployError(
                    f"{self._where} aborted {what}: traffic is back on its stable ReplicaSet, but "
                    f"no previous version is known to restore; run `kubectl argo rollouts undo "
                    f"{self._name} -n {self._ns}`",
                    status=self._as_status(target, ro),
                )
            ro = await self._patch_spec(what, ro, restore, [], None)
        else:
            image = self._container_of(ro, what)[1]
            if image != self._image_for(target.version):
                raise DeployError(
                    f"{self._where} runs {image}, not {target.version}: start {target.version} "
                    f"before its {action.value}"
                )
            if _in_flight(ro) and not st.get("promoteFull"):
                fields = {"promoteFull": True, **({"abort": False} if st.get("abort") else {})}
                ro = await self._patch_status(what, fields)
                since = _version(ro)
        while True:  # poll until the controller has taken the step
            status = self._as_status(target, ro)
            phase, flight = _status(ro).get("phase"), _in_flight(ro)
            if _observed(ro) and (since is None or _version(ro) != since):
                finishing = action in (Action.PROMOTE, Action.SWITCH, Action.ROLLBACK)
                if phase == "Healthy" and not flight and finishing:
                    return status
                if phase == "Paused" and flight and status.weight == weight and not finishing:
                    return status
                if phase == "Degraded" or (phase == "Healthy" and not flight):
                    why = status.message if phase == "Degraded" else _NO_CANARY
                    raise DeployError(
                        f"{self._where} failed {what}: {why}; see `kubectl argo "
                        f"rollouts get rollout {self._name} -n {self._ns}`, then retry or roll "
                        f"back",
                        output=status.message,
                        status=status,
                    )
            if asyncio.get_running_loop().time() >= deadline:
                raise DeployError(
                    f"{self._where} did not finish {what} within {self._step_timeout:g}s "
                    f"(phase {phase or 'unknown'}: {status.message}); check it, then retry or "
                    f"roll back",
                    output=status.message,
                    status=status,
                )
            await asyncio.sleep(self._poll)
            ro = await self._get(what)

    def _ops(
        self, ro: Rollout, what: str, version: str | None, steps: list[Any], new: Target | None
    ) -> list[dict[str, Any]]:
        """The JSON patch: the image for ``version``, the canary ``steps``, and when starting
        ``new``, the version running now as the stable one; guarded by the resourceVersion."""
        index, image = self._container_of(ro, what)
        ops: list[dict[str, Any]] = [
            {"op": "replace", "path": "/metadata/resourceVersion", "value": _version(ro)}
        ]
        if version is not None:
            path = f"/spec/template/spec/containers/{index}/image"
            ops.append({"op": "replace", "path": path, "value": self._image_for(version)})
        if new is not None:
            notes = dict(_annotations(ro))
            stable = None if _in_flight(ro) else self._version_of(image)
            stable = stable or notes.get(STABLE_ANNOTATION) or new.previous_version
            notes |= {STABLE_ANNOTATION: stable} if stable else {}
            ops.append({"op": "add", "path": "/metadata/annotations", "value": notes})
        if "canary" in _get(ro, "spec", "strategy"):
            ops.append({"op": "add", "path": "/spec/strategy/canary/steps", "value": steps})
        return ops

    # -- reading a Rollout --------------------------------------------------------------------

    def _as_status(self, target: Target, ro: Rollout) -> DeployStatus:
        st = _status(ro)
        phase = str(st.get("phase") or "")
        current = self._version_of(self._container_of(ro, "reading its status")[1])
        if _in_flight(ro):
            stable, canary, weight = _annotations(ro).get(STABLE_ANNOTATION), current, _weight(ro)
        else:
            stable, canary, weight = current, None, 100 if current == target.version else 0
        state = _PHASES.get(phase, DeployState.PROGRESSING if phase else DeployState.UNKNOWN)
        if not _observed(ro):
            state = DeployState.PROGRESSING
        elif phase == "Degraded":
            degraded = DeployState.FAILED if _in_flight(ro) else DeployState.DEGRADED
            state = DeployState.ABORTED if st.get("abort") else degraded
        message = str(st.get("message") or phase or "the controller has not reported yet")
        return DeployStatus(state, weight, stable or None, canary, message[:2000], self._clock())

    def _container_of(self, ro: Rollout, what: str) -> tuple[int, str]:
        containers = _get(ro, "spec", "template", "spec").get("containers") or []
        names = [str(c.get("name")) for c in containers]
        for index, container in enumerate(containers):
            if container.get("name") == self._container or (
                self._container is None and len(containers) == 1
            ):
                return index, str(container.get("image") or "")
        wanted = f"no container {self._container!r}" if self._container else "several containers"
        raise DeployError(
            f"{self._where} has {wanted} ({', '.join(names) or 'none'}) for {what}; set "
            f"`container` in the service's deploy config to the one to deploy"
        )

    def _image_for(self, version: str) -> str:
        return self._image.replace("{version}", version)

    def _version_of(self, image: str) -> str | None:
        found = self._version_in.fullmatch(image)
        return found.group(1) if found else None

    # -- the Kubernetes API -------------------------------------------------------------------

    async def _get(self, what: str) -> Rollout:
        return await self._call(what, self._objects.get_namespaced_custom_object)

    async def _patch_spec(
        self, what: str, ro: Rollout, version: str | None, steps: list[Any], new: Target | None
    ) -> Rollout:
        """Patch the spec (see :meth:`_ops`); on a 409, read the Rollout and patch again."""
        for _ in range(_CONFLICT_ATTEMPTS):
            try:
                ops = self._ops(ro, what, version, steps, new)
                patch = self._objects.patch_namespaced_custom_object
                return await self._call(what, patch, ops, conflict=True)
            except _Conflict:
                _log.info("argo_rollouts_conflict", rollout=self._where, request=what)
                ro = await self._get(what)
        raise DeployError(
            f"{self._where} kept changing while Stationmaster patched it for {what} "
            f"({_CONFLICT_ATTEMPTS} conflicts in a row); something else updates it: retry later"
        )

    async def _patch_status(self, what: str, fields: dict[str, Any]) -> Rollout:
        patch = self._objects.patch_namespaced_custom_object_status
        return await self._call(what, patch, {"status": fields}, _content_type=_MERGE_PATCH)

    async def _call(
        self, what: str, method: Any, *body: Any, conflict: bool = False, **options: Any
    ) -> Rollout:
        """One request about the Rollout, retried on 429, 5xx, timeouts and lost connections."""
        attempt = 0
        args = (GROUP, API_VERSION, self._ns, PLURAL, self._name, *body)
        while True:
            try:
                found = await method(*args, _request_timeout=self._timeout, **options)
            except ApiException as exc:
                if exc.status == 409 and conflict:
                    raise _Conflict from None
                if exc.status not in _RETRY or attempt >= self._retries:
                    raise self._refusal(exc, what, attempt + 1) from None
                reason = str(exc.status)
            except (aiohttp.ClientError, TimeoutError) as exc:
                if attempt >= self._retries:
                    raise DeployError(
                        f"the Kubernetes API did not answer {what} for {self._where} after "
                        f"{attempt + 1} attempts ({type(exc).__name__}); check its address and "
                        f"the network"
                    ) from exc
                reason = type(exc).__name__
            else:
                if not isinstance(found, dict):
                    raise DeployError(f"the Kubernetes API answered {what} with no object")
                return found
            delay = self._backoff * 2.0**attempt
            _log.warning("argo_rollouts_retry", request=what, reason=reason, delay=delay)
            await asyncio.sleep(delay)
            attempt += 1

    def _refusal(self, exc: ApiException, what: str, attempts: int) -> DeployError:
        code, message = exc.status, _message(exc)
        text = f"the Kubernetes API refused {what} on {self._where}: {code} {message}"
        if code in _RETRY:
            text = f"the Kubernetes API failed {what}: {code} {message} after {attempts} attempts"
        elif code in _HINTS:
            text += f"; {_HINTS[code].format(ns=self._ns)}"
        return DeployError(text, output=message)


def _get(ro: Rollout, *keys: str) -> dict[str, Any]:
    found: Any = ro
    for key in keys:
        found = found.get(key) if isinstance(found, dict) else None
    return found if isinstance(found, dict) else {}


def _status(ro: Rollout) -> dict[str, Any]:
    return _get(ro, "status")


def _annotations(ro: Rollout) -> dict[str, str]:
    return _get(ro, "metadata", "annotations")


def _version(ro: Rollout) -> str:
    return str(_get(ro, "metadata").get("resourceVersion") or "")


def _observed(ro: Rollout) -> bool:
    generation = _get(ro, "metadata").get("generation")
    return _status(ro).get("observedGeneration") == str(generation)


def _in_flight(ro: Rollout) -> bool:
    """Whether a new ReplicaSet is not yet the stable one (a canary or a blue-green preview)."""
    st = _status(ro)
    return bool(st.get("currentPodHash")) and st.get("currentPodHash") != st.get("stableRS")


def _weight(ro: Rollout) -> int:
    """The canary's traffic share: the traffic router's, else the last ``setWeight`` reached."""
    weights = _get(ro, "status", "canary", "weights")
    if "canary" in weights:
        found = weights["canary"].get("weight", 0)
    else:
        steps = _get(ro, "spec", "strategy", "canary").get("steps") or []
        reached = steps[: int(_status(ro).get("currentStepIndex") or 0)]
        found = next((s["setWeight"] for s in reversed(reached) if "setWeight" in s), 0)
    return max(0, min(100, int(found)))


def _message(exc: ApiException) -> str:
    """The ``message`` of the Kubernetes ``Status`` object in ``exc``'s body."""
    try:
        message = json.loads(exc.body or "null").get("message")
    except (ValueError, AttributeError):
        message = None
    return " ".join(str(message or exc.reason or "no message").split())[:300]
