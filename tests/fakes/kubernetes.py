"""A loopback fake of the Kubernetes API serving Argo Rollouts ``Rollout`` objects, with a tiny
controller that moves each Rollout's status the way Argo's does.

``async with running_fake_kubernetes(token="k8s-t0k") as fake:`` serves on 127.0.0.1 at
``fake.url``. Seed it with ``fake.add_rollout("shop", "checkout", image="reg/checkout:1.0.0")``.
It serves exactly:

- ``GET`` and ``PATCH /apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts/{name}``;
- ``PATCH`` of the same path with ``/status``.

PATCH takes ``application/json-patch+json`` (a list of RFC 6902 operations) and
``application/merge-patch+json`` (RFC 7386), which is what kubernetes_asyncio sends. Other
content types get a 415; a body of the wrong shape for its content type gets a 400. As on a real
API server with the status subresource enabled, a PATCH of the Rollout ignores changes to
``status``, and a PATCH of ``/status`` ignores everything else. Any change bumps
``metadata.resourceVersion``, and a spec change also bumps ``metadata.generation``. A patch whose
result names another ``resourceVersion`` than the stored one is a 409 Conflict. Failures are
Kubernetes ``Status`` objects (``{"kind": "Status", "status": "Failure", "reason": "NotFound",
"code": 404, …}``). A request without ``Authorization: Bearer <token>`` gets a 401.

The controller reconciles ``delay`` seconds after each change, as Argo does. A new pod template
or new steps start again at step 0, unless the template is the stable one (then all steps are
skipped). ``setWeight`` moves ``status.canary.weights`` (when the Rollout has trafficRouting).
``pause`` sets a ``CanaryPauseStep`` pause condition. Reaching the last step, or
``status.promoteFull``, promotes. ``status.abort`` sends all traffic back to stable and makes the
Rollout Degraded. A blue-green Rollout pauses (``BlueGreenPause``) unless
``autoPromotionEnabled`` is set.

Knobs:

- ``fail_next``: the next reconcile ends Degraded (``ProgressDeadlineExceeded``) and leaves the
  traffic alone;
- ``fail_requests(status, times)``: answer the next requests with a 5xx, 429 or RBAC's 403;
- ``lag``: seconds every answer waits (for request timeouts);
- ``conflict_next``: answer the next PATCHes of the Rollout with a 409;
- ``stall``: the controller does nothing.

Read back ``fake.requests`` and ``fake.stray`` (requests to any other path), and use
``fake.serving(ns, name)`` for the images the Rollout serves: ``(stable, canary, canary weight)``.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes import serving

PREFIX = "/apis/argoproj.io/v1alpha1/namespaces/{ns}/rollouts/{name}"
JSON_PATCH, MERGE_PATCH = "application/json-patch+json", "application/merge-patch+json"
Key = tuple[str, str]


@dataclass
class ReceivedRequest:
    method: str
    path: str
    content_type: str
    body: Any
    answered: int = 0


@dataclass
class FakeKubernetes:
    token: str
    delay: float = 0.02
    url: str = ""
    rollouts: dict[Key, dict[str, Any]] = field(default_factory=dict)
    replica_sets: dict[str, str] = field(default_factory=dict)  # pod hash -> first image
    requests: list[ReceivedRequest] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)
    fail_next: bool = False
    conflict_next: int = 0
    stall: bool = False
    lag: float = 0.0
    _failures: list[int] = field(default_factory=list)
    _revision: int = 1000
    _timers: list[asyncio.TimerHandle] = field(default_factory=list)

    def add_rollout(
        self,
        namespace: str,
        name: str,
        *,
        image: str,
        containers: list[str] | None = None,
        strategy: str = "canary",
        traffic_routing: bool = True,
        auto_promotion: bool = False,
    ) -> dict[str, Any]:
        """A Rollout already Healthy on ``image`` (in each of ``containers``, default one)."""
        canary: dict[str, Any] = {"canaryService": f"{name}-canary", "stableService": name}
        if traffic_routing:
            canary["trafficRouting"] = {"nginx": {"stableIngress": name}}
        canary["steps"] = [{"setWeight": 20}, {"pause": {}}]
        blue_green: dict[str, Any] = {"activeService": name, "previewService": f"{name}-preview"}
        blue_green["autoPromotionEnabled"] = auto_promotion
        ro: dict[str, Any] = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Rollout",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "uid": hashlib.sha256(name.encode()).hexdigest()[:32],
                "generation": 1,
                "resourceVersion": self._next_revision(),
                "creationTimestamp": _now(),
            },
            "spec": {
                "replicas": 4,
                "selector": {"matchLabels": {"app": name}},
                "template": {
                    "metadata": {"labels": {"app": name}},
                    "spec": {
                        "containers": [
                            {"name": each, "image": image, "ports": [{"containerPort": 8080}]}
                            for each in (containers or [name])
                        ]
                    },
                },
                "strategy": {"canary": canary}
                if strategy == "canary"
                else {"blueGreen": blue_green},
            },
            "status": {},
        }
        self.rollouts[(namespace, name)] = ro
        self._reconcile((namespace, name))
        return ro

    def rollout(self, namespace: str, name: str) -> dict[str, Any]:
        return self.rollouts[(namespace, name)]

    def fail_requests(self, status: int = 503, times: int = 1) -> None:
        self._failures.extend([status] * times)

    def serving(self, namespace: str, name: str) -> tuple[str, str | None, int]:
        """The stable image, the canary's (None when none is in flight) and its traffic share."""
        st = self.rollout(namespace, name)["status"]
        stable = self.replica_sets[st["stableRS"]]
        if st["currentPodHash"] == st["stableRS"]:
            return stable, None, 0
        weights = st.get("canary", {}).get("weights")
        weight = (
            weights["canary"]["weight"] if weights else _set_weight(self.rollout(namespace, name))
        )
        return stable, self.replica_sets[st["currentPodHash"]], weight

    # -- the server -----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get(PREFIX, self._get)
        app.router.add_patch(PREFIX, self._patch)
        app.router.add_patch(PREFIX + "/status", self._patch)
        app.router.add_route("*", "/{tail:.*}", self._stray)
        return app

    def _next_revision(self) -> str:
        self._revision += 1
        return str(self._revision)

    async def _admit(self, request: web.Request) -> tuple[ReceivedRequest, web.Response | None]:
        raw = await request.read()
        if self.lag:
            await asyncio.sleep(self.lag)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<not json>"
        seen = ReceivedRequest(request.method, request.path, request.content_type, body)
        self.requests.append(seen)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return seen, _failure(401, "Unauthorized", "Unauthorized")
        key = (request.match_info["ns"], request.match_info["name"])
        if self._failures:
            code = self._failures.pop(0)
            if code == 403:
                verb = "get" if request.method == "GET" else "patch"
                message = (
                    f'rollouts.argoproj.io "{key[1]}" is forbidden: User '
                    f'"system:serviceaccount:stationmaster:bot" cannot {verb} resource "rollouts" '
                    f'in API group "argoproj.io" in the namespace "{key[0]}"'
                )
                return seen, _failure(403, "Forbidden", message, key[1])
            reason = "TooManyRequests" if code == 429 else "InternalError"
            return seen, _failure(code, reason, f"fake failure {code}")
        if key not in self.rollouts:
            return seen, _failure(
                404, "NotFound", f'rollouts.argoproj.io "{key[1]}" not found', key[1]
            )
        return seen, None

    async def _get(self, request: web.Request) -> web.Response:
        seen, refused = await self._admit(request)
        key = (request.match_info["ns"], request.match_info["name"])
        answer = refused or web.json_response(self.rollouts[key])
        seen.answered = answer.status
        return answer

    async def _patch(self, request: web.Request) -> web.Response:
        seen, answer = await self._admit(request)
        if answer is None:
            answer = self._apply(request, seen.body)
        seen.answered = answer.status
        return answer

    def _apply(self, request: web.Request, body: Any) -> web.Response:
        key = (request.match_info["ns"], request.match_info["name"])
        stored = self.rollouts[key]
        subresource = request.path.endswith("/status")
        if request.content_type == JSON_PATCH and isinstance(body, list):
            try:
                patched = _json_patch(stored, body)
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                return _failure(422, "Invalid", f"the server rejected our request: {exc}")
        elif request.content_type == MERGE_PATCH and isinstance(body, dict):
            patched = _merge(stored, body)
        elif request.content_type in (JSON_PATCH, MERGE_PATCH):
            return _failure(400, "BadRequest", f"the body is not valid {request.content_type}")
        else:
            return _failure(
                415,
                "UnsupportedMediaType",
                f"the body of the request was in an unknown format - accepted media types "
                f"include: {JSON_PATCH}, {MERGE_PATCH}, application/apply-patch+yaml",
            )
        if patched["metadata"].get("resourceVersion") != stored["metadata"]["resourceVersion"] or (
            self.conflict_next and not subresource
        ):
            self.conflict_next = max(self.conflict_next - 1, 0)
            return _failure(
                409,
                "Conflict",
                f'Operation cannot be fulfilled on rollouts.argoproj.io "{key[1]}": the object '
                f"has been modified; please apply your changes to the latest version and try again",
                key[1],
            )
        result = copy.deepcopy(stored)
        if subresource:
            result["status"] = patched.get("status") or {}
        else:
            result["metadata"], result["spec"] = patched["metadata"], patched["spec"]
            result["metadata"]["generation"] = stored["metadata"]["generation"] + (
                patched["spec"] != stored["spec"]
            )
        if result != stored:
            result["metadata"]["resourceVersion"] = self._next_revision()
            self.rollouts[key] = result
            loop = asyncio.get_running_loop()
            self._timers.append(loop.call_later(self.delay, self._reconcile, key))
        return web.json_response(result)

    async def _stray(self, request: web.Request) -> web.Response:
        self.stray.append(f"{request.method} {request.path}")
        return _failure(404, "NotFound", "the server could not find the requested resource")

    # -- the controller -------------------------------------------------------------------

    def _reconcile(self, key: Key) -> None:
        if self.stall:
            return
        ro = copy.deepcopy(self.rollouts[key])
        spec, st = ro["spec"], ro["status"]
        template = spec["template"]
        pod_hash = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        self.replica_sets[pod_hash] = template["spec"]["containers"][0]["image"]
        canary = spec["strategy"].get("canary")
        steps = (canary or {}).get("steps") or []
        step_hash = hashlib.sha256(json.dumps(steps).encode()).hexdigest()[:10]
        if not st.get("stableRS"):  # the first version is stable at once
            st.update(stableRS=pod_hash, currentPodHash=pod_hash, currentStepIndex=len(steps))
        elif pod_hash != st.get("currentPodHash") or step_hash != st.get("currentStepHash"):
            for reset in ("pauseConditions", "abort", "promoteFull", "abortedAt", "conditions"):
                st.pop(reset, None)
            restored = pod_hash == st["stableRS"]
            st.update(currentPodHash=pod_hash, currentStepIndex=len(steps) if restored else 0)
        st["currentStepHash"] = step_hash
        weight = self._progress(ro, steps, pod_hash)
        if canary and canary.get("trafficRouting"):
            st["canary"] = {
                "weights": {
                    "canary": {"weight": weight, "podTemplateHash": st["currentPodHash"]},
                    "stable": {"weight": 100 - weight, "podTemplateHash": st["stableRS"]},
                }
            }
        st.update(_phase(ro), observedGeneration=str(ro["metadata"]["generation"]))
        replicas = spec.get("replicas", 1)
        st.update(replicas=replicas, readyReplicas=replicas, availableReplicas=replicas)
        st["selector"] = f"app={key[1]}"
        if ro != self.rollouts[key]:
            ro["metadata"]["resourceVersion"] = self._next_revision()
            self.rollouts[key] = ro

    def _progress(self, ro: dict[str, Any], steps: list[dict[str, Any]], pod_hash: str) -> int:
        """Walk the steps from the current one; the canary's weight afterwards."""
        st = ro["status"]
        old = st.get("canary", {}).get("weights", {}).get("canary", {}).get("weight", 0)
        if self.fail_next:
            self.fail_next = False
            message = f'ReplicaSet "{ro["metadata"]["name"]}-{pod_hash}" has timed out progressing.'
            st["conditions"] = [
                _condition("Progressing", "False", "ProgressDeadlineExceeded", message)
            ]
            return int(old)
        if st.get("conditions") or pod_hash == st["stableRS"]:
            return int(old) if st.get("conditions") else 0
        if st.get("abort"):
            st.setdefault("abortedAt", _now())
            return 0
        strategy = ro["spec"]["strategy"]
        if st.get("promoteFull") or (
            "blueGreen" in strategy and strategy["blueGreen"].get("autoPromotionEnabled", True)
        ):
            return self._promote(st, steps)
        if "blueGreen" in strategy:
            st["pauseConditions"] = [{"reason": "BlueGreenPause", "startTime": _now()}]
            return 0
        index = st.get("currentStepIndex", 0)
        while index < len(steps):
            step = steps[index]
            if "pause" in step:
                st.setdefault(
                    "pauseConditions", [{"reason": "CanaryPauseStep", "startTime": _now()}]
                )
                st["controllerPause"] = True
                break
            index += 1
        st["currentStepIndex"] = index
        if index >= len(steps):
            return self._promote(st, steps)
        return _set_weight(ro)

    def _promote(self, st: dict[str, Any], steps: list[dict[str, Any]]) -> int:
        st.update(stableRS=st["currentPodHash"], currentStepIndex=len(steps))
        for done in ("promoteFull", "pauseConditions", "controllerPause"):
            st.pop(done, None)
        return 0


