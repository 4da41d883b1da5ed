"""``POST /hooks/alerts/{source}`` and ``POST /hooks/pagerduty`` over real HTTP, through the
running bot and the Slack simulator: the checks in order (503, 401, 413, 400, 404), alerts
stored and a root posted in #oncall for Alertmanager, Grafana and generic bodies, a repeat that
changes nothing, the Acknowledge button for on-call only, and PagerDuty's signed webhooks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr

from bot.config import AppConfig, parse_config
from bot.sim.slack import SimMessage
from bot.slack.alert_views import AlertAction
from storage import alerts
from storage.engine import create_engine, session_factory
from storage.models import AlertGroupRow, AlertRow
from tests.fakes.pagerduty import send_webhook, sign_webhook, webhook_body
from tests.harness import ROLES_YAML, Running, running_bot

pytestmark = pytest.mark.asyncio(loop_scope="module")

TOKEN = "alerts-t0ken"
PD_SECRET = "pagerduty-s3cret"
LIMIT = 16 * 1024
FIXTURES = Path(__file__).parents[1] / "integrations"
CONFIG = ROLES_YAML + "trains:\n  web: {channel: '#releases'}\n"


def fixture(name: str) -> bytes:
    folder = "alerts_wire" if name == "alertmanager_v4.json" else "alerts"
    return (FIXTURES / folder / "fixtures" / name).read_bytes()


@pytest.fixture(scope="module")
def config() -> AppConfig:
    return parse_config(text=CONFIG)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def bot(
    tmp_path_factory: pytest.TempPathFactory, config: AppConfig
) -> AsyncIterator[Running]:
    async with running_bot(
        tmp_path=tmp_path_factory.mktemp("alert-hooks"),
        config=config,
        alerts_token=SecretStr(TOKEN),
        alerts_max_bytes=LIMIT,
        pagerduty_webhook_secret=SecretStr(PD_SECRET),
    ) as bot:
        yield bot


@pytest_asyncio.fixture(loop_scope="module")
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


async def post(http: httpx.AsyncClient, bot: Running, source: str, body: bytes) -> httpx.Response:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    return await http.post(f"{bot.url}/hooks/alerts/{source}", content=body, headers=headers)


async def stored(bot: Running, group_id: int) -> tuple[AlertGroupRow, list[AlertRow]]:
    engine = create_engine(url=bot.settings.database_url)
    try:
        async with session_factory(engine=engine)() as session:
            group = await alerts.get_group(session=session, group_id=group_id)
            assert group is not None
            return group, await alerts.list_alerts(session=session, group_id=group_id)
    finally:
        await engine.dispose()


def started_now(name: str) -> bytes:
    """An Alertmanager or Grafana fixture whose alerts started just now (so that none is old
    enough to escalate while a test runs)."""
    document = json.loads(fixture(name))
    for alert in document["alerts"]:
        alert["startsAt"] = datetime.now(UTC).isoformat()
    return json.dumps(document).encode()


async def shown(bot: Running, group_id: int) -> AlertGroupRow:
    """The group, once its root shows its every change."""
    for _ in range(200):
        group, _ = await stored(bot, group_id)
        if group.shown_version == group.row_version:
            return group
        await asyncio.sleep(0.05)
    raise AssertionError(f"the root of alert group {group_id} never caught up")


def root_of(bot: Running, title: str) -> SimMessage | None:
    roots = bot.sim.messages_in("#oncall", include_replies=False)
    return next((m for m in roots if title in m.text), None)


def replies(bot: Running, root: SimMessage) -> list[str]:
    return [m.text for m in bot.sim.thread(root.channel, root.ts)[1:]]


# --- refusals ---------------------------------------------------------------------------------


async def test_without_a_token_or_secret_the_hooks_answer_503(
    tmp_path: Path, config: AppConfig, http: httpx.AsyncClient
) -> None:
    async with running_bot(tmp_path=tmp_path, config=config) as bare:
        refused = await post(http, bare, "alertmanager", fixture("alertmanager_firing.json"))
        paged = await http.post(f"{bare.url}/hooks/pagerduty", content=b"{}")
        healthy = await http.get(f"{bare.url}/healthz")

    assert refused.status_code == 503
    assert refused.json() == {
        "ok": False, "error": "not configured: set STATIONMASTER_ALERTS_TOKEN",
    }  # fmt: skip
    assert paged.status_code == 503
    assert "STATIONMASTER_PAGERDUTY_WEBHOOK_SECRET" in paged.json()["error"]
    assert healthy.status_code == 200  # the rest of the bot runs


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token", f"Basic {TOKEN}", f"Token {TOKEN}", "Bearer", TOKEN],
    ids=["missing", "wrong", "basic-scheme", "token-scheme", "empty", "no-scheme"],
)
async def test_a_missing_or_wrong_token_is_401(
    bot: Running, http: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await http.post(
        f"{bot.url}/hooks/alerts/alertmanager",
        content=fixture("alertmanager_firing.json"),
        headers=headers,
    )
    assert response.status_code == 401
    assert response.json()["error"].startswith("a missing or wrong bearer token")


async def test_a_body_over_the_limit_is_413(bot: Running, http: httpx.AsyncClient) -> None:
    document = json.loads(fixture("alertmanager_firing.json"))
    document["padding"] = "x" * LIMIT
    response = await post(http, bot, "alertmanager", json.dumps(document).encode())
    assert response.status_code == 413
    assert response.json() == {"ok": False, "error": f"body over the {LIMIT} byte limit"}


@pytest.mark.parametrize(
    ("source", "body", "reason"),
    [
        ("alertmanager", b"{not json", "the body is not JSON"),
        ("generic", b"", "the body is empty; expected a JSON object"),
        ("alertmanager", b"[1, 2]", "the body must be a JSON object, not an array"),
        (
            "alertmanager",
            fixture("alertmanager_firing.json").replace(b'"version": "4"', b'"version": "3"'),
            'version: expected "4", the Alertmanager webhook version this bot reads; got "3"',
        ),
        ("alertmanager", b'{"version": "4", "groupKey": "g"}', "alerts: required, but missing"),
        ("generic", b'{"alerts": [{"labels": {}}]}', "alerts[0].labels: must not be empty"),
        ("grafana", fixture("grafana_legacy.json"), "a legacy Grafana alert"),
    ],
    ids=["not-json", "empty", "array", "version", "missing", "no-labels", "grafana-legacy"],
)
async def test_a_body_that_is_not_a_notification_is_400_with_the_reason(
    bot: Running, http: httpx.AsyncClient, source: str, body: bytes, reason: str
) -> None:
    response = await post(http, bot, source, body)
    assert response.status_code == 400
    assert response.json()["ok"] is False
    assert reason in response.json()["error"]


async def test_an_unknown_source_is_404(bot: Running, http: httpx.AsyncClient) -> None:
    response = await post(http, bot, "nagios", fixture("generic_minimal.json"))
    assert response.status_code == 404
    assert response.json()["error"] == (
        "no alert source 'nagios': use one of alertmanager, grafana, generic"
    )


# --- notifications ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "title", "count"),
    [
        ("alertmanager", "alertmanager_v4.json", "CheckoutErrors (service=checkout)", 2),
        ("grafana", "grafana_firing.json", "Checkout latency", 2),
        ("generic", "generic_full.json", "Checkout errors", 2),
    ],
)
async def test_a_notification_is_stored_and_its_root_posted_in_oncall(
    bot: Running, http: httpx.AsyncClient, source: str, name: str, title: str, count: int
) -> None:
    response = await post(http, bot, source, fixture(name))

    assert response.status_code == 202
    answer = response.json()
    assert (answer["ok"], answer["changed"]) == (True, count)
    group, rows = await stored(bot, answer["group"])
    assert (group.source, group.channel, group.status) == (source, "#oncall", "firing")
    assert title in group.title
    assert len(rows) == count
    root = await bot.sim.wait_for(lambda: root_of(bot, group.title), timeout=10)
    assert root.blocks  # the Block Kit root, with its buttons
    assert AlertAction.ACK.value in json.dumps(root.blocks)


async def test_a_repeat_changes_nothing_in_slack(bot: Running, http: httpx.AsyncClient) -> None:
    body = started_now("alertmanager_firing.json")
    first = (await post(http, bot, "alertmanager", body)).json()
    group = await shown(bot, first["group"])
    root = await bot.sim.wait_for(lambda: root_of(bot, group.title), timeout=10)
    roots = len(bot.sim.messages_in("#oncall", include_replies=False))
    edits = bot.sim.message("#oncall", root.ts).edit_count

    again = await post(http, bot, "alertmanager", body)

    assert again.status_code == 202
    assert (again.json()["group"], again.json()["changed"]) == (first["group"], 0)
    # a new group after it: once its root shows, the repeat has had every chance to post
    sentinel = {"group": "sentinel", "alerts": [{"labels": {"alertname": "Sentinel"}}]}
    await post(http, bot, "generic", json.dumps(sentinel).encode())
    await bot.sim.wait_for(lambda: root_of(bot, "Sentinel"), timeout=10)
    assert len(bot.sim.messages_in("#oncall", include_replies=False)) == roots + 1
    assert replies(bot, root) == []
    assert bot.sim.message("#oncall", root.ts).edit_count == edits
    after, _ = await stored(bot, first["group"])
    assert after.row_version == group.row_version


# --- the buttons ------------------------------------------------------------------------------


async def test_on_call_acknowledges_and_a_developer_is_refused(
    bot: Running, http: httpx.AsyncClient
) -> None:
    body = {"group": "ack-me", "title": "Ack me", "alerts": [{"labels": {"alertname": "AckMe"}}]}
    answer = (await post(http, bot, "generic", json.dumps(body).encode())).json()
    root = await bot.sim.wait_for(lambda: root_of(bot, "Ack me"), timeout=10)

    refused = await bot.people.click(user="erin", message=root, action_id=AlertAction.ACK.value)
    assert refused.status == 200
    told = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("erin")[-1:], timeout=10)
    assert told[0].text == (
        "Only on-call or release manager members can act on alert threads; you are not in the "
        "`oncall` or `release_managers` role."
    )
    assert (await stored(bot, answer["group"]))[0].acked_by is None

    await bot.people.click(user="dave", message=root, action_id=AlertAction.ACK.value)
    updated = await bot.sim.wait_for(
        lambda: (
            "Acknowledged by <@U0DAVE>" in json.dumps(bot.sim.message("#oncall", root.ts).blocks)
            or None
        ),
        timeout=10,
    )
    assert updated
    note = await bot.sim.wait_for(
        lambda: next((t for t in replies(bot, root) if "acknowledged this" in t), None), timeout=10
    )
    assert note == ":eyes: <@U0DAVE> acknowledged this; escalation stopped."
    group, _ = await stored(bot, answer["group"])
    assert (group.acked_by, group.acked_via) == ("U0DAVE", "slack")


# --- PagerDuty's webhooks -----------------------------------------------------------------


async def test_pagerduty_webhooks_are_checked_and_acknowledge_the_group(
    bot: Running, http: httpx.AsyncClient
) -> None:
    url = f"{bot.url}/hooks/pagerduty"
    body = webhook_body(event_type="incident.acknowledged", dedup_key="paged-group")
    unsigned = await http.post(url, content=body)
    forged = await http.post(
        url, content=body, headers={"X-PagerDuty-Signature": sign_webhook("not-it", body)}
    )
    garbage = b"{not json"
    malformed = await http.post(
        url, content=garbage, headers={"X-PagerDuty-Signature": sign_webhook(PD_SECRET, garbage)}
    )
    assert (unsigned.status_code, forged.status_code, malformed.status_code) == (401, 401, 400)
    assert "X-PagerDuty-Signature" in unsigned.json()["error"]
    assert forged.json()["error"].startswith("bad signature")
    assert "not JSON" in malformed.json()["error"]

    generic = {"group": "paged-group", "title": "Paged", "alerts": [{"labels": {"alertname": "P"}}]}
    answer = (await post(http, bot, "generic", json.dumps(generic).encode())).json()
    root = await bot.sim.wait_for(lambda: root_of(bot, "Paged"), timeout=10)

    accepted = await send_webhook(
        url, PD_SECRET, event_type="incident.acknowledged", dedup_key="paged-group"
    )

    assert (accepted.status_code, accepted.json()) == (202, {"ok": True, "groups": 1})
    group, _ = await stored(bot, answer["group"])
    assert (group.acked_by, group.acked_via) == ("Dana Oncall", "pagerduty")
    await bot.sim.wait_for(
        lambda: "via PagerDuty" in json.dumps(bot.sim.message("#oncall", root.ts).blocks) or None,
        timeout=10,
    )
    ignored = await send_webhook(url, PD_SECRET, event_type="incident.annotated", dedup_key="x")
    assert (ignored.status_code, ignored.json()) == (202, {"ok": True, "groups": 0})


# --- /release incident ------------------------------------------------------------------------


async def test_incident_of_an_unknown_release_or_one_without_alerts_says_so(bot: Running) -> None:
    unknown = await bot.ask("incident 1999.1.1")
    assert "There is no release `1999.1.1`" in unknown
    assert "Traceback" not in unknown

    cut = await bot.ask("cut web")
    version = cut.split("Cut *web/", 1)[1].split("*", 1)[0]
    quiet = await bot.ask(f"incident {version}")
    assert quiet.startswith(f"No alert has been tied to web/{version}, so it has no incident")
    assert "for 1h after its release" in quiet
