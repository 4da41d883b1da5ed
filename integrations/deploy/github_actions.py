"""The ``github_actions`` deploy adapter: each step dispatches one workflow, then follows the run.

A step is ``POST {api_url}/repos/{repo}/actions/workflows/{workflow}/dispatches`` with::

    {"ref": "main", "inputs": {"action": "set_weight", "service": "checkout",
     "version": "2024.06.2", "previous_version": "2024.06.1", "weight": "10",
     "release": "web/2024.06.2", "delivery": "<uuid>"}}

Every value is a string, and ``previous_version`` is empty for a train's first release. GitHub
answers 204 No Content. The workflow must declare these seven inputs under
``on.workflow_dispatch.inputs`` (GitHub refuses unknown ones with a 422). It should also set
``run-name: ${{ inputs.delivery }}``, or a run name that contains it.

Finding the run:

- The adapter lists ``GET …/actions/workflows/{workflow}/runs?event=workflow_dispatch&branch={ref}
  &created=>=…`` and takes the run whose ``display_title`` (or ``name``) contains the delivery id.
- Without such a run name, it takes the newest run that did not exist before the dispatch, that
  no earlier step took, and whose title names no other delivery. Two dispatches of the workflow
  at once may then be mixed up.
- With ``run_details=True``, the dispatch sends ``return_run_details`` and GitHub answers 200
  with the ``workflow_run_id``, so there is nothing to search. GHES 3.20 and older refuse it.

The run is polled with ``GET …/actions/runs/{id}`` every ``poll_interval`` seconds until its
``status`` is ``completed``, for at most ``run_timeout`` seconds after the dispatch. A
``conclusion`` of ``success`` means the step is done and ``cancelled`` means it was aborted.
Anything else means it failed; the DeployError then carries the run's ``html_url``. ``status``
reports what the last step of each service left, since a workflow cannot be asked, and
``unknown`` before the first step.

Requests go only to ``api_url``; redirects are refused. Transport errors and 5xx answers are
retried with exponential backoff. Rate limits (a 403 or 429 with ``retry-after``, or with
``x-ratelimit-remaining: 0`` and ``x-ratelimit-reset``) wait as long as GitHub asks, up to
``max_wait``. Retries and waits share ``max_retries``. A 404 (no such repository or workflow,
or the token cannot see it) and a 422 (with GitHub's ``message``: a missing ref, unknown inputs,
no workflow_dispatch trigger) fail at once. The token appears in no message and no log line.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from bot.clock import Clock, utc_now
from bot.observability.logs import get_logger
from integrations.deploy.base import (
    Action,
    DeployError,
    DeployState,
    DeployStatus,
    StepAdapter,
    Target,
    outcome,
    step_fields,
)
from integrations.github.client import API_VERSION, Sleep

__all__ = ["GitHubActionsAdapter"]

_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_SKEW = timedelta(minutes=2)  # how far the ``created`` filter reaches back, for clock skew
_HINTS = {
    401: "check the token",
    403: "check that the token may read and write Actions in {repo}",
    404: "check that {repo} has the workflow {workflow} (its file name or id) and that the token "
    "can see it",
    422: "the workflow must run on workflow_dispatch on {ref} and declare the inputs action, "
    "service, version, previous_version, weight, release and delivery",
}
_SECONDARY_WAIT = 60.0  # GitHub: "wait for at least one minute" when it names no time
_log = get_logger(__name__)


class GitHubActionsAdapter(StepAdapter):
    """Runs ``workflow`` in ``repo`` at ``ref`` for each step; see the module docstring."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        api_url: str,
        token: SecretStr,
        repo: str,
        workflow: str,
        ref: str = "main",
        poll_interval: float = 5,
        run_timeout: float = 1800,
        run_details: bool = False,
        timeout: float = 10,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 60,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utc_now,
    ) -> None:
        base = httpx.URL(api_url)
        if base.scheme not in ("http", "https") or not base.host or base.query or base.userinfo:
            raise ValueError(f"the GitHub API address {api_url!r} is not a plain http(s) URL")
        if not _REPO.match(repo) or not workflow or not ref:
            raise ValueError(f"{repo!r} is not owner/name, or the workflow or ref is empty")
        if min(poll_interval, run_timeout, timeout) <= 0 or min(max_retries, backoff) < 0:
            raise ValueError("intervals and timeouts must be > 0, max_retries and backoff >= 0")
        self._http, self._token, self._ref = http, token, ref
        self._base = api_url.rstrip("/")
        self._repo, self._workflow = repo, workflow
        self._workflow_path = f"/repos/{repo}/actions/workflows/{quote(workflow, safe='')}"
        self._poll, self._run_timeout, self._run_details = poll_interval, run_timeout, run_details
        self._timeout = httpx.Timeout(timeout)
        self._max_retries, self._backoff, self._max_wait = max_retries, backoff, max_wait
        self._sleep, self._clock = sleep, clock
        self._last: dict[str, DeployStatus] = {}
        self._claimed: set[int] = set()

    async def status(self, *, target: Target) -> DeployStatus:
        """What the last step for ``target.service`` left (a workflow cannot be asked)."""
        return self._last.get(target.service) or DeployStatus(
            DeployState.UNKNOWN, 0, None, None, "no step has run here yet", self._clock()
        )

    async def _step(self, action: Action, target: Target, weight: int) -> DeployStatus:
        what = f"{action.value} of {target.service} {target.version}"
        fields = step_fields(action, target, weight)
        delivery = str(uuid.uuid4())
        inputs = {key: "" if value is None else str(value) for key, value in fields.items()}
        body: dict[str, Any] = {"ref": self._ref, "inputs": inputs | {"delivery": delivery}}
        deadline = asyncio.get_running_loop().time() + self._run_timeout
        since = self._clock() - _SKEW
        before = set() if self._run_details else {r["id"] for r in await self._runs(since, what)}
        if self._run_details:
            body["return_run_details"] = True
        answer = await self._request("POST", f"{self._workflow_path}/dispatches", what, json=body)
        run_id = _json(answer, what).get("workflow_run_id") if answer.status_code == 200 else None
        if not isinstance(run_id, int):
            run_id = await self._find_run(delivery, since, before, deadline, what)
        self._claimed.add(run_id)
        run = await self._follow(run_id, deadline, what, target)
        url = str(run.get("html_url") or f"run {run_id}")
        if run.get("conclusion") == "success":
            done = outcome(action, target, weight, at=self._clock(), message=f"{url} succeeded")
            self._last[target.service] = done
            return done
        ended = DeployState.ABORTED if run.get("conclusion") == "cancelled" else DeployState.FAILED
        failed = self._left(target, ended, f"{url} ended {run.get('conclusion')}")
        raise DeployError(
            f"the GitHub Actions run for {what} ended {run.get('conclusion')}: {url}; read its "
            f"log, then retry or roll back",
            output=url,
            status=failed,
        )

    async def _find_run(
        self, delivery: str, since: datetime, before: set[int], deadline: float, what: str
    ) -> int:
        """The run the dispatch started: the one naming ``delivery``, else the newest new one."""
        while True:
            runs = [r for r in await self._runs(since, what) if r["id"] not in self._claimed]
            mine = [r for r in runs if delivery in _title(r)]
            new = [r for r in runs if r["id"] not in before and not _UUID.search(_title(r))]
            if mine or new:
                return int((mine or sorted(new, key=lambda r: str(r.get("created_at"))))[-1]["id"])
            if asyncio.get_running_loop().time() >= deadline:
                raise DeployError(
                    f"GitHub started no run of {self._workflow} in {self._repo} for {what} "
                    f"within {self._run_timeout:g}s; check that it runs on workflow_dispatch "
                    f"on {self._ref} and that Actions are enabled"
                )
            await self._sleep(self._poll)

    async def _runs(self, since: datetime, what: str) -> list[dict[str, Any]]:
        params = {
            "event": "workflow_dispatch",
            "branch": self._ref,
            "created": f">={since.strftime('%Y-%m-%dT%H:%M:%SZ')}",
            "per_page": "100",
        }
        response = await self._request("GET", f"{self._workflow_path}/runs", what, params=params)
        runs = _json(response, what).get("workflow_runs")
        if not isinstance(runs, list):
            raise DeployError(f"GitHub answered {what} with no list of workflow_runs")
        return [r for r in runs if isinstance(r, dict) and isinstance(r.get("id"), int)]

    async def _follow(
        self, run_id: int, deadline: float, what: str, target: Target
    ) -> dict[str, Any]:
        """Poll the run until it completes; its JSON."""
        while True:
            path = f"/repos/{self._repo}/actions/runs/{run_id}"
            run = _json(await self._request("GET", path, what), what)
            if run.get("status") == "completed":
                return run
            if asyncio.get_running_loop().time() >= deadline:
                url = run.get("html_url") or f"run {run_id}"
                message = f"{url} still {run.get('status')} after {self._run_timeout:g}s"
                raise DeployError(
                    f"the GitHub Actions run for {what} did not complete: {message}; check it, "
                    f"then retry or roll back",
                    output=str(url),
                    status=self._left(target, DeployState.UNKNOWN, message),
                )
            await self._sleep(self._poll)

    def _left(self, target: Target, state: DeployState, message: str) -> DeployStatus:
        """Remember that a step ended in ``state``; traffic is where the last step left it."""
        known = self._last.get(target.service)
        base = known or DeployStatus(state, 0, target.previous_version, None, "", self._clock())
        left = replace(base, state=state, message=message, at=self._clock())
        self._last[target.service] = left
        return left

    # -- the transport ------------------------------------------------------------------------

    async def _request(
        self,
        method: str,
        path: str,
        what: str,
        *,
        json: dict[str, Any] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One request under ``api_url``, retried on transport errors, 5xx and rate limits."""
        retries = 0
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "stationmaster",
            "Authorization": f"Bearer {self._token.get_secret_value()}",
        }
        while True:
            try:
                response = await self._http.request(
                    method,
                    self._base + path,
                    json=json,
                    params=params,
                    headers=headers,
                    timeout=self._timeout,
                    follow_redirects=False,
                )
            except httpx.TransportError as exc:
                if retries >= self._max_retries:
                    raise DeployError(
                        f"GitHub did not answer {what} after {retries + 1} attempts "
                        f"({type(exc).__name__}); check the network path to {self._base}"
                    ) from exc
                delay, reason = self._backoff * 2.0**retries, type(exc).__name__
            else:
                if response.is_success:
                    return response
                delay = self._retry_delay(response, what, retries)
                reason = str(response.status_code)
            retries += 1
            _log.warning("github_actions_retry", request=what, reason=reason, delay=delay)
            await self._sleep(delay)

    def _retry_delay(self, response: httpx.Response, what: str, retries: int) -> float:
        """How long to wait before retrying ``response``; raise when it must not be retried."""
        code, message, headers = response.status_code, self._message(response), response.headers
        exhausted = headers.get("x-ratelimit-remaining") == "0"
        limited = code == 429 or (code == 403 and (exhausted or "rate limit" in message.lower()))
        if limited:
            wait = _number(headers.get("retry-after"))
            reset = _number(headers.get("x-ratelimit-reset"))
            if wait is None and exhausted and reset is not None:
                wait = max(reset - self._clock().timestamp(), 1.0)
            wait = max(wait if wait is not None else _SECONDARY_WAIT, 0.0)
            if retries < self._max_retries and wait <= self._max_wait:
                return wait
            raise DeployError(
                f"GitHub's rate limit stops {what} ({code} {message}) for {wait:.0f}s more; "
                f"try again after then"
            )
        if code in _RETRY_STATUSES and retries < self._max_retries:
            return self._backoff * 2.0**retries
        text = f"GitHub refused {what}: {code} {message}"
        if code in _RETRY_STATUSES:
            text = f"GitHub failed {what}: {code} {message} after {retries + 1} attempts"
        elif 300 <= code < 400:
            text += f"; Stationmaster only calls {self._base}, so set the final API address"
        elif code in _HINTS:
            where = {"repo": self._repo, "workflow": self._workflow, "ref": self._ref}
            text += f"; {_HINTS[code].format(**where)}"
        raise DeployError(text, output=message)

    def _message(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        message = body.get("message") if isinstance(body, dict) else None
        text = " ".join(str(message or response.text or response.reason_phrase).split())[:300]
        secret = self._token.get_secret_value()
        return text.replace(secret, "[redacted]") if secret else text


def _json(response: httpx.Response, what: str) -> dict[str, Any]:
    if not response.content:
        return {}
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DeployError(f"GitHub answered {what} with something other than a JSON object")
    return body


def _title(run: dict[str, Any]) -> str:
    return f"{run.get('display_title') or ''} {run.get('name') or ''}"


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