def _set_weight(ro: dict[str, Any]) -> int:
    """The last ``setWeight`` before the current step."""
    steps = ro["spec"]["strategy"].get("canary", {}).get("steps") or []
    reached = steps[: ro["status"].get("currentStepIndex", 0)]
    return next((s["setWeight"] for s in reversed(reached) if "setWeight" in s), 0)


def _phase(ro: dict[str, Any]) -> dict[str, str]:
    """Argo's ``CalculateRolloutPhase``, for what this fake models."""
    st = ro["status"]
    for condition in st.get("conditions", []):
        if condition["reason"] == "ProgressDeadlineExceeded":
            return {
                "phase": "Degraded",
                "message": f"ProgressDeadlineExceeded: {condition['message']}",
            }
    if st.get("abort"):
        return {
            "phase": "Degraded",
            "message": "RolloutAborted: Rollout aborted update to revision 2",
        }
    if ro["spec"].get("paused") or st.get("pauseConditions"):
        reason = (
            st["pauseConditions"][0]["reason"] if st.get("pauseConditions") else "manually paused"
        )
        return {"phase": "Paused", "message": reason}
    if st["currentPodHash"] != st["stableRS"]:
        return {"phase": "Progressing", "message": "waiting for all steps to complete"}
    return {"phase": "Healthy", "message": ""}


