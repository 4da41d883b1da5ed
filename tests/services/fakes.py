"""Test doubles for the service tests: a clock the test moves, and a recording notifier.

The notifier implements the ``Notifier`` Protocol of ``bot.services.notify`` by remembering what
it was asked to show; ``fail_with`` makes its next calls raise, for the error paths.
:func:`release_info` is a release snapshot for tests that need one without a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.domain.release import ReleaseKind, ReleaseState
from bot.domain.roles import Role
from bot.services.deploy_models import DeployView
from bot.services.gate_models import GateReport
from bot.services.models import ReleaseCard, ReleaseInfo
from bot.services.notes import NotesDoc, Published
from bot.services.signoff import SignoffView


def release_info() -> ReleaseInfo:
    """web/2024.05.1, a train release in gating (id 42); ``dataclasses.replace`` changes it."""
    at = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    return ReleaseInfo(
        id=42,
        train="web",
        version="2024.05.1",
        kind=ReleaseKind.TRAIN,
        state=ReleaseState.GATING,
        cut_by="U0CUTTER",
        commit_sha="0123456789abcdef0123456789abcdef01234567",
        ref="main",
        base_version=None,
        reason=None,
        created_at=at,
        state_changed_at=at,
        released_at=None,
        row_version=1,
    )


class FakeClock:
    """An aware UTC clock that moves only when the test says so."""

    def __init__(self, start: datetime) -> None:
        assert start.tzinfo is not None
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now

    def set(self, at: datetime) -> datetime:
        assert at.tzinfo is not None
        self.now = at
        return self.now


@dataclass(frozen=True)
class Note:
    """One thing the notifier showed: in a release's thread (``release`` set) or a channel."""

    channel: str
    text: str
    mention: Role | None = None
    release: str | None = None


@dataclass
class RecordingNotifier:
    """Remembers every root update, thread note and channel note, in order."""

    cards: list[ReleaseCard] = field(default_factory=list)
    reports: list[GateReport] = field(default_factory=list)
    thread: list[Note] = field(default_factory=list)
    channel: list[Note] = field(default_factory=list)
    notes: list[tuple[NotesDoc, bool]] = field(default_factory=list)
    files: list[NotesDoc] = field(default_factory=list)
    announcements: dict[str, Note] = field(default_factory=dict)
    signoffs: list[tuple[SignoffView, str | None]] = field(default_factory=list)
    progress: list[DeployView] = field(default_factory=list)
    fail_with: Exception | None = None

    async def release_changed(self, *, card: ReleaseCard) -> None:
        self._maybe_fail()
        self.cards.append(card)

    async def thread_note(
        self, *, card: ReleaseCard, text: str, mention: Role | None = None
    ) -> None:
        self._maybe_fail()
        self.thread.append(
            Note(channel=card.channel, text=text, mention=mention, release=card.release.label)
        )

    async def channel_note(self, *, channel: str, text: str, mention: Role | None = None) -> None:
        self._maybe_fail()
        self.channel.append(Note(channel=channel, text=text, mention=mention))

    async def gate_report(self, *, card: ReleaseCard, report: GateReport) -> None:
        self._maybe_fail()
        self.reports.append(report)

    async def release_notes(self, *, card: ReleaseCard, doc: NotesDoc, publishable: bool) -> None:
        self._maybe_fail()
        self.notes.append((doc, publishable))

    async def notes_file(self, *, card: ReleaseCard, doc: NotesDoc) -> None:
        self._maybe_fail()
        self.files.append(doc)

    async def announcement(self, *, card: ReleaseCard, channel: str, text: str) -> Published:
        self._maybe_fail()
        label = card.release.label
        posted = label not in self.announcements
        if posted:
            self.announcements[label] = Note(channel=channel, text=text, release=label)
        return Published(channel=channel, ts=f"ts-{card.release.id}", posted=posted)

    async def signoff_request(
        self, *, card: ReleaseCard, view: SignoffView, channel: str | None
    ) -> None:
        self._maybe_fail()
        self.signoffs.append((view, channel))

    async def deploy_progress(self, *, card: ReleaseCard, view: DeployView) -> None:
        self._maybe_fail()
        self.progress.append(view)

    def _maybe_fail(self) -> None:
        if self.fail_with is not None:
            raise self.fail_with

    def thread_of(self, label: str) -> list[Note]:
        return [note for note in self.thread if note.release == label]

    def texts(self) -> list[str]:
        return [note.text for note in (*self.thread, *self.channel)]
