"""One contract for every :class:`DeployAdapter`: the same steps, the same statuses, the same
traffic on the target afterwards.

Each subject pairs an adapter with a way to read what its target really serves: the command
adapter drives a script that keeps ``stable canary weight`` in a state file; the webhook adapter
drives the fake deploy service, whose rollouts are read directly; the argo_rollouts adapter drives
a Rollout on the fake Kubernetes API, whose controller's ReplicaSets and weights are read; the
github_actions adapter dispatches the fake's workflow, whose runs deploy to ``fake.deployed``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from kubernetes_asyncio.client import ApiClient, Configuration
from pydantic import SecretStr

from bot.sim.fleet import running_fleet
from integrations.deploy.argo_rollouts import ArgoRolloutsAdapter
from integrations.deploy.base import DeployAdapter, DeployError, DeployState, DeployStatus, Target
from integrations.deploy.command import CommandAdapter
from integrations.deploy.github_actions import GitHubActionsAdapter
from integrations.deploy.sim import SimAdapter
from integrations.deploy.webhook import WebhookAdapter
from tests.fakes.deploy_service import running_fake_deploy_service
from tests.fakes.github_actions import running_fake_github_actions
from tests.fakes.kubernetes import running_fake_kubernetes

TARGET = Target("checkout", "1.1.0", "1.0.0", "web/1.1.0")
Live = tuple[str | None, str | None, int]  # what the target serves: stable, canary, weight

STATEFUL_SCRIPT = """#!/usr/bin/env bash
set -eu
if [ -e "$STATE.fail" ]; then rm "$STATE.fail"; echo "refusing $ACTION" >&2; exit 4; fi
stable=- canary=- weight=0
[ -e "$STATE" ] && read -r stable canary weight < "$STATE"
case "$ACTION" in
  deploy) [ "$stable" = - ] && stable="${PREVIOUS_VERSION:--}"; canary="$VERSION"; weight=0 ;;
  set_weight) weight="$WEIGHT" ;;
  promote|switch) stable="$VERSION"; canary=-; weight=100 ;;
  rollback) stable="${PREVIOUS_VERSION:--}"; canary=-; weight=0 ;;
