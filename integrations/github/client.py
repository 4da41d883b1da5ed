"""GitHub's REST API (version 2022-11-28) through one injected ``httpx.AsyncClient``.

Requests go only to ``base_url`` (``https://api.github.com``, or ``https://host/api/v3`` for
GitHub Enterprise Server): a ``Link`` or ``Location`` pointing anywhere else is refused, so the
token never leaves for another host. Transport errors and 5xx answers are retried with
exponential backoff. Rate limits follow GitHub's guidance: wait ``retry-after`` seconds, else
until ``x-ratelimit-reset`` (primary limit), else a minute (secondary limit), but never longer
than ``max_wait``. Rate-limit waits and 5xx retries share one ``max_retries`` budget. Every
failure is an :class:`~bot.errors.IntegrationError` naming the request, GitHub's status and
message, and what to check; the token appears in no message and no log line.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import aclosing
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import httpx
import structlog
from pydantic import SecretStr

from bot.clock import Clock, utc_now
from bot.errors import IntegrationError, NotFound
from integrations.github.models import (
    Commit,
    CommitStatus,
    PullRequest,
    StatusState,
    error_details,
    json_body,
    parse_body,
    parse_branch_sha,
    parse_commit,
    parse_commit_list,
    parse_compare_page,
    parse_pulls,
    parse_status,
    timestamp,
)

DEFAULT_BASE_URL = "https://api.github.com"
API_VERSION = "2022-11-28"
DESCRIPTION_LIMIT = 140  # GitHub refuses longer status descriptions
MAX_COMPARE_COMMITS = 10_000
PER_PAGE = 100
MAX_PAGES = MAX_COMPARE_COMMITS // PER_PAGE + 1
SECONDARY_LIMIT_WAIT = 60.0  # GitHub: "wait for at least one minute" when it gives no header
AUTH_SETTING = "STATIONMASTER_GITHUB_TOKEN"  # where the token comes from, named in 401s

Sleep = Callable[[float], Awaitable[None]]
Params = Mapping[str, str | int]

_RETRY_STATUSES = frozenset({500, 502, 503, 504})
_REDIRECTS = frozenset({301, 302, 307, 308})
_MAX_REDIRECTS = 3
_REPO = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$")
_log = structlog.get_logger(__name__)


class GitHubClient:
    """One GitHub account's view of the REST API; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        base_url: str = DEFAULT_BASE_URL,
        token: SecretStr | None = None,
        max_retries: int = 3,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        timeout: float = 10.0,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = utc_now,
    ) -> None:
        if max_retries < 0 or backoff < 0 or max_wait < 0 or timeout <= 0:
            raise ValueError("max_retries, backoff and max_wait must be >= 0, timeout > 0")
        self._base = base_url.rstrip("/")
        self._base_url = httpx.URL(self._base)
        if self._base_url.scheme not in ("http", "https") or not self._base_url.host:
            raise IntegrationError(
                f"the GitHub API address '{base_url}' is not an http(s) URL; use "
                f"{DEFAULT_BASE_URL} or https://<your-host>/api/v3 for GitHub Enterprise"
            )
        self._http = http
        self._token = token
        self._max_retries = max_retries
        self._backoff = backoff
        self._max_wait = max_wait
        self._timeout = httpx.Timeout(timeout)
        self._sleep = sleep
        self._clock = clock

    # -- the API ------------------------------------------------------------------------------

    async def create_status(
        self,
        *,
        repo: str,
        sha: str,
        state: StatusState,
        context: str,
        description: str,
        target_url: str | None = None,
    ) -> CommitStatus:
        """Set ``context``'s status on commit ``sha``; descriptions over 140 chars are cut."""
        if len(description) > DESCRIPTION_LIMIT:
            description = description[: DESCRIPTION_LIMIT - 1] + "…"
        body: dict[str, str] = {"state": state, "context": context, "description": description}
        if target_url is not None:
            body["target_url"] = target_url
        path = f"{_repo_path(repo)}/statuses/{_segment(sha, 'sha')}"
        response = await self._request("POST", path, label=path, json=body)
        return parse_body(f"POST {path}", parse_status, json_body(response))

    async def compare(self, *, repo: str, base: str, head: str) -> list[Commit]:
        """The commits reachable from ``head`` but not from ``base``, oldest first."""
        path = f"{_repo_path(repo)}/compare/{_segment(base, 'base')}...{_segment(head, 'head')}"
        commits: list[Commit] = []
        async for body in self._pages(path):
            total = body.get("total_commits") if isinstance(body, dict) else None
            if isinstance(total, int) and total > MAX_COMPARE_COMMITS:
                raise _too_many(repo, base, head, total)
            commits.extend(parse_body(f"GET {path}", parse_compare_page, body))
            if len(commits) > MAX_COMPARE_COMMITS:
                raise _too_many(repo, base, head, len(commits))
        return commits

    async def pulls_for_commit(self, *, repo: str, sha: str) -> list[PullRequest]:
        """The pull requests that contain commit ``sha`` (merged ones, or open ones if none)."""
        path = f"{_repo_path(repo)}/commits/{_segment(sha, 'sha')}/pulls"
        pulls: list[PullRequest] = []
        async for body in self._pages(path):
            pulls.extend(parse_body(f"GET {path}", parse_pulls, body))
        return pulls

    async def head(self, *, repo: str, branch: str) -> str:
        """The sha of the commit ``branch`` points at."""
        path = f"{_repo_path(repo)}/branches/{_segment(branch, 'branch')}"
        response = await self._request("GET", path, label=path)
        return parse_body(f"GET {path}", parse_branch_sha, json_body(response))

    async def commit(self, *, repo: str, ref: str) -> Commit:
        """The commit ``ref`` (a sha, branch or tag) names; NotFound when GitHub knows none."""
        path = f"{_repo_path(repo)}/commits/{_segment(ref, 'ref')}"
        response = await self._request("GET", path, label=path, missing=(ref, repo))
        return parse_body(f"GET {path}", parse_commit, json_body(response))

    async def list_commits(
        self,
        *,
        repo: str,
        sha: str | None = None,
        path: str | None = None,
        author: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[Commit]:
        """``sha``'s history (the default branch's when None), newest first: only commits that
        change ``path``, by ``author`` (a login or an email), committed from ``since`` to
        ``until``. At most ``limit`` commits; without one, more than MAX_COMPARE_COMMITS fail.
        """
        where = f"{_repo_path(repo)}/commits"
        params: dict[str, str | int] = {}
        for key, value in (("sha", sha), ("path", path), ("author", author)):
            if value is not None:
                params[key] = value
        for key, moment in (("since", since), ("until", until)):
            if moment is not None:
                params[key] = timestamp(moment)
        if limit is not None and limit < 1:
            return []
        commits: list[Commit] = []
        per_page = PER_PAGE if limit is None else min(limit, PER_PAGE)
        async with aclosing(self._pages(where, params, per_page=per_page)) as pages:
            async for body in pages:
                commits.extend(parse_body(f"GET {where}", parse_commit_list, body))
                if limit is not None and len(commits) >= limit:
                    return commits[:limit]
                if len(commits) > MAX_COMPARE_COMMITS:
                    raise IntegrationError(
                        f"GitHub lists over {MAX_COMPARE_COMMITS} commits for GET {where} "
                        f"({_query(params)}), more than Stationmaster reads; narrow the request"
                    )
        return commits

    # -- the transport ------------------------------------------------------------------------

    async def _pages(
        self, path: str, query: Params | None = None, *, per_page: int = PER_PAGE
    ) -> AsyncGenerator[Any, None]:
        """Each page's JSON body, following ``Link: <…>; rel="next"`` within ``base_url``."""
        target: str = path
        params: Params | None = {**(query or {}), "per_page": per_page}
        for _ in range(MAX_PAGES):
            response = await self._request("GET", target, label=path, params=params)
            yield json_body(response)
            following = response.links.get("next", {}).get("url")
            if not following:
                return
            target, params = following, None  # the next URL carries its own query
        raise IntegrationError(
            f"GitHub kept paginating GET {path} past {MAX_PAGES} pages; narrow the request"
        )

    async def _request(
        self,
        method: str,
        target: str,
        *,
        label: str,
        params: Params | None = None,
        json: dict[str, str] | None = None,
        missing: tuple[str, str] | None = None,
    ) -> httpx.Response:
        """Send with retries; ``missing`` is the ``(ref, repo)`` a 404 or 422 means is unknown
        (a NotFound), when the request names one."""
        what = f"{method} {label}"
        url = self._url(target, what)
        retries = redirects = 0
        while True:
            try:
                response = await self._http.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=self._headers(),
                    timeout=self._timeout,
                    follow_redirects=False,
                )
            except httpx.TransportError as exc:
                if retries >= self._max_retries:
                    raise IntegrationError(
                        f"GitHub did not answer {what} after {retries + 1} attempts "
                        f"({type(exc).__name__}: {self._scrub(str(exc)) or 'no detail'}); "
                        f"check the network path to {self._base}"
                    ) from exc
                delay, reason = self._backoff * 2.0**retries, type(exc).__name__
            else:
                if response.is_success:
                    return response
                if missing is not None and response.status_code in (404, 422):
                    raise _not_found(*missing, response.status_code)
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location and redirects < _MAX_REDIRECTS:
                    url = self._url(str(response.url.join(location)), what)
                    redirects += 1
                    continue
                delay = self._retry_delay(response, what, retries)
                reason = str(response.status_code)
            retries += 1
            _log.warning("github_retry", request=what, reason=reason, delay=delay)
            await self._sleep(delay)

    def _retry_delay(self, response: httpx.Response, what: str, retries: int) -> float:
        """How long to wait before retrying ``response``; raise when it must not be retried."""
        body = json_body(response)
        wait = self._rate_limit_wait(response, body)
        if wait is not None:
            resets = (self._clock() + timedelta(seconds=wait)).strftime("%Y-%m-%d %H:%M:%S UTC")
            if retries >= self._max_retries:
                raise IntegrationError(
                    f"GitHub refused {what}: {response.status_code} "
                    f"{self._message(response, body)}; try again after {resets}"
                )
            if wait > self._max_wait:
                raise IntegrationError(
                    f"GitHub's rate limit stops {what} until {resets} ({wait:.0f}s away, over "
                    f"the {self._max_wait:.0f}s Stationmaster waits); try again after then"
                )
            return wait
        if response.status_code in _RETRY_STATUSES and retries < self._max_retries:
            return self._backoff * 2.0**retries
        if response.status_code in _RETRY_STATUSES:
            raise IntegrationError(
                f"GitHub failed {what}: {response.status_code} {self._message(response, body)} "
                f"after {retries + 1} attempts; try again later (https://www.githubstatus.com)"
            )
        raise IntegrationError(self._refusal(what, response, body))

    def _rate_limit_wait(self, response: httpx.Response, body: Any) -> float | None:
        """Seconds to wait when ``response`` is a rate limit, or None when it is not one."""
        if response.status_code not in (403, 429):
            return None
        headers = response.headers
        exhausted = headers.get("x-ratelimit-remaining") == "0"
        secondary = "secondary rate limit" in self._message(response, body).lower()
        if response.status_code == 403 and not (exhausted or secondary):
            return None  # a plain permission refusal
        retry_after = _number(headers.get("retry-after"))
        if retry_after is not None:
            return max(retry_after, 0.0)
        reset = _number(headers.get("x-ratelimit-reset"))
        if exhausted and reset is not None:
            return max(reset - self._clock().timestamp(), 1.0)
        return SECONDARY_LIMIT_WAIT

    def _refusal(self, what: str, response: httpx.Response, body: Any) -> str:
        status = response.status_code
        text = f"GitHub refused {what}: {status} {self._message(response, body)}"
        if status == 401:
            return f"{text}; check {AUTH_SETTING}"
        if status == 403:
            return f"{text}; the token lacks a permission this request needs"
        if status == 404:
            return f"{text}; the repository or ref is unknown, or the token cannot see it"
        if status == 422:
            details = error_details(body)
            return self._scrub(f"{text} ({details})") if details else text
        return text

    def _message(self, response: httpx.Response, body: Any) -> str:
        message = body.get("message") if isinstance(body, dict) else None
        if isinstance(message, str) and message.strip():
            return self._scrub(" ".join(message.split())[:300])
        return response.reason_phrase or "no message"

    def _headers(self) -> dict[str, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
            "User-Agent": "stationmaster",
        }
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        return headers

    def _url(self, target: str, what: str) -> str:
        """``target`` (a path, or an absolute URL GitHub gave) as a URL under ``base_url``."""
        if target.startswith("/") and not target.startswith("//"):
            return self._base + target
        url = httpx.URL(target)
        base = self._base_url
        same_origin = (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        prefix = base.path.rstrip("/") + "/"
        if same_origin and not url.userinfo and url.path.startswith(prefix):
            return target
        raise IntegrationError(
            f"GitHub pointed {what} at {url.scheme}://{url.host}{url.path}, outside "
            f"{self._base}; Stationmaster only sends requests to its configured GitHub API"
        )

    def _scrub(self, text: str) -> str:
        secret = self._token.get_secret_value() if self._token is not None else ""
        return text.replace(secret, "[redacted]") if secret else text


def _repo_path(repo: str) -> str:
    if not _REPO.match(repo) or repo.split("/")[1] in (".", ".."):
        raise IntegrationError(
            f"'{repo}' is not a GitHub repository: write it as owner/name, e.g. acme/shop"
        )
    return f"/repos/{repo}"


def _segment(value: str, name: str) -> str:
    """One path segment, percent-encoded (``release/1`` becomes ``release%2F1``)."""
    if not value or value in (".", ".."):
        raise IntegrationError(f"'{value}' is not a {name} GitHub can look up")
    return quote(value, safe="")


def _query(params: Params) -> str:
    return ", ".join(f"{key}={value}" for key, value in params.items()) or "no filter"


def _not_found(ref: str, repo: str, status: int) -> NotFound:
    hint = "" if status == 422 else ", or the token cannot see the repository"
    return NotFound(f"`{ref}` is not a commit in {repo}{hint}")


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _too_many(repo: str, base: str, head: str, count: int) -> IntegrationError:
    return IntegrationError(
        f"GitHub lists {count} commits between {base} and {head} in {repo}, over the "
        f"{MAX_COMPARE_COMMITS} Stationmaster reads; narrow the range (a later base)"
    )
