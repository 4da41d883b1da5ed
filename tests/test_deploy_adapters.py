"""The deploy adapter registry: each kind built from the config and driven against its loopback
fake, missing secrets and settings that disable one adapter only, and the Kubernetes client from
a kubeconfig or the pod's service account."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from bot.config import AppConfig, parse_config
from bot.deploy_adapters import AdapterUnavailable, DeployAdapters, _OnFirstCall
from bot.settings import Settings
from bot.sim.fleet import running_fleet
from integrations.deploy.base import DeployAdapter, DeployError, DeployState, Target
from integrations.deploy.command import CommandAdapter
from integrations.deploy.github_actions import GitHubActionsAdapter
from integrations.deploy.inbox import CallbackInbox
from integrations.deploy.sim import SimAdapter
from integrations.deploy.webhook import WebhookAdapter
from tests.fakes.deploy_service import running_fake_deploy_service
from tests.fakes.github_actions import running_fake_github_actions
from tests.fakes.kubernetes import running_fake_kubernetes

HOOK_SECRET = "deploy-hook-s3cret"
GITHUB_TOKEN = "ghp-t0k"
K8S_TOKEN = "k8s-t0k"
TARGET = Target("checkout", "1.1.0", "1.0.0", "web/1.1.0")

SERVICES = """
integrations:
  github: {{api_url: "{github}"}}
services:
  checkout:
    deploy: {{adapter: sim}}
  payments:
    deploy: {{adapter: webhook, url: "{hook}", poll: 1s}}
  search:
    deploy:
      {{adapter: argo_rollouts, namespace: shop, rollout: search, image: "reg/s:{{version}}"}}
  cart:
    deploy: {{adapter: github_actions, repo: acme/shop, workflow: deploy.yml, ref: main}}
  web:
    deploy: {{adapter: command, run: ./where.sh, timeout: 10s}}
