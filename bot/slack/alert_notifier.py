"""The alert notifier port over Slack: one root message per alert group, updated in place;
lines in its thread; and a link to it in the thread of the release it is attributed to.

It builds on :class:`~bot.slack.notifier.SlackNotifier`, which owns the release threads, and
keeps its rules: each message's channel and ts are stored as a ``SlackMessageRef`` (kind
``alert_thread``: ``alert:<group id>`` for a root, ``alert-link:<group id>:<release id>`` for a
link back), and posting one is claimed first in the idempotency table, so two replicas never
post a group's root, or its link back, twice.

A burst of alerts must not trip Slack's limit of about one post per second per channel, so
every post goes through a :class:`~bot.slack.pacing.ChannelPacer`: roots first, then the lines
in threads and the updates in place. Pacing updates too keeps a storm under ``chat.update``'s
own limit, and a group's show task folds whatever changed while it waited into one update; the
client's retry handler covers a rare 429.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Sequence

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.clock import Clock, utc_now
from bot.domain.roles import Role
from bot.observability.logs import get_logger
from bot.services.alert_models import AlertGroupView, Placed
from bot.services.models import ReleaseCard
from bot.slack.alert_views import alert_root, title_of
from bot.slack.notifier import GONE, RoleMentions, SlackNotifier
from bot.slack.pacing import ChannelPacer
from storage.models import RefKind, SlackMessageRef
from storage.slack_refs import get_ref, upsert_ref

__all__ = ["SlackAlertNotifier"]

log = get_logger(__name__)

_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{6,}")


def _lane(channel: str) -> str:
    """The pacing lane of a channel as the config names it: ``#OnCall`` and ``oncall`` agree."""
    return channel.removeprefix("#").lower()


