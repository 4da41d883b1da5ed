"""Which :class:`~integrations.deploy.base.DeployAdapter` each service deploys through.

:class:`DeployAdapters` builds a service's adapter from its ``deploy`` config on first use and
keeps it. An adapter whose secret or setting is missing is unavailable, and only that one:
:meth:`DeployAdapters.for_service` raises :class:`AdapterUnavailable` saying what to set, and
:meth:`DeployAdapters.unavailable` lists them all for one log line at startup.

==================  ==========================================================================
adapter             needs
==================  ==========================================================================
``sim``             a sim fleet running (``sim_url``, or :meth:`DeployAdapters.attach_sim`)
``command``         nothing (its program is checked at each step)
``webhook``         ``STATIONMASTER_DEPLOY_WEBHOOK_SECRET``
``github_actions``  ``STATIONMASTER_GITHUB_TOKEN``
``argo_rollouts``   ``STATIONMASTER_KUBECONFIG`` (a kubeconfig file), else the pod's service
                    account when ``KUBERNETES_SERVICE_HOST`` is set
==================  ==========================================================================

The ``argo_rollouts`` services share one Kubernetes client, opened on their first call (it lives
in the event loop, and a kubeconfig may run an exec plugin); :meth:`DeployAdapters.aclose`
closes it.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from kubernetes_asyncio.client import ApiClient, Configuration
from kubernetes_asyncio.config import ConfigException, list_kube_config_contexts, load_kube_config
from kubernetes_asyncio.config.incluster_config import InClusterConfigLoader

from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.config.deploy import (
    ArgoRolloutsDeploy,
    CommandDeploy,
    GitHubActionsDeploy,
    SimDeploy,
    WebhookDeploy,
)
from bot.domain.names import closest
from bot.errors import IntegrationError
from bot.observability.logs import get_logger
from bot.settings import Settings
from integrations.deploy.argo_rollouts import ArgoRolloutsAdapter
from integrations.deploy.base import DeployAdapter, DeployError, DeployStatus, Target
from integrations.deploy.command import CommandAdapter
from integrations.deploy.github_actions import GitHubActionsAdapter
from integrations.deploy.inbox import CallbackInbox
from integrations.deploy.sim import SimAdapter
from integrations.deploy.webhook import WebhookAdapter

__all__ = ["SERVICE_ACCOUNT", "AdapterUnavailable", "DeployAdapters"]

SERVICE_ACCOUNT = Path("/var/run/secrets/kubernetes.io/serviceaccount")
"""Where Kubernetes mounts a pod's service account token and CA certificate."""

_log = get_logger(__name__)
Deploy = ArgoRolloutsDeploy | WebhookDeploy | CommandDeploy | GitHubActionsDeploy | SimDeploy
Problem = tuple[str, str]  # (reason, what to do)


class AdapterUnavailable(IntegrationError):
    """A service whose deploy adapter cannot be built here: ``reason`` is the short form
    (``needs STATIONMASTER_DEPLOY_WEBHOOK_SECRET``), the message says what to do as well."""

    def __init__(self, message: str, *, service: str, adapter: str | None, reason: str) -> None:
        super().__init__(message)
        self.service = service
        self.adapter = adapter
        self.reason = reason

    @classmethod
    def of(cls, service: str, adapter: str, problem: Problem) -> AdapterUnavailable:
        reason, fix = problem
        message = f"{service} deploys through the {adapter} adapter, which {reason}; {fix}"
        return cls(message, service=service, adapter=adapter, reason=reason)