"""


def config_for(
    tmp_path: Path, *, github: str = "http://127.0.0.1:9", hook: str = "http://127.0.0.1:9/d"
) -> AppConfig:
    script = tmp_path / "where.sh"
    script.write_text('#!/bin/sh\necho "$ACTION $SERVICE in $(pwd)"\n')
    script.chmod(0o755)
    text = SERVICES.format(github=github, hook=hook)
    return parse_config(text=text, config_dir=tmp_path)


def settings(**values: Any) -> Settings:
    """Settings with only ``values`` set, whatever the environment holds."""
    base: dict[str, Any] = {
        "deploy_webhook_secret": None, "github_token": None, "kubeconfig": None,
        "config_path": None,
    }  # fmt: skip
    return Settings(**(base | values))


def all_set(kubeconfig: Path) -> Settings:
    return settings(
        deploy_webhook_secret=SecretStr(HOOK_SECRET),
        github_token=SecretStr(GITHUB_TOKEN),
        kubeconfig=kubeconfig,
    )


def write_kubeconfig(path: Path, server: str, *, token: str = K8S_TOKEN, **cluster: str) -> Path:
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": "test",
                "clusters": [{"name": "fake", "cluster": {"server": server, **cluster}}],
                "users": [{"name": "bot", "user": {"token": token}}],
                "contexts": [{"name": "test", "context": {"cluster": "fake", "user": "bot"}}],
            }
        )  # JSON is YAML
    )
    return path


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


@pytest.fixture(autouse=True)
def outside_kubernetes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_PORT", raising=False)


# --- each kind, built and driven ---------------------------------------------------------------


async def test_each_adapter_kind_is_built_from_its_config_once(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", "http://127.0.0.1:9")
    adapters = DeployAdapters(
        config_for(tmp_path), all_set(kubeconfig), http, sim_url="http://127.0.0.1:9"
    )
    kinds = {name: type(adapters.for_service(name)) for name in config_for(tmp_path).services}
    assert kinds == {
        "checkout": SimAdapter,
        "payments": WebhookAdapter,
        "search": _OnFirstCall,
        "cart": GitHubActionsAdapter,
        "web": CommandAdapter,
    }
    assert adapters.for_service("payments") is adapters.for_service("payments")
    assert adapters.unavailable() == {}
    await adapters.aclose()  # nothing was opened


async def test_the_sim_adapter_deploys_to_the_fleet_once_attached(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    adapters = DeployAdapters(config_for(tmp_path), settings(), http)
    with pytest.raises(
        AdapterUnavailable,
        match="which needs the sim fleet, and none is running yet; the bot starts",
    ):
        adapters.for_service("checkout")
    async with running_fleet(services=["checkout"], stable="1.0.0", rps=1) as fleet:
        adapters.attach_sim(fleet.url)
        status = await adapters.for_service("checkout").start(target=TARGET)
        assert (status.canary_version, status.weight) == ("1.1.0", 0)
        assert fleet.services["checkout"].canary == "1.1.0"
        command = adapters.for_service("web")
        adapters.attach_sim(fleet.url + "/")  # a new URL: a new sim adapter, the rest stay
        assert (await adapters.for_service("checkout").status(target=TARGET)).weight == 0
        assert adapters.for_service("web") is command


async def test_the_command_runs_in_the_config_files_directory(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    config = config_for(tmp_path)
    target = Target("web", "1.1.0", "1.0.0", "web/1.1.0")
    named = settings(config_path=tmp_path / "stationmaster.yml")
    status = await DeployAdapters(config, named, http).for_service("web").start(target=target)
    assert status.message == f"deploy web in {tmp_path.resolve()}"
    given = DeployAdapters(config, settings(), http, config_dir=elsewhere)
    status = await given.for_service("web").promote(target=target)
    assert status.message == f"promote web in {elsewhere}"


async def test_the_webhook_adapter_signs_with_the_secret_and_polls_at_its_interval(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    async with running_fake_deploy_service(secret=HOOK_SECRET, progress_polls=0) as fake:
        config = config_for(tmp_path, hook=fake.url)
        adapters = DeployAdapters(config, all_set(tmp_path / "none"), http, inbox=CallbackInbox())
        status = await adapters.for_service("payments").start(target=TARGET)
        assert status.state is DeployState.HEALTHY
        assert [(a.method, a.answered) for a in fake.attempts] == [("POST", 200)]


async def test_the_github_actions_adapter_dispatches_with_the_token(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    async with running_fake_github_actions(
        token=GITHUB_TOKEN, appear_after=0, start_after=0, duration=0
    ) as fake:
        config = config_for(tmp_path, github=fake.url)
        adapters = DeployAdapters(config, all_set(tmp_path / "none"), http)
        status = await adapters.for_service("cart").start(target=TARGET)
        assert status.state is DeployState.HEALTHY
        assert fake.deployed["checkout"] == ("1.0.0", "1.1.0", 0)
        assert fake.stray == []


async def test_the_argo_adapter_reaches_the_cluster_of_the_kubeconfig(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    async with running_fake_kubernetes(token=K8S_TOKEN, delay=0.01) as fake:
        fake.add_rollout("shop", "search", image="reg/s:1.0.0")
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", fake.url)
        adapters = DeployAdapters(config_for(tmp_path), all_set(kubeconfig), http)
        adapter = adapters.for_service("search")
        target = Target("search", "1.0.0", None, "web/1.0.0")
        first, second = await asyncio.gather(
            adapter.status(target=target), adapter.status(target=target)
        )
        assert (first.state, first.stable_version, first.weight) == (
            DeployState.HEALTHY, "1.0.0", 100,
        )  # fmt: skip
        assert replace(second, at=first.at) == first
        assert [r.answered for r in fake.requests] == [200, 200]  # the token was sent
        opened = adapters._api
        assert opened is not None
        await adapters.aclose()
        assert adapters._api is None
        assert opened.rest_client.pool_manager.closed


async def test_a_kubeconfig_that_loads_but_cannot_make_a_client_fails_the_step(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    kubeconfig = write_kubeconfig(
        tmp_path / "kubeconfig",
        "https://127.0.0.1:9",
        **{"certificate-authority": str(tmp_path / "missing-ca.crt")},
    )
    adapters = DeployAdapters(config_for(tmp_path), all_set(kubeconfig), http)
    adapter = adapters.for_service("search")
    with pytest.raises(DeployError, match=rf"no Kubernetes client .* kubeconfig {kubeconfig}"):
        await adapter.start(target=TARGET)
    assert adapters._api is None


async def test_the_first_call_wrapper_passes_each_action_through(tmp_path: Path) -> None:
    script = tmp_path / "step.sh"
    script.write_text('#!/bin/sh\necho "$ACTION $WEIGHT"\n')
    script.chmod(0o755)
    built: list[DeployAdapter] = []

    async def build() -> DeployAdapter:
        built.append(CommandAdapter(run=script, timeout=10))
        return built[-1]

    wrapper = _OnFirstCall(build)
    said = [
        (await wrapper.start(target=TARGET)).message,
        (await wrapper.set_weight(target=TARGET, weight=40)).message,
        (await wrapper.promote(target=TARGET)).message,
        (await wrapper.switch(target=TARGET)).message,
        (await wrapper.rollback(target=TARGET)).message,
        (await wrapper.status(target=TARGET)).message,
    ]
    assert said == [
        "deploy 0", "set_weight 40", "promote 100", "switch 100", "rollback 0", "rollback 0",
    ]  # fmt: skip
    assert len(built) == 1


# --- missing secrets and settings --------------------------------------------------------------


async def test_missing_secrets_disable_only_their_adapters(
    tmp_path: Path, http: httpx.AsyncClient
) -> None:
    adapters = DeployAdapters(config_for(tmp_path), settings(), http, sim_url="http://x:1")
    with pytest.raises(AdapterUnavailable) as webhook:
        adapters.for_service("payments")
    assert str(webhook.value) == (
        "payments deploys through the webhook adapter, which needs "
        "STATIONMASTER_DEPLOY_WEBHOOK_SECRET; set it to the secret the deploy service verifies "
        "with, and restart"
    )
    assert (webhook.value.service, webhook.value.adapter) == ("payments", "webhook")
    assert webhook.value.reason == "needs STATIONMASTER_DEPLOY_WEBHOOK_SECRET"
    with pytest.raises(AdapterUnavailable, match="which needs STATIONMASTER_GITHUB_TOKEN; set it"):
        adapters.for_service("cart")
    assert isinstance(adapters.for_service("checkout"), SimAdapter)
    assert isinstance(adapters.for_service("web"), CommandAdapter)
    reasons = adapters.unavailable()
    assert sorted(reasons) == ["cart", "payments", "search"]
    assert "STATIONMASTER_DEPLOY_WEBHOOK_SECRET" in reasons["payments"]
    assert "acme/shop" in reasons["cart"]
    assert reasons["search"] == (
        "search deploys through the argo_rollouts adapter, which needs Kubernetes access: "
        "STATIONMASTER_KUBECONFIG, or running in the cluster; set STATIONMASTER_KUBECONFIG to "
        "a kubeconfig file, and restart"
    )


def test_an_unknown_service_is_refused_with_a_did_you_mean(tmp_path: Path) -> None:
    adapters = DeployAdapters(config_for(tmp_path), settings(), httpx.AsyncClient())
    with pytest.raises(AdapterUnavailable) as unknown:
        adapters.for_service("chekout")
    assert str(unknown.value) == (
        "no service 'chekout' in the config; did you mean 'checkout'? the services are: cart, "
        "checkout, payments, search, web"
    )
    assert unknown.value.adapter is None
    empty = DeployAdapters(AppConfig(), settings(), httpx.AsyncClient())
    with pytest.raises(
        AdapterUnavailable, match="no service 'x' in the config; it has no services"
    ):
        empty.check("x")


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, r"cannot read STATIONMASTER_KUBECONFIG \(.*kubeconfig is not a file\)"),
        ("{}", r"cannot use STATIONMASTER_KUBECONFIG \(.*: Invalid kube-config file\. .*\)"),
        ("- [a", r"cannot use STATIONMASTER_KUBECONFIG \(.*kubeconfig: .+\)"),
    ],
)
def test_an_unusable_kubeconfig_disables_the_argo_adapter(
    tmp_path: Path, content: str | None, reason: str
) -> None:
    path = tmp_path / "kubeconfig"
    if content is not None:
        path.write_text(content)
    adapters = DeployAdapters(config_for(tmp_path), all_set(path), httpx.AsyncClient())
    with pytest.raises(AdapterUnavailable, match=f"which {reason}; "):
        adapters.for_service("search")
    assert adapters.unavailable().keys() == {"checkout", "search"}


def test_in_a_pod_the_service_account_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "443")
    account = tmp_path / "serviceaccount"
    account.mkdir()
    config = config_for(tmp_path)
    empty = DeployAdapters(config, settings(), httpx.AsyncClient(), service_account=account)
    with pytest.raises(AdapterUnavailable, match=r"cannot use the pod's service account \(Serv"):
        empty.check("search")

    (account / "token").write_text("pod-t0k")
    (account / "ca.crt").write_text("-----BEGIN CERTIFICATE-----\n")
    mounted = DeployAdapters(config, settings(), httpx.AsyncClient(), service_account=account)
    assert mounted.check("search").adapter == "argo_rollouts"
    assert "search" not in mounted.unavailable()
    kube = mounted._kubernetes()
    assert not isinstance(kube, (tuple, Path))
    assert kube.host == "https://10.0.0.1:443"


async def test_an_unusable_service_account_ca_fails_the_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, http: httpx.AsyncClient
) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "9")
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text("pod-t0k")
    (account / "ca.crt").write_text("not a certificate")
    adapters = DeployAdapters(config_for(tmp_path), settings(), http, service_account=account)
    with pytest.raises(DeployError, match="from the pod's service account"):
        await adapters.for_service("search").status(target=TARGET)
