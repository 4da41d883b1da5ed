"""Release notes of a release: read from the train's repository, posted in its thread at cut,
shown by ``/release notes``, and published to the train's announce channel.

::

    release ──range: previous released commit (or the hotfix's base) .. release commit──>
        source (git or GitHub) ──collect──> NotesRange ──templates──> NotesDoc ──notifier──> Slack

A release's notes start at the commit of the train's newest release before it that was
released; a hotfix's at its base release. With neither, they cover the whole history up to the
release's commit. ``--service S`` limits them to that service's ``paths``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.config.models import TrainConfig
from bot.domain.release import ReleaseKind, ReleaseState
from bot.errors import NotAllowed, NotFound, StationmasterError, UsageError
from bot.notes_render import Format, NotesRenderer
from bot.services.aftermath import announce
from bot.services.changes import NotesRange, collect
from bot.services.models import ReleaseCard, ReleaseInfo
from bot.services.notify import Notifier
from bot.services.releases import ReleaseService
from integrations.source.base import SourceRepository
from storage import audit, releases

__all__ = ["NotesDoc", "NotesNotifier", "NotesService", "Published"]

SourceOf = Callable[[TrainConfig], SourceRepository | None]
#: Releases that will not ship: their notes are not announced.
NOT_SHIPPING = frozenset({ReleaseState.CANCELLED, ReleaseState.REJECTED, ReleaseState.ROLLED_BACK})


@dataclass(frozen=True)
class NotesDoc:
    """One release's notes, rendered: mrkdwn for Slack, Markdown for the file."""

    release: ReleaseInfo
    service: str | None
    found: NotesRange
    base_version: str | None
    title: str
    subtitle: str
    slack: str
    markdown: str

    @property
    def filename(self) -> str:
        service = f"-{self.service}" if self.service else ""
        return f"notes-{self.release.train}-{self.release.version}{service}.md"

    @property
    def summary(self) -> str:
        """One paragraph for when the notes are too long for a message."""
        notes = self.found.notes
        counts = ", ".join(f"{len(s.entries)} {s.title.lower()}" for s in notes.sections)
        return messages.NOTES_SUMMARY.format(
            title=self.title, subtitle=self.subtitle, counts=counts or "nothing to note"
        )


@dataclass(frozen=True)
class Published:
    """Where an announcement is, and whether this call posted it (False: it was already)."""

    channel: str
    ts: str
    posted: bool


class NotesNotifier(Notifier, Protocol):
    async def release_notes(self, *, card: ReleaseCard, doc: NotesDoc, publishable: bool) -> None:
        """Post the notes in the release's thread once (a file with a summary when too long)."""
        ...

    async def notes_file(self, *, card: ReleaseCard, doc: NotesDoc) -> None:
        """Attach ``doc`` as a Markdown file in the release's thread, once per release and
        service."""
        ...

    async def announcement(self, *, card: ReleaseCard, channel: str, text: str) -> Published:
        """Post the release's announcement to ``channel`` once, ever."""
        ...