def _condition(kind: str, status: str, reason: str, message: str) -> dict[str, str]:
    now = _now()
    return {
        "type": kind,
        "status": status,
        "reason": reason,
        "message": message,
        "lastTransitionTime": now,
        "lastUpdateTime": now,
    }


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _failure(code: int, reason: str, message: str, name: str | None = None) -> web.Response:
    """A Kubernetes ``Status`` object, as the API server answers a failed request."""
    details = {"name": name, "group": "argoproj.io", "kind": "rollouts"} if name else {}
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details,
        "code": code,
    }
    return web.json_response(body, status=code)


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = _merge(result.get(name), value)
    return result


def _json_patch(document: dict[str, Any], ops: list[Any]) -> dict[str, Any]:
    """RFC 6902 JSON patch: add, remove, replace and test."""
    result = copy.deepcopy(document)
    for op in ops:
        *parents, last = [
            part.replace("~1", "/").replace("~0", "~") for part in op["path"].split("/")[1:]
        ]
        node: Any = result
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        kind = op["op"]
        if isinstance(node, list):
            index = len(node) if last == "-" else int(last)
            if kind == "add":
                node.insert(index, op["value"])
            elif kind == "remove":
                del node[index]
            elif kind == "replace":
                node[index] = op["value"]
            elif node[index] != op["value"]:
                raise ValueError(f"test of {op['path']} failed")
            continue
        if kind in ("remove", "replace", "test") and last not in node:
            raise KeyError(f"{op['path']} does not exist")
        if kind == "remove":
            del node[last]
        elif kind in ("add", "replace"):
            node[last] = op["value"]
        elif kind == "test" and node[last] != op["value"]:
            raise ValueError(f"test of {op['path']} failed")
        elif kind not in ("add", "remove", "replace", "test"):
            raise ValueError(f"unsupported operation {kind!r}")
    return result


@asynccontextmanager
async def running_fake_kubernetes(
    *, token: str = "k8s-t0k", delay: float = 0.02
) -> AsyncIterator[FakeKubernetes]:
    """Serve a fresh fake on 127.0.0.1 (a free port) for the duration of the block."""
    fake = FakeKubernetes(token=token, delay=delay)
    try:
        async with serving(fake.app()) as url:
            fake.url = url
            yield fake
    finally:
        for timer in fake._timers:
            timer.cancel()
