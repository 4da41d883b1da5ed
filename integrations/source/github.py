"""A GitHub repository as a source, read through the REST API.

::

    resolve       GET commits/{ref}                            the sha (NotFound for none)
    commits       GET compare/{base}...{head}                  oldest first
                  (GET commits?sha={head} when base is None)   reversed, capped
                  GET commits/{sha}/pulls                      merged pull requests, for each
                                                               non-merge commit lacking "(#N)"
    touching      GET commits?sha={head}&path={p}&since=…      each path, kept if in the range
    known_before  GET commits?sha={ref}&author={who}&per_page=1   each person (login or email)

Refs are resolved to shas first, so an unknown one is NotFound and a branch moving between two
requests cannot mix two ranges. The last range read is kept, so ``touching`` after ``commits``
on the same range costs no second comparison. Per-commit and per-person requests run at most
``concurrency`` at a time. GitHub's author filter matches commit authors only: co-authors
(``Co-authored-by``) are not seen by ``known_before`` here, unlike the git source.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from functools import partial
from typing import TypeVar

from bot.domain.notes import Person, SourceCommit
from bot.errors import IntegrationError
from integrations.github.client import MAX_COMPARE_COMMITS, GitHubClient
from integrations.github.models import Commit
from integrations.source.base import Head

T = TypeVar("T")
_PULL_SUFFIX = re.compile(r"\(#\d+\)$")
_SINCE_MARGIN = timedelta(seconds=1)  # whether GitHub's ``since`` is inclusive is not documented


class GitHubRepository:
    def __init__(self, *, client: GitHubClient, repo: str, concurrency: int = 8) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self._client = client
        self.repo = repo
        self._concurrency = concurrency
        self._last: tuple[tuple[str | None, str], list[Commit]] | None = None

    async def head(self, *, branch: str) -> Head:
        return Head(sha=await self._client.head(repo=self.repo, branch=branch), ref=branch)

    async def resolve(self, *, ref: str) -> str:
        return (await self._client.commit(repo=self.repo, ref=ref)).sha

    async def commits(self, *, base: str | None, head: str) -> list[SourceCommit]:
        _, found = await self._range(base, head)
        pulls = await self._bounded([partial(self._pulls, commit) for commit in found])
        return [
            _source_commit(commit, numbers) for commit, numbers in zip(found, pulls, strict=True)
        ]

    async def touching(
        self, *, base: str | None, head: str, paths: Sequence[str]
    ) -> frozenset[str]:
        head_sha, found = await self._range(base, head)
        candidates = frozenset(commit.sha for commit in found if not commit.is_merge)
        filters = {_path(path) for path in paths}
        if not paths or "" in filters or not candidates:
            return candidates
        since = min(min(c.authored_at, c.committed_at) for c in found) - _SINCE_MARGIN
        listed = await self._bounded(
            [
                partial(
                    self._client.list_commits, repo=self.repo, sha=head_sha, path=p, since=since
                )
                for p in sorted(filters)
            ]
        )
        return candidates & {commit.sha for commits in listed for commit in commits}

    async def known_before(self, *, ref: str | None, people: Sequence[Person]) -> frozenset[str]:
        if ref is None or not people:
            return frozenset()
        sha = await self.resolve(ref=ref)
        asked = {who.lower(): who for who in map(_who, people) if who}
        answers = await self._bounded(
            [
                partial(self._client.list_commits, repo=self.repo, sha=sha, author=who, limit=1)
                for who in asked.values()
            ]
        )
        known = {who for who, found in zip(asked, answers, strict=True) if found}
        return frozenset(
            key for person in people if _who(person).lower() in known for key in person.keys
        )

    # -- helpers --------------------------------------------------------------------------------

    async def _range(self, base: str | None, head: str) -> tuple[str, list[Commit]]:
        """The head's sha and the range's commits, oldest first (the last range is kept)."""
        refs = [head] if base is None else [head, base]
        head_sha, *bases = await self._bounded([partial(self.resolve, ref=ref) for ref in refs])
        base_sha = bases[0] if bases else None
        key = (base_sha, head_sha)
        if self._last is not None and self._last[0] == key:
            return head_sha, self._last[1]
        if base_sha is None:
            found = await self._client.list_commits(
                repo=self.repo, sha=head_sha, limit=MAX_COMPARE_COMMITS + 1
            )
            if len(found) > MAX_COMPARE_COMMITS:
                raise IntegrationError(
                    f"{head} has over {MAX_COMPARE_COMMITS} commits in {self.repo}, more than "
                    "Stationmaster reads; give a base (the previous release's tag)"
                )
            found.reverse()
        else:
            found = await self._client.compare(repo=self.repo, base=base_sha, head=head_sha)
        self._last = (key, found)
        return head_sha, found

    async def _pulls(self, commit: Commit) -> tuple[int, ...]:
        """Merged pull requests holding ``commit``, unless its subject already names one."""
        if commit.is_merge or _PULL_SUFFIX.search(commit.summary.strip()):
            return ()
        pulls = await self._client.pulls_for_commit(repo=self.repo, sha=commit.sha)
        return tuple(dict.fromkeys(pull.number for pull in pulls if pull.merged_at is not None))

    async def _bounded(self, jobs: Sequence[Callable[[], Awaitable[T]]]) -> list[T]:
        """Run ``jobs`` at most ``concurrency`` at a time, results in order; the first failure
        cancels the rest."""
        limit = asyncio.Semaphore(self._concurrency)

        async def run(job: Callable[[], Awaitable[T]]) -> T:
            async with limit:
                return await job()

        tasks = [asyncio.ensure_future(run(job)) for job in jobs]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


def _source_commit(commit: Commit, pulls: tuple[int, ...]) -> SourceCommit:
    return SourceCommit(
        sha=commit.sha,
        message=commit.message.rstrip("\r\n"),
        author=Person(
            name=commit.author_name, email=commit.author_email, login=commit.author_login
        ),
        parents=commit.parents,
        pulls=pulls,
    )


def _who(person: Person) -> str:
    """What GitHub's ``author`` filter takes for ``person``: the login, else the email."""
    return person.login or person.email.strip()


def _path(path: str) -> str:
    """``path`` from the repository's top, as GitHub's ``path`` filter takes it."""
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise IntegrationError(f"'{path}' is not a path inside the repository")
    return "/".join(parts)
