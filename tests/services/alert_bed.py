"""A test bed for the alert service: the services wired as ``bot/app.py`` wires them, on the
test database and a fake clock, deploying to the real sim fleet (stepped by hand, as in
``test_deploys.py``), paging the loopback fake PagerDuty through the real client, and showing
alert groups through a recording notifier.

Background work (showing a group, pausing a canary, closing a group, following a release) is
queued by :class:`Spawner` and runs only when a test calls :meth:`AlertBed.drain`, in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from bot.config import AppConfig, parse_config
from bot.domain.alerts import Alert, AlertSource, AlertStatus, Notification
from bot.domain.release import ReleaseState
from bot.domain.roles import Role
from bot.services.alert_intake import SUBJECT
from bot.services.alert_models import AlertGroupView, Placed
from bot.services.alert_paging import Escalation
from bot.services.alerts import AlertService
from bot.services.deploy_measure import Measurer
from bot.services.deploys import DeployService
from bot.services.incidents import IncidentService
from bot.services.models import ReleaseCard, ReleaseInfo
from bot.sim.fleet import Fleet, running_fleet
from integrations.deploy.sim import SimAdapter
from integrations.paging.pagerduty import PagerDuty
from storage import audit
from storage.models import AuditEvent
from tests.fakes.pagerduty import FakePagerDuty, running_fake_pagerduty
from tests.services.fakes import FakeClock, RecordingNotifier
from tests.services.world import TO_APPROVED, Sessions, World, build, walk

RM = "U0ALICE"
DAVE = "U0DAVE"
ROUTING_KEY = "R" * 32  # PagerDuty's integration keys are 32 characters
CONFIG = """
roles:
  release_managers: ["@release-managers"]
  oncall: ["@oncall"]
services:
  checkout:
    strategy: {canary: {steps: [{weight: 50, pause: 60s}, {weight: 100}]}}
  cart:
    strategy: {canary: {steps: [{weight: 100}]}}
trains:
  shop: {channel: "#shop", services: [checkout, cart]}
  solo: {channel: "#solo", services: [checkout]}
alerts:
  routes: [{match: {team: payments}, channel: "#payments"}]
  service_label: [service, app]
  ack_timeout: 5m
"""


def alert_config() -> AppConfig:
    return parse_config(text=CONFIG)


@dataclass
class AlertNote:
    group_id: int
    text: str
    mention: Role | None = None


@dataclass
class RecordingAlertNotifier:
    """The alert notifier port, remembering every root shown, thread note and link back."""

    roots: list[AlertGroupView] = field(default_factory=list)
    notes: list[AlertNote] = field(default_factory=list)
    links: list[tuple[int, str]] = field(default_factory=list)
    placed: set[int] = field(default_factory=set)

    async def alert_root(self, *, view: AlertGroupView) -> Placed:
        self.roots.append(view)
        posted = view.group_id not in self.placed
        self.placed.add(view.group_id)
        return Placed(channel=view.channel, ts=f"ts-{view.group_id}", posted=posted)

    async def alert_note(
        self, *, view: AlertGroupView, text: str, mention: Role | None = None
    ) -> None:
        self.placed.add(view.group_id)  # a note posts the root first, if need be
        self.notes.append(AlertNote(view.group_id, text, mention))

    async def alert_link_back(self, *, view: AlertGroupView, card: ReleaseCard) -> None:
        self.links.append((view.group_id, card.release.label))

    def texts(self, group_id: int) -> list[str]:
        return [note.text for note in self.notes if note.group_id == group_id]

    def roots_of(self, group_id: int) -> list[AlertGroupView]:
        return [view for view in self.roots if view.group_id == group_id]


class Spawner:
    """A ``spawn`` that queues work; :meth:`drain` runs it (and what it spawns) in order."""

    def __init__(self) -> None:
        self.queue: list[tuple[str, Coroutine[Any, Any, None]]] = []
        self.names: list[str] = []

    def __call__(self, work: Coroutine[Any, Any, None], name: str) -> None:
        self.names.append(name)
        self.queue.append((name, work))

    async def drain(self) -> None:
        for _ in range(1000):
            if not self.queue:
                return
            _, work = self.queue.pop(0)
            await work
        raise AssertionError(f"background work kept spawning more: {self.names[-10:]}")

    def close(self) -> None:
        for _, work in self.queue:
            work.close()
        self.queue.clear()


@dataclass
class AlertBed:
    world: World
    deploys: DeployService
    incidents: IncidentService
    alerts: AlertService
    shown: RecordingAlertNotifier
    notifier: RecordingNotifier
    spawner: Spawner
    clock: FakeClock
    fleet: Fleet
    pagerduty: FakePagerDuty
    http: httpx.AsyncClient

    def restart(self) -> AlertService:
        """Another replica (or this one restarted): a new alert service on the same database;
        this one's queued background work is lost."""
        self.spawner.close()
        return build_alerts(
            world=self.world, deploys=self.deploys, incidents=self.incidents, shown=self.shown,
            spawner=self.spawner, http=self.http, pagerduty_url=self.pagerduty.url,
        )  # fmt: skip

    async def drain(self) -> None:
        await self.spawner.drain()

    async def receive(self, *alerts: Alert, key: str = "g1", title: str = "") -> int:
        """Receive one notification of ``alerts`` and run what it started; the group's id."""
        stored = await self.alerts.receive(notification(*alerts, key=key, title=title))
        await self.drain()
        return stored.group_id

    async def approved(self, train: str = "solo") -> ReleaseInfo:
        release = await self.world.releases.cut(train=train, actor=RM)
        return await walk(self.world.releases, release, TO_APPROVED, actor=RM)

    async def deploying(self, train: str = "solo") -> ReleaseInfo:
        """A release whose canary takes 50% of the traffic, waiting for its next step."""
        release = await self.approved(train)
        await self.deploys.deploy(release=release, actor=RM)
        for _ in range(10):
            view = await self.deploys.view(release)
            if view.services[0].weight == 50:
                break
            await self.deploys.advance(release.id)
        current = await self.world.releases.get(release.id)
        assert current.state is ReleaseState.DEPLOYING
        return current

    async def released(self, train: str = "solo") -> ReleaseInfo:
        release = await self.approved(train)
        await self.deploys.deploy(release=release, actor=RM)
        for _ in range(50):
            wait = await self.deploys.advance(release.id)
            if wait is None:
                break
            self.clock.advance(timedelta(seconds=wait))
        done = await self.world.releases.get(release.id)
        assert done.state is ReleaseState.RELEASED
        await self.drain()
        return done

    async def trail(self, group_id: int, subject: str = SUBJECT) -> list[AuditEvent]:
        async with self.world.sessions() as session:
            return await audit.list_audit(
                session=session, subject_type=subject, subject_id=group_id
            )


