"""The composition root: ``create_app(settings)`` builds and wires everything.

Nothing happens at import. Connections open in aiohttp's startup hooks and close in its
cleanup hooks, so one process can build several apps (tests do).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import AppConfig
from bot.config.models import TrainConfig
from bot.deploy_adapters import DeployAdapters
from bot.domain.roles import SystemActor
from bot.errors import MigrationsPending
from bot.notes_render import NotesRenderer
from bot.observability.logs import REDACTOR, get_logger
from bot.observability.metrics import Metrics
from bot.scheduler import MilestoneScheduler, replica_id
from bot.services.alert_paging import Escalation
from bot.services.alerts import AlertService
from bot.services.commit_statuses import GitHubStatuses
from bot.services.deliveries import DeliveryLedger
from bot.services.deploy_measure import Measurer
from bot.services.deploys import DeployService
from bot.services.gates import GateService
from bot.services.incidents import IncidentService
from bot.services.models import ReleaseInfo
from bot.services.notes import NotesService
from bot.services.releases import ReleaseService
from bot.services.signoff import SignoffService
from bot.services.trains import TrainService
from bot.settings import Settings
from bot.sim.fleet import Fleet, running_fleet
from bot.slack.alert_notifier import SlackAlertNotifier
from bot.slack.client import build_web_client
from bot.slack.directory import UserGroupDirectory
from bot.slack.notifier import SlackNotifier
from bot.slack.pacing import ChannelPacer
from bot.slack.people import SlackPeople
from bot.slack.register import SlackDeps, register
from bot.slack.retries import RetryGuard
from bot.slack.roles import RoleResolver
from bot.slack.signature import SignatureChecker
from bot.tasks import BackgroundTasks
from bot.web import CiEndpoint, SlackEndpoint, build_web_app
from bot.web.alerts import AlertsEndpoint, PagerDutyEndpoint
from bot.web.deploy import DeployEndpoint
from commands.base import Services
from commands.registry import all_commands
from commands.router import Router
from integrations.deploy.inbox import CallbackInbox
from integrations.github.client import GitHubClient
from integrations.metrics.base import MetricsSource
from integrations.metrics.prometheus import PrometheusClient
from integrations.metrics.sim import SimMetrics
from integrations.paging.base import Pager
from integrations.paging.pagerduty import PagerDuty
from integrations.source.base import SourceRepository
from integrations.source.git import GitRepository
from integrations.source.github import GitHubRepository
from storage.engine import create_engine, dialect_name, ping, session_factory
from storage.migrate import ensure_schema, pending_migrations

log = get_logger(__name__)


@dataclass
class Stationmaster:
    """The wired parts, reachable from the aiohttp app for hooks and tests."""

    settings: Settings
    config: AppConfig
    bolt: AsyncApp
    tasks: BackgroundTasks
    metrics: Metrics
    scheduler: MilestoneScheduler | None = None
    socket_mode: AsyncSocketModeHandler | None = None
    deploys: DeployService | None = None
    alerts: AlertService | None = None
    fleet: Fleet | None = None
    """The built-in sim fleet, when this process runs it (services deploying to ``sim``)."""


STATIONMASTER = web.AppKey("stationmaster", Stationmaster)


class _DropTokenWarning(logging.Filter):
    """Bolt warns that the token it read from SLACK_BOT_TOKEN is unused when it is given our
    client, which carries that very token: not worth a line in every startup log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("As you gave `client` as well")


_DROP_TOKEN_WARNING = _DropTokenWarning()


