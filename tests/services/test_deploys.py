"""DeployService on SQLite and PostgreSQL against the real sim fleet on loopback: canaries
step, analyses decide (promote, roll back by themselves, or pause for a person), people
promote, pause, resume and roll back, every step reaches the target once, and a restart goes
on from the stored step. The tests step the service by hand (``advance``) on a fake clock."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio

from bot.config import AppConfig, parse_config
from bot.domain.analysis import Measurement
from bot.domain.canary import SWITCH_WAITS
from bot.domain.release import ReleaseState
from bot.domain.roles import Role
from bot.errors import IntegrationError, NotAllowed
from bot.services.deploy_measure import Measurer
from bot.services.deploy_rows import DeployRows
from bot.services.deploys import DeployService
from bot.services.models import ReleaseInfo
from bot.sim.fleet import Fleet, running_fleet
from integrations.deploy.base import DeployAdapter
from integrations.deploy.sim import SimAdapter
from integrations.metrics.base import MetricsSource
from storage import deployments
from storage.models import DeployPhase
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import TO_APPROVED, Sessions, World, build, walk

RM = "U0RM"
CONFIG = """
roles:
  release_managers: ["@release-managers"]
services:
  checkout:
    strategy:
      canary:
        steps: [{weight: 10, pause: 60s}, {weight: 50, pause: 60s}, {weight: 100}]
        analysis:
          - name: error-rate
            query: 'errors{version="{{canary}}"}'
            success: "< 0.01"
            failure: "> 0.05"
            interval: 10s
            count: 3
  cart:
    strategy: {canary: {steps: [{weight: 50, pause: 30s}, {weight: 100}]}}
  gift:
    strategy: {blue_green: {}}
trains:
  shop: {channel: "#shop", services: [checkout, cart]}
  solo: {channel: "#solo", services: [checkout]}
  gifts: {channel: "#gifts", services: [gift]}
  empty: {channel: "#empty"}
