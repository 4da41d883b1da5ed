"""The GitHub client over loopback against the fake GitHub, and edge cases with MockTransport."""

from __future__ import annotations

import json
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import httpx
import pytest
from pydantic import SecretStr
from structlog.testing import capture_logs

from bot.errors import IntegrationError, NotFound
from integrations.github.client import MAX_PAGES, GitHubClient
from integrations.github.models import Commit, CommitStatus, PullRequest
from tests.fakes.github import FakeGitHub, FakeRepo, running_fake_github

NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
TOKEN = "t0k-very-secret-value"


class Sleeps:
    """The injected sleep: records each delay and runs ``then`` (time passing) instead."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.then: Callable[[], None] = lambda: None

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.then()


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHub]:
    async with running_fake_github(token=TOKEN) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def shop(fake: FakeGitHub) -> FakeRepo:
    repo = fake.add_repo("acme/shop")
    repo.add_commit("chore: initial commit")
    return repo


def make_client(
    http: httpx.AsyncClient, base_url: str, sleeps: Sleeps, **overrides: Any
) -> GitHubClient:
    options: dict[str, Any] = {"token": SecretStr(TOKEN), "clock": lambda: NOW}
    options.update(overrides)
    return GitHubClient(http=http, base_url=base_url, sleep=sleeps, **options)


@pytest.fixture
def github(fake: FakeGitHub, http: httpx.AsyncClient, sleeps: Sleeps) -> GitHubClient:
    return make_client(http, fake.url, sleeps)


# -- commit statuses ------------------------------------------------------------------------


async def test_a_status_round_trips_with_githubs_headers(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo, http: httpx.AsyncClient
) -> None:
    sha = shop.branches["main"]
    status = await github.create_status(
        repo="acme/shop",
        sha=sha,
        state="success",
        context="stationmaster/gates",
        description="all 4 gates pass",
        target_url="https://ci.example.com/run/7",
    )

    assert status == CommitStatus(
        id=1,
        state="success",
        context="stationmaster/gates",
        description="all 4 gates pass",
        target_url="https://ci.example.com/run/7",
    )
    sent = fake.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"/repos/acme/shop/statuses/{sha}")
    assert sent.headers["Accept"] == "application/vnd.github+json"
    assert sent.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["User-Agent"] == "stationmaster"
    read_back = await http.get(
        f"{fake.url}/repos/acme/shop/commits/main/statuses",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert [(s["id"], s["state"], s["context"]) for s in read_back.json()] == [
        (1, "success", "stationmaster/gates")
    ]
    assert shop.statuses[sha][0]["target_url"] == "https://ci.example.com/run/7"


async def test_a_long_description_is_cut_to_githubs_140_characters(
    github: GitHubClient, shop: FakeRepo
) -> None:
    sha = shop.branches["main"]
    status = await github.create_status(
        repo="acme/shop", sha=sha, state="failure", context="gates", description="x" * 300
    )
    assert status.description == "x" * 139 + "…"
    assert len(shop.statuses[sha][0]["description"]) == 140
    assert shop.statuses[sha][0]["target_url"] is None


async def test_a_422_carries_githubs_validation_errors(
    github: GitHubClient, shop: FakeRepo, sleeps: Sleeps
) -> None:
    sha = shop.branches["main"]
    with pytest.raises(IntegrationError) as caught:
        await github.create_status(
            repo="acme/shop",
            sha=sha,
            state=cast(Any, "done"),
            context="gates",
            description="d",
        )
    assert str(caught.value) == (
        f"GitHub refused POST /repos/acme/shop/statuses/{sha}: 422 Validation Failed "
        "(state: state is not included in the list)"
    )
    assert sleeps.delays == []


async def test_a_status_on_a_sha_github_lacks_says_so(github: GitHubClient, shop: FakeRepo) -> None:
    with pytest.raises(IntegrationError, match=r"422 No commit found for SHA: 0{40}$"):
        await github.create_status(
            repo="acme/shop", sha="0" * 40, state="pending", context="c", description="d"
        )


async def test_bad_credentials_name_the_setting_but_never_the_token(
    fake: FakeGitHub, shop: FakeRepo, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    wrong = "ghp_wrongwrongwrong"
    github = make_client(http, fake.url, sleeps, token=SecretStr(wrong))
    sha = shop.branches["main"]
    with capture_logs() as logs, pytest.raises(IntegrationError) as caught:
        await github.create_status(
            repo="acme/shop", sha=sha, state="success", context="c", description="d"
        )
    assert str(caught.value) == (
        f"GitHub refused POST /repos/acme/shop/statuses/{sha}: 401 Bad credentials; "
        "check STATIONMASTER_GITHUB_TOKEN"
    )
    assert wrong not in repr(caught.value)
    assert wrong not in repr(github.__dict__)
    assert wrong not in repr(logs)
    assert len(fake.requests) == 1


async def test_without_a_token_no_authorization_is_sent(
    fake: FakeGitHub, shop: FakeRepo, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    github = make_client(http, fake.url, sleeps, token=None)
    with pytest.raises(IntegrationError, match="401 Bad credentials"):
        await github.head(repo="acme/shop", branch="main")
    assert "Authorization" not in fake.requests[-1].headers


# -- branches, comparisons, pull requests ---------------------------------------------------


async def test_head_reads_a_branch_even_with_a_slash(github: GitHubClient, shop: FakeRepo) -> None:
    tip = shop.add_commit("fix: hotfix", branch="release/1.2")
    assert await github.head(repo="acme/shop", branch="release/1.2") == tip
    assert await github.head(repo="acme/shop", branch="main") != tip


async def test_an_unknown_branch_or_repository_is_a_404_with_a_hint(
    github: GitHubClient, shop: FakeRepo
) -> None:
    with pytest.raises(IntegrationError) as caught:
        await github.head(repo="acme/shop", branch="nope")
    assert str(caught.value) == (
        "GitHub refused GET /repos/acme/shop/branches/nope: 404 Branch not found; "
        "the repository or ref is unknown, or the token cannot see it"
    )
    with pytest.raises(IntegrationError, match=r"compare/a\.\.\.b: 404 Not Found; the repo"):
        await github.compare(repo="acme/elsewhere", base="a", head="b")


async def test_compare_reads_250_commits_over_3_pages_oldest_first(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo
) -> None:
    base = shop.branches["main"]
    made = [shop.add_commit(f"feat: change {n}\n\nbody {n}") for n in range(250)]

    commits = await github.compare(repo="acme/shop", base=base, head="main")

    assert [c.sha for c in commits] == made
    assert commits[0].message == "feat: change 0\n\nbody 0"
    assert commits[0].summary == "feat: change 0"
    pages = [r for r in fake.requests if "/compare/" in r.path]
    assert [r.query.get("page") for r in pages] == [None, "2", "3"]
    assert all(r.query["per_page"] == "100" for r in pages)
    assert pages[1].path == f"/repositories/{shop.id}/compare/{base}...main"
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in pages)


async def test_compare_maps_authors_dates_and_merge_parents(
    github: GitHubClient, shop: FakeRepo
) -> None:
    base = shop.branches["main"]
    feature = shop.add_commit(
        "feat: cart",
        parents=[base],
        author=("Grace Hopper", "grace@example.com"),
        login=None,
        branch="feature",
    )
    on_main = shop.add_commit("fix: typo")
    merge = shop.add_commit("Merge pull request #7 from acme/feature", parents=[on_main, feature])

    commits = await github.compare(repo="acme/shop", base=base, head="main")

    assert [c.sha for c in commits] == [feature, on_main, merge]
    grace = commits[0]
    assert (grace.author_name, grace.author_email, grace.author_login) == (
        "Grace Hopper",
        "grace@example.com",
        None,
    )
    assert grace.authored_at.tzinfo is not None
    assert grace.committed_at == grace.authored_at.astimezone(UTC)
    assert commits[1].author_login == "ada"
    assert commits[2].parents == (on_main, feature)
    assert commits[2].is_merge
    assert not commits[1].is_merge


async def test_pulls_for_a_commit(github: GitHubClient, shop: FakeRepo) -> None:
    sha = shop.add_commit("feat: checkout")
    shop.add_pull(12, "Checkout", commits=[sha])
    shop.add_pull(13, "Follow-up", commits=[sha], user_login=None, merged_at=None)
    shop.add_pull(14, "Unrelated", commits=[shop.commits[next(iter(shop.commits))].sha])

    pulls = await github.pulls_for_commit(repo="acme/shop", sha=sha)

    assert pulls == [
        PullRequest(
            number=12,
            title="Checkout",
            html_url="https://github.com/acme/shop/pull/12",
            user_login="ada",
            merged_at=datetime(2024, 5, 1, 9, 0, tzinfo=UTC),
        ),
        PullRequest(
            number=13,
            title="Follow-up",
            html_url="https://github.com/acme/shop/pull/13",
            user_login=None,
            merged_at=None,
        ),
    ]
    with pytest.raises(IntegrationError, match="422 No commit found for SHA"):
        await github.pulls_for_commit(repo="acme/shop", sha="f" * 40)


# -- listing and reading commits ------------------------------------------------------------


async def test_list_commits_pages_newest_first_keeping_the_filters(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo
) -> None:
    root = shop.branches["main"]
    made = [shop.add_commit(f"feat: change {n}", files=[f"src/{n}.py"]) for n in range(250)]

    commits = await github.list_commits(repo="acme/shop", sha="main", path="src")

    assert [c.sha for c in commits] == made[::-1]
    assert root not in {c.sha for c in commits}
    pages = [r for r in fake.requests if r.path.endswith("/commits")]
    assert [r.path for r in pages] == [
        "/repos/acme/shop/commits",
        f"/repositories/{shop.id}/commits",
        f"/repositories/{shop.id}/commits",
    ]
    assert [r.query for r in pages] == [
        {"sha": "main", "path": "src", "per_page": "100"},
        {"sha": "main", "path": "src", "per_page": "100", "page": "2"},
        {"sha": "main", "path": "src", "per_page": "100", "page": "3"},
    ]
    assert commits[0].message == "feat: change 249"
    assert commits[0].author_login == "ada"


async def test_list_commits_filters(github: GitHubClient, fake: FakeGitHub, shop: FakeRepo) -> None:
    root = shop.branches["main"]
    epoch = shop.commits[root].date
    grace = shop.add_commit(
        "feat: cobol", author=("Grace Hopper", "Grace@Example.com"), login="grace", files=["a/b.py"]
    )
    anon = shop.add_commit("fix: typo", author=("Anon", "anon@example.com"), login=None)
    side = shop.add_commit("feat: side", files=["a/c.py"], parents=[grace], branch="side")

    def shas(commits: list[Commit]) -> list[str]:
        return [c.sha for c in commits]

    assert shas(await github.list_commits(repo="acme/shop", author="GRACE")) == [grace]
    assert shas(await github.list_commits(repo="acme/shop", author="grace@example.com")) == [grace]
    assert shas(await github.list_commits(repo="acme/shop", author="anon@example.com")) == [anon]
    assert shas(await github.list_commits(repo="acme/shop", path="a")) == [grace]
    assert shas(await github.list_commits(repo="acme/shop", sha="side", path="a/")) == [side, grace]
    assert shas(await github.list_commits(repo="acme/shop", path="a/b")) == []
    later = epoch + timedelta(minutes=2)
    assert shas(await github.list_commits(repo="acme/shop", since=later)) == [anon]
    assert shas(await github.list_commits(repo="acme/shop", until=later)) == [
        anon,
        grace,
        root,
    ]
    assert fake.requests[-1].query["until"] == "2024-05-01T09:02:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        await github.list_commits(repo="acme/shop", since=datetime(2024, 5, 1))  # noqa: DTZ001


async def test_list_commits_stops_at_the_limit(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo
) -> None:
    for n in range(150):
        shop.add_commit(f"feat: {n}")
    [newest] = await github.list_commits(repo="acme/shop", limit=1)
    assert newest.message == "feat: 149"
    assert fake.requests[-1].query == {"per_page": "1"}
    assert len(await github.list_commits(repo="acme/shop", limit=120)) == 120
    assert [r.query.get("page") for r in fake.requests[1:]] == [None, "2"]
    before = len(fake.requests)
    assert await github.list_commits(repo="acme/shop", limit=0) == []
    assert len(fake.requests) == before


async def test_list_commits_of_an_unknown_ref_is_refused(
    github: GitHubClient, shop: FakeRepo
) -> None:
    with pytest.raises(IntegrationError) as caught:
        await github.list_commits(repo="acme/shop", sha="nope")
    assert str(caught.value) == (
        "GitHub refused GET /repos/acme/shop/commits: 422 No commit found for SHA: nope"
    )


async def test_a_commit_by_sha_branch_or_tag(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo
) -> None:
    sha = shop.add_commit("feat: checkout\n\nBody.", files=["src/checkout.py"])
    hotfix = shop.add_commit("fix: hotfix", branch="release/1.2")
    shop.add_tag("v1.0.0", sha)

    found = await github.commit(repo="acme/shop", ref="v1.0.0")

    assert (found.sha, found.message) == (sha, "feat: checkout\n\nBody.")
    assert found.parents == (next(iter(shop.commits)),)
    assert (await github.commit(repo="acme/shop", ref=sha[:7])).sha == sha
    assert (await github.commit(repo="acme/shop", ref="release/1.2")).sha == hotfix
    assert fake.requests[-1].path == "/repos/acme/shop/commits/release/1.2"
    raw = await fake_get(fake, f"/repos/acme/shop/commits/{sha}")
    assert [f["filename"] for f in raw.json()["files"]] == ["src/checkout.py"]
    assert raw.json()["stats"] == {"total": 1, "additions": 1, "deletions": 0}


async def test_an_unknown_commit_is_not_found(github: GitHubClient, shop: FakeRepo) -> None:
    with pytest.raises(NotFound) as caught:
        await github.commit(repo="acme/shop", ref="v9.9")
    assert str(caught.value) == "`v9.9` is not a commit in acme/shop"
    with pytest.raises(NotFound) as caught:
        await github.commit(repo="acme/elsewhere", ref="main")
    assert str(caught.value) == (
        "`main` is not a commit in acme/elsewhere, or the token cannot see the repository"
    )
    with pytest.raises(IntegrationError, match=r"'\.\.' is not a ref GitHub can look up"):
        await github.commit(repo="acme/shop", ref="..")


async def test_the_new_endpoints_wait_out_rate_limits(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo, sleeps: Sleeps
) -> None:
    for n in range(3):
        shop.add_commit(f"feat: {n}")
    fake.fail_next(502)
    fake.secondary_limit_next(retry_after=9)
    assert len(await github.list_commits(repo="acme/shop")) == 4
    assert sleeps.delays == [0.5, 9.0]

    fake.rate_limit_remaining = 0
    fake.rate_limit_reset = int(NOW.timestamp()) + 30
    sleeps.then = fake.reset_rate_limit
    assert (await github.commit(repo="acme/shop", ref="main")).sha == shop.branches["main"]
    assert sleeps.delays == [0.5, 9.0, 30.0]
    assert fake.requests[-1].path == "/repos/acme/shop/commits/main"


async def test_the_fake_answers_rate_limit_headers_and_githubs_defaults(
    fake: FakeGitHub, shop: FakeRepo
) -> None:
    for n in range(40):
        shop.add_commit(f"feat: {n}")
    listed = await fake_get(fake, "/repos/acme/shop/commits")
    assert len(listed.json()) == 30
    assert listed.headers["x-ratelimit-remaining"] == str(fake.rate_limit_remaining)
    assert listed.headers["x-ratelimit-resource"] == "core"
    assert 'rel="next"' in listed.headers["Link"]
    assert len((await fake_get(fake, "/repos/acme/shop/commits?per_page=500")).json()) == 41
    bad_time = await fake_get(fake, "/repos/acme/shop/commits?since=yesterday")
    assert (bad_time.status_code, bad_time.json()["message"]) == (400, "Invalid time format")
    naive = await fake_get(fake, "/repos/acme/shop/commits?since=2024-05-01T09:00:00")
    assert naive.status_code == 400
    missing = await fake_get(fake, "/repos/acme/shop/commits/nope")
    assert (missing.status_code, missing.json()["message"]) == (
        422,
        "No commit found for SHA: nope",
    )
    assert "x-ratelimit-limit" in missing.headers


async def test_a_history_longer_than_the_cap_is_refused(sleeps: Sleeps) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        page = int(request.url.params.get("page", "1"))
        following = request.url.copy_set_param("page", str(page + 1))
        commits = [commit_json(page * 100 + n) for n in range(100)]
        return httpx.Response(200, json=commits, headers={"link": f'<{following}>; rel="next"'})

    github = mock_client(handler, sleeps)
    with pytest.raises(IntegrationError) as caught:
        await github.list_commits(repo="acme/shop", sha="main")
    assert str(caught.value) == (
        "GitHub lists over 10000 commits for GET /repos/acme/shop/commits (sha=main), more "
        "than Stationmaster reads; narrow the request"
    )
    assert len(calls) == 101
    assert len(await github.list_commits(repo="acme/shop", limit=250)) == 250


async def test_unreadable_commit_lists_are_named(sleeps: Sleeps) -> None:
    github = mock_client(lambda request: httpx.Response(200, json={"commits": []}), sleeps)
    with pytest.raises(IntegrationError, match="GitHub answered GET /repos/acme/shop/commits"):
        await github.list_commits(repo="acme/shop")
    with pytest.raises(IntegrationError, match="cannot read"):
        await github.commit(repo="acme/shop", ref="main")


async def fake_get(fake: FakeGitHub, path: str) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.get(fake.url + path, headers={"Authorization": f"Bearer {TOKEN}"})


# -- retries and rate limits ----------------------------------------------------------------


async def test_a_5xx_is_retried_with_backoff(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo, sleeps: Sleeps
) -> None:
    fake.fail_next(502, times=2)
    with capture_logs() as logs:
        assert await github.head(repo="acme/shop", branch="main") == shop.branches["main"]
    assert sleeps.delays == [0.5, 1.0]
    assert len(fake.requests) == 3
    assert [log["reason"] for log in logs] == ["502", "502"]
    assert TOKEN not in repr(logs)


async def test_5xx_answers_past_the_budget_fail(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo, sleeps: Sleeps
) -> None:
    fake.fail_next(503, times=10)
    with pytest.raises(IntegrationError) as caught:
        await github.head(repo="acme/shop", branch="main")
    assert str(caught.value) == (
        "GitHub failed GET /repos/acme/shop/branches/main: 503 Bad Gateway after 4 attempts; "
        "try again later (https://www.githubstatus.com)"
    )
    assert sleeps.delays == [0.5, 1.0, 2.0]


async def test_the_primary_rate_limit_waits_until_the_reset(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo, sleeps: Sleeps
) -> None:
    fake.rate_limit_remaining = 0
    fake.rate_limit_reset = int(NOW.timestamp()) + 42
    sleeps.then = fake.reset_rate_limit

    assert await github.head(repo="acme/shop", branch="main") == shop.branches["main"]

    assert sleeps.delays == [42.0]
    assert len(fake.requests) == 2


async def test_a_rate_limit_reset_beyond_max_wait_fails_naming_the_reset(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo, sleeps: Sleeps
) -> None:
    fake.rate_limit_remaining = 0
    fake.rate_limit_reset = int(NOW.timestamp()) + 3600
    with pytest.raises(IntegrationError) as caught:
        await github.head(repo="acme/shop", branch="main")
    assert str(caught.value) == (
        "GitHub's rate limit stops GET /repos/acme/shop/branches/main until "
        "2024-05-01 10:00:00 UTC (3600s away, over the 60s Stationmaster waits); "
        "try again after then"
    )
    assert sleeps.delays == []


async def test_the_secondary_limit_honours_retry_after(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo, sleeps: Sleeps
) -> None:
    fake.secondary_limit_next(retry_after=7)
    fake.secondary_limit_next(retry_after=None)
    assert await github.head(repo="acme/shop", branch="main") == shop.branches["main"]
    assert sleeps.delays == [7.0, 60.0]


async def test_rate_limits_share_the_retry_budget(
    fake: FakeGitHub, shop: FakeRepo, http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    github = make_client(http, fake.url, sleeps, max_retries=1)
    fake.secondary_limit_next(retry_after=5, times=2)
    with pytest.raises(IntegrationError) as caught:
        await github.head(repo="acme/shop", branch="main")
    assert str(caught.value) == (
        "GitHub refused GET /repos/acme/shop/branches/main: 403 You have exceeded a secondary "
        "rate limit. Please wait a few minutes before you try again.; "
        "try again after 2024-05-01 09:00:05 UTC"
    )
    assert sleeps.delays == [5.0]


# -- where requests may go ------------------------------------------------------------------


async def test_a_link_to_another_host_is_refused(
    github: GitHubClient, fake: FakeGitHub, shop: FakeRepo
) -> None:
    base = shop.branches["main"]
    for n in range(101):
        shop.add_commit(f"feat: {n}")
    async with running_fake_github(token=None) as elsewhere:
        fake.link_base_url = elsewhere.url.replace("127.0.0.1", "localhost")
        with pytest.raises(IntegrationError) as caught:
            await github.compare(repo="acme/shop", base=base, head="main")
        assert elsewhere.requests == []
    assert f"GitHub pointed GET /repos/acme/shop/compare/{base}...main at http://localhost" in (
        str(caught.value)
    )
    assert str(caught.value).endswith(
        f"outside {fake.url}; Stationmaster only sends requests to its configured GitHub API"
    )


async def test_a_closed_port_fails_after_the_retries(
    http: httpx.AsyncClient, sleeps: Sleeps
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    github = make_client(http, f"http://127.0.0.1:{port}", sleeps)
    with pytest.raises(IntegrationError) as caught:
        await github.head(repo="acme/shop", branch="main")
    message = str(caught.value)
    assert message.startswith(
        "GitHub did not answer GET /repos/acme/shop/branches/main after 4 attempts (ConnectError"
    )
    assert message.endswith(f"check the network path to http://127.0.0.1:{port}")
    assert sleeps.delays == [0.5, 1.0, 2.0]


# -- edge cases with MockTransport ----------------------------------------------------------

Handler = Callable[[httpx.Request], httpx.Response]


def mock_client(handler: Handler, sleeps: Sleeps, **overrides: Any) -> GitHubClient:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    base_url = overrides.pop("base_url", "https://ghe.example.com/api/v3")
    return make_client(http, base_url, sleeps, **overrides)


def commit_json(n: int) -> dict[str, Any]:
    person = {"name": "A", "email": "a@example.com", "date": "2024-05-01T09:00:00Z"}
    return {
        "sha": f"{n:040x}",
        "commit": {"message": f"c{n}", "author": person, "committer": person},
        "author": {"login": "a"},
        "parents": [],
    }


async def test_enterprise_base_urls_and_redirects_within_them(sleeps: Sleeps) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path.startswith("/api/v3/repos/old/"):
            return httpx.Response(301, headers={"location": "/api/v3/repositories/9/branches/x"})
        return httpx.Response(200, json={"name": "x", "commit": {"sha": "abc"}})

    github = mock_client(handler, sleeps, base_url="https://ghe.example.com/api/v3/")
    assert await github.head(repo="old/name", branch="x") == "abc"
    assert seen == [
        "https://ghe.example.com/api/v3/repos/old/name/branches/x",
        "https://ghe.example.com/api/v3/repositories/9/branches/x",
    ]


@pytest.mark.parametrize(
    "elsewhere",
    [
        "https://evil.example.com/api/v3/x",
        "https://ghe.example.com/other/x",
        "http://ghe.example.com/api/v3/x",
        "https://user@ghe.example.com/api/v3/x",
        "https://ghe.example.com:8443/api/v3/x",
        "//evil.example.com/api/v3/x",
    ],
)
async def test_redirects_and_links_leaving_the_base_url_are_refused(
    sleeps: Sleeps, elsewhere: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/pulls"):
            return httpx.Response(200, json=[], headers={"link": f'<{elsewhere}>; rel="next"'})
        return httpx.Response(307, headers={"location": elsewhere})

    github = mock_client(handler, sleeps)
    with pytest.raises(IntegrationError, match=r"outside https://ghe\.example\.com/api/v3"):
        await github.head(repo="acme/shop", branch="main")
    with pytest.raises(IntegrationError, match=r"outside https://ghe\.example\.com/api/v3"):
        await github.pulls_for_commit(repo="acme/shop", sha="abc")


async def test_timeouts_are_retried(sleeps: Sleeps) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) < 3:
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"commit": {"sha": "abc"}})

    github = mock_client(handler, sleeps, backoff=0.1)
    assert await github.head(repo="acme/shop", branch="main") == "abc"
    assert sleeps.delays == [0.1, 0.2]
    assert calls[0].extensions["timeout"] == httpx.Timeout(10.0).as_dict()


@pytest.mark.parametrize(
    ("response", "delay"),
    [
        (httpx.Response(429, headers={"retry-after": "3"}), 3.0),
        (httpx.Response(429), 60.0),
        (httpx.Response(429, headers={"retry-after": "soon"}), 60.0),
        (
            httpx.Response(
                403,
                headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "nonsense"},
                json={"message": "API rate limit exceeded"},
            ),
            60.0,
        ),
        (
            httpx.Response(
                403,
                headers={
                    "x-ratelimit-remaining": "0",
                    "x-ratelimit-reset": str(int(NOW.timestamp()) - 5),
                },
            ),
            1.0,
        ),
    ],
)
async def test_rate_limit_waits(sleeps: Sleeps, response: httpx.Response, delay: float) -> None:
    answers = [response, httpx.Response(200, json={"commit": {"sha": "abc"}})]
    github = mock_client(lambda request: answers.pop(0), sleeps)
    assert await github.head(repo="acme/shop", branch="main") == "abc"
    assert sleeps.delays == [delay]


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            httpx.Response(
                403,
                headers={"x-ratelimit-remaining": "4999"},
                json={"message": "Resource not accessible by integration"},
            ),
            "403 Resource not accessible by integration; the token lacks a permission",
        ),
        (httpx.Response(500, text="<html>unicorn</html>"), "500 Internal Server Error after 4"),
        (httpx.Response(418, json={"message": "   "}), "418 I'm a teapot$"),
        (
            httpx.Response(
                422,
                json={
                    "message": "Validation Failed",
                    "errors": [
                        {"resource": "Status", "code": "missing_field", "field": "context"},
                        {"resource": "Status", "code": "invalid"},
                        "plain words",
                        42,
                    ],
                },
            ),
            r"422 Validation Failed \(context: Status missing_field; Status invalid; plain",
        ),
        (httpx.Response(422, json={"message": "Unprocessable"}), "422 Unprocessable$"),
        (
            httpx.Response(400, json={"message": f"token {TOKEN} is malformed"}),
            r"400 token \[redacted\] is malformed$",
        ),
    ],
)
async def test_refusals(sleeps: Sleeps, response: httpx.Response, message: str) -> None:
    github = mock_client(lambda request: response, sleeps)
    with pytest.raises(IntegrationError, match=message) as caught:
        await github.head(repo="acme/shop", branch="main")
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    "body",
    [{"commit": {"sha": 7}}, {"commit": None}, [], "<html>"],
)
async def test_unreadable_bodies_are_named(sleeps: Sleeps, body: Any) -> None:
    github = mock_client(lambda request: httpx.Response(200, json=body), sleeps)
    with pytest.raises(IntegrationError, match="GitHub answered GET /repos/acme/shop/branches/m"):
        await github.head(repo="acme/shop", branch="main")


@pytest.mark.parametrize(
    "body",
    [
        {"id": 1, "state": "done", "context": "c"},
        {"id": "1", "state": "success", "context": "c"},
        {"id": True, "state": "success", "context": "c"},
    ],
)
async def test_unreadable_statuses_are_named(sleeps: Sleeps, body: Any) -> None:
    github = mock_client(lambda request: httpx.Response(201, json=body), sleeps)
    with pytest.raises(IntegrationError, match="cannot read"):
        await github.create_status(
            repo="acme/shop", sha="abc", state="success", context="c", description="d"
        )


async def test_unreadable_pulls_and_commits_are_named(sleeps: Sleeps) -> None:
    naive = commit_json(1) | {"commit": commit_json(1)["commit"] | {"author": {}}}
    bodies: list[Any] = [{"pulls": []}, {"commits": [naive]}]
    github = mock_client(lambda request: httpx.Response(200, json=bodies.pop(0)), sleeps)
    with pytest.raises(IntegrationError, match="cannot read"):
        await github.pulls_for_commit(repo="acme/shop", sha="abc")
    with pytest.raises(IntegrationError, match="cannot read"):
        await github.compare(repo="acme/shop", base="a", head="b")


async def test_naive_timestamps_are_refused(sleeps: Sleeps) -> None:
    commit = commit_json(1)
    commit["commit"]["author"] = commit["commit"]["author"] | {"date": "2024-05-01T09:00:00"}
    github = mock_client(lambda request: httpx.Response(200, json={"commits": [commit]}), sleeps)
    with pytest.raises(IntegrationError, match="has no timezone"):
        await github.compare(repo="acme/shop", base="a", head="b")


async def test_a_huge_comparison_is_refused_from_its_first_page(sleeps: Sleeps) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(
            200,
            json={"total_commits": 12_000, "commits": [commit_json(0)]},
            headers={"link": f'<{request.url}&page=2>; rel="next"'},
        )

    github = mock_client(handler, sleeps)
    with pytest.raises(IntegrationError) as caught:
        await github.compare(repo="acme/shop", base="v1", head="main")
    assert str(caught.value) == (
        "GitHub lists 12000 commits between v1 and main in acme/shop, over the 10000 "
        "Stationmaster reads; narrow the range (a later base)"
    )
    assert len(calls) == 1


async def test_a_comparison_growing_past_the_cap_is_refused(sleeps: Sleeps) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        following = request.url.copy_set_param("page", str(page + 1))
        commits = [commit_json(page * 100 + n) for n in range(100)]
        return httpx.Response(
            200, json={"commits": commits}, headers={"link": f'<{following}>; rel="next"'}
        )

    github = mock_client(handler, sleeps)
    with pytest.raises(IntegrationError, match="lists 10100 commits between"):
        await github.compare(repo="acme/shop", base="v1", head="main")


async def test_endless_pagination_stops(sleeps: Sleeps) -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json=[], headers={"link": f'<{request.url}>; rel="next"'})

    github = mock_client(handler, sleeps)
    with pytest.raises(IntegrationError, match=f"kept paginating .* past {MAX_PAGES} pages"):
        await github.pulls_for_commit(repo="acme/shop", sha="abc")
    assert len(calls) == MAX_PAGES


async def test_the_request_body_is_githubs_status_shape(sleeps: Sleeps) -> None:
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(201, json={"id": 5, "state": "pending", "context": "c"})

    github = mock_client(handler, sleeps)
    status = await github.create_status(
        repo="acme/shop", sha="abc", state="pending", context="c", description="waiting"
    )
    assert sent == [{"state": "pending", "context": "c", "description": "waiting"}]
    assert status == CommitStatus(id=5, state="pending", context="c")


@pytest.mark.parametrize(
    "repo", ["acme", "acme/shop/extra", "-acme/shop", "acme/..", "acme/shop?x=1", "", "acme/"]
)
async def test_malformed_repositories_are_refused(sleeps: Sleeps, repo: str) -> None:
    github = mock_client(lambda request: httpx.Response(500), sleeps)
    with pytest.raises(IntegrationError, match="write it as owner/name"):
        await github.head(repo=repo, branch="main")


@pytest.mark.parametrize("ref", ["", ".", ".."])
async def test_unusable_refs_are_refused(sleeps: Sleeps, ref: str) -> None:
    github = mock_client(lambda request: httpx.Response(500), sleeps)
    with pytest.raises(IntegrationError, match="is not a branch GitHub can look up"):
        await github.head(repo="acme/shop", branch=ref)


async def test_path_segments_are_percent_encoded(sleeps: Sleeps) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"commits": []})

    github = mock_client(handler, sleeps)
    assert await github.compare(repo="acme/shop", base="v1.0", head="release/2 #x") == []
    assert seen == ["/api/v3/repos/acme/shop/compare/v1.0...release%2F2%20%23x?per_page=100"]


def test_constructor_checks_its_arguments() -> None:
    http = httpx.AsyncClient(transport=httpx.MockTransport(lambda request: httpx.Response(500)))
    with pytest.raises(IntegrationError, match="is not an http"):
        GitHubClient(http=http, base_url="api.github.com")
    with pytest.raises(ValueError, match="max_retries"):
        GitHubClient(http=http, max_retries=-1)
    with pytest.raises(ValueError, match="timeout"):
        GitHubClient(http=http, timeout=0)


def test_commit_helpers() -> None:
    commit = Commit(
        sha="a",
        message="one\ntwo",
        author_name="A",
        author_email="a@example.com",
        author_login=None,
        authored_at=NOW,
        committed_at=NOW,
        parents=("b", "c"),
    )
    assert commit.summary == "one"
    assert commit.is_merge
