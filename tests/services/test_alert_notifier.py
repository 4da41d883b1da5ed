"""Alert threads through the real ``SlackAlertNotifier``: Web API calls over loopback to the
Slack simulator, on SQLite and PostgreSQL. One root per alert group, updated in place, even
from two replicas; notes in its thread with a role mention; one link back in the release's
thread; and posts paced under Slack's limit of one per second per channel."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.alerts import Alert, AlertSource, AlertStatus, summarize
from bot.domain.attribution import Attribution
from bot.domain.release import ReleaseState
from bot.domain.roles import Role, RoleMembers
from bot.services.alert_models import AlertGroupView, GroupStatus
from bot.services.models import ReleaseCard
from bot.sim.slack import SimMessage, SlackSimulator
from bot.slack.alert_notifier import SlackAlertNotifier
from bot.slack.directory import UserGroupDirectory
from bot.slack.notifier import SlackNotifier
from bot.slack.pacing import ChannelPacer
from bot.slack.roles import RoleResolver
from storage.models import RefKind
from storage.slack_refs import get_ref
from tests.services.fakes import FakeClock
from tests.services.world import Sessions, build, config_for

ALICE = "U0ALICE"
DAVE = "U0DAVE"
ONCALL = "<!subteam^S0ONCALL|@oncall>"


def notifiers(
    *,
    client: AsyncWebClient,
    sessions: Sessions,
    clock: FakeClock,
    pacer: ChannelPacer | None = None,
) -> SlackAlertNotifier:
    """One replica's notifiers: the release side, and the alert side built on it."""
    roles = RoleResolver(
        members={Role.ONCALL: RoleMembers(handles=frozenset({"oncall"}))},
        directory=UserGroupDirectory(client=client),
    )
    release_side = SlackNotifier(client=client, sessions=sessions, clock=clock, mentions=roles)
    return SlackAlertNotifier(
        client=client,
        sessions=sessions,
        notifier=release_side,
        pacer=pacer if pacer is not None else ChannelPacer(0.0),
        clock=clock,
        mentions=roles,
    )


