"""The github_actions adapter against the loopback fake of GitHub Actions, and edge cases through
``httpx.MockTransport``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from integrations.deploy.base import DeployError, DeployState, Target
from integrations.deploy.github_actions import GitHubActionsAdapter
from tests.fakes.github_actions import FakeGitHubActions, FakeRun, running_fake_github_actions

TOKEN = "ghs_s3cretActionsToken"
TARGET = Target("checkout", "1.1.0", "1.0.0", "web/1.1.0")
NOW = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
WORKFLOW = "/repos/acme/shop/actions/workflows/deploy.yml"


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHubActions]:
    async with running_fake_github_actions(token=TOKEN) as server:
        yield server
        assert server.stray == []


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


class Sleeps:
    """An injected sleep that records each wait and sleeps ``at_most`` seconds of it."""

    def __init__(self, at_most: float = 0.01) -> None:
        self.waits: list[float] = []
        self.at_most = at_most

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(min(seconds, self.at_most))


def adapter_for(http: httpx.AsyncClient, url: str, **options: Any) -> GitHubActionsAdapter:
    settings: dict[str, Any] = {
        "repo": "acme/shop",
        "workflow": "deploy.yml",
        "poll_interval": 0.01,
        "run_timeout": 5,
        "backoff": 0.01,
        **options,
    }
    return GitHubActionsAdapter(http=http, api_url=url, token=SecretStr(TOKEN), **settings)


def mock(handler: Callable[[httpx.Request], httpx.Response]) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.MockTransport(handler))


async def test_a_step_dispatches_the_workflow_then_follows_its_run(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    status = await adapter_for(http, fake.url).set_weight(target=TARGET, weight=10)

    assert (status.state, status.weight) == (DeployState.HEALTHY, 10)
    assert (status.stable_version, status.canary_version) == ("1.0.0", "1.1.0")
    run = fake.runs[0]
    assert status.message == f"https://github.com/acme/shop/actions/runs/{run.id} succeeded"
    before, dispatch, *polls = fake.requests
    assert (before.method, before.path) == ("GET", WORKFLOW + "/runs")
    assert before.query["event"] == "workflow_dispatch"
    assert before.query["branch"] == "main"
    assert before.query["created"].startswith(">=")
    assert (dispatch.method, dispatch.path, dispatch.answered) == (
        "POST",
        WORKFLOW + "/dispatches",
        204,
    )
    assert dispatch.body == {
        "ref": "main",
        "inputs": {
            "action": "set_weight",
            "service": "checkout",
            "version": "1.1.0",
            "previous_version": "1.0.0",
            "weight": "10",
            "release": "web/1.1.0",
            "delivery": run.display_title,
        },
    }
    assert uuid.UUID(run.display_title)
    assert dispatch.headers["Authorization"] == f"Bearer {TOKEN}"
    assert dispatch.headers["X-GitHub-Api-Version"] == "2022-11-28"
    assert dispatch.headers["Accept"] == "application/vnd.github+json"
    assert polls[-1].path == f"/repos/acme/shop/actions/runs/{run.id}"
    assert fake.deployed["checkout"] == ("1.0.0", None, 10)


async def test_every_action_sends_its_inputs(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    adapter = adapter_for(http, fake.url)
    first = Target("checkout", "1.1.0", None, "web/1.1.0")

    await adapter.start(target=first)
    await adapter.switch(target=first)
    await adapter.rollback(target=first)
    await adapter.promote(target=first)

    sent = [
        (r.inputs["action"], r.inputs["weight"], r.inputs["previous_version"]) for r in fake.runs
    ]
    assert sent == [
        ("deploy", "0", ""),
        ("switch", "100", ""),
        ("rollback", "0", ""),
        ("promote", "100", ""),
    ]


async def test_without_a_run_name_the_newest_new_run_is_followed(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.run_name = False
    loop = asyncio.get_running_loop()
    old = FakeRun(
        1, 1, {}, "main", "Deploy", datetime.now(UTC), loop.time() - 60, status="completed"
    )
    old.conclusion = "failure"  # someone's earlier manual run: never taken
    fake.runs.append(old)

    status = await adapter_for(http, fake.url).start(target=TARGET)

    assert status.state is DeployState.HEALTHY
    assert fake.deployed["checkout"] == ("1.0.0", "1.1.0", 0)


async def test_a_run_named_for_another_delivery_is_never_taken() -> None:
    other = {"id": 7, "display_title": str(uuid.uuid4()), "created_at": "2024-06-01T09:00:09Z"}
    ours = {"id": 8, "display_title": "Deploy", "created_at": "2024-06-01T09:00:05Z"}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/dispatches"):
            return httpx.Response(204)
        if request.url.path.endswith("/runs"):
            runs = [other, ours] if len(seen) > 2 else []
            return httpx.Response(200, json={"total_count": len(runs), "workflow_runs": runs})
        run = {"id": 8, "status": "completed", "conclusion": "success", "html_url": "h"}
        return httpx.Response(200, json=run)

    async with mock(handler) as client:
        adapter = adapter_for(client, "https://api.github.com", clock=lambda: NOW)
        await adapter.start(target=TARGET)

    assert seen[-1] == "/repos/acme/shop/actions/runs/8"


async def test_run_details_skip_the_search(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.run_name = False
    status = await adapter_for(http, fake.url, run_details=True).start(target=TARGET)

    assert status.state is DeployState.HEALTHY
    dispatch, *polls = fake.requests
    assert (dispatch.body["return_run_details"], dispatch.answered) == (True, 200)
    assert {p.path for p in polls} == {f"/repos/acme/shop/actions/runs/{fake.runs[0].id}"}


async def test_a_failed_run_raises_with_its_address_and_is_remembered(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    adapter = adapter_for(http, fake.url)
    await adapter.start(target=TARGET)
    fake.fail_next_run("failure")

    with pytest.raises(
        DeployError, match=r"ended failure: https://github\.com/acme/shop"
    ) as caught:
        await adapter.set_weight(target=TARGET, weight=10)

    failed = caught.value.status
    assert failed is not None
    assert (failed.state, failed.weight, failed.canary_version) == (DeployState.FAILED, 0, "1.1.0")
    assert caught.value.output.startswith("https://github.com/acme/shop/actions/runs/")
    assert await adapter.status(target=TARGET) == failed
    assert fake.deployed["checkout"] == ("1.0.0", "1.1.0", 0)  # the run deployed nothing


async def test_a_cancelled_run_is_aborted(fake: FakeGitHubActions, http: httpx.AsyncClient) -> None:
    fake.fail_next_run("cancelled")

    with pytest.raises(DeployError, match="ended cancelled") as caught:
        await adapter_for(http, fake.url).start(target=TARGET)

    assert caught.value.status is not None
    assert (caught.value.status.state, caught.value.status.stable_version) == (
        DeployState.ABORTED,
        "1.0.0",
    )


async def test_status_before_any_step_is_unknown(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    status = await adapter_for(http, fake.url).status(target=TARGET)

    assert (status.state, status.weight, status.stable_version) == (DeployState.UNKNOWN, 0, None)
    assert fake.requests == []


async def test_a_run_that_never_completes_times_out(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.stall = True
    adapter = adapter_for(http, fake.url, run_timeout=0.2)

    with pytest.raises(
        DeployError, match=r"did not complete: .* still queued after 0\.2s"
    ) as caught:
        await adapter.start(target=TARGET)

    assert caught.value.status is not None
    assert caught.value.status.state is DeployState.UNKNOWN
    assert (await adapter.status(target=TARGET)).state is DeployState.UNKNOWN


async def test_a_run_that_never_appears_times_out(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.appear_after = 60

    with pytest.raises(DeployError, match=r"started no run of deploy\.yml in acme/shop"):
        await adapter_for(http, fake.url, run_timeout=0.1).start(target=TARGET)


async def test_an_unknown_workflow_is_a_clear_404(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.run_name = False
    with pytest.raises(DeployError, match="404 Not Found; check that acme/shop has the workflow"):
        await adapter_for(http, fake.url, workflow="nope.yml", run_details=True).start(
            target=TARGET
        )


async def test_inputs_the_workflow_does_not_declare_are_a_422(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.inputs = ("action", "service", "version", "previous_version", "weight", "release")

    with pytest.raises(DeployError, match=r'Unexpected inputs provided: \["delivery"\]') as caught:
        await adapter_for(http, fake.url).start(target=TARGET)

    assert "declare the inputs action, service" in caught.value.reason


async def test_a_missing_ref_is_a_422(fake: FakeGitHubActions, http: httpx.AsyncClient) -> None:
    with pytest.raises(DeployError, match="No ref found for: release"):
        await adapter_for(http, fake.url, ref="release").start(target=TARGET)


async def test_a_bad_token_is_refused(fake: FakeGitHubActions, http: httpx.AsyncClient) -> None:
    adapter = GitHubActionsAdapter(
        http=http,
        api_url=fake.url,
        token=SecretStr("wrong"),
        repo="acme/shop",
        workflow="deploy.yml",
    )
    with pytest.raises(DeployError, match="401 Bad credentials; check the token"):
        await adapter.start(target=TARGET)


@pytest.mark.parametrize("status", [403, 429])
async def test_a_secondary_rate_limit_waits_as_asked(
    fake: FakeGitHubActions, http: httpx.AsyncClient, status: int
) -> None:
    fake.secondary_limit_next(status=status, retry_after=2)
    sleeps = Sleeps()

    result = await adapter_for(http, fake.url, sleep=sleeps).start(target=TARGET)

    assert result.state is DeployState.HEALTHY
    assert sleeps.waits[0] == 2
    assert fake.requests[0].answered == status


async def test_the_primary_rate_limit_waits_for_its_reset(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.exhaust(reset_in=0.05)
    sleeps = Sleeps(at_most=0.1)
    clock = lambda: datetime.fromtimestamp(fake.rate_reset - 30, UTC)  # noqa: E731

    await adapter_for(http, fake.url, sleep=sleeps, clock=clock).start(target=TARGET)

    assert 29 <= sleeps.waits[0] <= 31


async def test_a_rate_limit_longer_than_max_wait_fails(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.secondary_limit_next(retry_after=None)  # GitHub's advice: at least a minute

    with pytest.raises(DeployError, match=r"rate limit stops .* for 60s more"):
        await adapter_for(http, fake.url, max_wait=30).start(target=TARGET)


async def test_server_errors_are_retried_then_given_up(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    fake.fail_next(502)
    assert (await adapter_for(http, fake.url).start(target=TARGET)).state is DeployState.HEALTHY

    fake.fail_next(503, times=10)
    with pytest.raises(DeployError, match="503 Server Error after 3 attempts"):
        await adapter_for(http, fake.url, max_retries=2).start(target=TARGET)


async def test_transport_errors_are_retried_then_reported() -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        raise httpx.ConnectError("refused", request=request)

    async with mock(handler) as client:
        adapter = adapter_for(client, "https://ghe.example/api/v3", max_retries=1)
        with pytest.raises(
            DeployError, match=r"did not answer .* after 2 attempts \(ConnectError\)"
        ):
            await adapter.start(target=TARGET)

    assert len(calls) == 2


async def test_only_the_configured_api_url_is_called_and_redirects_are_refused() -> None:
    calls: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url)
        if request.url.path.endswith("/runs"):
            return httpx.Response(200, json={"total_count": 0, "workflow_runs": []})
        return httpx.Response(307, headers={"location": "https://elsewhere.example/x"})

    async with mock(handler) as client:
        adapter = adapter_for(client, "https://ghe.example/api/v3/")
        with pytest.raises(DeployError, match=r"307 .* only calls https://ghe\.example/api/v3"):
            await adapter.start(target=TARGET)

    assert [(u.host, u.path) for u in calls] == [
        ("ghe.example", "/api/v3/repos/acme/shop/actions/workflows/deploy.yml/runs"),
        ("ghe.example", "/api/v3/repos/acme/shop/actions/workflows/deploy.yml/dispatches"),
    ]


async def test_the_token_never_appears_in_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"message": f"bad token {TOKEN} in inputs"})

    async with mock(handler) as client:
        with pytest.raises(DeployError) as caught:
            await adapter_for(client, "https://api.github.com", run_details=True).start(
                target=TARGET
            )

    assert TOKEN not in caught.value.reason
    assert "[redacted]" in caught.value.output


async def test_answers_that_are_not_what_github_documents_fail_clearly() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/runs"):
            return httpx.Response(200, json={"workflow_runs": "many"})
        return httpx.Response(200, content=b"<html>")

    async with mock(handler) as client:
        with pytest.raises(DeployError, match="no list of workflow_runs"):
            await adapter_for(client, "https://api.github.com").start(target=TARGET)
        with pytest.raises(DeployError, match="other than a JSON object"):
            await adapter_for(client, "https://api.github.com", run_details=True).start(
                target=TARGET
            )


def test_bad_settings_are_refused() -> None:
    http = httpx.AsyncClient()
    with pytest.raises(ValueError, match="plain http"):
        adapter_for(http, "ftp://api.github.com")
    with pytest.raises(ValueError, match="owner/name"):
        adapter_for(http, "https://api.github.com", repo="shop")
    with pytest.raises(ValueError, match="must be > 0"):
        adapter_for(http, "https://api.github.com", poll_interval=0)


async def test_the_fake_lists_runs_with_githubs_filters(
    fake: FakeGitHubActions, http: httpx.AsyncClient
) -> None:
    await adapter_for(http, fake.url).start(target=TARGET)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    repo_runs = f"{fake.url}/repos/acme/shop/actions/runs"

    listed = (await http.get(repo_runs, headers=headers, params={"status": "success"})).json()
    later = {"created": "2999-01-01T00:00:00Z..2999-12-31T00:00:00Z"}
    none = (await http.get(repo_runs, headers=headers, params=later)).json()

    assert listed["total_count"] == 1
    assert listed["workflow_runs"][0]["conclusion"] == "success"
    assert none == {"total_count": 0, "workflow_runs": []}