class SlackAlertNotifier:
    """Implements :class:`~bot.services.alert_models.AlertNotifier`; the release side of the
    port (``release_changed``, ``thread_note``, ``channel_note``) is ``notifier``'s."""

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        sessions: async_sessionmaker[AsyncSession],
        notifier: SlackNotifier,
        pacer: ChannelPacer | None = None,
        clock: Clock = utc_now,
        mentions: RoleMentions | None = None,
        service_labels: Sequence[str] = ("service",),
    ) -> None:
        self._client = client
        self._sessions = sessions
        self._notifier = notifier
        self._pacer = pacer if pacer is not None else ChannelPacer()
        self._clock = clock
        self._mentions = mentions
        self._service_labels = tuple(service_labels)
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._permalinks: dict[tuple[str, str], str] = {}

    # the release side --------------------------------------------------------------------------

    async def release_changed(self, *, card: ReleaseCard) -> None:
        await self._notifier.release_changed(card=card)

    async def thread_note(
        self, *, card: ReleaseCard, text: str, mention: Role | None = None
    ) -> None:
        await self._notifier.thread_note(card=card, text=text, mention=mention)

    async def channel_note(self, *, channel: str, text: str, mention: Role | None = None) -> None:
        await self._notifier.channel_note(channel=channel, text=text, mention=mention)

    # alert groups ------------------------------------------------------------------------------

    async def alert_root(self, *, view: AlertGroupView) -> Placed:
        async with self._locks[view.group_id]:
            return await self._root(view, update=True)

    async def alert_note(
        self, *, view: AlertGroupView, text: str, mention: Role | None = None
    ) -> None:
        async with self._locks[view.group_id]:
            root = await self._root(view, update=False)
        body = await self._with_mention(text, mention)
        async with self._pacer.turn(_lane(view.channel)):
            await self._client.chat_postMessage(channel=root.channel, thread_ts=root.ts, text=body)

    async def alert_link_back(self, *, view: AlertGroupView, card: ReleaseCard) -> None:
        subject = f"alert-link:{view.group_id}:{card.release.id}"
        if await self._ref(subject) is not None:
            return
        async with self._locks[view.group_id]:
            root = await self._root(view, update=False)
        if await self._ref(subject) is not None or not await self._notifier.claim(subject):
            return  # posted already, or being posted by another task or replica
        channel, thread_ts = await self._notifier.thread_of(card=card)
        title = messages.ALERT_ROOT_LINK_TEXT.format(
            title=title_of(view), channel=_where(view.channel)
        )
        permalink = await self._permalink(root.channel, root.ts)
        link = f"<{permalink}|{title}>" if permalink else title
        async with self._pacer.turn(_lane(card.channel)):
            posted = await self._client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=messages.ALERT_ROOT_LINK_BACK.format(link=link),
            )
        await self._save(
            subject,
            channel=str(posted["channel"]),
            ts=str(posted["ts"]),
            thread_ts=thread_ts,
            release_id=card.release.id,
        )

    async def alert_permalink(self, *, view: AlertGroupView) -> str | None:
        """The permalink of the group's root, or None while it has none."""
        ref = await self._ref(f"alert:{view.group_id}")
        return await self._permalink(ref.channel_id, ref.ts) if ref is not None else None

    # the root ----------------------------------------------------------------------------------

    async def _root(self, view: AlertGroupView, *, update: bool) -> Placed:
        """The group's one root: posted once (claimed first), then updated in place when
        ``update``; posted again if it is gone from Slack."""
        subject = f"alert:{view.group_id}"
        ref = await self._ref(subject)
        if ref is None:
            if await self._notifier.claim(subject):
                return await self._post_root(view, subject)
            channel, ts = await self._notifier.await_other(subject, kind=RefKind.ALERT_THREAD)
        else:
            channel, ts = ref.channel_id, ref.ts
        if update:
            text, blocks = await self._render(view)
            try:
                async with self._pacer.turn(_lane(view.channel)):
                    await self._client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            except SlackApiError as exc:
                if exc.response.get("error") not in GONE:
                    raise
                log.warning("an alert root is gone from Slack; posting it again", subject=subject)
                return await self._post_root(view, subject)
            release_id = _release_id(view)
            if ref is not None and ref.release_id != release_id:
                await self._save(subject, channel=channel, ts=ts, release_id=release_id)
        return Placed(channel=channel, ts=ts, posted=False)

    async def _post_root(self, view: AlertGroupView, subject: str) -> Placed:
        text, blocks = await self._render(view)
        async with self._pacer.turn(_lane(view.channel), urgent=True):
            posted = await self._client.chat_postMessage(
                channel=view.channel, text=text, blocks=blocks
            )
        channel, ts = str(posted["channel"]), str(posted["ts"])
        await self._save(subject, channel=channel, ts=ts, release_id=_release_id(view))
        return Placed(channel=channel, ts=ts, posted=True)

    async def _render(self, view: AlertGroupView) -> tuple[str, list[Block]]:
        link = None
        if view.attribution is not None:
            release = await self._notifier.stored(
                f"release:{view.attribution.release_id}", kind=RefKind.RELEASE_ROOT
            )
            link = await self._permalink(*release) if release is not None else None
        return alert_root(view, release_link=link, service_labels=self._service_labels)

    # helpers -----------------------------------------------------------------------------------

    async def _permalink(self, channel: str, ts: str) -> str | None:
        """A message's permalink; Slack is asked once per message (a failure is not kept)."""
        cached = self._permalinks.get((channel, ts))
        if cached is None:
            cached = await self._notifier.permalink(channel, ts)
            if cached is not None:
                self._permalinks[(channel, ts)] = cached
        return cached

    async def _with_mention(self, text: str, role: Role | None) -> str:
        if role is None or self._mentions is None:
            return await self._notifier.with_mention(text, role)
        who = await self._mentions.mention(role)
        return f"{who} {text}" if who else text

    async def _ref(self, subject: str) -> SlackMessageRef | None:
        async with self._sessions() as session:
            return await get_ref(session=session, kind=RefKind.ALERT_THREAD, subject=subject)

    async def _save(
        self,
        subject: str,
        *,
        channel: str,
        ts: str,
        release_id: int | None,
        thread_ts: str | None = None,
    ) -> None:
        """Store where ``subject``'s message is (an alert root may name no release, which
        ``SlackNotifier._remember`` does not allow)."""
        async with self._sessions() as session:
            await upsert_ref(
                session=session,
                kind=RefKind.ALERT_THREAD,
                subject=subject,
                channel_id=channel,
                ts=ts,
                thread_ts=thread_ts,
                release_id=release_id,
                now=self._clock(),
            )
            await session.commit()


def _release_id(view: AlertGroupView) -> int | None:
    return view.attribution.release_id if view.attribution is not None else None


def _where(channel: str) -> str:
    """A channel as a reader sees it: an ID as a channel link, a name as ``#name``."""
    if _CHANNEL_ID.fullmatch(channel):
        return f"<#{channel}>"
    return "#" + messages.escape(channel.removeprefix("#"))
