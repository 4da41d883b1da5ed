"""The notifier port over Slack: one root message per release, and one gate report in its
thread, each updated in place; the release notes and their announcement, each posted once.

Each message's channel and ts are stored as a ``SlackMessageRef``, so a restart updates it
instead of posting again. Posting one is claimed first in the idempotency table, so two
replicas (or two quick changes) never post two roots or two gate reports for one release.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from datetime import timedelta
from typing import Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.models.blocks import Block, SectionBlock
from slack_sdk.web.async_client import AsyncWebClient
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.clock import Clock, utc_now
from bot.domain.roles import Role
from bot.errors import IntegrationError
from bot.observability.logs import get_logger
from bot.services.gate_models import GateReport
from bot.services.models import ReleaseCard
from bot.services.notes import NotesDoc, Published
from bot.services.signoff import SignoffView
from bot.slack.gate_views import gate_report
from bot.slack.notes_views import MAX_BLOCKS, notes_blocks, split_sections, summary_blocks
from bot.slack.signoff_views import signoff_request
from bot.slack.views import release_root
from storage.idempotency import claim
from storage.models import IdempotencyScope, RefKind
from storage.slack_refs import get_ref, upsert_ref


class RoleMentions(Protocol):
    async def mention(self, role: Role) -> str: ...


log = get_logger(__name__)

#: chat.update errors meaning the root message is no longer there to update.
GONE = frozenset({"message_not_found", "channel_not_found", "cant_update_message"})
#: How long a claim to post a root holds if its holder died before storing the ref.
CLAIM_TTL = timedelta(seconds=30)


class SlackNotifier:
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock = utc_now,
        wait_for_other: float = 10.0,
        mentions: RoleMentions | None = None,
    ) -> None:
        self._mentions = mentions
        self._client = client
        self._sessions = sessions
        self._clock = clock
        self._wait = wait_for_other
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def release_changed(self, *, card: ReleaseCard) -> None:
        async with self._locks[card.release.id]:
            await self._root(card, update=True)

    async def thread_note(
        self, *, card: ReleaseCard, text: str, mention: Role | None = None
    ) -> None:
        async with self._locks[card.release.id]:
            channel, ts = await self._root(card, update=False)
        await self._client.chat_postMessage(
            channel=channel, thread_ts=ts, text=await self._with_mention(text, mention)
        )

    async def gate_report(self, *, card: ReleaseCard, report: GateReport) -> None:
        text, blocks = gate_report(report)
        async with self._locks[card.release.id]:
            channel, root_ts = await self._root(card, update=False)
            await self._message(
                kind=RefKind.GATE_REPORT,
                subject=f"gates:{card.release.id}",
                channel=channel,
                thread_ts=root_ts,
                release_id=card.release.id,
                text=text,
                blocks=blocks,
                update=True,
            )

    async def release_notes(self, *, card: ReleaseCard, doc: NotesDoc, publishable: bool) -> None:
        release_id = card.release.id
        blocks = notes_blocks(doc.slack, release_id=release_id, publishable=publishable)
        too_long = blocks is None
        if blocks is None:
            blocks = summary_blocks(doc.summary, release_id=release_id, publishable=publishable)
        async with self._locks[release_id]:
            channel, root_ts = await self._root(card, update=False)
            posted = await self._post_once(
                kind=RefKind.NOTES, subject=f"notes:{release_id}", channel=channel,
                thread_ts=root_ts, release_id=release_id, text=doc.title, blocks=blocks,
            )  # fmt: skip
        if posted is not None and too_long:
            await self.notes_file(card=card, doc=doc)

    async def notes_file(self, *, card: ReleaseCard, doc: NotesDoc) -> None:
        release_id = card.release.id
        subject = f"notes-file:{release_id}:{doc.service or ''}"
        async with self._locks[release_id]:
            channel, root_ts = await self._root(card, update=False)
            if await self._stored(subject, kind=RefKind.NOTES_FILE) or not await self._claim(
                subject
            ):
                return
            uploaded = await self._client.files_upload_v2(
                channel=channel,
                thread_ts=root_ts,
                filename=doc.filename,
                title=doc.title,
                content=doc.markdown,
            )
            files = uploaded.get("files") or [{}]
            await self._remember(
                kind=RefKind.NOTES_FILE,
                subject=subject,
                channel=channel,
                ts=str(files[0].get("id", "")),  # a file's ref holds its file id
                thread_ts=root_ts,
                release_id=release_id,
            )

    async def announcement(self, *, card: ReleaseCard, channel: str, text: str) -> Published:
        subject = f"announce:{card.release.id}"
        sections = split_sections(text)
        blocks: list[Block] = [SectionBlock(text=section) for section in sections[:MAX_BLOCKS]]
        async with self._locks[card.release.id]:
            posted = await self._post_once(
                kind=RefKind.ANNOUNCEMENT, subject=subject, channel=channel, thread_ts=None,
                release_id=card.release.id, text=sections[0] if sections else text, blocks=blocks,
            )  # fmt: skip
            ref = posted or await self._stored(subject, kind=RefKind.ANNOUNCEMENT)
            if ref is None:
                ref = await self._await_other(subject, kind=RefKind.ANNOUNCEMENT)
        return Published(channel=ref[0], ts=ref[1], posted=posted is not None)

    async def signoff_request(
        self, *, card: ReleaseCard, view: SignoffView, channel: str | None
    ) -> None:
        release_id = card.release.id
        subject = f"signoff:{view.request_id}"
        notes = await self._stored(f"notes:{release_id}", kind=RefKind.NOTES)
        link = await self._permalink(*notes) if notes else None
        text, blocks = signoff_request(view, notes_link=link)
        async with self._locks[release_id]:
            root = await self._root(card, update=False)
            where, thread_ts = (channel, None) if channel else root
            posted = await self._post_once(
                kind=RefKind.SIGNOFF_REQUEST, subject=subject, channel=where, thread_ts=thread_ts,
                release_id=release_id, text=text, blocks=blocks,
            )  # fmt: skip
            if posted is None:
                await self._message(
                    kind=RefKind.SIGNOFF_REQUEST, subject=subject, channel=where,
                    thread_ts=thread_ts, release_id=release_id, text=text, blocks=blocks,
                    update=True,
                )  # fmt: skip
                return
        if channel:
            link = await self._permalink(*posted)
            where = f"<{link}|{channel}>" if link else channel
            await self._client.chat_postMessage(
                channel=root[0], thread_ts=root[1], text=messages.SIGNOFF_POSTED.format(where=where)
            )

    async def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            found = await self._client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError:
            return None
        return str(found.get("permalink") or "") or None

    async def thread_of(self, *, card: ReleaseCard) -> tuple[str, str]:
        """The channel and ts of the release's root (posting it first if need be)."""
        async with self._locks[card.release.id]:
            return await self._root(card, update=False)

    async def channel_note(self, *, channel: str, text: str, mention: Role | None = None) -> None:
        await self._client.chat_postMessage(
            channel=channel, text=await self._with_mention(text, mention)
        )

    async def _with_mention(self, text: str, role: Role | None) -> str:
        if role is None or self._mentions is None:
            return text
        who = await self._mentions.mention(role)
        return f"{who} {text}" if who else text

    async def _root(self, card: ReleaseCard, *, update: bool) -> tuple[str, str]:
        text, blocks = release_root(card)
        return await self._message(
            kind=RefKind.RELEASE_ROOT,
            subject=f"release:{card.release.id}",
            channel=card.channel,
            thread_ts=None,
            release_id=card.release.id,
            text=text,
            blocks=blocks,
            update=update,
        )

    async def _message(
        self,
        *,
        kind: RefKind,
        subject: str,
        channel: str,
        thread_ts: str | None,
        release_id: int,
        text: str,
        blocks: list[Block],
        update: bool,
    ) -> tuple[str, str]:
        """The one message of ``subject``: posted once (claimed first, so never twice), then
        updated in place when ``update``; posted again if it is gone from Slack."""
        ref = await self._stored(subject, kind=kind)
        if ref is None:
            if await self._claim(subject):
                return await self._post(
                    kind=kind, subject=subject, channel=channel, thread_ts=thread_ts,
                    release_id=release_id, text=text, blocks=blocks,
                )  # fmt: skip
            ref = await self._await_other(subject, kind=kind)
        if not update:
            return ref
        try:
            await self._client.chat_update(channel=ref[0], ts=ref[1], text=text, blocks=blocks)
        except SlackApiError as exc:
            if exc.response.get("error") not in GONE:
                raise
            log.warning("a message is gone from Slack; posting it again", subject=subject)
            return await self._post(
                kind=kind, subject=subject, channel=channel, thread_ts=thread_ts,
                release_id=release_id, text=text, blocks=blocks,
            )  # fmt: skip
        return ref

    async def _post_once(
        self,
        *,
        kind: RefKind,
        subject: str,
        channel: str,
        thread_ts: str | None,
        release_id: int,
        text: str,
        blocks: list[Block],
    ) -> tuple[str, str] | None:
        """Post ``subject``'s message unless it exists or is being posted: where it went, or
        None when this call did not post it."""
        if await self._stored(subject, kind=kind) is not None or not await self._claim(subject):
            return None
        return await self._post(
            kind=kind, subject=subject, channel=channel, thread_ts=thread_ts,
            release_id=release_id, text=text, blocks=blocks,
        )  # fmt: skip

    async def _post(
        self,
        *,
        kind: RefKind,
        subject: str,
        channel: str,
        thread_ts: str | None,
        release_id: int,
        text: str,
        blocks: list[Block],
    ) -> tuple[str, str]:
        posted = await self._client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, text=text, blocks=blocks
        )
        where, ts = str(posted["channel"]), str(posted["ts"])
        await self._remember(
            kind=kind,
            subject=subject,
            channel=where,
            ts=ts,
            thread_ts=thread_ts,
            release_id=release_id,
        )
        return where, ts

    async def _claim(self, subject: str) -> bool:
        """True when this task may post ``subject``'s message: nobody else is posting it."""
        async with self._sessions() as session:
            mine = await claim(
                session=session,
                scope=IdempotencyScope.SLACK_ROOT,
                key=subject,
                ttl=CLAIM_TTL,
                now=self._clock(),
            )
            await session.commit()
        return mine

    async def _remember(
        self,
        *,
        kind: RefKind,
        subject: str,
        channel: str,
        ts: str,
        release_id: int,
        thread_ts: str | None = None,
    ) -> None:
        async with self._sessions() as session:
            await upsert_ref(
                session=session,
                kind=kind,
                subject=subject,
                channel_id=channel,
                ts=ts,
                thread_ts=thread_ts,
                release_id=release_id,
                now=self._clock(),
            )
            await session.commit()

    async def _stored(self, subject: str, *, kind: RefKind) -> tuple[str, str] | None:
        async with self._sessions() as session:
            ref = await get_ref(session=session, kind=kind, subject=subject)
        return (ref.channel_id, ref.ts) if ref is not None else None

    async def _await_other(self, subject: str, *, kind: RefKind) -> tuple[str, str]:
        """Another replica or task is posting this message: use it once it is stored."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        while loop.time() < deadline:
            await asyncio.sleep(0.1)
            ref = await self._stored(subject, kind=kind)
            if ref is not None:
                return ref
        raise IntegrationError(
            f"the message of {subject} is being posted elsewhere but never appeared"
        )