class NotesService:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        config: AppConfig,
        releases: ReleaseService,
        source_of: SourceOf,
        renderer: NotesRenderer,
        notifier: NotesNotifier,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._releases = releases
        self._source_of = source_of
        self._renderer = renderer
        self._notifier = notifier
        self._clock = clock

    async def notes(self, release: ReleaseInfo, *, service: str | None = None) -> NotesDoc:
        """The notes of ``release`` (limited to ``service``'s paths when given)."""
        train = self._releases.train_config(release.train)
        paths = self._paths(release, train, service)
        source = self._source_of(train)
        if source is None:
            raise NotFound(messages.NOTES_NO_REPO.format(train=release.train))
        if release.commit_sha is None:
            raise NotFound(messages.NOTES_NO_COMMIT.format(label=release.label))
        base_version, base_sha = await self._base(release)
        notes = self._config.notes
        found = await collect(
            source,
            base=base_sha,
            head=release.commit_sha,
            paths=paths,
            show_types=notes.show_types,
            issue_prefixes=notes.issue_prefixes,
        )
        title = messages.notes_title(release, service=service)
        subtitle = messages.notes_subtitle(found, base_version=base_version)
        return NotesDoc(
            release=release,
            service=service,
            found=found,
            base_version=base_version,
            title=title,
            subtitle=subtitle,
            slack=self._renderer.render(
                found.notes, fmt=Format.SLACK, title=title, subtitle=subtitle
            ),
            markdown=self._renderer.render(
                found.notes, fmt=Format.MARKDOWN, title=title, subtitle=subtitle
            ),
        )

    async def post_at_cut(self, release: ReleaseInfo) -> None:
        """Post the notes in the new release's thread; a failure is said there, not raised."""
        card = self._releases.card(release)
        try:
            doc = await self.notes(release)
        except StationmasterError as exc:
            await announce(
                self._notifier.thread_note(
                    card=card, text=messages.NOTES_FAILED.format(reason=exc.message)
                ),
                what=f"notes failure of {release.label}",
            )
            return
        await announce(
            self._notifier.release_notes(
                card=card, doc=doc, publishable=self._publishable(release)
            ),
            what=f"notes of {release.label}",
        )

    async def attach(self, doc: NotesDoc) -> None:
        """Attach ``doc`` as a file in its release's thread (for notes too long to show)."""
        await self._notifier.notes_file(card=self._releases.card(doc.release), doc=doc)

    async def publish(self, *, release: ReleaseInfo, actor: str) -> Published:
        """Post the customer-facing announcement to the train's announce channel, once."""
        train = self._releases.train_config(release.train)
        if train.announce_channel is None:
            raise NotAllowed(messages.NOTES_NO_ANNOUNCE.format(train=release.train))
        if release.state in NOT_SHIPPING:
            raise NotAllowed(
                messages.NOTES_NOT_SHIPPING.format(label=release.label, state=release.state.phrase)
            )
        doc = await self.notes(release)
        text = self._renderer.render(
            doc.found.notes,
            fmt=Format.ANNOUNCEMENT,
            title=messages.announcement_title(release),
        )
        card = self._releases.card(release)
        published = await self._notifier.announcement(
            card=card, channel=train.announce_channel, text=text
        )
        if published.posted:
            async with self._sessions() as session:
                await audit.record_audit(
                    session=session,
                    actor=actor,
                    action="publish_notes",
                    subject_type="release",
                    subject_id=str(release.id),
                    details={"label": release.label, "channel": published.channel},
                    at=self._clock(),
                )
                await session.commit()
            await announce(
                self._notifier.thread_note(
                    card=card,
                    text=messages.NOTES_PUBLISHED.format(
                        actor=messages.who(actor), channel=train.announce_channel
                    ),
                ),
                what=f"publish note of {release.label}",
            )
        return published

    def _publishable(self, release: ReleaseInfo) -> bool:
        train = self._config.trains.get(release.train)
        return train is not None and train.announce_channel is not None

    def _paths(
        self, release: ReleaseInfo, train: TrainConfig, service: str | None
    ) -> tuple[str, ...]:
        if service is None:
            return ()
        if service not in train.services:
            listing = ", ".join(f"`{s}`" for s in train.services) or "none"
            raise UsageError(
                messages.NOTES_UNKNOWN_SERVICE.format(
                    service=messages.escape(service),
                    train=release.train,
                    hint=messages.suggest(service, train.services),
                    services=listing,
                )
            )
        config = self._config.services.get(service)
        return tuple(config.paths) if config is not None else ()

    async def _base(self, release: ReleaseInfo) -> tuple[str | None, str | None]:
        """The version and commit the notes start from (None, None: the whole history)."""
        async with self._sessions() as session:
            row = await releases.get_release_by_id(session=session, release_id=release.id)
            if row is None:
                raise NotFound(f"{release.label} no longer exists.")
            if release.kind is ReleaseKind.HOTFIX and release.base_version:
                base = await releases.get_release(
                    session=session, train=release.train, version=release.base_version
                )
            else:
                base = await releases.previous_release(
                    session=session, release=row, states=[ReleaseState.RELEASED.value]
                )
        if base is None or base.commit_sha is None:
            return None, None
        return base.version, base.commit_sha