def fire(
    fingerprint: str = "fp1",
    *,
    at: datetime,
    service: str | None = "checkout",
    name: str = "HighErrorRate",
    **labels: str,
) -> Alert:
    """A firing alert that started ``at``, on ``service``."""
    named = {"alertname": name, "severity": "critical", **labels}
    if service is not None:
        named["service"] = service
    return Alert(
        fingerprint=fingerprint,
        status=AlertStatus.FIRING,
        labels=named,
        annotations={"summary": f"{name} on {service}"},
        starts_at=at,
        url=f"https://prometheus.example.com/graph?{fingerprint}",
    )


def resolve(alert: Alert, *, at: datetime) -> Alert:
    """``alert``'s resolved report, ended ``at``."""
    return Alert(
        fingerprint=alert.fingerprint,
        status=AlertStatus.RESOLVED,
        labels=alert.labels,
        annotations=alert.annotations,
        starts_at=alert.starts_at,
        ends_at=at,
        url=alert.url,
    )


def notification(*alerts: Alert, key: str = "g1", title: str = "") -> Notification:
    return Notification(
        source=AlertSource.ALERTMANAGER, group_key=key, alerts=tuple(alerts), title=title
    )


def build_alerts(
    *,
    world: World,
    deploys: DeployService,
    incidents: IncidentService,
    shown: RecordingAlertNotifier,
    spawner: Spawner,
    http: httpx.AsyncClient,
    pagerduty_url: str,
    routing_key: str = ROUTING_KEY,
) -> AlertService:
    pager = PagerDuty(
        http,
        pagerduty_url,
        SecretStr(routing_key),
        retries=0,
        clock=world.clock,
    )
    return AlertService(
        sessions=world.sessions,
        config=world.config,
        releases=world.releases,
        deploys=deploys,
        incidents=incidents,
        notifier=shown,
        release_notifier=world.notifier,
        escalation=Escalation(
            sessions=world.sessions, config=world.config, pager=pager, clock=world.clock
        ),
        spawn=spawner,
        clock=world.clock,
        show_every=0,
    )


def deploy_service(world: World, notifier: RecordingNotifier, adapter: SimAdapter) -> DeployService:
    return DeployService(
        sessions=world.sessions,
        config=world.config,
        releases=world.releases,
        notifier=notifier,
        adapters=lambda name: adapter,
        measurer=Measurer(lambda name: None),
        spawn=None,
        clock=world.clock,
    )


@asynccontextmanager
async def alert_bed(
    *, sessions: Sessions, clock: FakeClock, notifier: RecordingNotifier
) -> AsyncIterator[AlertBed]:
    """The bed on ``sessions``; its background work left over at the end is dropped."""
    world = build(sessions=sessions, config=alert_config(), clock=clock, notifier=notifier)
    async with (
        running_fleet(services=["checkout", "cart"], rps=10, stable="v0") as fleet,
        running_fake_pagerduty() as pagerduty,
        httpx.AsyncClient() as http,
    ):
        deploys = deploy_service(world, notifier, SimAdapter(http=http, url=fleet.url, clock=clock))
        incidents = IncidentService(
            sessions=sessions, releases=world.releases, notifier=notifier, clock=clock
        )
        shown, spawner = RecordingAlertNotifier(), Spawner()
        alerts = build_alerts(
            world=world, deploys=deploys, incidents=incidents, shown=shown, spawner=spawner,
            http=http, pagerduty_url=pagerduty.url,
        )  # fmt: skip
        world.releases.after_change(alerts.release_changed)
        bed = AlertBed(
            world, deploys, incidents, alerts, shown, notifier, spawner, clock, fleet, pagerduty,
            http,
        )  # fmt: skip
        try:
            yield bed
        finally:
            spawner.close()
