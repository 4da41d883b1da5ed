"""An alert thread's buttons through the real path: people click them in the simulator, the
signed request reaches a bolt app over HTTP, and the alert service (a recording stand-in) is
called in the background. Only refusals, errors and stale buttons get an ephemeral reply."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import ActionsBlock, ButtonElement
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.alerts import AlertSource, summarize
from bot.domain.attribution import Attribution
from bot.domain.release import ReleaseState
from bot.domain.roles import Role, RoleMembers
from bot.errors import NotAllowed
from bot.observability.metrics import Metrics
from bot.services.alert_models import AlertGroupView, GroupStatus
from bot.sim.slack import SimClient, SimMessage, SlackSimulator
from bot.slack.alert_actions import register_alert_actions
from bot.slack.alert_views import AlertAction, alert_root
from bot.slack.directory import UserGroupDirectory
from bot.slack.roles import RoleResolver
from bot.tasks import BackgroundTasks

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@dataclass
class RecordingAlerts:
    """Stands in for ``AlertService``: records each call; ``fail_with`` makes calls raise."""

    calls: list[tuple[str, int, str]] = field(default_factory=list)
    fail_with: Exception | None = None

    async def _call(self, verb: str, group_id: int, actor: str) -> None:
        self.calls.append((verb, group_id, actor))
        if self.fail_with is not None:
            raise self.fail_with

    async def acknowledge(self, *, group_id: int, actor: str) -> None:
        await self._call("acknowledge", group_id, actor)

    async def resolve(self, *, group_id: int, actor: str) -> None:
        await self._call("resolve", group_id, actor)

    async def detach(self, *, group_id: int, actor: str) -> None:
        await self._call("detach", group_id, actor)

    async def rollback(self, *, group_id: int, actor: str) -> None:
        await self._call("rollback", group_id, actor)


@dataclass
class Bot:
    url: str
    alerts: RecordingAlerts
    tasks: BackgroundTasks


@pytest.fixture
async def sim() -> AsyncIterator[SlackSimulator]:
    async with SlackSimulator() as simulator:
        yield simulator


@pytest.fixture
async def bot(sim: SlackSimulator) -> AsyncIterator[Bot]:
    client = AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token)
    app = AsyncApp(client=client, signing_secret=sim.config.signing_secret)
    roles = RoleResolver(
        members={
            Role.ONCALL: RoleMembers(handles=frozenset({"oncall"})),
            Role.RELEASE_MANAGER: RoleMembers(handles=frozenset({"release-managers"})),
            Role.QA: RoleMembers(handles=frozenset({"qa-team"})),
        },
        directory=UserGroupDirectory(client=client),
    )
    alerts = RecordingAlerts()
    tasks = BackgroundTasks(metrics=Metrics())
    register_alert_actions(app, roles=roles, tasks=tasks, alerts=alerts)  # type: ignore[arg-type]

    async def events(request: web.Request) -> web.Response:
        return await to_aiohttp_response(await app.async_dispatch(await to_bolt_request(request)))

    server = web.Application()
    server.router.add_post("/slack/events", events)
    runner = web.AppRunner(server)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield Bot(f"http://127.0.0.1:{runner.addresses[0][1]}/slack/events", alerts, tasks)
    await tasks.drain()
    await runner.cleanup()


async def post_root(sim: SlackSimulator) -> SimMessage:
    """The root of alert group 31, tied to a released release: all four buttons."""
    view = AlertGroupView(
        group_id=31,
        source=AlertSource.ALERTMANAGER,
        group_key="g",
        title="HighErrorRate",
        channel="#oncall",
        status=GroupStatus.FIRING,
        summary=summarize([]),
        alerts=(),
        now=NOW,
        attribution=Attribution(
            release_id=7,
            label="web/2026.11.3",
            version="2026.11.3",
            service="checkout",
            deployed_at=NOW,
            deployed_by="U0ALICE",
            in_flight=False,
        ),
        release_state=ReleaseState.RELEASED,
    )
    text, blocks = alert_root(view)
    web_client = AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token)
    posted = await web_client.chat_postMessage(channel="#oncall", text=text, blocks=blocks)
    return sim.message("#oncall", str(posted["ts"]))


async def click(sim: SlackSimulator, bot: Bot, user: str, action: AlertAction) -> int:
    message = await post_root(sim)
    async with SimClient(sim, bot_url=bot.url) as people:
        response = await people.click(user=user, message=message, action_id=action.value)
    await bot.tasks.drain()
    return response.status


@pytest.mark.parametrize(
    ("user", "action", "verb"),
    [
        ("dave", AlertAction.ACK, "acknowledge"),
        ("dave", AlertAction.RESOLVE, "resolve"),
        ("dave", AlertAction.UNRELATED, "detach"),
        ("alice", AlertAction.ROLLBACK, "rollback"),
        ("dave", AlertAction.ROLLBACK, "rollback"),
    ],
)
async def test_on_call_and_release_managers_press_the_buttons(
    sim: SlackSimulator, bot: Bot, user: str, action: AlertAction, verb: str
) -> None:
    assert await click(sim, bot, user, action) == 200
    assert bot.alerts.calls == [(verb, 31, sim.user(user).id)]
    assert sim.ephemerals_for(user) == []  # the root message shows what happened


async def test_anyone_else_is_told_who_may_and_nothing_happens(
    sim: SlackSimulator, bot: Bot
) -> None:
    await click(sim, bot, "bob", AlertAction.RESOLVE)
    assert bot.alerts.calls == []
    [refusal] = sim.ephemerals_for("bob")
    assert refusal.text.startswith("Only on-call or release manager members can act on alert")


async def test_a_refusal_from_the_service_is_told_ephemerally(
    sim: SlackSimulator, bot: Bot
) -> None:
    bot.alerts.fail_with = NotAllowed("This alert group is already resolved by <@U0ERIN>.")
    assert await click(sim, bot, "dave", AlertAction.ACK) == 200
    [reply] = sim.ephemerals_for("dave")
    assert reply.text == "This alert group is already resolved by <@U0ERIN>."


async def test_an_unexpected_error_gets_a_short_id_and_no_internals(
    sim: SlackSimulator, bot: Bot
) -> None:
    bot.alerts.fail_with = RuntimeError("database password is hunter2")
    await click(sim, bot, "dave", AlertAction.RESOLVE)
    [reply] = sim.ephemerals_for("dave")
    assert reply.text.startswith("Something went wrong on our side (error id `")
    assert "hunter2" not in reply.text


async def test_a_garbled_or_old_button_names_the_command_to_use(
    sim: SlackSimulator, bot: Bot
) -> None:
    web_client = AsyncWebClient(base_url=sim.api_url, token=sim.config.bot_token)
    old = ActionsBlock(
        elements=[ButtonElement(text="Acknowledge", action_id="alert.ack", value='{"v": 0}')]
    )
    posted = await web_client.chat_postMessage(channel="#oncall", text="old", blocks=[old])
    message = sim.message("#oncall", str(posted["ts"]))
    async with SimClient(sim, bot_url=bot.url) as people:
        await people.click(user="dave", message=message, action_id=AlertAction.ACK.value)
    await bot.tasks.drain()

    assert bot.alerts.calls == []
    [reply] = sim.ephemerals_for("dave")
    assert reply.text == (
        "This button is from an older message; run `/release incident VERSION` instead."
    )
