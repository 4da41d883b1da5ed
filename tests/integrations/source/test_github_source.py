"""A GitHub repository as a cut's source, read through the real client from the fake GitHub."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.domain.notes import Person, SourceCommit
from bot.errors import IntegrationError, NotFound
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
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def client(fake: FakeGitHub, http: httpx.AsyncClient) -> GitHubClient:
    return GitHubClient(http=http, base_url=fake.url, token=SecretStr(TOKEN))


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


# -- resolve, commits, touching, known_before --------------------------------------------------


@pytest.fixture
def source(client: GitHubClient) -> GitHubRepository:
    return GitHubRepository(client=client, repo="acme/shop")


@dataclass(frozen=True)
class Shop:
    """A range v1..main: two commits on a branch merged as pull request #12, a squashed
    ``(#13)``, a commit in merged #14 and open #15, and one in no pull request."""

    base: str
    cart: str
    cart_fix: str
    squash: str
    merge: str
    wishlist: str
    lonely: str


def seed(repo: FakeRepo) -> Shop:
    base = repo.branches["main"]
    repo.add_tag("v1", base)
    cart = repo.add_commit(
        "feat(cart): totals",
        files=["services/cart/total.py"],
        author=("Grace", "grace@example.com"),
        login="grace",
        parents=[base],
        branch="feature",
    )
    cart_fix = repo.add_commit("fix(cart): rounding", files=["services/cart/round.py"],
                               parents=[cart], branch="feature")  # fmt: skip
    squash = repo.add_commit("fix: search crash (#13)", files=["services/search/q.py"])
    merge = repo.add_commit("Merge pull request #12 from acme/feature",
                            parents=[squash, cart_fix])  # fmt: skip
    wishlist = repo.add_commit("feat: wishlist", files=["services/cart/wish.py", "docs/w.md"],
                               author=("Lin", "lin@example.com"), login=None)  # fmt: skip
    lonely = repo.add_commit("docs: readme", files=["README.md"])
    repo.add_pull(12, "Cart", commits=[cart, cart_fix, merge], user_login="grace")
    repo.add_pull(13, "Search crash", commits=[squash])
    repo.add_pull(14, "Wishlist", commits=[wishlist])
    repo.add_pull(15, "Wishlist v2", commits=[wishlist], merged_at=None)
    return Shop(base, cart, cart_fix, squash, merge, wishlist, lonely)


async def test_resolve_gives_full_shas(source: GitHubRepository, shop: FakeRepo) -> None:
    tip = shop.branches["main"]
    shop.add_tag("v1.0", tip)
    assert await source.resolve(ref="main") == tip
    assert await source.resolve(ref="v1.0") == tip
    assert await source.resolve(ref=tip[:7]) == tip
    with pytest.raises(NotFound) as caught:
        await source.resolve(ref="v9.9")
    assert str(caught.value) == "`v9.9` is not a commit in acme/shop"


async def test_commits_carry_logins_parents_and_merged_pulls(
    source: GitHubRepository, fake: FakeGitHub, shop: FakeRepo
) -> None:
    s = seed(shop)

    commits = await source.commits(base="v1", head="main")

    assert [c.sha for c in commits] == [s.cart, s.cart_fix, s.squash, s.merge, s.wishlist, s.lonely]
    assert commits[0] == SourceCommit(
        sha=s.cart,
        message="feat(cart): totals",
        author=Person("Grace", "grace@example.com", "grace"),
        parents=(s.base,),
        pulls=(12,),
    )
    assert commits[3].parents == (s.squash, s.cart_fix)
    assert commits[4].author == Person("Lin", "lin@example.com", None)
    assert [c.pulls for c in commits] == [(12,), (12,), (), (), (14,), ()]
    asked = {r.path.split("/")[-2] for r in fake.requests if r.path.endswith("/pulls")}
    assert asked == {s.cart, s.cart_fix, s.wishlist, s.lonely}  # not the merge, not "(#13)"


async def test_commits_without_a_base_are_the_history_oldest_first(
    source: GitHubRepository, fake: FakeGitHub, shop: FakeRepo
) -> None:
    s = seed(shop)
    commits = await source.commits(base=None, head="feature")
    assert [c.sha for c in commits] == [next(iter(shop.commits)), s.base, s.cart, s.cart_fix]
    assert commits[0].parents == ()
    listed = [r for r in fake.requests if r.path.endswith("/commits")]
    assert [r.query for r in listed] == [{"sha": s.cart_fix, "per_page": "100"}]


async def test_an_empty_range_and_unknown_refs(source: GitHubRepository, shop: FakeRepo) -> None:
    seed(shop)
    assert await source.commits(base="main", head="main") == []
    assert await source.touching(base="main", head="main", paths=["services"]) == frozenset()
    with pytest.raises(NotFound, match=r"^`v0` is not a commit in acme/shop$"):
        await source.commits(base="v0", head="main")
    with pytest.raises(NotFound, match=r"^`nope` is not a commit in acme/shop$"):
        await source.touching(base="v1", head="nope", paths=[])


async def test_touching_filters_by_path_within_the_range(
    source: GitHubRepository, fake: FakeGitHub, shop: FakeRepo
) -> None:
    s = seed(shop)
    shop.add_commit("feat: old cart", files=["services/cart/old.py"], parents=[], branch="x")
    await source.commits(base="v1", head="main")
    compares = sum("/compare/" in r.path for r in fake.requests)

    cart = await source.touching(base="v1", head="main", paths=["services/cart/"])
    assert cart == {s.cart, s.cart_fix, s.wishlist}
    assert await source.touching(base="v1", head="main", paths=["docs", "./README.md"]) == {
        s.wishlist,
        s.lonely,
    }
    assert await source.touching(base="v1", head="main", paths=["services/car"]) == frozenset()
    everything = {s.cart, s.cart_fix, s.squash, s.wishlist, s.lonely}
    assert await source.touching(base="v1", head="main", paths=[]) == everything
    assert await source.touching(base="v1", head="main", paths=["/"]) == everything

    assert sum("/compare/" in r.path for r in fake.requests) == compares  # the range is kept
    listed = [r.query for r in fake.requests if r.path.endswith("/commits")]
    assert listed[0] == {
        "sha": shop.branches["main"],
        "path": "services/cart",
        "since": "2024-05-01T09:01:59Z",  # a second before the range's oldest commit
        "per_page": "100",
    }
    with pytest.raises(IntegrationError, match=r"'\.\./x' is not a path inside the repository"):
        await source.touching(base="v1", head="main", paths=["../x"])


async def test_known_before_asks_by_login_else_by_email(
    source: GitHubRepository, fake: FakeGitHub, shop: FakeRepo
) -> None:
    s = seed(shop)
    people = [
        Person("Ada", "someone-else@example.com", "ADA"),  # found by login
        Person("Grace", "grace@example.com", "grace"),  # only after v1
        Person("Lin", "Lin@Example.com"),  # found by email at main
        Person("Ada Lovelace", "ada@example.com"),  # found by email
        Person("Nobody", ""),
    ]

    before = await source.known_before(ref="v1", people=people)
    at_main = await source.known_before(ref="main", people=people)

    assert before == {"someone-else@example.com", "@ada", "ada@example.com"}
    assert at_main == before | {"grace@example.com", "@grace", "lin@example.com"}
    asked = [r.query for r in fake.requests if r.path.endswith("/commits")]
    assert asked[:4] == [
        {"sha": s.base, "author": who, "per_page": "1"}
        for who in ("ADA", "grace", "Lin@Example.com", "ada@example.com")
    ]
    assert len(asked) == 8
    assert await source.known_before(ref=None, people=people) == frozenset()
    assert await source.known_before(ref="main", people=[]) == frozenset()
    assert len([r for r in fake.requests if r.path.endswith("/commits")]) == 8


async def test_the_source_waits_out_githubs_limits(
    fake: FakeGitHub, shop: FakeRepo, http: httpx.AsyncClient
) -> None:
    s = seed(shop)
    delays: list[float] = []

    async def sleep(delay: float) -> None:
        delays.append(delay)

    client = GitHubClient(http=http, base_url=fake.url, token=SecretStr(TOKEN), sleep=sleep)
    source = GitHubRepository(client=client, repo="acme/shop", concurrency=1)
    fake.secondary_limit_next(retry_after=3)
    assert len(await source.commits(base="v1", head="main")) == 6
    fake.fail_next(503)
    assert await source.touching(base="v1", head="main", paths=["README.md"]) == {s.lonely}
    assert delays == [3.0, 0.5]


# -- concurrency, with MockTransport ------------------------------------------------------------


def commit_json(n: int, *, parents: int = 1) -> dict[str, Any]:
    person = {"name": "A", "email": "a@example.com", "date": "2024-05-01T09:00:00Z"}
    return {
        "sha": f"{n:040x}",
        "commit": {"message": f"feat: {n}", "author": person, "committer": person},
        "author": None,
        "parents": [{"sha": f"{n - 1 - p:040x}"} for p in range(parents)],
    }


def mock_source(
    handler: Callable[[httpx.Request], Coroutine[None, None, httpx.Response]],
) -> GitHubRepository:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    client = GitHubClient(http=http, base_url="https://api.github.test", max_retries=0)
    return GitHubRepository(client=client, repo="acme/shop")


async def test_pull_lookups_run_at_most_eight_at_a_time_in_order() -> None:
    running = peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal running, peak
        path = request.url.path
        if "/compare/" in path:
            return httpx.Response(200, json={"commits": [commit_json(n) for n in range(1, 41)]})
        if path.endswith("/pulls"):
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.001)
            running -= 1
            number = int(path.split("/")[-2], 16)
            pull = {"number": number, "title": "t", "html_url": "u", "user": None,
                    "merged_at": "2024-05-01T09:00:00Z"}  # fmt: skip
            return httpx.Response(200, json=[pull, pull | {"number": 999, "merged_at": None}])
        return httpx.Response(200, json=commit_json(1 if path.endswith("v1") else 40))

    commits = await mock_source(handler).commits(base="v1", head="main")

    assert [c.pulls for c in commits] == [(n,) for n in range(1, 41)]
    assert 1 < peak <= 8