class DeployAdapters:
    """One adapter per service, built from the config on first use (see the module docstring).

    ``sim_url`` is the running sim fleet's base URL (also :meth:`attach_sim`), ``inbox`` the
    callbacks the webhook adapters wait on, ``config_dir`` the directory command adapters run
    in (default: the config file's, from ``settings.config_path``).
    """

    def __init__(
        self,
        config: AppConfig,
        settings: Settings,
        http: httpx.AsyncClient,
        *,
        sim_url: str | None = None,
        inbox: CallbackInbox | None = None,
        clock: Clock = utc_now,
        config_dir: Path | None = None,
        service_account: Path = SERVICE_ACCOUNT,
    ) -> None:
        self._config, self._settings, self._http = config, settings, http
        self._sim_url, self._inbox, self._clock = sim_url, inbox, clock
        path = settings.config_path or Path("stationmaster.yml")
        self._config_dir = config_dir or path.resolve().parent
        self._service_account = service_account
        self._built: dict[str, DeployAdapter] = {}
        self._kube: Problem | Configuration | Path | None = None  # checked once, then kept
        self._api: ApiClient | None = None
        self._api_lock = asyncio.Lock()

    def for_service(self, service: str) -> DeployAdapter:
        """``service``'s adapter; AdapterUnavailable when it is unknown or cannot work here."""
        adapter = self._built.get(service)
        if adapter is None:
            deploy = self.check(service)
            adapter = self._build(deploy)
            self._built[service] = adapter
            _log.info("deploy_adapter_built", service=service, adapter=deploy.adapter)
        return adapter

    def check(self, service: str) -> Deploy:
        """``service``'s deploy config when its adapter can be built here (nothing is built);
        AdapterUnavailable saying why not."""
        found = self._config.services.get(service)
        if found is None:
            names = sorted(self._config.services)
            close = closest(service, names)
            hint = f"did you mean {close!r}? " if close else ""
            known = f"the services are: {', '.join(names)}" if names else "it has no services"
            raise AdapterUnavailable(
                f"no service {service!r} in the config; {hint}{known}",
                service=service,
                adapter=None,
                reason="unknown service",
            )
        deploy = found.deploy
        problem = self._problem(deploy)
        if problem is not None:
            raise AdapterUnavailable.of(service, deploy.adapter, problem)
        return deploy

    def unavailable(self) -> dict[str, str]:
        """Each configured service whose adapter cannot be built here, with what to do."""
        found: dict[str, str] = {}
        for service in self._config.services:
            try:
                self.check(service)
            except AdapterUnavailable as exc:
                found[service] = exc.message
        return found

    def attach_sim(self, url: str) -> None:
        """The sim fleet runs at ``url`` now: ``sim`` services deploy to it."""
        self._sim_url = url
        for service, adapter in list(self._built.items()):
            if isinstance(adapter, SimAdapter):
                del self._built[service]

    async def aclose(self) -> None:
        """Close the Kubernetes client, if one was opened; adapters built later open another."""
        self._built.clear()
        if self._api is not None:
            api, self._api = self._api, None
            await api.close()

    # -- what each adapter needs ----------------------------------------------------------------

    def _problem(self, deploy: Deploy) -> Problem | None:
        settings = self._settings
        if isinstance(deploy, SimDeploy) and self._sim_url is None:
            return (
                "needs the sim fleet, and none is running yet",
                "the bot starts one for its sim services (or set STATIONMASTER_SIM_URL to one "
                "that runs); to deploy elsewhere, give the service another deploy adapter",
            )
        if isinstance(deploy, WebhookDeploy) and settings.deploy_webhook_secret is None:
            return (
                "needs STATIONMASTER_DEPLOY_WEBHOOK_SECRET",
                "set it to the secret the deploy service verifies with, and restart",
            )
        if isinstance(deploy, GitHubActionsDeploy) and settings.github_token is None:
            return (
                "needs STATIONMASTER_GITHUB_TOKEN",
                f"set it to a token that may run workflows in {deploy.repo}, and restart",
            )
        if isinstance(deploy, ArgoRolloutsDeploy):
            kube = self._kubernetes()
            return kube if isinstance(kube, tuple) else None
        return None

    def _kubernetes(self) -> Problem | Configuration | Path:
        """How to reach Kubernetes: the kubeconfig's path, the in-cluster configuration, or
        the problem; found once."""
        if self._kube is None:
            self._kube = self._find_kubernetes()
        return self._kube

    def _find_kubernetes(self) -> Problem | Configuration | Path:
        path = self._settings.kubeconfig
        if path is not None:
            if not path.is_file():
                return (
                    f"cannot read STATIONMASTER_KUBECONFIG ({path} is not a file)",
                    "point it at a kubeconfig file, and restart",
                )
            try:
                list_kube_config_contexts(str(path))
            except Exception as exc:  # the loader raises its own, YAML and key errors alike
                return (
                    f"cannot use STATIONMASTER_KUBECONFIG ({path}: {_describe(exc)})",
                    "fix the file (it needs current-context, its context and its cluster), "
                    "and restart",
                )
            return path
        if not os.environ.get("KUBERNETES_SERVICE_HOST"):
            return (
                "needs Kubernetes access: STATIONMASTER_KUBECONFIG, or running in the cluster",
                "set STATIONMASTER_KUBECONFIG to a kubeconfig file, and restart",
            )
        configuration = Configuration()
        try:
            InClusterConfigLoader(
                token_filename=str(self._service_account / "token"),
                cert_filename=str(self._service_account / "ca.crt"),
            ).load_and_set(configuration)
        except ConfigException as exc:
            return (
                f"cannot use the pod's service account ({exc})",
                "mount its token (automountServiceAccountToken: true) or set "
                "STATIONMASTER_KUBECONFIG, and restart",
            )
        return configuration

    # -- building -----------------------------------------------------------------------------

    def _build(self, deploy: Deploy) -> DeployAdapter:
        http, clock, settings = self._http, self._clock, self._settings
        match deploy:
            case SimDeploy():
                assert self._sim_url is not None
                return SimAdapter(http=http, url=self._sim_url, clock=clock)
            case CommandDeploy():
                return CommandAdapter(
                    run=deploy.run,
                    timeout=deploy.timeout.total_seconds(),
                    cwd=self._config_dir,
                    clock=clock,
                )
            case WebhookDeploy():
                assert settings.deploy_webhook_secret is not None
                return WebhookAdapter(
                    http=http,
                    url=deploy.url,
                    secret=settings.deploy_webhook_secret,
                    poll_interval=deploy.poll.total_seconds(),
                    inbox=self._inbox,
                    clock=clock,
                )
            case GitHubActionsDeploy():
                assert settings.github_token is not None
                return GitHubActionsAdapter(
                    http=http,
                    api_url=self._config.integrations.github.api_url,
                    token=settings.github_token,
                    repo=deploy.repo,
                    workflow=deploy.workflow,
                    ref=deploy.ref,
                    clock=clock,
                )
            case ArgoRolloutsDeploy():
                return _OnFirstCall(lambda: self._argo(deploy))

    async def _argo(self, deploy: ArgoRolloutsDeploy) -> DeployAdapter:
        return ArgoRolloutsAdapter(
            api=await self._kubernetes_client(),
            namespace=deploy.namespace,
            rollout=deploy.rollout,
            image=deploy.image,
            container=deploy.container,
            clock=self._clock,
        )

    async def _kubernetes_client(self) -> ApiClient:
        """The one Kubernetes client, opened on first use (a kubeconfig is loaded then)."""
        async with self._api_lock:
            if self._api is None:
                kube = self._kubernetes()
                assert not isinstance(kube, tuple)
                self._api = await _open(kube)
            return self._api


