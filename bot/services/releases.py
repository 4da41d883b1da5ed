"""Releases: cut, hotfix, cancel and every other state change, as compare-and-set + audit.

A state change reads the row, asks ``bot.domain.release`` whether the action is allowed, then
writes ``UPDATE … WHERE id=? AND state=? AND row_version=?`` and one audit event in the same
transaction. Losing the compare-and-set means someone else acted first: the action is tried
again on the fresh row, and if it no longer applies the caller is told who did what.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.config.models import TrainConfig
from bot.domain.release import (
    ACTIVE_STATES,
    Action,
    ReleaseKind,
    ReleaseState,
    TransitionRefused,
    apply,
)
from bot.domain.versioning import next_hotfix_version, next_train_version
from bot.errors import Conflict, NotAllowed, NotFound, UsageError
from bot.messages import suggest
from bot.services.aftermath import announce
from bot.services.models import AuditEntry, MilestoneTime, ReleaseCard, ReleaseInfo
from bot.services.notify import Notifier
from bot.services.races import lost_race
from integrations.source.base import Head, SourceRepository
from storage import audit, releases, trains

SUBJECT = "release"
CAS_ATTEMPTS = 3
#: A train release in one of these states blocks the next cut of its train.
IN_FLIGHT = frozenset(ACTIVE_STATES) - {ReleaseState.DEPLOYING, ReleaseState.PAUSED}

Sessions = async_sessionmaker[AsyncSession]
MilestonesOf = Callable[[str, datetime], Sequence[MilestoneTime]]
SourceOf = Callable[[TrainConfig], SourceRepository | None]
AfterCut = Callable[[ReleaseInfo], None]
AfterChange = Callable[[ReleaseInfo, Action], None]


class ReleaseService:
    def __init__(
        self,
        *,
        sessions: Sessions,
        config: AppConfig,
        notifier: Notifier,
        source_of: SourceOf,
        milestones_of: MilestonesOf,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._notifier = notifier
        self._source_of = source_of
        self._milestones_of = milestones_of
        self._clock = clock
        self._after_cut: list[AfterCut] = []
        self._after_change: list[AfterChange] = []

    def after_cut(self, hook: AfterCut) -> None:
        """Call ``hook`` (which spawns its work, never blocks) with each release once it is cut."""
        self._after_cut.append(hook)

    def after_change(self, hook: AfterChange) -> None:
        """Call ``hook`` (which spawns its work) after each state change has committed."""
        self._after_change.append(hook)

    def now(self) -> datetime:
        return self._clock()

    # look-ups ---------------------------------------------------------------------------------

    def train_config(self, name: str) -> TrainConfig:
        train = self._config.trains.get(name)
        if train is None:
            known = sorted(self._config.trains)
            listing = ", ".join(f"`{t}`" for t in known) or "none configured"
            raise NotFound(
                f"There is no train `{messages.escape(name)}`.{suggest(name, known)} "
                f"Trains: {listing}."
            )
        return train

    async def resolve(self, ref: str) -> ReleaseInfo:
        """``VERSION`` or ``TRAIN/VERSION`` to a release; ambiguity and typos are explained."""
        ref = ref.strip()
        async with self._sessions() as session:
            if "/" in ref:
                train, _, version = ref.partition("/")
                self.train_config(train)
                row = await releases.get_release(session=session, train=train, version=version)
                if row is None:
                    known = await releases.versions_of(session=session, train=train)
                    raise NotFound(
                        f"{train} has no release `{messages.escape(version)}`."
                        f"{suggest(version, known)}"
                    )
                return ReleaseInfo.from_row(row)
            rows = await releases.find_by_version(session=session, version=ref)
            if len(rows) > 1:
                labels = ", ".join(f"`{r.train}/{r.version}`" for r in rows)
                raise UsageError(
                    messages.WHICH_ONE.format(version=messages.escape(ref), labels=labels)
                )
            if rows:
                return ReleaseInfo.from_row(rows[0])
            recent = [r.version for r in await releases.list_releases(session=session, limit=200)]
        raise NotFound(f"There is no release `{messages.escape(ref)}`.{suggest(ref, recent)}")

    async def get(self, release_id: int) -> ReleaseInfo:
        async with self._sessions() as session:
            row = await releases.get_release_by_id(session=session, release_id=release_id)
        if row is None:
            raise NotFound("That release no longer exists.")
        return ReleaseInfo.from_row(row)

    async def listing(
        self, *, train: str | None = None, everything: bool = False
    ) -> list[ReleaseInfo]:
        if train is not None:
            self.train_config(train)
        states = None if everything else [s.value for s in ACTIVE_STATES]
        async with self._sessions() as session:
            rows = await releases.list_releases(session=session, train=train, states=states)
        return [ReleaseInfo.from_row(row) for row in rows]

    async def history(self, release: ReleaseInfo) -> list[AuditEntry]:
        async with self._sessions() as session:
            rows = await audit.list_audit(
                session=session, subject_type=SUBJECT, subject_id=str(release.id)
            )
        return [AuditEntry.from_row(row) for row in rows]

    def card(self, release: ReleaseInfo) -> ReleaseCard:
        train = self._config.trains.get(release.train)
        return ReleaseCard(
            release=release,
            channel=train.channel if train else self._config.slack.default_channel,
            services=tuple(getattr(train, "services", ()) or ()),
            milestones=tuple(self._milestones_of(release.train, self._clock()))
            if release.kind is ReleaseKind.TRAIN and release.state in ACTIVE_STATES
            else (),
        )

    # creating releases ------------------------------------------------------------------------

    async def cut(self, *, train: str, actor: str) -> ReleaseInfo:
        """Cut the train's next release at the head of its branch and move it to gating."""
        config = self.train_config(train)
        async with self._sessions() as session:
            state = await trains.get_train(session=session, name=train)
            if state is not None and state.frozen:
                raise NotAllowed(
                    messages.FROZEN.format(
                        train=train,
                        by=messages.who(state.frozen_by or "someone"),
                        reason=messages.escape(state.frozen_reason or "no reason"),
                    )
                )
            busy = await releases.list_releases(
                session=session, train=train, states=[s.value for s in IN_FLIGHT], kinds=["train"]
            )
            if busy:
                raise NotAllowed(
                    messages.STILL_IN_FLIGHT.format(
                        label=f"{train}/{busy[0].version}", state=busy[0].state
                    )
                )
            existing = await releases.versions_of(session=session, train=train)
        head = await self._head(config)
        today = self._clock().astimezone(config.timezone).date()
        version = next_train_version(scheme=config.versioning, existing=existing, today=today)
        return await self._create(
            train=train, version=version, kind=ReleaseKind.TRAIN, actor=actor, head=head
        )

    async def hotfix(
        self, *, train: str, actor: str, reason: str, base: str | None = None
    ) -> ReleaseInfo:
        """A hotfix: needs a reason, passes a freeze, and has no calendar."""
        config = self.train_config(train)
        if not reason.strip():
            raise UsageError(f"A hotfix of {train} needs a reason.")
        async with self._sessions() as session:
            if base is None:
                latest = await releases.latest_release(
                    session=session, train=train, states=[ReleaseState.RELEASED.value]
                )
                if latest is None:
                    raise NotFound(messages.NOTHING_TO_HOTFIX.format(train=train))
                base = latest.version
            elif await releases.get_release(session=session, train=train, version=base) is None:
                known = await releases.versions_of(session=session, train=train)
                raise NotFound(
                    f"{train} has no release `{messages.escape(base)}`.{suggest(base, known)}"
                )
            existing = await releases.versions_of(session=session, train=train)
        version = next_hotfix_version(scheme=config.versioning, base=base, existing=existing)
        head = await self._head(config)
        return await self._create(
            train=train,
            version=version,
            kind=ReleaseKind.HOTFIX,
            actor=actor,
            head=head,
            base=base,
            reason=reason.strip(),
        )

    async def _create(
        self,
        *,
        train: str,
        version: str,
        kind: ReleaseKind,
        actor: str,
        head: Head | None,
        base: str | None = None,
        reason: str | None = None,
    ) -> ReleaseInfo:
        now = self._clock()
        async with self._sessions() as session:
            try:
                row = await releases.create_release(
                    session=session,
                    train=train,
                    version=version,
                    kind=kind.value,
                    state=ReleaseState.PLANNED.value,
                    cut_by=actor,
                    commit_sha=head.sha if head else None,
                    ref=head.ref if head else None,
                    base_version=base,
                    reason=reason,
                    now=now,
                )
            except Conflict:
                other = await releases.get_release(session=session, train=train, version=version)
                who = messages.who(other.cut_by) if other else "someone"
                raise Conflict(
                    messages.CUT_RACE.format(who=who, label=f"{train}/{version}")
                ) from None
            assert row.id is not None
            await audit.record_audit(
                session=session,
                actor=actor,
                action="create",
                subject_type=SUBJECT,
                subject_id=str(row.id),
                to_state=ReleaseState.PLANNED.value,
                reason=reason,
                details={
                    "label": f"{train}/{version}",
                    "kind": kind.value,
                    "commit": row.commit_sha,
                },
                at=now,
            )
            await session.commit()
        created = ReleaseInfo.from_row(row)
        cut_done = await self.transition(release=created, action=Action.CUT, actor=actor)
        card = self.card(cut_done)
        await announce(
            self._notifier.thread_note(card=card, text=messages.cut_note(cut_done)),
            what=f"cut note of {cut_done.label}",
        )
        for hook in self._after_cut:
            hook(cut_done)
        return cut_done

    # state changes ----------------------------------------------------------------------------

    async def transition(
        self,
        *,
        release: ReleaseInfo,
        action: Action,
        actor: str,
        reason: str | None = None,
        gate: str | None = None,
        commit: str | None = None,
    ) -> ReleaseInfo:
        """Apply ``action`` by compare-and-set, audit it, and update the root message;
        ``commit`` records a new build's commit with it."""
        for _ in range(CAS_ATTEMPTS):
            now = self._clock()
            async with self._sessions() as session:
                row = await releases.get_release_by_id(session=session, release_id=release.id)
                if row is None:
                    raise NotFound(f"{release.label} no longer exists.")
                current = ReleaseInfo.from_row(row)
                try:
                    done = apply(
                        current.snapshot(monitoring_window=self.window(current.train)),
                        action=action,
                        actor=actor,
                        reason=reason,
                        gate=gate,
                        now=now,
                    )
                except TransitionRefused as refused:
                    if current.row_version != release.row_version:
                        raise await lost_race(
                            session=session, release=current, refused=refused
                        ) from refused
                    raise
                changes: dict[str, object] = {}
                if done.after.released_at != current.released_at:
                    changes["released_at"] = done.after.released_at
                if commit is not None and commit != current.commit_sha:
                    changes["commit_sha"] = commit
                won = await releases.compare_and_set(
                    session=session,
                    release_id=current.id,
                    expected_state=current.state.value,
                    expected_row_version=current.row_version,
                    new_state=done.to_state.value,
                    now=now,
                    changes=changes,
                )
                if not won:
                    await session.rollback()
                    continue
                await audit.record_audit(
                    session=session,
                    actor=actor,
                    action=action.value,
                    subject_type=SUBJECT,
                    subject_id=str(current.id),
                    from_state=done.from_state.value,
                    to_state=done.to_state.value,
                    reason=done.reason,
                    details={
                        "label": current.label,
                        **({"gate": done.gate} if done.gate else {}),
                        **({"commit": changes["commit_sha"]} if "commit_sha" in changes else {}),
                    },
                    at=now,
                )
                await session.commit()
                fresh = await releases.get_release_by_id(session=session, release_id=current.id)
                assert fresh is not None
            changed = ReleaseInfo.from_row(fresh)
            await announce(
                self._notifier.release_changed(card=self.card(changed)),
                what=f"root of {changed.label}",
            )
            for hook in self._after_change:
                hook(changed, action)
            return changed
        raise Conflict(f"{release.label} kept changing while you acted; look at it and try again.")

    async def cancel(self, *, release: ReleaseInfo, actor: str, reason: str) -> ReleaseInfo:
        cancelled = await self.transition(
            release=release, action=Action.CANCEL, actor=actor, reason=reason
        )
        await announce(
            self._notifier.thread_note(
                card=self.card(cancelled),
                text=messages.CANCELLED.format(
                    actor=messages.who(actor), reason=messages.escape(reason.strip())
                ),
            ),
            what=f"cancel note of {cancelled.label}",
        )
        return cancelled

    # helpers ----------------------------------------------------------------------------------

    async def _head(self, config: TrainConfig) -> Head | None:
        source = self._source_of(config)
        if source is None:
            return None
        return await source.head(branch=config.repo.branch)

    def window(self, train: str) -> timedelta:
        """The train's monitoring window: how long after release a rollback is allowed."""
        config = self._config.trains.get(train)
        return config.monitoring_window if config is not None else timedelta(hours=1)
