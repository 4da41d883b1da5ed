"""A GitHub repository as a cut's source, read through the real client from the fake GitHub."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from bot.errors import IntegrationError
from integrations.github.client import GitHubClient
from integrations.source.base import Head, SourceRepository
from integrations.source.github import GitHubRepository
from tests.fakes.github import FakeGitHub, FakeRepo, running_fake_github

TOKEN = "t0k-source"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHub]:
    async with running_fake_github(token=TOKEN) as server:
        yield server


@pytest.fixture
def shop(fake: FakeGitHub) -> FakeRepo:
    repo = fake.add_repo("acme/shop")
    repo.add_commit("chore: initial commit")
    repo.add_commit("feat: checkout")
    return repo


@pytest.fixture
async def client(fake: FakeGitHub) -> AsyncIterator[GitHubClient]:
    async with httpx.AsyncClient() as http:
        yield GitHubClient(http=http, base_url=fake.url, token=SecretStr(TOKEN))


async def test_head_is_the_branch_tip_and_its_name(
    client: GitHubClient, fake: FakeGitHub, shop: FakeRepo
) -> None:
    source: SourceRepository = GitHubRepository(client=client, repo="acme/shop")

    head = await source.head(branch="main")

    assert head == Head(sha=shop.branches["main"], ref="main")
    assert len(head.sha) == 40
    [request] = fake.requests
    assert (request.method, request.path) == ("GET", "/repos/acme/shop/branches/main")
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"


async def test_head_follows_new_commits_and_other_branches(
    client: GitHubClient, shop: FakeRepo
) -> None:
    source = GitHubRepository(client=client, repo="acme/shop")
    main = shop.branches["main"]
    hotfix = shop.add_commit("fix: refund rounding", branch="release/2024.05")

    assert await source.head(branch="release/2024.05") == Head(sha=hotfix, ref="release/2024.05")
    assert (await source.head(branch="main")).sha == main
    newer = shop.add_commit("feat: wishlist")
    assert (await source.head(branch="main")).sha == newer != main


async def test_the_repository_is_kept_as_configured(client: GitHubClient) -> None:
    assert GitHubRepository(client=client, repo="Acme/Shop").repo == "Acme/Shop"


@pytest.mark.parametrize(
    ("repo", "branch", "message"),
    [
        ("acme/shop", "nope", "GitHub refused GET /repos/acme/shop/branches/nope: 404 Branch "
                              "not found; the repository or ref is unknown"),
        ("acme/elsewhere", "main", "GitHub refused GET /repos/acme/elsewhere/branches/main: 404"),
        ("not a repo", "main", "'not a repo' is not a GitHub repository: write it as owner/name"),
        ("acme/shop", "..", "'..' is not a branch GitHub can look up"),
    ],
)  # fmt: skip
async def test_an_unreadable_head_is_an_integration_error(
    client: GitHubClient, shop: FakeRepo, repo: str, branch: str, message: str
) -> None:
    with pytest.raises(IntegrationError) as caught:
        await GitHubRepository(client=client, repo=repo).head(branch=branch)
    assert str(caught.value).startswith(message)


async def test_a_wrong_token_says_which_setting_to_check(fake: FakeGitHub, shop: FakeRepo) -> None:
    async with httpx.AsyncClient() as http:
        client = GitHubClient(http=http, base_url=fake.url, token=SecretStr("wrong"))
        with pytest.raises(IntegrationError) as caught:
            await GitHubRepository(client=client, repo="acme/shop").head(branch="main")
    assert str(caught.value) == (
        "GitHub refused GET /repos/acme/shop/branches/main: 401 Bad credentials; "
        "check STATIONMASTER_GITHUB_TOKEN"
    )