async def _open(kube: Configuration | Path) -> ApiClient:
    """A Kubernetes client: from the kubeconfig at ``kube`` (loaded now, exec plugins and all),
    or from the in-cluster configuration."""
    source = "the pod's service account"
    try:
        if isinstance(kube, Path):
            source = f"the kubeconfig {kube} (STATIONMASTER_KUBECONFIG)"
            configuration = Configuration()
            await load_kube_config(
                config_file=str(kube), client_configuration=configuration, persist_config=False
            )
        else:
            configuration = kube
        return ApiClient(configuration=configuration)
    except Exception as exc:  # the loader raises its own, OS, SSL and plugin errors alike
        raise DeployError(
            f"no Kubernetes client could be set up from {source}: {_describe(exc)}; fix it, "
            f"then retry"
        ) from exc


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split())[:300]
    return text or type(exc).__name__


class _OnFirstCall:
    """A :class:`DeployAdapter` that builds the real one on its first call."""

    def __init__(self, build: Callable[[], Awaitable[DeployAdapter]]) -> None:
        self._build = build
        self._adapter: DeployAdapter | None = None

    async def _real(self) -> DeployAdapter:
        if self._adapter is None:
            self._adapter = await self._build()
        return self._adapter

    async def start(self, *, target: Target) -> DeployStatus:
        return await (await self._real()).start(target=target)

    async def set_weight(self, *, target: Target, weight: int) -> DeployStatus:
        return await (await self._real()).set_weight(target=target, weight=weight)

    async def promote(self, *, target: Target) -> DeployStatus:
        return await (await self._real()).promote(target=target)

    async def rollback(self, *, target: Target) -> DeployStatus:
        return await (await self._real()).rollback(target=target)

    async def switch(self, *, target: Target) -> DeployStatus:
        return await (await self._real()).switch(target=target)

    async def status(self, *, target: Target) -> DeployStatus:
        return await (await self._real()).status(target=target)