def group(clock: FakeClock, group_id: int = 31, **changes: Any) -> AlertGroupView:
    alert = Alert(
        fingerprint="fp1",
        status=AlertStatus.FIRING,
        labels={"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
        annotations={"summary": "5% of requests fail"},
        starts_at=clock() - timedelta(minutes=12),
    )
    view = AlertGroupView(
        group_id=group_id,
        source=AlertSource.ALERTMANAGER,
        group_key=f"group-{group_id}",
        title="HighErrorRate",
        channel="#oncall",
        status=GroupStatus.FIRING,
        summary=summarize([alert]),
        alerts=(alert,),
        now=clock(),
    )
    return replace(view, **changes)


def roots(sim: SlackSimulator, channel: str = "#oncall") -> list[SimMessage]:
    return sim.messages_in(channel, include_replies=False)


def replies(sim: SlackSimulator, root: SimMessage) -> list[str]:
    return [m.text for m in sim.thread(root.channel, root.ts) if m.ts != root.ts]


async def released_card(
    *, sessions: Sessions, client: AsyncWebClient, clock: FakeClock, repo: Path
) -> ReleaseCard:
    """A release cut through the real Slack notifier: its root is in #releases."""
    notifier = SlackNotifier(client=client, sessions=sessions, clock=clock)
    world = build(sessions=sessions, config=config_for(repo), clock=clock, notifier=notifier)
    release = await world.releases.cut(train="web", actor=ALICE)
    return world.releases.card(release)


def tied_to(card: ReleaseCard, clock: FakeClock) -> Attribution:
    return Attribution(
        release_id=card.release.id,
        label=card.release.label,
        version=card.release.version,
        service="checkout",
        deployed_at=clock() - timedelta(minutes=20),
        deployed_by=ALICE,
        in_flight=False,
    )


async def test_one_root_per_group_posted_once_then_updated_in_place(
    db_sessions: Sessions, sim: SlackSimulator, client: AsyncWebClient, clock: FakeClock
) -> None:
    notifier = notifiers(client=client, sessions=db_sessions, clock=clock)
    assert await notifier.alert_permalink(view=group(clock)) is None

    first = await notifier.alert_root(view=group(clock))
    acked = group(clock, acked_by=DAVE, acked_at=clock(), acked_via="slack")
    again = await notifier.alert_root(view=acked)

    [root] = roots(sim)
    assert (first.channel, first.ts, first.posted) == ("C0ONCALL", root.ts, True)
    assert (again.channel, again.ts, again.posted) == ("C0ONCALL", root.ts, False)
    assert root.text == "HighErrorRate: 🔥 firing · 1 firing, 0 resolved"
    assert root.edit_count == 1
    assert "Acknowledged by <@U0DAVE>" in str(root.blocks)
    assert len(sim.calls_to("chat.postMessage")) == 1
    async with db_sessions() as session:
        ref = await get_ref(session=session, kind=RefKind.ALERT_THREAD, subject="alert:31")
    assert ref is not None
    assert (ref.channel_id, ref.ts, ref.release_id) == ("C0ONCALL", root.ts, None)
    permalink = await notifier.alert_permalink(view=acked)
    assert permalink is not None
    assert permalink.endswith(f"/archives/C0ONCALL/p{root.ts.replace('.', '')}")


async def test_two_replicas_posting_one_root_at_once_post_it_once(
    db_sessions: Sessions, sim: SlackSimulator, client: AsyncWebClient, clock: FakeClock
) -> None:
    one = notifiers(client=client, sessions=db_sessions, clock=clock)
    two = notifiers(client=client, sessions=db_sessions, clock=clock)
    view = group(clock)

    placed = await asyncio.gather(
        one.alert_root(view=view), two.alert_root(view=view), one.alert_root(view=view)
    )

    [root] = roots(sim)
    assert {p.ts for p in placed} == {root.ts}
    assert sorted(p.posted for p in placed) == [False, False, True]
    assert len(sim.calls_to("chat.postMessage")) == 1


async def test_notes_land_in_the_thread_with_a_mention_posting_the_root_first(
    db_sessions: Sessions, sim: SlackSimulator, client: AsyncWebClient, clock: FakeClock
) -> None:
    notifier = notifiers(client=client, sessions=db_sessions, clock=clock)
    view = group(clock)

    await notifier.alert_note(view=view, text="Nobody acknowledged this.", mention=Role.ONCALL)
    await notifier.alert_note(view=view, text="Paused the canary.")

    [root] = roots(sim)
    assert root.blocks  # the root, posted first
    assert replies(sim, root) == [f"{ONCALL} Nobody acknowledged this.", "Paused the canary."]


async def test_an_attributed_root_links_the_release_thread_and_the_release_links_back_once(
    db_sessions: Sessions,
    sim: SlackSimulator,
    client: AsyncWebClient,
    clock: FakeClock,
    repo: Path,
) -> None:
    card = await released_card(sessions=db_sessions, client=client, clock=clock, repo=repo)
    [release_root] = roots(sim, "#releases")
    one = notifiers(client=client, sessions=db_sessions, clock=clock)
    two = notifiers(client=client, sessions=db_sessions, clock=clock)
    view = group(clock, attribution=tied_to(card, clock), release_state=ReleaseState.RELEASED)

    await one.alert_root(view=view)
    await asyncio.gather(
        one.alert_link_back(view=view, card=card),
        two.alert_link_back(view=view, card=card),
        one.alert_link_back(view=view, card=card),
    )
    await two.alert_link_back(view=view, card=card)

    [root] = roots(sim)
    release_link = f"/archives/C0RELEASES/p{release_root.ts.replace('.', '')}|release thread>"
    assert release_link in str(root.blocks)
    links = [r for r in replies(sim, release_root) if "alert thread" in r]
    alert_link = f"/archives/C0ONCALL/p{root.ts.replace('.', '')}|HighErrorRate in #oncall>"
    assert len(links) == 1
    assert links[0].startswith(
        ":rotating_light: An alert thread names this release as the likely cause: <http"
    )
    assert links[0].endswith(alert_link)
    async with db_sessions() as session:
        ref = await get_ref(session=session, kind=RefKind.ALERT_THREAD, subject="alert:31")
    assert ref is not None
    assert ref.release_id == card.release.id


async def test_a_detached_group_updates_the_release_its_ref_names(
    db_sessions: Sessions,
    sim: SlackSimulator,
    client: AsyncWebClient,
    clock: FakeClock,
    repo: Path,
) -> None:
    card = await released_card(sessions=db_sessions, client=client, clock=clock, repo=repo)
    notifier = notifiers(client=client, sessions=db_sessions, clock=clock)
    tied = group(clock, attribution=tied_to(card, clock), release_state=ReleaseState.RELEASED)
    await notifier.alert_root(view=tied)

    await notifier.alert_root(view=group(clock, detached=(card.release.label,), detached_by=DAVE))

    [root] = roots(sim)
    assert "Not related to *web/2026.11.1* (said <@U0DAVE>)" in str(root.blocks)
    async with db_sessions() as session:
        ref = await get_ref(session=session, kind=RefKind.ALERT_THREAD, subject="alert:31")
    assert ref is not None
    assert ref.release_id is None


async def test_a_root_deleted_in_slack_is_posted_again_on_the_next_change(
    db_sessions: Sessions, sim: SlackSimulator, client: AsyncWebClient, clock: FakeClock
) -> None:
    notifier = notifiers(client=client, sessions=db_sessions, clock=clock)
    first = await notifier.alert_root(view=group(clock))
    await client.chat_delete(channel=first.channel, ts=first.ts)

    second = await notifier.alert_root(view=group(clock, paged=True))
    await notifier.alert_note(view=group(clock), text="still here")

    assert second.posted
    [root] = roots(sim)
    assert root.ts == second.ts != first.ts
    assert "PagerDuty paged" in str(root.blocks)
    assert replies(sim, root) == ["still here"]


class SharedTime:
    """One fake clock for the simulator's rate limit and the pacer; the pacer's sleep moves it."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def test_paced_roots_to_one_channel_all_land_under_slacks_limit(
    db_sessions: Sessions, clock: FakeClock
) -> None:
    time = SharedTime()
    async with SlackSimulator(posts_per_second=1, clock=time) as limited:
        web = AsyncWebClient(base_url=limited.api_url, token=limited.config.bot_token)
        pacer = ChannelPacer(1.05, clock=time, sleep=time.sleep)
        notifier = notifiers(client=web, sessions=db_sessions, clock=clock, pacer=pacer)

        await asyncio.gather(
            *(notifier.alert_root(view=group(clock, n, title=f"Alert {n}")) for n in range(5))
        )

        titles = sorted(m.text.split(":")[0] for m in roots(limited))
        assert titles == [f"Alert {n}" for n in range(5)]
        assert [c.error for c in limited.calls_to("chat.postMessage")] == [None] * 5


async def test_unpaced_roots_trip_slacks_limit(db_sessions: Sessions, clock: FakeClock) -> None:
    """The control for the test above: the simulator does refuse a burst."""
    time = SharedTime()
    async with SlackSimulator(posts_per_second=1, clock=time) as limited:
        web = AsyncWebClient(
            base_url=limited.api_url, token=limited.config.bot_token, retry_handlers=[]
        )
        notifier = notifiers(client=web, sessions=db_sessions, clock=clock)

        outcomes = await asyncio.gather(
            *(notifier.alert_root(view=group(clock, n)) for n in range(5)),
            return_exceptions=True,
        )

        refused = [o for o in outcomes if isinstance(o, SlackApiError)]
        assert refused
        assert all(o.response["error"] == "ratelimited" for o in refused)
        assert len(roots(limited)) == 5 - len(refused)
