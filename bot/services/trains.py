"""Trains: their calendar, freezes, and what each milestone does when it fires.

The database is the truth. Firing an occurrence first inserts its ``MilestoneRun`` row, unique
on (train, milestone, scheduled local time); only the inserter runs it, so a restart, a
catch-up after downtime or a second replica never runs one milestone twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.domain.calendar import Milestone, Occurrence, next_occurrences, occurrences
from bot.domain.durations import format_duration
from bot.domain.release import ReleaseKind, ReleaseState
from bot.domain.roles import Role, SystemActor
from bot.errors import Conflict, StationmasterError, UsageError
from bot.observability.logs import get_logger
from bot.services.aftermath import announce
from bot.services.models import MilestoneTime, ReleaseInfo, TrainInfo
from bot.services.notify import Notifier
from bot.services.releases import IN_FLIGHT, ReleaseService
from storage import audit, milestones, releases, trains
from storage.models import MilestoneStatus

log = get_logger(__name__)

Deploy = Callable[[ReleaseInfo], Awaitable[object]]
"""Deploy an approved release as the scheduler."""

#: How far back a tick looks for occurrences it has not handled (after downtime).
LOOKBACK = timedelta(days=7)
BEFORE_APPROVAL = frozenset(
    {
        ReleaseState.GATING,
        ReleaseState.BLOCKED,
        ReleaseState.AWAITING_SIGNOFF,
        ReleaseState.REJECTED,
    }
)

Sessions = async_sessionmaker[AsyncSession]


class TrainService:
    def __init__(
        self,
        *,
        sessions: Sessions,
        config: AppConfig,
        releases: ReleaseService,
        notifier: Notifier,
        replica: str,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._releases = releases
        self._notifier = notifier
        self._replica = replica
        self._clock = clock
        self._deploy: Deploy | None = None

    def deploy_with(self, deploy: Deploy) -> None:
        """Have the release milestone deploy an approved release with ``deploy`` (what
        ``/release deploy`` calls); without it the milestone only tells the managers."""
        self._deploy = deploy

    @property
    def names(self) -> list[str]:
        return sorted(self._config.trains)

    async def ensure(self) -> None:
        """Give every configured train its row; a new train starts from now (no back-fill)."""
        async with self._sessions() as session:
            for name in self._config.trains:
                await trains.ensure_train(session=session, name=name, now=self._clock())
            await session.commit()

    async def state(self, name: str) -> TrainInfo:
        self._releases.train_config(name)
        async with self._sessions() as session:
            row = await trains.ensure_train(session=session, name=name, now=self._clock())
            await session.commit()
        return TrainInfo.from_row(row)

    def upcoming(self, name: str, after: datetime, *, limit: int = 8) -> list[Occurrence]:
        config = self._releases.train_config(name)
        return next_occurrences(train=name, schedule=config.schedule(), after=after, limit=limit)

    def milestone_times(self, name: str, after: datetime) -> Sequence[MilestoneTime]:
        """The next time of each milestone (not reminders), for a release's root message."""
        if name not in self._config.trains:
            return ()
        seen: dict[str, MilestoneTime] = {}
        for occurrence in self.upcoming(name, after, limit=16):
            if occurrence.before is None and occurrence.milestone.value not in seen:
                seen[occurrence.milestone.value] = MilestoneTime(
                    name=occurrence.milestone.value, at=occurrence.fires_at
                )
        return sorted(seen.values(), key=lambda m: m.at)

    async def freeze(self, *, name: str, on: bool, actor: str, reason: str | None) -> TrainInfo:
        if on and not (reason or "").strip():
            raise UsageError(
                f"Say why {messages.escape(name)} is frozen: the reason is shown to whoever "
                "is refused."
            )
        row = await self.state(name)
        if row.frozen == on:
            raise UsageError(f"{name} is already {'frozen' if on else 'not frozen'}.")
        now = self._clock()
        async with self._sessions() as session:
            won = await trains.set_frozen(
                session=session,
                name=name,
                frozen=on,
                reason=reason if on else None,
                actor=actor,
                now=now,
                expected_row_version=row.row_version,
            )
            if not won:
                raise Conflict(
                    f"{name} changed while you froze it; look at `/release train {name}`."
                )
            await audit.record_audit(
                session=session,
                actor=actor,
                action="freeze" if on else "unfreeze",
                subject_type="train",
                subject_id=name,
                reason=reason,
                at=now,
            )
            await session.commit()
        text = (messages.TRAIN_FROZEN if on else messages.TRAIN_THAWED).format(
            train=name, actor=messages.who(actor), reason=messages.escape(reason or "")
        )
        await announce(
            self._notifier.channel_note(channel=self._config.trains[name].channel, text=text),
            what=f"freeze notice of {name}",
        )
        return await self.state(name)

    # firing milestones ------------------------------------------------------------------------

    async def due(self, *, now: datetime) -> list[Occurrence]:
        """Occurrences up to ``now`` since each train's anchor that have no run yet."""
        found: list[Occurrence] = []
        async with self._sessions() as session:
            for name, config in self._config.trains.items():
                row = await trains.ensure_train(session=session, name=name, now=now)
                start = max(row.schedule_anchor, now - LOOKBACK)
                done = {
                    (run.milestone, run.scheduled_for)
                    for run in await milestones.runs_for(session=session, train=name, since=start)
                }
                for occurrence in occurrences(
                    train=name, schedule=config.schedule(), start=start, end=now
                ):
                    if (occurrence.name, occurrence.scheduled_local) not in done:
                        found.append(occurrence)
            await session.commit()
        return sorted(found, key=lambda o: o.fires_at)

    async def fire(self, occurrence: Occurrence, *, now: datetime) -> MilestoneStatus | None:
        """Claim and run one occurrence; the status it ended with, None if already claimed."""
        grace = self._config.trains[occurrence.train].misfire_grace
        late = now - occurrence.fires_at > grace
        # A reminder that is late past its grace, or whose milestone has come already, says
        # nothing useful any more: it is recorded as skipped, without a notice.
        stale = occurrence.lead is not None and (
            late or now >= occurrence.fires_at + occurrence.lead
        )
        async with self._sessions() as session:
            run = await milestones.claim_milestone(
                session=session,
                train=occurrence.train,
                milestone=occurrence.name,
                scheduled_for=occurrence.scheduled_local,
                fires_at=occurrence.fires_at,
                claimed_by=self._replica,
                now=now,
                status=MilestoneStatus.SKIPPED if late or stale else MilestoneStatus.RUNNING,
                detail=f"missed by {format_duration(now - occurrence.fires_at)}"
                if late or stale
                else None,
            )
            await session.commit()
        if run is None:
            return None
        assert run.id is not None
        if stale:
            return MilestoneStatus.SKIPPED
        if late:
            await self._notifier.channel_note(
                channel=self._config.trains[occurrence.train].channel,
                text=messages.MISSED.format(
                    milestone=occurrence.name.replace("_", " "),
                    train=occurrence.train,
                    late=format_duration(now - occurrence.fires_at),
                    grace=format_duration(grace),
                ),
            )
            return MilestoneStatus.SKIPPED
        status, detail, release_id = MilestoneStatus.DONE, None, None
        try:
            detail, release_id = await self._run(occurrence)
        except StationmasterError as exc:
            status, detail = MilestoneStatus.SKIPPED, exc.message
            await self._notifier.channel_note(
                channel=self._config.trains[occurrence.train].channel,
                text=messages.MILESTONE_REFUSED.format(
                    milestone=occurrence.milestone.value.replace("_", " "),
                    train=occurrence.train,
                    reason=exc.message,
                ),
            )
        except Exception:
            log.exception("milestone failed", train=occurrence.train, key=occurrence.key)
            status, detail = MilestoneStatus.FAILED, "unexpected error; see the logs"
        async with self._sessions() as session:
            await milestones.finish_milestone(
                session=session,
                run_id=run.id,
                status=status,
                detail=detail,
                release_id=release_id,
                now=self._clock(),
            )
            await session.commit()
        return status

    async def _run(self, occurrence: Occurrence) -> tuple[str | None, int | None]:
        train = occurrence.train
        if occurrence.milestone is Milestone.CUT:
            release = await self._releases.cut(train=train, actor=SystemActor.SCHEDULER)
            return None, release.id
        current = await self._current(train)
        if occurrence.before is not None and occurrence.lead is not None:
            text = messages.REMINDER.format(
                milestone=occurrence.before.value.replace("_", " "),
                lead=format_duration(occurrence.lead),
            )
            await self._note(train, current, text, mention=_REMINDED.get(occurrence.before))
            return None, current.id if current else None
        if occurrence.milestone is Milestone.FREEZE:
            await self._note(train, current, messages.FREEZE_NOTE, mention=None)
        elif occurrence.milestone is Milestone.SIGNOFF_DEADLINE:
            if current is not None and current.state in BEFORE_APPROVAL:
                await self._note(
                    train,
                    current,
                    messages.SIGNOFF_OVERDUE.format(
                        label=current.label, state=current.state.phrase
                    ),
                    mention=Role.RELEASE_MANAGER,
                )
            else:
                await self._note(train, current, messages.SIGNOFF_DUE, mention=Role.QA)
        elif occurrence.milestone is Milestone.RELEASE:
            if (
                current is not None
                and current.state is ReleaseState.APPROVED
                and self._deploy is not None
            ):
                try:
                    await self._deploy(current)
                except StationmasterError as refused:
                    why = messages.escape_but_people(str(refused))
                    await self._note(train, current, why, mention=Role.RELEASE_MANAGER)
            elif current is not None and current.state is ReleaseState.APPROVED:
                await self._note(
                    train,
                    current,
                    messages.READY_TO_DEPLOY.format(label=current.label),
                    mention=Role.RELEASE_MANAGER,
                )
            else:
                held = (
                    messages.RELEASE_HELD.format(label=current.label, state=current.state.phrase)
                    if current is not None
                    else messages.NOTHING_TO_RELEASE.format(train=train)
                )
                await self._note(train, current, held, mention=Role.RELEASE_MANAGER)
        return None, current.id if current else None

    async def _current(self, train: str) -> ReleaseInfo | None:
        async with self._sessions() as session:
            row = await releases.latest_release(
                session=session,
                train=train,
                kind=ReleaseKind.TRAIN.value,
                states=[s.value for s in IN_FLIGHT],
            )
        return ReleaseInfo.from_row(row) if row is not None else None

    async def _note(
        self, train: str, current: ReleaseInfo | None, text: str, *, mention: Role | None
    ) -> None:
        if current is not None:
            await self._notifier.thread_note(
                card=self._releases.card(current), text=text, mention=mention
            )
        else:
            await self._notifier.channel_note(
                channel=self._config.trains[train].channel, text=text, mention=mention
            )


_REMINDED = {Milestone.SIGNOFF_DEADLINE: Role.QA, Milestone.RELEASE: Role.RELEASE_MANAGER}
