"""A loopback fake of GitHub Actions' workflow dispatch and workflow runs API (2022-11-28),
answering with GitHub's documented shapes.

``async with running_fake_github_actions(token="t0k") as fake:`` serves on 127.0.0.1 at
``fake.url``. It has one repository, ``fake.repo`` (``acme/shop``), with the branch ``main`` and
one workflow: ``deploy.yml`` (id ``fake.workflow_id``, named "Deploy"). The workflow declares the
inputs in ``fake.inputs``. It serves:

- ``POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches``: 204, or 200 with
  ``workflow_run_id``, ``run_url`` and ``html_url`` when the body has ``return_run_details``;
- ``GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs`` and
  ``GET /repos/{owner}/{repo}/actions/runs``: ``{"total_count", "workflow_runs"}``, newest first,
  filtered by ``event``, ``branch``, ``status`` and ``created`` (``>=``, ``<=`` or ``a..b``);
- ``GET /repos/{owner}/{repo}/actions/runs/{run_id}``.

A run shows up in lists ``appear_after`` seconds after its dispatch, is ``queued``, then
``in_progress`` after ``start_after``, then ``completed`` after ``duration``. Its
``display_title`` is the ``delivery`` input when ``run_name`` is set (``run-name: ${{
inputs.delivery }}``), and the workflow's name otherwise. A run that succeeds applies its step to
``fake.deployed[service]`` as ``(stable, canary, weight)``, the way a team's deploy job would.

Errors are GitHub's: 404 for an unknown workflow or run, and 422 for a missing ref
(``No ref found for: x``), unknown inputs (``Unexpected inputs provided: ["x"]``) or a required
input left out. Every answer carries the ``x-ratelimit-*`` headers.

Knobs:

- ``fail_next_run(conclusion)``: the next run ends with that conclusion and deploys nothing;
- ``stall``: runs never complete;
- ``fail_next(status, times)``: 5xx answers;
- ``secondary_limit_next(status, retry_after)``: the secondary rate limit, a 403 or 429;
- ``exhaust(reset_in)``: the primary limit, a 403 with ``x-ratelimit-remaining: 0`` until
  ``reset_in`` seconds have passed.

Read back ``fake.requests`` and ``fake.stray`` (anything outside these paths).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from tests.fakes import serving

DOCS = "https://docs.github.com/rest/actions"
INPUTS = ("action", "service", "version", "previous_version", "weight", "release", "delivery")
Deployed = tuple[str | None, str | None, int]


@dataclass
class FakeRun:
    id: int
    run_number: int
    inputs: dict[str, Any]
    ref: str
    display_title: str
    created_at: datetime
    dispatched: float  # loop time
    conclusion_when_done: str = "success"
    status: str = "queued"
    conclusion: str | None = None


@dataclass
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any
    answered: int = 0


@dataclass
class FakeGitHubActions:
    token: str
    repo: str = "acme/shop"
    workflow_file: str = "deploy.yml"
    workflow_id: int = 161335
    branches: tuple[str, ...] = ("main",)
    inputs: tuple[str, ...] = INPUTS
    run_name: bool = True
    appear_after: float = 0.02
    start_after: float = 0.01
    duration: float = 0.05
    stall: bool = False
    url: str = ""
    runs: list[FakeRun] = field(default_factory=list)
    deployed: dict[str, Deployed] = field(default_factory=dict)
    requests: list[ReceivedRequest] = field(default_factory=list)
    stray: list[str] = field(default_factory=list)
    rate_limit: int = 5000
    rate_remaining: int = 5000
    rate_reset: float = field(default_factory=lambda: time.time() + 3600)
    _failures: list[int] = field(default_factory=list)
    _secondary: list[tuple[int, int | None]] = field(default_factory=list)
    _conclusions: list[str] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(30433642))

    def fail_next_run(self, conclusion: str = "failure") -> None:
        self._conclusions.append(conclusion)

    def fail_next(self, status: int = 502, times: int = 1) -> None:
        self._failures.extend([status] * times)

    def secondary_limit_next(self, *, status: int = 403, retry_after: int | None = 1) -> None:
        self._secondary.append((status, retry_after))

    def exhaust(self, *, reset_in: float = 1.0) -> None:
        self.rate_remaining, self.rate_reset = 0, time.time() + reset_in

    # -- the server -----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        base = "/repos/{owner}/{repo}/actions"
        app.router.add_post(base + "/workflows/{workflow}/dispatches", self._dispatch)
        app.router.add_get(base + "/workflows/{workflow}/runs", self._list)
        app.router.add_get(base + "/runs", self._list)
        app.router.add_get(base + "/runs/{run_id}", self._run)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = "<not json>"
        seen = ReceivedRequest(
            request.method, request.path, dict(request.query), dict(request.headers), body
        )
        self.requests.append(seen)
        response = await self._answer(request, handler, body)
        if time.time() >= self.rate_reset:
            self.rate_remaining, self.rate_reset = self.rate_limit, time.time() + 3600
        response.headers.update(
            {
                "x-ratelimit-limit": str(self.rate_limit),
                "x-ratelimit-remaining": str(self.rate_remaining),
                "x-ratelimit-reset": str(int(self.rate_reset)),
                "x-ratelimit-resource": "core",
            }
        )
        seen.answered = response.status
        return response

    async def _answer(self, request: web.Request, handler: Any, body: Any) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return _error(401, "Bad credentials")
        if self._failures:
            return _error(self._failures.pop(0), "Server Error")
        if self._secondary:
            status, retry_after = self._secondary.pop(0)
            response = _error(status, "You have exceeded a secondary rate limit.")
            if retry_after is not None:
                response.headers["retry-after"] = str(retry_after)
            return response
        if time.time() < self.rate_reset and self.rate_remaining <= 0:
            return _error(403, "API rate limit exceeded for installation ID 1.")
        self.rate_remaining -= 1
        if f"{request.match_info.get('owner')}/{request.match_info.get('repo')}" != self.repo:
            self.stray.append(f"{request.method} {request.path}")
            return _error(404, "Not Found")
        if body == "<not json>":
            return _error(400, "Problems parsing JSON")
        try:
            return await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return _error(404, "Not Found")

    def _workflow_known(self, request: web.Request) -> bool:
        return request.match_info["workflow"] in (self.workflow_file, str(self.workflow_id))

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        if not self._workflow_known(request):
            return _error(404, "Not Found", "workflows#create-a-workflow-dispatch-event")
        body = await request.json()
        ref = body.get("ref") if isinstance(body, dict) else None
        if ref not in self.branches:
            return _error(422, f"No ref found for: {ref}")
        inputs = body.get("inputs") or {}
        unexpected = [name for name in inputs if name not in self.inputs]
        if unexpected:
            return _error(422, f"Unexpected inputs provided: {json.dumps(unexpected)}")
        missing = [name for name in self.inputs if name not in inputs]
        if missing:
            return _error(422, f"Required input '{missing[0]}' not provided")
        run_id = next(self._ids)
        title = str(inputs.get("delivery")) if self.run_name else "Deploy"
        run = FakeRun(
            run_id,
            len(self.runs) + 1,
            inputs,
            ref,
            title,
            datetime.now(UTC).replace(microsecond=0),
            asyncio.get_running_loop().time(),
        )
        if self._conclusions:
            run.conclusion_when_done = self._conclusions.pop(0)
        self.runs.append(run)
        if body.get("return_run_details"):
            api = f"{self.url}/repos/{self.repo}/actions/runs/{run_id}"
            html = f"https://github.com/{self.repo}/actions/runs/{run_id}"
            return web.json_response({"workflow_run_id": run_id, "run_url": api, "html_url": html})
        return web.Response(status=204)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        if "workflow" in request.match_info and not self._workflow_known(request):
            return _error(404, "Not Found")
        now = asyncio.get_running_loop().time()
        query = request.query
        low, high = _range(query.get("created"))
        found = [
            self._json(self._advance(run))
            for run in reversed(self.runs)
            if now - run.dispatched >= self.appear_after
            and query.get("event", "workflow_dispatch") == "workflow_dispatch"
            and query.get("branch", run.ref) == run.ref
            and (low is None or run.created_at >= low)
            and (high is None or run.created_at <= high)
        ]
        if "status" in query:
            found = [r for r in found if query["status"] in (r["status"], r["conclusion"])]
        size = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = found[(page - 1) * size : page * size]
        return web.json_response({"total_count": len(found), "workflow_runs": chunk})

    async def _run(self, request: web.Request) -> web.StreamResponse:
        for run in self.runs:
            if str(run.id) == request.match_info["run_id"]:
                return web.json_response(self._json(self._advance(run)))
        return _error(404, "Not Found", "workflow-runs#get-a-workflow-run")

    def _advance(self, run: FakeRun) -> FakeRun:
        """Move ``run`` along with the clock; apply its step when it succeeds."""
        age = asyncio.get_running_loop().time() - run.dispatched
        if run.status == "completed" or self.stall or age < self.start_after:
            return run
        run.status = "in_progress"
        if age >= self.start_after + self.duration:
            run.status, run.conclusion = "completed", run.conclusion_when_done
            if run.conclusion == "success":
                self._deploy(run.inputs)
        return run

    def _deploy(self, inputs: dict[str, Any]) -> None:
        service, version = inputs["service"], inputs["version"]
        previous = inputs["previous_version"] or None
        stable, canary, weight = self.deployed.get(service, (previous, None, 0))
        action = inputs["action"]
        if action == "deploy":
            canary, weight = version, 0
        elif action == "set_weight":
            weight = int(inputs["weight"])
        elif action in ("promote", "switch"):
            stable, canary, weight = version, None, 100
        elif action == "rollback":
            stable, canary, weight = previous, None, 0
        self.deployed[service] = (stable, canary, weight)

    def _json(self, run: FakeRun) -> dict[str, Any]:
        api = f"{self.url}/repos/{self.repo}"
        stamp = run.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        actor = {"login": "stationmaster[bot]", "id": 1, "type": "Bot"}
        return {
            "id": run.id,
            "name": "Deploy",
            "node_id": f"WFR_{run.id}",
            "head_branch": run.ref,
            "head_sha": "009b8a3a9ccbb128af87f9b1c0f4c62e8a304f6d",
            "path": f".github/workflows/{self.workflow_file}",
            "display_title": run.display_title,
            "run_number": run.run_number,
            "event": "workflow_dispatch",
            "status": run.status,
            "conclusion": run.conclusion,
            "workflow_id": self.workflow_id,
            "url": f"{api}/actions/runs/{run.id}",
            "html_url": f"https://github.com/{self.repo}/actions/runs/{run.id}",
            "created_at": stamp,
            "updated_at": stamp,
            "run_attempt": 1,
            "run_started_at": stamp,
            "jobs_url": f"{api}/actions/runs/{run.id}/jobs",
            "logs_url": f"{api}/actions/runs/{run.id}/logs",
            "workflow_url": f"{api}/actions/workflows/{self.workflow_id}",
            "actor": actor,
            "triggering_actor": actor,
            "repository": {"id": 1296269, "full_name": self.repo},
        }


def _range(value: str | None) -> tuple[datetime | None, datetime | None]:
    """GitHub's ``created`` filter: ``>=T``, ``<=T``, ``>T``, ``<T`` or ``A..B``."""
    if not value:
        return None, None
    if ".." in value:
        low, high = value.split("..", 1)
        return _moment(low), _moment(high)
    if value.startswith(">"):
        return _moment(value.lstrip(">=")), None
    if value.startswith("<"):
        return None, _moment(value.lstrip("<="))
    return _moment(value), _moment(value)


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _error(status: int, message: str, docs: str = "") -> web.Response:
    body = {"message": message, "documentation_url": f"{DOCS}/{docs}", "status": str(status)}
    return web.json_response(body, status=status)


@asynccontextmanager
async def running_fake_github_actions(
    *, token: str = "t0k", **options: Any
) -> AsyncIterator[FakeGitHubActions]:
    """Serve a fresh fake on 127.0.0.1 (a free port) for the duration of the block."""
    fake = FakeGitHubActions(token=token, **options)
    async with serving(fake.app()) as url:
        fake.url = url
        yield fake