def create_app(settings: Settings, *, config: AppConfig | None = None) -> web.Application:
    config = config or AppConfig()
    REDACTOR.register(settings.secrets)
    metrics = Metrics()
    tasks = BackgroundTasks(metrics=metrics)
    engine = create_engine(url=settings.database_url)
    sessions = session_factory(engine=engine)
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    client = build_web_client(token=token, base_url=settings.slack_api_url, metrics=metrics)
    bolt_logger = logging.getLogger("slack_bolt")
    bolt_logger.addFilter(_DROP_TOKEN_WARNING)
    bolt = AsyncApp(
        client=client,
        signing_secret="",  # signatures are verified in bot.web, before bolt
        request_verification_enabled=False,
        process_before_response=True,
        logger=bolt_logger,
    )
    roles = RoleResolver(
        members=config.roles.by_role(), directory=UserGroupDirectory(client=client)
    )
    notifier = SlackNotifier(client=client, sessions=sessions, mentions=roles)
    base_dir = (settings.config_path or Path("stationmaster.yml")).resolve().parent

    http = httpx.AsyncClient()
    github = GitHubClient(
        http=http, base_url=config.integrations.github.api_url, token=settings.github_token
    )

    def source_of(train: TrainConfig) -> SourceRepository | None:
        repo = train.repo
        if repo.github is not None:
            return GitHubRepository(client=github, repo=repo.github)
        if repo.path is None:
            return None
        return GitRepository(path=(base_dir / repo.path).resolve())

    releases = ReleaseService(
        sessions=sessions,
        config=config,
        notifier=notifier,
        source_of=source_of,
        milestones_of=lambda train, now: trains.milestone_times(train, now),
    )
    trains = TrainService(
        sessions=sessions,
        config=config,
        releases=releases,
        notifier=notifier,
        replica=replica_id(),
    )
    gates = GateService(
        sessions=sessions,
        config=config,
        releases=releases,
        notifier=notifier,
        statuses=GitHubStatuses(client=github) if settings.github_token else None,
    )
    renderer = NotesRenderer.from_config(config.notes)
    renderer.check()
    notes = NotesService(
        sessions=sessions,
        config=config,
        releases=releases,
        source_of=source_of,
        renderer=renderer,
        notifier=notifier,
    )

    def notes_at_cut(release: ReleaseInfo) -> None:
        if release.commit_sha is not None:  # a train without a repository has no notes
            tasks.spawn(notes.post_at_cut(release), name="notes at cut")

    releases.after_cut(notes_at_cut)
    signoff = SignoffService(
        sessions=sessions, config=config, releases=releases, gates=gates, notifier=notifier
    )

    def spawn(work: Coroutine[Any, Any, None], name: str) -> asyncio.Task[None]:
        return tasks.spawn(work, name=name)

    releases.after_change(signoff.watch(spawn))
    inbox = CallbackInbox()
    adapters = DeployAdapters(config, settings, http, sim_url=settings.sim_url, inbox=inbox)
    sim_metrics: list[SimMetrics] = []
    prometheus: MetricsSource | None = None
    if config.integrations.prometheus is not None:
        prometheus = PrometheusClient(http=http, base_url=config.integrations.prometheus.url)

    def metrics_for(service: str) -> MetricsSource | None:
        """Prometheus when configured; else the sim fleet's own counters for a sim service."""
        known = config.services.get(service)
        if prometheus is not None or known is None or known.deploy.adapter != "sim":
            return prometheus
        return sim_metrics[0] if sim_metrics else None

    deploys = DeployService(
        sessions=sessions,
        config=config,
        releases=releases,
        notifier=notifier,
        adapters=adapters.for_service,
        measurer=Measurer(metrics_for),
        spawn=spawn,
    )
    trains.deploy_with(lambda release: deploys.deploy(release=release, actor=SystemActor.SCHEDULER))
    incidents = IncidentService(sessions=sessions, releases=releases, notifier=notifier)
    alerts = AlertService(
        sessions=sessions,
        config=config,
        releases=releases,
        deploys=deploys,
        incidents=incidents,
        notifier=SlackAlertNotifier(
            client=client,
            sessions=sessions,
            notifier=notifier,
            pacer=ChannelPacer(),
            mentions=roles,
            service_labels=config.alerts.service_label,
        ),
        release_notifier=notifier,
        escalation=Escalation(
            sessions=sessions, config=config, pager=_pager(config, settings, http)
        ),
        spawn=spawn,
    )
    releases.after_change(alerts.release_changed)
    services = Services(
        releases=releases,
        trains=trains,
        people=SlackPeople(client=client),
        gates=gates,
        notes=notes,
        signoff=signoff,
        deploys=deploys,
        alerts=alerts,
        incidents=incidents,
    )
    register(
        bolt,
        SlackDeps(
            router=Router(all_commands()),
            roles=roles,
            tasks=tasks,
            client=client,
            services=services,
            notifier=notifier,
        ),
    )
    secret = settings.slack_signing_secret
    ledger = DeliveryLedger(sessions=sessions)
    slack = SlackEndpoint(
        bolt=bolt,
        verifier=SignatureChecker(secret=secret.get_secret_value()) if secret else None,
        retries=RetryGuard(store=ledger, tasks=tasks),
        metrics=metrics,
    )

    async def ready() -> None:
        await ping(engine=engine)
        pending = await pending_migrations(engine=engine)
        if pending:
            raise MigrationsPending(
                f"{len(pending)} migration(s) pending; run `stationmaster db upgrade`"
            )

    ci_secret = settings.ci_secret.get_secret_value() if settings.ci_secret else None
    ci = CiEndpoint(gates=gates, secret=ci_secret, limit=settings.ci_max_bytes)
    deploy_hook = DeployEndpoint(
        secret=settings.deploy_webhook_secret, inbox=inbox, limit=settings.deploy_max_bytes
    )
    app = build_web_app(
        slack=slack,
        ci=ci,
        deploy=deploy_hook,
        alerts=AlertsEndpoint(
            token=settings.alerts_token, alerts=alerts, limit=settings.alerts_max_bytes
        ),
        pagerduty=PagerDutyEndpoint(
            secret=settings.pagerduty_webhook_secret, alerts=alerts, limit=settings.alerts_max_bytes
        ),
        metrics=metrics,
        ready=ready,
    )
    state = Stationmaster(
        settings=settings,
        config=config,
        bolt=bolt,
        tasks=tasks,
        metrics=metrics,
        scheduler=MilestoneScheduler(
            trains=trains,
            engine=engine,
            housekeeping=ledger.purge,
            every_beat=[gates.sweep, deploys.reconcile],
        ),
        deploys=deploys,
        alerts=alerts,
    )
    app[STATIONMASTER] = state

    async def lifecycle(_: web.Application) -> AsyncIterator[None]:
        if ci_secret is None:
            log.warning("POST /hooks/ci answers 503 until STATIONMASTER_CI_SECRET is set")
        await ensure_schema(
            engine=engine,
            url=settings.database_url,
            auto_upgrade=dialect_name(engine) == "sqlite",
        )
        sim_services = sorted(
            name for name, service in config.services.items() if service.deploy.adapter == "sim"
        )
        async with AsyncExitStack() as stack:
            if sim_services and settings.sim_url is None:
                state.fleet = await stack.enter_async_context(running_fleet(services=sim_services))
                adapters.attach_sim(state.fleet.url)
                log.info("sim fleet running", url=state.fleet.url, services=sim_services)
            for service, reason in adapters.unavailable().items():
                log.warning("deploy adapter unavailable", service=service, reason=reason)
            fleet_url = settings.sim_url or (state.fleet.url if state.fleet else None)
            if fleet_url is not None and prometheus is None:
                sim_metrics.append(SimMetrics(http=http, url=fleet_url))
                sampling = tasks.spawn(sim_metrics[0].run(), name="sim metrics")
                stack.callback(sampling.cancel)
            watching = tasks.spawn(alerts.watch(), name="alert watch")
            stack.callback(watching.cancel)
            if settings.alerts_token is None:
                log.warning(
                    "POST /hooks/alerts/* answer 503 until STATIONMASTER_ALERTS_TOKEN is set"
                )
            async with _serving(state, settings, bolt, client):
                yield
            await deploys.stop()
        await tasks.drain()
        await adapters.aclose()
        await http.aclose()
        await engine.dispose()

    app.cleanup_ctx.append(lifecycle)
    return app


def _pager(config: AppConfig, settings: Settings, http: httpx.AsyncClient) -> Pager | None:
    """PagerDuty, when the config names it and its routing key is set."""
    paging = config.alerts.pagerduty
    if paging is None:
        return None
    if settings.pagerduty_routing_key is None:
        log.warning("PagerDuty is configured but STATIONMASTER_PAGERDUTY_ROUTING_KEY is not set")
        return None
    return PagerDuty(http=http, base_url=paging.url, routing_key=settings.pagerduty_routing_key)


@asynccontextmanager
async def _serving(
    state: Stationmaster, settings: Settings, bolt: AsyncApp, client: AsyncWebClient
) -> AsyncIterator[None]:
    """The scheduler and Socket Mode run while the app serves."""
    assert state.scheduler is not None
    await state.scheduler.start()
    if settings.slack_app_token is not None:
        state.socket_mode = AsyncSocketModeHandler(
            bolt, app_token=settings.slack_app_token.get_secret_value(), web_client=client
        )
        await state.socket_mode.connect_async()  # type: ignore[no-untyped-call]
        log.info("socket mode connected")
    yield
    if state.socket_mode is not None:
        await state.socket_mode.close_async()  # type: ignore[no-untyped-call]
    await state.scheduler.stop()
