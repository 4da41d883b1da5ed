"""A GitHub repository as a cut's source: the head of a branch, read through the REST API."""

from __future__ import annotations

from integrations.github.client import GitHubClient
from integrations.source.base import Head


class GitHubRepository:
    def __init__(self, *, client: GitHubClient, repo: str) -> None:
        self._client = client
        self.repo = repo

    async def head(self, *, branch: str) -> Head:
        return Head(sha=await self._client.head(repo=self.repo, branch=branch), ref=branch)
