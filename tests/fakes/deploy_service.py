"""A loopback fake of a team's deploy service, as the webhook adapter's docstring describes it.

``async with running_fake_deploy_service(secret="s3cret") as fake:`` serves on 127.0.0.1; the
adapter's URL is ``fake.url`` (``http://127.0.0.1:<port>/deploy``). It checks signatures itself
with ``hmac`` (401 on a bad one, like a team's service would), keeps one rollout per service in
``fake.rollouts``, applies each delivery id once (a repeat gets the first answer again), answers
a step with 202 and reports it ``progressing`` for ``progress_polls`` status polls before it
ends in ``end_state``. Every request is in ``fake.attempts``, every applied step in
``fake.actions``, anything outside ``/deploy`` in ``fake.stray``.

Knobs: ``fail_next(n)`` (5xx), ``refuse_next(status, message)`` (one 4xx), ``immediate`` (answer
200 with the final status), ``stall`` (never finish), ``end_state``/``end_message`` (how a step
ends), ``redirect_to`` (answer every request with a 307 there).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes import serving

BASE = "/deploy"


@dataclass
class Rollout:
    stable: str | None = None
    canary: str | None = None
    weight: int = 0
    state: str = "unknown"
    message: str = ""
    polls_left: int = 0
    next: tuple[str | None, str | None, int] | None = None  # (stable, canary, weight) when done

    def as_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "weight": self.weight,
            "stable_version": self.stable,
            "canary_version": self.canary,
            "message": self.message,
        }


@dataclass
class Attempt:
    method: str
    path: str
    query: dict[str, str]
    delivery: str | None
    body: dict[str, Any] | None
    answered: int = 0


@dataclass
class FakeDeployService:
    secret: str
    progress_polls: int = 1
    immediate: bool = False
    stall: bool = False
    end_state: str = "healthy"
    end_message: str = ""
    redirect_to: str | None = None
    url: str = ""
    rollouts: dict[str, Rollout] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    actions: list[dict[str, Any]] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)
    _failures: int = 0
    _failure_status: int = 500
    _refusal: tuple[int, str] | None = None
    _answers: dict[str, tuple[int, dict[str, Any]]] = field(default_factory=dict)

    def fail_next(self, times: int = 1, *, status: int = 500) -> None:
        self._failures, self._failure_status = times, status

    def refuse_next(self, status: int = 400, message: str = "no") -> None:
        self._refusal = (status, message)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(BASE, self._step)
        app.router.add_get(f"{BASE}/status", self._status)
        app.router.add_route("*", "/{tail:.*}", self._stray)
        return app

    # -- handlers -------------------------------------------------------------------------------

    async def _step(self, request: web.Request) -> web.Response:
        raw = await request.read()
        attempt = self._record(request, raw)
        refused = self._gate(request, raw)
        if refused is not None:
            return self._answer(attempt, *refused)
        body = attempt.body or {}
        delivery = str(body.get("delivery"))
        if delivery != attempt.delivery:
            return self._answer(attempt, 400, {"message": "delivery header and body differ"})
        if delivery in self._answers:
            return self._answer(attempt, *self._answers[delivery])
        answer = self._apply(body)
        self._answers[delivery] = answer
        return self._answer(attempt, *answer)

    async def _status(self, request: web.Request) -> web.Response:
        attempt = self._record(request, await request.read())
        refused = self._gate(request, b"")
        if refused is not None:
            return self._answer(attempt, *refused)
        rollout = self.rollouts.get(request.query.get("service", ""))
        if rollout is None:
            return self._answer(attempt, 404, {"message": "unknown service"})
        if rollout.state == "progressing" and not self.stall:
            rollout.polls_left -= 1
            if rollout.polls_left <= 0:
                self._finish(rollout)
        return self._answer(attempt, 200, rollout.as_json())

    async def _stray(self, request: web.Request) -> web.Response:
        self.stray.append(f"{request.method} {request.path}")
        return web.json_response({"message": "not here"}, status=404)

    # -- behaviour ------------------------------------------------------------------------------

    def _gate(self, request: web.Request, raw: bytes) -> tuple[int, dict[str, Any]] | None:
        """Signature first (like a real service), then the knobs; None to go on."""
        stamp = request.headers.get("X-Stationmaster-Timestamp", "")
        given = request.headers.get("X-Stationmaster-Signature", "")
        expected = hmac.new(self.secret.encode(), f"{stamp}.".encode() + raw, hashlib.sha256)
        fresh = stamp.isdigit() and abs(time.time() - int(stamp)) <= 300
        if not fresh or not hmac.compare_digest(given, "v1=" + expected.hexdigest()):
            return 401, {"message": "bad signature"}
        if self.redirect_to is not None:
            return 307, {"message": "moved"}
        if self._failures > 0:
            self._failures -= 1
            return self._failure_status, {"message": "the deployer crashed"}
        if self._refusal is not None:
            status, message = self._refusal
            self._refusal = None
            return status, {"message": message}
        return None

    def _apply(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        action, version = body.get("action"), body.get("version")
        rollout = self.rollouts.setdefault(str(body.get("service")), Rollout())
        previous = body.get("previous_version") or None
        if action == "deploy":
            target = (rollout.stable or previous, version, 0)
        elif action == "set_weight":
            if rollout.canary != version:
                return 409, {"message": f"{version} is not the canary"}
            target = (rollout.stable, version, int(body["weight"]))
        elif action in ("promote", "switch"):
            target = (version, None, 100)
        elif action == "rollback":
            target = (previous, None, 0)
        else:
            return 400, {"message": f"unknown action {action!r}"}
        self.actions.append(body)
        rollout.next = target
        rollout.state, rollout.message = "progressing", f"{action} under way"
        rollout.polls_left = self.progress_polls
        if self.immediate or self.progress_polls <= 0:
            self._finish(rollout)
            return 200, rollout.as_json()
        return 202, rollout.as_json()

    def _finish(self, rollout: Rollout) -> None:
        if self.end_state == "healthy" and rollout.next is not None:
            rollout.stable, rollout.canary, rollout.weight = rollout.next
        rollout.state, rollout.message, rollout.next = self.end_state, self.end_message, None

    def _record(self, request: web.Request, raw: bytes) -> Attempt:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        attempt = Attempt(
            request.method,
            request.path,
            dict(request.query),
            request.headers.get("X-Stationmaster-Delivery"),
            body,
        )
        self.attempts.append(attempt)
        return attempt

    def _answer(self, attempt: Attempt, status: int, body: dict[str, Any]) -> web.Response:
        attempt.answered = status
        headers = {"Location": self.redirect_to} if status == 307 and self.redirect_to else None
        return web.json_response(body, status=status, headers=headers)


@asynccontextmanager
async def running_fake_deploy_service(
    *, secret: str = "s3cret", **knobs: Any
) -> AsyncIterator[FakeDeployService]:
    """Serve a fresh fake on 127.0.0.1 (a free port) for the duration of the block."""
    fake = FakeDeployService(secret=secret, **knobs)
    async with serving(fake.app()) as url:
        fake.url = url + BASE
        yield fake
