"""A loopback fake of GitHub's REST API (2022-11-28), answering with GitHub's documented shapes.

``async with running_fake_github(token="t0k") as fake:`` serves on 127.0.0.1 at ``fake.url``.
Seed it with ``fake.add_repo("acme/shop")`` and that repo's ``add_commit``, ``set_branch``,
``add_tag`` and ``add_pull``; read back ``fake.requests`` and ``repo.statuses``. Knobs:
``rate_limit_remaining`` (every request spends one; at 0 the answer is GitHub's primary-limit
403), ``fail_next`` (5xx), ``secondary_limit_next`` (403 with ``retry-after``) and
``link_base_url`` (where ``Link`` points).

Where GitHub's behaviour is observed rather than documented it is copied too: a status or pulls
request for a sha the repository lacks is a 422 "No commit found for SHA" (so is a commit or commit
list for an unknown ref), an unknown branch a 404 "Branch not found", and ``Link`` URLs name the
repository by id (``/repositories/{id}/…``) and keep the request's filters.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from tests.fakes import serving

DOCS = "https://docs.github.com/rest"
RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting"
SECONDARY_DOCS = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/"
    "resources-in-the-rest-api#secondary-rate-limits"
)
STATES = ("error", "failure", "pending", "success")
_EPOCH = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
_ids = itertools.count(1_296_269)
_JSON: web.RequestKey[Any] = web.RequestKey("json", object)  # the body, decoded once

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeCommit:
    sha: str
    message: str
    author_name: str
    author_email: str
    author_login: str | None
    date: datetime
    parents: list[str]
    files: list[str]


@dataclass
class FakePull:
    number: int
    title: str
    user_login: str | None
    commits: list[str]
    merged_at: datetime | None
    state: str = "closed"


@dataclass
class FakeRepo:
    full_name: str
    id: int = field(default_factory=lambda: next(_ids))
    commits: dict[str, FakeCommit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    default_branch: str = "main"
    pulls: list[FakePull] = field(default_factory=list)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add_commit(
        self,
        message: str,
        *,
        parents: list[str] | None = None,
        author: tuple[str, str] = ("Ada Lovelace", "ada@example.com"),
        login: str | None = "ada",
        files: list[str] | None = None,
        branch: str | None = "main",
        date: datetime | None = None,
    ) -> str:
        """Add a commit (child of ``branch``'s tip unless ``parents`` is given), move the branch.

        ``files`` are the paths it changes; ``date`` (author and committer) defaults to a minute
        after the previous commit's."""
        if parents is None:
            parents = [self.branches[branch]] if branch in self.branches else []
        seed = f"{self.full_name}:{len(self.commits)}:{message}".encode()
        sha = hashlib.sha256(seed).hexdigest()[:40]
        self.commits[sha] = FakeCommit(
            sha=sha,
            message=message,
            author_name=author[0],
            author_email=author[1],
            author_login=login,
            date=date or _EPOCH + timedelta(minutes=len(self.commits)),
            parents=list(parents),
            files=files or [],
        )
        if branch is not None:
            self.branches[branch] = sha
        return sha

    def set_branch(self, name: str, sha: str) -> None:
        self.branches[name] = sha

    def add_tag(self, name: str, sha: str) -> None:
        self.tags[name] = sha

    def add_pull(
        self,
        number: int,
        title: str,
        *,
        commits: list[str],
        user_login: str | None = "ada",
        merged_at: datetime | None = _EPOCH,
    ) -> FakePull:
        pull = FakePull(number, title, user_login, commits, merged_at)
        pull.state = "closed" if merged_at else "open"
        self.pulls.append(pull)
        return pull

    def resolve(self, ref: str) -> str | None:
        """A branch name, a tag name, a sha or a unique sha prefix of 7+ characters."""
        if ref in self.branches:
            return self.branches[ref]
        if ref in self.tags:
            return self.tags[ref]
        found = [sha for sha in self.commits if len(ref) >= 7 and sha.startswith(ref)]
        return found[0] if len(found) == 1 else None

    def ancestors(self, sha: str) -> set[str]:
        seen: set[str] = set()
        todo = [sha]
        while todo:
            current = todo.pop()
            if current not in seen:
                seen.add(current)
                todo.extend(self.commits[current].parents)
        return seen


@dataclass
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any


@dataclass
class FakeGitHub:
    token: str | None
    url: str = ""
    link_base_url: str | None = None
    repos: dict[str, FakeRepo] = field(default_factory=dict)
    requests: list[ReceivedRequest] = field(default_factory=list)
    rate_limit_limit: int = 5000
    rate_limit_remaining: int = 5000
    rate_limit_reset: int = field(default_factory=lambda: int(time.time()) + 3600)
    _failures: list[int] = field(default_factory=list)
    _secondary: list[int | None] = field(default_factory=list)
    _status_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_repo(self, full_name: str) -> FakeRepo:
        repo = self.repos[full_name.lower()] = FakeRepo(full_name)
        return repo

    def fail_next(self, status: int = 502, times: int = 1) -> None:
        """Answer the next ``times`` requests with ``status`` (a 5xx)."""
        self._failures.extend([status] * times)

    def secondary_limit_next(self, *, retry_after: int | None = 30, times: int = 1) -> None:
        """Answer the next ``times`` requests with GitHub's secondary-rate-limit 403."""
        self._secondary.extend([retry_after] * times)

    def reset_rate_limit(self) -> None:
        """What the passing of ``x-ratelimit-reset`` does: a full allowance, a new window."""
        self.rate_limit_remaining = self.rate_limit_limit
        self.rate_limit_reset += 3600

    # -- the server -----------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware])
        get, post = app.router.add_get, app.router.add_post
        post("/repos/{owner}/{repo}/statuses/{sha}", self._create_status)
        get("/repos/{owner}/{repo}/commits/{ref:.+}/statuses", self._list_statuses)
        get("/repos/{owner}/{repo}/commits/{sha}/pulls", self._pulls)
        get("/repos/{owner}/{repo}/compare/{basehead:.+}", self._compare)
        get("/repositories/{id}/compare/{basehead:.+}", self._compare)
        get("/repositories/{id}/commits/{sha}/pulls", self._pulls)
        get("/repos/{owner}/{repo}/branches/{branch:.+}", self._branch)
        get("/repos/{owner}/{repo}/commits", self._list_commits)
        get("/repositories/{id}/commits", self._list_commits)
        get("/repos/{owner}/{repo}/commits/{ref:.+}", self._commit)
        return app

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = None
        if request.can_read_body:
            try:
                body = await request.json()
            except ValueError:
                body = "<not json>"
        request[_JSON] = body
        self.requests.append(
            ReceivedRequest(
                request.method, request.path, dict(request.query), dict(request.headers), body
            )
        )
        response = await self._answer(request, handler, body)
        self._rate_headers(response)
        return response

    async def _answer(
        self, request: web.Request, handler: Handler, body: Any
    ) -> web.StreamResponse:
        if self._failures:
            status = self._failures.pop(0)
            return _error(status, "Server Error" if status == 500 else "Bad Gateway")
        if self._secondary:
            retry_after = self._secondary.pop(0)
            response = _error(
                403,
                "You have exceeded a secondary rate limit. "
                "Please wait a few minutes before you try again.",
                SECONDARY_DOCS,
            )
            if retry_after is not None:
                response.headers["retry-after"] = str(retry_after)
            return response
        if self.rate_limit_remaining <= 0:
            return _error(403, "API rate limit exceeded for user ID 1.", RATE_LIMIT_DOCS)
        self.rate_limit_remaining -= 1
        if self.token is not None and request.headers.get("Authorization") not in (
            f"Bearer {self.token}",
            f"token {self.token}",
        ):
            return _error(401, "Bad credentials")
        if body == "<not json>":
            return _error(400, "Problems parsing JSON")
        try:
            return await handler(request)
        except (web.HTTPNotFound, web.HTTPMethodNotAllowed):
            return _error(404, "Not Found")

    def _rate_headers(self, response: web.StreamResponse) -> None:
        response.headers.update(
            {
                "x-ratelimit-limit": str(self.rate_limit_limit),
                "x-ratelimit-remaining": str(max(self.rate_limit_remaining, 0)),
                "x-ratelimit-reset": str(self.rate_limit_reset),
                "x-ratelimit-used": str(self.rate_limit_limit - max(self.rate_limit_remaining, 0)),
                "x-ratelimit-resource": "core",
                "x-github-api-version-selected": "2022-11-28",
            }
        )

    def _repo(self, request: web.Request) -> FakeRepo:
        if "id" in request.match_info:
            for repo in self.repos.values():
                if str(repo.id) == request.match_info["id"]:
                    return repo
            raise web.HTTPNotFound
        name = f"{request.match_info['owner']}/{request.match_info['repo']}".lower()
        if name not in self.repos:
            raise web.HTTPNotFound
        return self.repos[name]

    async def _create_status(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        sha = request.match_info["sha"]
        if sha not in repo.commits:
            return _error(422, f"No commit found for SHA: {sha}", f"{DOCS}/commits/statuses")
        sent = request[_JSON]
        body: dict[str, Any] = sent if isinstance(sent, dict) else {}
        errors = []
        if body.get("state") not in STATES:
            errors.append(("state", "state is not included in the list"))
        if len(body.get("description") or "") > 140:
            errors.append(("description", "description is too long (maximum is 140 characters)"))
        if errors:
            return _validation_failed(errors)
        now = _stamp(datetime.now(UTC))
        status_id = next(self._status_ids)
        status = {
            "url": f"{self.url}/repos/{repo.full_name}/statuses/{sha}",
            "avatar_url": None,
            "id": status_id,
            "node_id": f"SC_{status_id}",
            "state": body["state"],
            "description": body.get("description"),
            "target_url": body.get("target_url"),
            "context": body.get("context") or "default",
            "created_at": now,
            "updated_at": now,
            "creator": {"login": "stationmaster[bot]", "id": 1, "type": "Bot"},
        }
        repo.statuses.setdefault(sha, []).insert(0, status)
        return web.json_response(status, status=201)

    async def _list_statuses(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        sha = repo.resolve(request.match_info["ref"])
        if sha is None:
            raise web.HTTPNotFound
        return web.json_response(repo.statuses.get(sha, []))

    async def _pulls(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        sha = request.match_info["sha"]
        if sha not in repo.commits:
            return _error(422, f"No commit found for SHA: {sha}", f"{DOCS}/commits/commits")
        found = [self._pull_json(repo, pull) for pull in repo.pulls if sha in pull.commits]
        path = f"/repositories/{repo.id}/commits/{sha}/pulls"
        return self._paged(request, found, path, lambda items, _: items, default_size=30)

    async def _compare(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        basehead = request.match_info["basehead"]
        base_ref, _, head_ref = basehead.partition("...")
        base, head = repo.resolve(base_ref), repo.resolve(head_ref)
        if base is None or head is None:
            raise web.HTTPNotFound
        behind_set, ahead_set = repo.ancestors(base), repo.ancestors(head)
        ahead = [sha for sha in repo.commits if sha in ahead_set - behind_set]
        behind = len(behind_set - ahead_set)
        state = (
            "identical"
            if not ahead and not behind
            else "ahead"
            if not behind
            else ("behind" if not ahead else "diverged")
        )
        files = sorted({name for sha in ahead for name in repo.commits[sha].files})
        base_url = f"{self.url}/repos/{repo.full_name}/compare/{basehead}"

        def shape(commits: list[FakeCommit], page: int) -> dict[str, Any]:
            return {
                "url": base_url,
                "html_url": f"https://github.com/{repo.full_name}/compare/{basehead}",
                "permalink_url": f"https://github.com/{repo.full_name}/compare/{base}...{head}",
                "status": state,
                "ahead_by": len(ahead),
                "behind_by": behind,
                "total_commits": len(ahead),
                "commits": [self._commit_json(repo, commit) for commit in commits],
                "files": [
                    {"filename": name, "status": "modified", "additions": 1, "deletions": 0}
                    for name in (files if page == 1 else [])
                ],
            }

        commits = [repo.commits[sha] for sha in ahead]
        if "per_page" not in request.query and "page" not in request.query:
            return web.json_response(shape(commits[:250], 1))  # unpaginated: 250 at most
        path = f"/repositories/{repo.id}/compare/{basehead}"
        return self._paged(request, commits, path, shape, default_size=30)

    async def _list_commits(self, request: web.Request) -> web.StreamResponse:
        """``sha``'s ancestors (default branch), newest first, filtered by ``path`` (a file or
        folder), ``author`` (login or email), ``since`` and ``until`` (inclusive)."""
        repo = self._repo(request)
        query = request.query
        ref = query.get("sha", repo.default_branch)
        head = repo.resolve(ref)
        if head is None:
            return _error(422, f"No commit found for SHA: {ref}", f"{DOCS}/commits/commits")
        try:
            since, until = (_moment(query.get(key)) for key in ("since", "until"))
        except ValueError:
            return _error(400, "Invalid time format", f"{DOCS}/commits/commits#list-commits")
        reachable = repo.ancestors(head)
        order = {sha: n for n, sha in enumerate(repo.commits)}
        found = [
            commit
            for commit in repo.commits.values()
            if commit.sha in reachable
            and _touches(commit, query.get("path"))
            and _by(commit, query.get("author"))
            and (since is None or commit.date >= since)
            and (until is None or commit.date <= until)
        ]
        found.sort(key=lambda commit: (commit.date, order[commit.sha]), reverse=True)
        path = f"/repositories/{repo.id}/commits"

        def shape(commits: list[FakeCommit], _: int) -> list[dict[str, Any]]:
            return [self._commit_json(repo, commit) for commit in commits]

        return self._paged(request, found, path, shape, default_size=30)

    async def _commit(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        ref = request.match_info["ref"]
        sha = repo.resolve(ref)
        if sha is None:
            return _error(422, f"No commit found for SHA: {ref}", f"{DOCS}/commits/commits")
        commit = repo.commits[sha]
        files = [
            {
                "sha": hashlib.sha1(f"{sha}:{name}".encode(), usedforsecurity=False).hexdigest(),
                "filename": name,
                "status": "modified",
                "additions": 1,
                "deletions": 0,
                "changes": 1,
            }
            for name in commit.files
        ]
        stats = {"total": len(files), "additions": len(files), "deletions": 0}
        return web.json_response(self._commit_json(repo, commit) | {"stats": stats, "files": files})

    async def _branch(self, request: web.Request) -> web.StreamResponse:
        repo = self._repo(request)
        name = request.match_info["branch"]
        if name not in repo.branches:
            return _error(404, "Branch not found", f"{DOCS}/branches/branches#get-a-branch")
        commit = repo.commits[repo.branches[name]]
        return web.json_response(
            {
                "name": name,
                "commit": self._commit_json(repo, commit),
                "_links": {
                    "self": f"{self.url}/repos/{repo.full_name}/branches/{name}",
                    "html": f"https://github.com/{repo.full_name}/tree/{name}",
                },
                "protected": False,
                "protection_url": f"{self.url}/repos/{repo.full_name}/branches/{name}/protection",
            }
        )

    def _paged(
        self,
        request: web.Request,
        items: list[Any],
        path: str,
        shape: Callable[[list[Any], int], Any],
        *,
        default_size: int,
    ) -> web.Response:
        """One page of ``items``, with GitHub's ``Link`` header (next, last, first, prev)."""
        size = min(int(request.query.get("per_page", default_size)), 100)
        page = max(int(request.query.get("page", 1)), 1)
        last = max((len(items) + size - 1) // size, 1)
        response = web.json_response(shape(items[(page - 1) * size : page * size], page))
        kept = [(k, v) for k, v in request.query.items() if k not in ("per_page", "page")]
        query = urlencode([*kept, ("per_page", str(size))])
        base = f"{self.link_base_url or self.url}{path}?{query}&page="
        links = []
        if page < last:
            links += [f'<{base}{page + 1}>; rel="next"', f'<{base}{last}>; rel="last"']
        if page > 1:
            links += [f'<{base}1>; rel="first"', f'<{base}{page - 1}>; rel="prev"']
        if links:
            response.headers["Link"] = ", ".join(links)
        return response

    def _commit_json(self, repo: FakeRepo, commit: FakeCommit) -> dict[str, Any]:
        person = {
            "name": commit.author_name,
            "email": commit.author_email,
            "date": _stamp(commit.date),
        }
        account = (
            {"login": commit.author_login, "id": 583231, "type": "User"}
            if commit.author_login
            else None
        )
        api = f"{self.url}/repos/{repo.full_name}"
        return {
            "sha": commit.sha,
            "node_id": f"C_{commit.sha[:12]}",
            "url": f"{api}/commits/{commit.sha}",
            "html_url": f"https://github.com/{repo.full_name}/commit/{commit.sha}",
            "commit": {
                "message": commit.message,
                "author": person,
                "committer": dict(person),
                "tree": {"sha": commit.sha[::-1], "url": f"{api}/git/trees/{commit.sha[::-1]}"},
                "url": f"{api}/git/commits/{commit.sha}",
                "comment_count": 0,
            },
            "author": account,
            "committer": account,
            "parents": [{"sha": sha, "url": f"{api}/commits/{sha}"} for sha in commit.parents],
        }

    def _pull_json(self, repo: FakeRepo, pull: FakePull) -> dict[str, Any]:
        return {
            "url": f"{self.url}/repos/{repo.full_name}/pulls/{pull.number}",
            "id": 1_000_000 + pull.number,
            "number": pull.number,
            "state": pull.state,
            "title": pull.title,
            "user": {"login": pull.user_login, "id": 1, "type": "User"}
            if pull.user_login
            else None,
            "body": None,
            "html_url": f"https://github.com/{repo.full_name}/pull/{pull.number}",
            "created_at": _stamp(_EPOCH),
            "merged_at": _stamp(pull.merged_at) if pull.merged_at else None,
            "merge_commit_sha": pull.commits[-1] if pull.commits else None,
            "draft": False,
        }


def _moment(value: str | None) -> datetime | None:
    """GitHub's ISO 8601 query timestamps; ValueError for anything else."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"{value} has no timezone")
    return moment


def _touches(commit: FakeCommit, path: str | None) -> bool:
    """Whether ``commit`` changes the file ``path`` or a file under the folder ``path``."""
    if path is None:
        return True
    prefix = path.strip("/")
    return any(name == prefix or name.startswith(prefix + "/") for name in commit.files)


def _by(commit: FakeCommit, author: str | None) -> bool:
    """Whether ``author`` (a login or an email, any case) wrote ``commit``."""
    if author is None:
        return True
    who = author.lower()
    return who in (commit.author_email.lower(), (commit.author_login or "").lower())


def _error(status: int, message: str, docs: str = DOCS) -> web.Response:
    return web.json_response({"message": message, "documentation_url": docs}, status=status)


def _validation_failed(errors: list[tuple[str, str]]) -> web.Response:
    return web.json_response(
        {
            "message": "Validation Failed",
            "errors": [
                {"resource": "Status", "code": "custom", "field": name, "message": message}
                for name, message in errors
            ],
            "documentation_url": f"{DOCS}/commits/statuses#create-a-commit-status",
        },
        status=422,
    )


@asynccontextmanager
async def running_fake_github(
    *, token: str | None = "t0k", rate_limit: int = 5000
) -> AsyncIterator[FakeGitHub]:
    """Serve a fresh fake on 127.0.0.1 (a free port) for the duration of the block."""
    fake = FakeGitHub(token=token, rate_limit_limit=rate_limit, rate_limit_remaining=rate_limit)
    async with serving(fake.app()) as url:
        fake.url = url
        yield fake
