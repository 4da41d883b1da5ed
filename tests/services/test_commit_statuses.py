"""Gate verdicts as GitHub commit statuses: a real GitHubClient over loopback to the fake GitHub,
whose recorded requests show what was sent (and what was not sent again)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.domain.gates import Gate, GateResult, Outcome, Override, Verdict
from bot.errors import IntegrationError
from bot.services.commit_statuses import REMEMBERED, GitHubStatuses, describe
from bot.services.gate_models import GateLine, GateReport
from integrations.github.client import GitHubClient
from tests.fakes.github import FakeGitHub, FakeRepo, ReceivedRequest, running_fake_github
from tests.services.fakes import release_info

TOKEN = "t0k-statuses"
NOW = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
BUILD = "https://ci.example/builds/7"
RELEASE = release_info()


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
async def fake() -> AsyncIterator[FakeGitHub]:
    async with running_fake_github(token=TOKEN) as server:
        yield server


@pytest.fixture
def shop(fake: FakeGitHub) -> FakeRepo:
    repo = fake.add_repo("acme/shop")
    repo.add_commit("feat: checkout")
    return repo


@pytest.fixture
async def statuses(fake: FakeGitHub) -> AsyncIterator[GitHubStatuses]:
    async with httpx.AsyncClient() as http:
        client = GitHubClient(
            http=http, base_url=fake.url, token=SecretStr(TOKEN), max_retries=1, sleep=no_sleep
        )
        yield GitHubStatuses(client=client)


def gate_result(gate: Gate, verdict: Verdict, summary: str) -> GateResult:
    return GateResult(gate=gate, verdict=verdict, summary=summary)


def report(*lines: GateLine) -> GateReport:
    return GateReport(
        release=RELEASE, policy="default", outcome=Outcome.FAILED, lines=lines, deadline=None
    )


def posts(fake: FakeGitHub) -> list[ReceivedRequest]:
    return [request for request in fake.requests if request.method == "POST"]


def sent(fake: FakeGitHub) -> list[tuple[str, str, str | None, str | None]]:
    """Each status POSTed, as (context, state, description, target_url)."""
    return [
        (r.body["context"], r.body["state"], r.body["description"], r.body.get("target_url"))
        for r in posts(fake)
    ]


EVERY_VERDICT = report(
    GateLine(
        gate=Gate.UNIT,
        verdict=Verdict.PASS,
        result=gate_result(Gate.UNIT, Verdict.PASS, "412 tests, all passed"),
        build_url=BUILD,
    ),
    GateLine(
        gate=Gate.INTEGRATION,
        verdict=Verdict.FAIL,
        result=gate_result(Gate.INTEGRATION, Verdict.FAIL, "88 tests, 2 failed"),
        build_url=BUILD,
    ),
    GateLine(gate=Gate.E2E, verdict=Verdict.PENDING, note="waiting"),
    GateLine(
        gate=Gate.COVERAGE,
        verdict=Verdict.OVERRIDDEN,
        result=gate_result(Gate.COVERAGE, Verdict.FAIL, "line 88.0%"),
        override=Override(gate=Gate.COVERAGE, actor="U0RM", reason="generated code", at=NOW),
        build_url="https://ci.example/builds/6",
    ),
    GateLine(gate=Gate.PERFORMANCE, verdict=Verdict.FAIL, note="no report within 2h"),
    GateLine(
        gate=Gate.SECURITY,
        verdict=Verdict.FAIL,
        required=False,
        result=gate_result(Gate.SECURITY, Verdict.FAIL, "1 high finding"),
        build_url=BUILD,
    ),
)


async def test_each_required_gate_becomes_a_status_on_the_commit(
    statuses: GitHubStatuses, fake: FakeGitHub, shop: FakeRepo
) -> None:
    sha = shop.branches["main"]

    await statuses.publish(repo="acme/shop", sha=sha, report=EVERY_VERDICT)

    assert sent(fake) == [
        ("stationmaster/unit", "success", "412 tests, all passed", BUILD),
        ("stationmaster/integration", "failure", "88 tests, 2 failed", BUILD),
        ("stationmaster/e2e", "pending", "waiting", None),
        ("stationmaster/coverage", "success", "overridden: generated code",
         "https://ci.example/builds/6"),
        ("stationmaster/performance", "failure", "no report within 2h", None),
    ]  # fmt: skip
    assert {r.path for r in posts(fake)} == {f"/repos/acme/shop/statuses/{sha}"}
    assert all(r.headers["Authorization"] == f"Bearer {TOKEN}" for r in posts(fake))
    recorded = {status["context"]: status for status in shop.statuses[sha]}
    assert "stationmaster/security" not in recorded  # not required by the policy: not shown
    assert recorded["stationmaster/coverage"]["state"] == "success"
    assert recorded["stationmaster/unit"]["target_url"] == BUILD
    assert recorded["stationmaster/e2e"]["target_url"] is None


async def test_publishing_the_same_report_again_sends_nothing(
    statuses: GitHubStatuses, fake: FakeGitHub, shop: FakeRepo
) -> None:
    sha = shop.branches["main"]
    await statuses.publish(repo="acme/shop", sha=sha, report=EVERY_VERDICT)
    before = len(fake.requests)

    await statuses.publish(repo="acme/shop", sha=sha, report=EVERY_VERDICT)

    assert len(fake.requests) == before == 5
    assert len(shop.statuses[sha]) == 5


async def test_only_a_gate_whose_status_changed_is_sent_again(
    statuses: GitHubStatuses, fake: FakeGitHub, shop: FakeRepo
) -> None:
    sha = shop.branches["main"]
    pending = GateLine(gate=Gate.E2E, verdict=Verdict.PENDING, note="waiting")
    unit = GateLine(
        gate=Gate.UNIT,
        verdict=Verdict.PASS,
        result=gate_result(Gate.UNIT, Verdict.PASS, "412 tests"),
    )
    await statuses.publish(repo="acme/shop", sha=sha, report=report(unit, pending))
    passed = GateLine(
        gate=Gate.E2E,
        verdict=Verdict.PASS,
        result=gate_result(Gate.E2E, Verdict.PASS, "31 journeys"),
        build_url=BUILD,
    )
    rerun = GateLine(
        gate=Gate.E2E,
        verdict=Verdict.PASS,
        result=gate_result(Gate.E2E, Verdict.PASS, "31 journeys"),
        build_url="https://ci.example/builds/8",
    )

    await statuses.publish(repo="acme/shop", sha=sha, report=report(unit, passed))
    await statuses.publish(repo="acme/shop", sha=sha, report=report(unit, rerun))

    assert sent(fake) == [
        ("stationmaster/unit", "success", "412 tests", None),
        ("stationmaster/e2e", "pending", "waiting", None),
        ("stationmaster/e2e", "success", "31 journeys", BUILD),
        # the same verdict from another build: the status must link the build that set it
        ("stationmaster/e2e", "success", "31 journeys", "https://ci.example/builds/8"),
    ]
    assert shop.statuses[sha][0]["target_url"] == "https://ci.example/builds/8"


async def test_another_commit_or_repository_gets_its_own_statuses(
    statuses: GitHubStatuses, fake: FakeGitHub, shop: FakeRepo
) -> None:
    first = shop.branches["main"]
    second = shop.add_commit("fix: typo")
    other = fake.add_repo("acme/app")
    third = other.add_commit("feat: login")
    unit = report(
        GateLine(
            gate=Gate.UNIT, verdict=Verdict.PASS, result=gate_result(Gate.UNIT, Verdict.PASS, "1")
        )
    )

    for repo, sha in [("acme/shop", first), ("acme/shop", second), ("acme/app", third)]:
        await statuses.publish(repo=repo, sha=sha, report=unit)

    assert [r.path for r in posts(fake)] == [
        f"/repos/acme/shop/statuses/{first}",
        f"/repos/acme/shop/statuses/{second}",
        f"/repos/acme/app/statuses/{third}",
    ]


async def test_a_long_override_reason_is_cut_to_githubs_140_characters(
    statuses: GitHubStatuses, fake: FakeGitHub, shop: FakeRepo
) -> None:
    sha = shop.branches["main"]
    reason = "the flaky checkout journey is fixed in the next train; " * 5
    line = GateLine(
        gate=Gate.E2E,
        verdict=Verdict.OVERRIDDEN,
        override=Override(gate=Gate.E2E, actor="U0RM", reason=reason, at=NOW),
    )
    assert describe(line) == f"overridden: {reason}"

    await statuses.publish(repo="acme/shop", sha=sha, report=report(line))
    await statuses.publish(repo="acme/shop", sha=sha, report=report(line))

    [(_, state, description, _)] = sent(fake)
    assert state == "success"
    assert description is not None
    assert len(description) == 140
    assert description.startswith("overridden: the flaky checkout journey")
    assert description.endswith("…")


@pytest.mark.parametrize(
    ("line", "description"),
    [
        (GateLine(gate=Gate.UNIT, verdict=Verdict.PENDING), "pending"),
        (GateLine(gate=Gate.UNIT, verdict=Verdict.FAIL, note="no report within 1h"),
         "no report within 1h"),
        (GateLine(gate=Gate.UNIT, verdict=Verdict.FAIL,
                  result=gate_result(Gate.UNIT, Verdict.FAIL, "3 failed"), note="ignored"),
         "3 failed"),
    ],
)  # fmt: skip
def test_the_description_is_the_summary_else_the_note_else_the_verdict(
    line: GateLine, description: str
) -> None:
    assert describe(line) == description


async def test_a_status_github_refused_is_sent_again_next_time(
    statuses: GitHubStatuses, fake: FakeGitHub, shop: FakeRepo
) -> None:
    sha = shop.branches["main"]
    unit = report(
        GateLine(
            gate=Gate.UNIT, verdict=Verdict.FAIL, result=gate_result(Gate.UNIT, Verdict.FAIL, "x")
        )
    )
    fake.fail_next(502, times=2)  # the client's one retry fails too

    with pytest.raises(IntegrationError, match="502"):
        await statuses.publish(repo="acme/shop", sha=sha, report=unit)
    assert sha not in shop.statuses

    await statuses.publish(repo="acme/shop", sha=sha, report=unit)
    assert [status["state"] for status in shop.statuses[sha]] == ["failure"]


async def test_it_remembers_the_latest_statuses_only() -> None:
    """Over ``REMEMBERED`` (repo, sha, gate) keys, the oldest is forgotten (and sent again)."""
    bodies: list[dict[str, Any]] = []

    def github(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        return httpx.Response(201, json={"id": len(bodies), **body})

    async with httpx.AsyncClient(transport=httpx.MockTransport(github)) as http:
        statuses = GitHubStatuses(client=GitHubClient(http=http, base_url="https://gh.test"))
        unit = report(GateLine(gate=Gate.UNIT, verdict=Verdict.PENDING))
        shas: Sequence[str] = [f"{n:040x}" for n in range(REMEMBERED + 1)]
        for sha in shas:
            await statuses.publish(repo="acme/shop", sha=sha, report=unit)
        assert len(bodies) == REMEMBERED + 1

        await statuses.publish(repo="acme/shop", sha=shas[-1], report=unit)  # remembered
        assert len(bodies) == REMEMBERED + 1
        await statuses.publish(repo="acme/shop", sha=shas[0], report=unit)  # forgotten
        assert len(bodies) == REMEMBERED + 2
        await statuses.publish(repo="acme/shop", sha=shas[2], report=unit)  # still remembered
        assert len(bodies) == REMEMBERED + 2
