"""The notifier port over Slack: one root message per release, and one gate report and one
deploy progress message in its thread, each updated in place; the release notes and their
announcement, each posted once.

Each message's channel and ts are stored as a ``SlackMessageRef``, so a restart updates it
instead of posting again. Posting one is claimed first in the idempotency table, so two
replicas (or two quick changes) never post two roots or two gate reports for one release.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
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
from bot.services.deploy_models import DeployView
from bot.services.gate_models import GateReport
from bot.services.models import ReleaseCard
from bot.services.notes import NotesDoc, Published
from bot.services.signoff import SignoffView
from bot.slack.deploy_views import deploy_progress
from bot.slack.gate_views import gate_report
from bot.slack.notes_views import MAX_BLOCKS, notes_blocks, split_sections, summary_blocks
from bot.slack.signoff_views import signoff_request
from bot.slack.views import release_root
from storage.idempotency import claim
from storage.models import IdempotencyScope, RefKind
from storage.slack_refs import get_ref, upsert_ref


@dataclass(frozen=True)
class Outgoing:
    """A message the bot keeps one of per ``(kind, subject)``, and where it goes."""

    kind: RefKind
    subject: str
    channel: str
    thread_ts: str | None
    release_id: int
    text: str
    blocks: list[Block]


@dataclass(frozen=True)
class Placed:
    """Where a message is, and whether this call posted it (False: it was there already)."""

    channel: str
    ts: str
    posted: bool


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
            channel=channel, thread_ts=ts, text=await self.with_mention(text, mention)
        )

    async def gate_report(self, *, card: ReleaseCard, report: GateReport) -> None:
        text, blocks = gate_report(report)
        async with self._locks[card.release.id]:
            channel, root_ts = await self._root(card, update=False)
            await self._message(
                Outgoing(RefKind.GATE_REPORT, f"gates:{card.release.id}", channel, root_ts,
                         card.release.id, text, blocks),
                update=True,
            )  # fmt: skip

    async def deploy_progress(self, *, card: ReleaseCard, view: DeployView) -> None:
        text, blocks = deploy_progress(view)
        async with self._locks[card.release.id]:
            channel, root_ts = await self._root(card, update=False)
            await self._message(
                Outgoing(RefKind.DEPLOY_PROGRESS, f"deploy:{card.release.id}", channel, root_ts,
                         card.release.id, text, blocks),
                update=True,
            )  # fmt: skip

    async def release_notes(self, *, card: ReleaseCard, doc: NotesDoc, publishable: bool) -> None:
        release_id = card.release.id
        blocks = notes_blocks(doc.slack, release_id=release_id, publishable=publishable)
        too_long = blocks is None
        if blocks is None:
            blocks = summary_blocks(doc.summary, release_id=release_id, publishable=publishable)
        async with self._locks[release_id]:
            channel, root_ts = await self._root(card, update=False)
            placed = await self._message(
                Outgoing(RefKind.NOTES, f"notes:{release_id}", channel, root_ts, release_id,
                         doc.title, blocks),
                update=False,
            )  # fmt: skip
        if placed.posted and too_long:
            await self.notes_file(card=card, doc=doc)

    async def notes_file(self, *, card: ReleaseCard, doc: NotesDoc) -> None:
        release_id = card.release.id
        subject = f"notes-file:{release_id}:{doc.service or ''}"
        async with self._locks[release_id]:
            channel, root_ts = await self._root(card, update=False)
            if await self.stored(subject, kind=RefKind.NOTES_FILE) or not await self.claim(subject):
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
            placed = await self._message(
                Outgoing(RefKind.ANNOUNCEMENT, subject, channel, None, card.release.id,
                         sections[0] if sections else text, blocks),
                update=False,
            )  # fmt: skip
        return Published(channel=placed.channel, ts=placed.ts, posted=placed.posted)

    async def signoff_request(
        self, *, card: ReleaseCard, view: SignoffView, channel: str | None
    ) -> None:
        release_id = card.release.id
        subject = f"signoff:{view.request_id}"
        notes = await self.stored(f"notes:{release_id}", kind=RefKind.NOTES)
        link = await self.permalink(*notes) if notes else None
        text, blocks = signoff_request(view, notes_link=link)
        async with self._locks[release_id]:
            root = await self._root(card, update=False)
            where, thread_ts = (channel, None) if channel else root
            placed = await self._message(
                Outgoing(RefKind.SIGNOFF_REQUEST, subject, where, thread_ts, release_id, text,
                         blocks),
                update=True,
            )  # fmt: skip
        if channel and placed.posted:
            link = await self.permalink(placed.channel, placed.ts)
            where = f"<{link}|{channel}>" if link else channel
            await self._client.chat_postMessage(
                channel=root[0], thread_ts=root[1], text=messages.SIGNOFF_POSTED.format(where=where)
            )

    async def permalink(self, channel: str, ts: str) -> str | None:
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
            channel=channel, text=await self.with_mention(text, mention)
        )

    async def with_mention(self, text: str, role: Role | None) -> str:
        if role is None or self._mentions is None:
            return text
        who = await self._mentions.mention(role)
        return f"{who} {text}" if who else text

    async def _root(self, card: ReleaseCard, *, update: bool) -> tuple[str, str]:
        text, blocks = release_root(card)
        placed = await self._message(
            Outgoing(RefKind.RELEASE_ROOT, f"release:{card.release.id}", card.channel, None,
                     card.release.id, text, blocks),
            update=update,
        )  # fmt: skip
        return placed.channel, placed.ts

    async def _message(self, out: Outgoing, *, update: bool) -> Placed:
        """The one message of ``out.subject``: posted once (claimed first, so never twice),
        then updated in place when ``update``; posted again if it is gone from Slack."""
        ref = await self.stored(out.subject, kind=out.kind)
        if ref is None:
            if await self.claim(out.subject):
                return await self._post(out)
            ref = await self.await_other(out.subject, kind=out.kind)
        if update:
            try:
                await self._client.chat_update(
                    channel=ref[0], ts=ref[1], text=out.text, blocks=out.blocks
                )
            except SlackApiError as exc:
                if exc.response.get("error") not in GONE:
                    raise
                log.warning("a message is gone from Slack; posting it again", subject=out.subject)
                return await self._post(out)
        return Placed(channel=ref[0], ts=ref[1], posted=False)

    async def _post(self, out: Outgoing) -> Placed:
        posted = await self._client.chat_postMessage(
            channel=out.channel, thread_ts=out.thread_ts, text=out.text, blocks=out.blocks
        )
        where, ts = str(posted["channel"]), str(posted["ts"])
        await self._remember(
            kind=out.kind,
            subject=out.subject,
            channel=where,
            ts=ts,
            thread_ts=out.thread_ts,
            release_id=out.release_id,
        )
        return Placed(channel=where, ts=ts, posted=True)

    async def claim(self, subject: str) -> bool:
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

    async def stored(self, subject: str, *, kind: RefKind) -> tuple[str, str] | None:
        async with self._sessions() as session:
            ref = await get_ref(session=session, kind=kind, subject=subject)
        return (ref.channel_id, ref.ts) if ref is not None else None

    async def await_other(self, subject: str, *, kind: RefKind) -> tuple[str, str]:
        """Another replica or task is posting this message: use it once it is stored."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait
        while loop.time() < deadline:
            await asyncio.sleep(0.1)
            ref = await self.stored(subject, kind=kind)
            if ref is not None:
                return ref
        raise IntegrationError(
            f"the message of {subject} is being posted elsewhere but never appeared"
        )