esac
echo "$stable $canary $weight" > "$STATE"
echo "$ACTION done: $stable $canary $weight"
"""


@dataclass
class Subject:
    adapter: DeployAdapter
    live: Callable[[], Live]
    break_next: Callable[[], None]


def _version(word: str) -> str | None:
    return None if word == "-" else word


@pytest.fixture(params=["command", "webhook", "sim", "argo_rollouts", "github_actions"])
async def subject(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Subject]:
    if request.param == "command":
        state = tmp_path / "state"
        run = tmp_path / "deploy.sh"
        run.write_text(STATEFUL_SCRIPT)
        run.chmod(0o755)

        def read() -> Live:
            stable, canary, weight = state.read_text().split()
            return _version(stable), _version(canary), int(weight)

        adapter = CommandAdapter(run=run, timeout=10, env={"STATE": str(state)})
        yield Subject(adapter, read, lambda: (tmp_path / "state.fail").touch())
        return
    if request.param == "sim":
        async with (
            running_fleet(services=[TARGET.service], stable="1.0.0", rps=10) as fleet,
            httpx.AsyncClient() as client,
        ):

            def serving() -> Live:
                state = fleet.services[TARGET.service]
                if state.canary is None:
                    weight = 100 if state.stable == TARGET.version else 0
                    return state.stable, None, weight
                return state.stable, state.canary, state.weight

            def fail_once() -> None:
                fleet.fail_next = 1

            yield Subject(SimAdapter(http=client, url=fleet.url), serving, fail_once)
        return
    if request.param == "argo_rollouts":
        async with running_fake_kubernetes(token="contract") as kube:
            kube.add_rollout("shop", TARGET.service, image="registry.example/checkout:1.0.0")
            bearer = {"BearerToken": "contract"}, {"BearerToken": "Bearer"}
            config = Configuration(host=kube.url, api_key=bearer[0], api_key_prefix=bearer[1])

            def rollout() -> Live:
                stable, canary, weight = kube.serving("shop", TARGET.service)
                stable_version = stable.rsplit(":", 1)[1]
                if canary is None:
                    return stable_version, None, 100 if stable_version == TARGET.version else 0
                return stable_version, canary.rsplit(":", 1)[1], weight

            def degrade() -> None:
                kube.fail_next = True

            async with ApiClient(config) as api:
                argo = ArgoRolloutsAdapter(
                    api=api,
                    namespace="shop",
                    rollout=TARGET.service,
                    image="registry.example/checkout:{version}",
                    poll_interval=0.01,
                    step_timeout=10,
                )
                yield Subject(argo, rollout, degrade)
            assert kube.stray == []
        return
    if request.param == "github_actions":
        async with (
            running_fake_github_actions(token="contract") as gha,
            httpx.AsyncClient() as http,
        ):

            def deployed() -> Live:
                return gha.deployed[TARGET.service]

            actions = GitHubActionsAdapter(
                http=http,
                api_url=gha.url,
                token=SecretStr("contract"),
                repo=gha.repo,
                workflow=gha.workflow_file,
                poll_interval=0.01,
                run_timeout=10,
            )
            yield Subject(actions, deployed, gha.fail_next_run)
            assert gha.stray == []
        return
    async with (
        running_fake_deploy_service(secret="contract", progress_polls=1) as fake,
        httpx.AsyncClient() as http,
    ):

        def observe() -> Live:
            rollout = fake.rollouts[TARGET.service]
            return rollout.stable, rollout.canary, rollout.weight

        def fail() -> None:
            fake.end_state = "failed"

        webhook = WebhookAdapter(
            http=http, url=fake.url, secret=SecretStr("contract"), poll_interval=0.01
        )
        yield Subject(webhook, observe, fail)
        assert fake.stray == []


async def assert_settled(subject: Subject, status: DeployStatus, expected: Live) -> None:
    """``status`` says the step is done with ``expected``, the target serves it, and a fresh
    ``status()`` agrees."""
    assert status.state is DeployState.HEALTHY
    assert (status.stable_version, status.canary_version, status.weight) == expected
    assert subject.live() == expected
    again = await subject.adapter.status(target=TARGET)
    assert (again.state, again.stable_version, again.canary_version, again.weight) == (
        DeployState.HEALTHY,
        *expected,
    )


async def test_a_canary_goes_through_its_steps_to_promotion(subject: Subject) -> None:
    adapter = subject.adapter
    await assert_settled(subject, await adapter.start(target=TARGET), ("1.0.0", "1.1.0", 0))
    await assert_settled(
        subject, await adapter.set_weight(target=TARGET, weight=10), ("1.0.0", "1.1.0", 10)
    )
    await assert_settled(
        subject, await adapter.set_weight(target=TARGET, weight=50), ("1.0.0", "1.1.0", 50)
    )
    await assert_settled(subject, await adapter.promote(target=TARGET), ("1.1.0", None, 100))


async def test_a_rollback_restores_the_previous_version(subject: Subject) -> None:
    await assert_settled(subject, await subject.adapter.start(target=TARGET), ("1.0.0", "1.1.0", 0))
    await assert_settled(subject, await subject.adapter.rollback(target=TARGET), ("1.0.0", None, 0))


async def test_blue_green_switches_all_traffic_at_once(subject: Subject) -> None:
    await assert_settled(subject, await subject.adapter.start(target=TARGET), ("1.0.0", "1.1.0", 0))
    await assert_settled(subject, await subject.adapter.switch(target=TARGET), ("1.1.0", None, 100))


async def test_a_failed_step_raises_and_leaves_traffic_alone(subject: Subject) -> None:
    await subject.adapter.start(target=TARGET)
    await subject.adapter.set_weight(target=TARGET, weight=10)
    subject.break_next()

    with pytest.raises(DeployError, match=r"set_weight of checkout 1\.1\.0") as caught:
        await subject.adapter.set_weight(target=TARGET, weight=50)

    assert caught.value.status is not None
    assert caught.value.status.state is DeployState.FAILED
    assert subject.live() == ("1.0.0", "1.1.0", 10)
    assert (await subject.adapter.status(target=TARGET)).state is DeployState.FAILED