async def test_a_failing_lookup_stops_the_others() -> None:
    started: list[str] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if "/compare/" in path:
            return httpx.Response(200, json={"commits": [commit_json(n) for n in range(1, 41)]})
        if path.endswith("/pulls"):
            started.append(path)
            if len(started) == 3:
                return httpx.Response(403, json={"message": "Resource not accessible"})
            await asyncio.sleep(0.05)
            return httpx.Response(200, json=[])
        return httpx.Response(200, json=commit_json(1))

    with pytest.raises(IntegrationError, match="403 Resource not accessible"):
        await mock_source(handler).commits(base="v1", head="main")
    assert len(started) <= 10


async def test_a_whole_history_past_the_cap_is_refused() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/commits"):
            page = int(request.url.params.get("page", "1"))
            following = request.url.copy_set_param("page", str(page + 1))
            commits = [commit_json(page * 100 + n) for n in range(100)]
            return httpx.Response(200, json=commits, headers={"link": f'<{following}>; rel="next"'})
        return httpx.Response(200, json=commit_json(7))

    with pytest.raises(IntegrationError) as caught:
        await mock_source(handler).commits(base=None, head="main")
    assert str(caught.value) == (
        "main has over 10000 commits in acme/shop, more than Stationmaster reads; "
        "give a base (the previous release's tag)"
    )


def test_concurrency_must_be_positive(client: GitHubClient) -> None:
    with pytest.raises(ValueError, match="concurrency"):
        GitHubRepository(client=client, repo="acme/shop", concurrency=0)