"""


@dataclass
class Metrics:
    """The error rate each version reports (None: no data); every query is remembered."""

    rates: dict[str, float | None] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)
    broken: bool = False

    async def measure(self, *, query: str) -> Measurement:
        self.queries.append(query)
        if self.broken:
            raise IntegrationError("Prometheus at http://prom.test did not answer")
        version = query.split('"')[1]
        return Measurement(value=self.rates.get(version, 0.001), series=1)


@dataclass
class Bed:
    world: World
    deploys: DeployService
    fleet: Fleet
    adapter: SimAdapter
    metrics: Metrics
    notifier: RecordingNotifier
    clock: FakeClock

    def history(self, service: str = "checkout") -> list[str]:
        return self.fleet.services[service].history

    async def approved(self, train: str = "solo") -> ReleaseInfo:
        release = await self.world.releases.cut(train=train, actor=RM)
        return await walk(self.world.releases, release, TO_APPROVED, actor=RM)

    async def run(
        self, release: ReleaseInfo, *, moves: int = 200, until: str | None = None
    ) -> ReleaseInfo:
        """Make moves until the release waits for a person or is over (or ``until`` that
        service is done), jumping the clock."""
        for _ in range(moves):
            if until and await self.phase(release, until) is DeployPhase.DONE:
                break
            wait = await self.deploys.advance(release.id)
            if wait is None:
                break
            self.clock.advance(timedelta(seconds=wait))
        return await self.world.releases.get(release.id)

    async def released(self, train: str = "solo") -> ReleaseInfo:
        release = await self.approved(train)
        await self.deploys.deploy(release=release, actor=RM)
        done = await self.run(release)
        assert done.state is ReleaseState.RELEASED
        return done

    async def phase(self, release: ReleaseInfo, service: str) -> DeployPhase:
        view = await self.deploys.view(release)
        return next(s.phase for s in view.services if s.service == service)

    def notes(self) -> list[str]:
        return [note.text for note in self.notifier.thread]


def service(
    world: World, notifier: RecordingNotifier, adapters: Callable[[str], DeployAdapter],
    metrics: MetricsSource | None,
) -> DeployService:  # fmt: skip
    return DeployService(
        sessions=world.sessions,
        config=world.config,
        releases=world.releases,
        notifier=notifier,
        adapters=adapters,
        measurer=Measurer(lambda name: metrics),
        spawn=None,
        clock=world.clock,
    )


@pytest.fixture
def config() -> AppConfig:
    return parse_config(text=CONFIG)


@pytest_asyncio.fixture
async def bed(
    db_sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier, config: AppConfig
) -> AsyncIterator[Bed]:
    world = build(sessions=db_sessions, config=config, clock=clock, notifier=notifier)
    metrics = Metrics()
    async with (
        running_fleet(services=["checkout", "cart", "gift"], rps=10, stable="v0") as fleet,
        httpx.AsyncClient() as http,
    ):
        adapter = SimAdapter(http=http, url=fleet.url, clock=clock)
        deploys = service(world, notifier, lambda name: adapter, metrics)
        yield Bed(world, deploys, fleet, adapter, metrics, notifier, clock)


async def steps_of(bed: Bed, release: ReleaseInfo) -> dict[str, list[tuple[str, str | None]]]:
    async with bed.world.sessions() as session:
        rows = await deployments.list_deployments(session=session, release_id=release.id)
        found = {}
        for row in rows:
            assert row.id is not None
            steps = await deployments.list_steps(session=session, deployment_id=row.id)
            found[row.service] = [(step.key, step.outcome) for step in steps]
    return found


# --- a canary ---------------------------------------------------------------------------


async def test_a_healthy_canary_steps_through_its_plan_and_releases(bed: Bed) -> None:
    release = await bed.approved()
    view = await bed.deploys.deploy(release=release, actor=RM)
    assert view.release.state is ReleaseState.DEPLOYING
    assert [(s.service, s.phase, s.steps) for s in view.services] == [
        ("checkout", DeployPhase.PENDING, (10, 50, 100))
    ]
    done = await bed.run(release)
    version = release.version
    assert done.state is ReleaseState.RELEASED
    assert bed.history() == [
        f"deploy {version}", "weight 10", "weight 50", "weight 100", "promote"
    ]  # fmt: skip
    assert bed.fleet.services["checkout"].stable == version
    assert await steps_of(bed, release) == {
        "checkout": [
            ("start", "ok"), ("weight:0:10", "ok"), ("weight:1:50", "ok"),
            ("weight:2:100", "ok"), ("promote", "ok"),
        ]
    }  # fmt: skip
    # 3 measurements at 10% and 3 at 50%, each of the new version
    assert bed.metrics.queries == [f'errors{{version="{version}"}}'] * 6
    assert "is released" in bed.notes()[-1]
    assert "1h" in bed.notes()[-1]
    last = bed.notifier.progress[-1]
    assert (last.services[0].phase, last.services[0].weight) == (DeployPhase.DONE, 100)
    assert not (last.can_promote)
    assert not (last.can_pause)
    assert not (last.can_resume)
    assert last.can_roll_back


async def test_a_failing_analysis_rolls_back_by_itself_and_says_why(bed: Bed) -> None:
    await bed.released()
    release = await bed.approved()
    bed.metrics.rates[release.version] = 0.2
    await bed.deploys.deploy(release=release, actor=RM)
    done = await bed.run(release)
    assert done.state is ReleaseState.ROLLED_BACK
    previous = bed.fleet.services["checkout"].stable
    assert bed.history()[-3:] == [
        f"deploy {release.version}",
        "weight 10",
        f"rollback to {previous}",
    ]
    failed = next(n for n in bed.notifier.thread if "rolling back by itself" in n.text)
    assert failed.mention is Role.RELEASE_MANAGER
    assert "error-rate failed" in failed.text
    assert "last value 0.2" in failed.text
    assert f'query: `errors{{version="{release.version}"}}`' in failed.text
    assert "&gt; 0.05" in failed.text  # the threshold, escaped for Slack
    assert "is rolled back" in bed.notes()[-1]
    assert len(bed.metrics.queries) == 6 + 1  # the first failure is enough (limit 0)


async def test_an_inconclusive_analysis_pauses_until_a_person_promotes(bed: Bed) -> None:
    release = await bed.approved()
    bed.metrics.rates[release.version] = None  # no data: never a pass
    await bed.deploys.deploy(release=release, actor=RM)
    paused = await bed.run(release)
    assert paused.state is ReleaseState.PAUSED
    ask = bed.notifier.thread[-1]
    assert ask.mention is Role.RELEASE_MANAGER
    assert "error-rate inconclusive" in ask.text
    assert f"/release promote {release.version}" in ask.text
    view = bed.notifier.progress[-1]
    assert view.can_promote
    assert view.can_resume
    assert view.can_roll_back
    assert not view.can_pause
    assert view.services[0].phase is DeployPhase.PAUSED
    bed.metrics.rates[release.version] = 0.0
    promoted = await bed.deploys.promote(release=paused, actor=RM)
    assert promoted.release.state is ReleaseState.DEPLOYING
    assert (await bed.run(release)).state is ReleaseState.RELEASED
    assert bed.history()[-3:] == ["weight 50", "weight 100", "promote"]


async def test_a_person_pauses_resumes_and_promotes_fully(bed: Bed) -> None:
    release = await bed.approved()
    await bed.deploys.deploy(release=release, actor=RM)
    await bed.deploys.advance(release.id)  # start
    await bed.deploys.advance(release.id)  # 10%
    view = await bed.deploys.pause(release=release, actor=RM)
    assert view.release.state is ReleaseState.PAUSED
    assert view.services[0].message == "paused by <@U0RM>"
    assert await bed.deploys.advance(release.id) is None  # a paused release does not move
    resumed = await bed.deploys.resume(release=release, actor=RM)
    assert resumed.release.state is ReleaseState.DEPLOYING
    assert resumed.services[0].phase is DeployPhase.RUNNING
    with pytest.raises(NotAllowed, match="not paused"):
        await bed.deploys.resume(release=release, actor=RM)
    await bed.deploys.pause(release=release, actor=RM)
    full = await bed.deploys.promote(release=release, actor=RM, full=True)
    assert full.release.state is ReleaseState.DEPLOYING
    assert (await bed.run(release)).state is ReleaseState.RELEASED
    assert bed.history() == [f"deploy {release.version}", "weight 10", "promote"]
    actions = [entry.action for entry in await bed.world.releases.history(release)]
    assert {"deploy_pause", "deploy_resume", "deploy_promote", "deploy_done"} <= set(actions)
    with pytest.raises(NotAllowed, match="only a release that is deploying or paused"):
        await bed.deploys.promote(release=release, actor=RM)


async def test_a_deploy_paused_before_it_started_starts_on_resume(bed: Bed) -> None:
    release = await bed.approved()
    await bed.deploys.deploy(release=release, actor=RM)
    paused = await bed.deploys.pause(release=release, actor=RM)
    assert paused.services[0].phase is DeployPhase.PENDING
    resumed = await bed.deploys.resume(release=release, actor=RM)
    assert resumed.services[0].phase is DeployPhase.PENDING  # not marked running unstarted
    assert (await bed.run(release)).state is ReleaseState.RELEASED
    assert bed.history()[0] == f"deploy {release.version}"


async def test_a_failed_step_pauses_with_the_targets_answer_and_resume_retries_it(
    bed: Bed,
) -> None:
    release = await bed.approved()
    await bed.deploys.deploy(release=release, actor=RM)
    await bed.deploys.advance(release.id)  # start
    bed.fleet.fail_next = 1
    paused = await bed.run(release)
    assert paused.state is ReleaseState.PAUSED
    note = bed.notifier.thread[-1]
    assert note.mention is Role.RELEASE_MANAGER
    assert "set_weight of checkout failed" in note.text
    assert "told to fail this step" in note.text  # the target's own output, quoted
    with pytest.raises(NotAllowed, match=r"last step of solo/.* failed"):
        await bed.deploys.promote(release=paused, actor=RM)
    await bed.deploys.resume(release=paused, actor=RM)
    assert (await bed.run(release)).state is ReleaseState.RELEASED
    steps = (await steps_of(bed, release))["checkout"]
    assert steps[1:3] == [("weight:0:10", "failed"), ("weight:0:10#1", "ok")]


async def test_a_frozen_train_refuses_a_deploy_but_never_a_rollback(bed: Bed) -> None:
    released = await bed.released()
    release = await bed.approved()
    await bed.world.trains.freeze(name="solo", on=True, actor=RM, reason="Black Friday")
    with pytest.raises(NotAllowed, match="solo is frozen by <@U0RM> \\(Black Friday\\)"):
        await bed.deploys.deploy(release=release, actor=RM)
    assert (await bed.world.releases.get(release.id)).state is ReleaseState.APPROVED
    view = await bed.deploys.rollback(release=released, actor=RM, reason="bad refunds")
    assert view.release.state is ReleaseState.ROLLED_BACK
    assert bed.history()[-1] == "rollback to v0"  # a first release: back to what ran before it


# --- rollbacks --------------------------------------------------------------------------


async def test_concurrent_rollbacks_reach_the_target_once(bed: Bed) -> None:
    await bed.released()
    release = await bed.approved()
    await bed.deploys.deploy(release=release, actor=RM)
    await bed.run(release, moves=3)
    results = await asyncio.gather(
        *(bed.deploys.rollback(release=release, actor=RM) for _ in range(8)),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    assert sum(entry.startswith("rollback") for entry in bed.history()) == 1
    assert (await bed.world.releases.get(release.id)).state is ReleaseState.ROLLED_BACK
    assert "is rolled back in" in bed.notes()[-1]


async def test_a_released_release_rolls_back_to_the_version_before_it(bed: Bed) -> None:
    first = await bed.released()
    second = await bed.released()
    assert bed.fleet.services["checkout"].stable == second.version
    view = await bed.deploys.rollback(release=second, actor=RM, reason="refunds broke")
    assert view.release.state is ReleaseState.ROLLED_BACK
    assert bed.fleet.services["checkout"].stable == first.version
    assert view.services[0].previous_version == first.version


async def test_a_failed_rollback_pages_the_managers_and_can_be_retried(bed: Bed) -> None:
    release = await bed.approved()
    await bed.deploys.deploy(release=release, actor=RM)
    await bed.run(release, moves=3)
    bed.fleet.fail_next = 1
    view = await bed.deploys.rollback(release=release, actor=RM)
    assert view.release.state is ReleaseState.ROLLBACK_FAILED
    assert view.services[0].phase is DeployPhase.ROLLBACK_FAILED
    page = bed.notifier.thread[-1]
    assert page.mention is Role.RELEASE_MANAGER
    assert "FAILED" in page.text
    again = await bed.deploys.rollback(release=view.release, actor=RM)
    assert again.release.state is ReleaseState.ROLLED_BACK
    assert bed.history()[-1] == "rollback to v0"


async def test_a_multi_service_release_deploys_in_order_and_rolls_all_back(bed: Bed) -> None:
    release = await bed.approved("shop")
    await bed.deploys.deploy(release=release, actor=RM)
    await bed.run(release, until="checkout")
    await bed.deploys.advance(release.id)  # cart starts
    view = await bed.deploys.view(release)
    assert [s.phase for s in view.services] == [DeployPhase.DONE, DeployPhase.RUNNING]
    await bed.deploys.rollback(release=release, actor=RM)
    assert bed.history("checkout")[-1] == "rollback to v0"
    assert bed.history("cart")[-1] == "rollback to v0"
    view = await bed.deploys.view(release)
    assert [s.phase for s in view.services] == [DeployPhase.ROLLED_BACK] * 2


async def test_a_failed_service_stops_the_ones_after_it(bed: Bed) -> None:
    release = await bed.approved("shop")
    await bed.deploys.deploy(release=release, actor=RM)
    await bed.run(release, until="checkout")
    bed.fleet.fail_next = 1  # cart's start
    paused = await bed.run(release)
    assert paused.state is ReleaseState.PAUSED
    view = await bed.deploys.rollback(release=paused, actor=RM)
    assert [s.phase for s in view.services] == [DeployPhase.ROLLED_BACK, DeployPhase.ROLLED_BACK]
    assert bed.history("cart") == ["rollback to v0"]  # its start may have half happened: undone too


# --- blue-green, no services, no metrics ------------------------------------------------


async def test_a_blue_green_waits_for_a_person_then_switches(bed: Bed) -> None:
    release = await bed.approved("gifts")
    await bed.deploys.deploy(release=release, actor=RM)
    paused = await bed.run(release)
    assert paused.state is ReleaseState.PAUSED
    assert SWITCH_WAITS in bed.notifier.thread[-1].text
    await bed.deploys.promote(release=paused, actor=RM)
    assert (await bed.run(release)).state is ReleaseState.RELEASED
    assert bed.history("gift") == [f"deploy {release.version}", "switch"]


async def test_an_unavailable_adapter_refuses_the_deploy_and_says_why_in_the_thread(
    bed: Bed,
) -> None:
    def unavailable(name: str) -> DeployAdapter:
        raise IntegrationError(f"{name} deploys through the webhook adapter, which needs X")

    refusing = service(bed.world, bed.notifier, unavailable, bed.metrics)
    release = await bed.approved()
    with pytest.raises(IntegrationError, match="needs X"):
        await refusing.deploy(release=release, actor=RM)
    assert (await bed.world.releases.get(release.id)).state is ReleaseState.APPROVED
    assert bed.notes()[-1].startswith(f":no_entry: {release.label} cannot deploy: checkout")


async def test_a_train_without_services_is_released_at_once(bed: Bed) -> None:
    release = await bed.approved("empty")
    await bed.deploys.deploy(release=release, actor=RM)
    assert (await bed.run(release)).state is ReleaseState.RELEASED


async def test_analyses_without_a_metrics_source_pause_never_pass(bed: Bed) -> None:
    blind = service(bed.world, bed.notifier, lambda name: bed.adapter, None)
    release = await bed.approved()
    await blind.deploy(release=release, actor=RM)
    for _ in range(30):
        wait = await blind.advance(release.id)
        if wait is None:
            break
        bed.clock.advance(timedelta(seconds=wait))
    assert (await bed.world.releases.get(release.id)).state is ReleaseState.PAUSED
    view = await blind.view(release)
    assert "no metrics source" in view.services[0].message


async def test_a_broken_metrics_source_is_inconclusive_and_named(bed: Bed) -> None:
    release = await bed.approved()
    bed.metrics.broken = True
    await bed.deploys.deploy(release=release, actor=RM)
    assert (await bed.run(release)).state is ReleaseState.PAUSED
    view = await bed.deploys.view(release)
    assert "did not answer" in view.services[0].message


# --- restarts and replicas --------------------------------------------------------------


async def test_a_restart_mid_canary_goes_on_from_the_stored_step(bed: Bed) -> None:
    release = await bed.approved()
    await bed.deploys.deploy(release=release, actor=RM)
    await bed.run(release, moves=4)  # 10% and measuring
    before = list(bed.history())
    restarted = build(
        sessions=bed.world.sessions, config=bed.world.config, clock=bed.clock,
        notifier=bed.notifier, replica="test-host:2:bbbb",
    )  # fmt: skip
    again = service(restarted, bed.notifier, lambda name: bed.adapter, bed.metrics)
    for _ in range(100):
        wait = await again.advance(release.id)
        if wait is None:
            break
        bed.clock.advance(timedelta(seconds=wait))
    assert (await bed.world.releases.get(release.id)).state is ReleaseState.RELEASED
    assert bed.history() == [*before, "weight 50", "weight 100", "promote"]


async def test_a_step_claimed_by_a_dead_replica_is_confirmed_or_issued_again(bed: Bed) -> None:
    release = await bed.approved()
    await bed.deploys.deploy(release=release, actor=RM)
    await bed.deploys.advance(release.id)  # start
    rows = DeployRows(sessions=bed.world.sessions, config=bed.world.config)
    tracked = (await rows.of(release.id))[0]
    # a replica claimed 10% and died before calling the fleet
    assert await rows.claim(
        tracked, key="weight:0:10", action="set_weight", weight=10, actor="dead", now=bed.clock()
    )
    assert await bed.deploys.advance(release.id) == 1.0  # busy: its issuer may be at it
    bed.clock.advance(timedelta(seconds=31))  # past the sim adapter's deadline
    await bed.deploys.advance(release.id)  # lost: the next attempt
    await bed.deploys.advance(release.id)  # issued again, once
    assert bed.history()[-1] == "weight 10"
    steps = (await steps_of(bed, release))["checkout"]
    assert steps[1:] == [("weight:0:10", None), ("weight:0:10#1", "ok")]
    # and one that did take effect is confirmed by the fleet's status, not issued again
    tracked = (await rows.of(release.id))[0]
    bed.fleet.services["checkout"].weight = 50
    assert await rows.claim(
        tracked, key="weight:1:50#1", action="set_weight", weight=50, actor="dead", now=bed.clock()
    )
    assert (await bed.run(release)).state is ReleaseState.RELEASED
    assert bed.history()[-3:] == ["weight 10", "weight 100", "promote"]
