"""QA sign-off of a release: one request per build, approvals and checklist ticks as rows, the
quorum and rejections as compare-and-set decisions, each change audited::

    gates pass ──> awaiting_signoff ──open──> one request (claimed: never two) in the thread,
                                              or in the train's sign-off channel + a link
    tick / approve / withdraw ──> rows + audit ──> the request updated in place
    the approval that meets the quorum ──decide (CAS)──> release approved, buttons removed
    reject(reason) ──decide (CAS)──> release rejected, reason in the thread, managers mentioned
    a new build after a rejection, or a cancel ──> the request marked, buttons removed

Who may act (the ``qa`` role) is checked at the interface; :mod:`bot.domain.signoff` holds the
rules (four-eyes, one approval per person, the checklist before approving).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from typing import Any, Protocol

from sqlmodel.ext.asyncio.session import AsyncSession

from bot import messages
from bot.clock import Clock, utc_now
from bot.config import AppConfig
from bot.domain.release import Action, ReleaseState, TransitionRefused
from bot.domain.roles import Role
from bot.domain.signoff import (
    Approval,
    Approve,
    Signoff,
    SignoffPolicy,
    SignoffRefused,
    SignoffStatus,
    Tick,
    check_approve,
    check_reject,
    check_tick,
    check_withdraw,
    reaches_quorum,
)
from bot.errors import Conflict, NotFound
from bot.services.aftermath import announce
from bot.services.gate_models import GateReport
from bot.services.gates import GateService
from bot.services.models import ReleaseCard, ReleaseInfo
from bot.services.notify import Notifier
from bot.services.releases import SUBJECT, ReleaseService, Sessions
from storage import audit, signoff

__all__ = ["SignoffNotifier", "SignoffService", "SignoffView"]

Spawn = Callable[[Coroutine[Any, Any, None], str], object]
#: A new build is back in these states until its gates pass and its own request opens.
BEFORE_SIGNOFF = frozenset({ReleaseState.GATING, ReleaseState.BLOCKED})


@dataclass(frozen=True)
class SignoffView:
    """What the request message and ``/release signoff`` show."""

    release: ReleaseInfo
    request_id: int
    round: int
    signoff: Signoff
    gates: GateReport | None = None
    superseded: bool = False
    changed: bool = True
    """False when the action changed nothing (a repeated approval)."""

    @property
    def decided(self) -> bool:
        return self.superseded or self.signoff.status is not SignoffStatus.OPEN


class SignoffNotifier(Notifier, Protocol):
    async def signoff_request(
        self, *, card: ReleaseCard, view: SignoffView, channel: str | None
    ) -> None:
        """Post the request once (in ``channel`` with a link in the thread, or in the thread),
        or update it in place."""
        ...


class SignoffService:
    def __init__(
        self,
        *,
        sessions: Sessions,
        config: AppConfig,
        releases: ReleaseService,
        gates: GateService,
        notifier: SignoffNotifier,
        clock: Clock = utc_now,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._releases = releases
        self._gates = gates
        self._notifier = notifier
        self._clock = clock
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def policy(self, release: ReleaseInfo) -> SignoffPolicy:
        train = self._config.trains.get(release.train)
        if train is None:
            return SignoffPolicy()
        config = train.signoff
        return SignoffPolicy(
            required=config.required, four_eyes=config.four_eyes, checklist=config.checklist
        )

    def watch(self, spawn: Spawn) -> Callable[[ReleaseInfo, Action], None]:
        """The hook for :meth:`ReleaseService.after_change`: request sign-off when the gates
        pass, and close the request when a new build replaces it or the release is cancelled."""

        def changed(release: ReleaseInfo, action: Action) -> None:
            if action is Action.GATES_PASSED:
                spawn(self.open(release), "signoff request")
            elif action in (Action.NEW_BUILD, Action.CANCEL):
                spawn(self.close(release, action), "signoff close")

        return changed

    # reading ----------------------------------------------------------------------------------

    async def view(self, release: ReleaseInfo, *, request_id: int | None = None) -> SignoffView:
        """The release's current request (or the one ``request_id`` names), as it stands."""
        async with self._sessions() as session:
            latest = await signoff.current_request(session=session, release_id=release.id)
            row = (
                latest
                if request_id is None
                else await signoff.get_request(session=session, request_id=request_id)
            )
            if row is None or row.release_id != release.id:
                raise NotFound(messages.SIGNOFF_NONE.format(label=release.label))
            assert row.id is not None
            assert latest is not None
            approvals = await signoff.active_approvals(session=session, request_id=row.id)
            ticks = await signoff.list_ticks(session=session, request_id=row.id)
        fresh = await self._releases.get(release.id)
        superseded = latest.id != row.id or (
            SignoffStatus(row.status) is SignoffStatus.REJECTED
            and fresh.state is not ReleaseState.REJECTED
            and fresh.state is not ReleaseState.CANCELLED
        )
        return SignoffView(
            release=fresh,
            request_id=row.id,
            round=row.round,
            signoff=Signoff(
                label=fresh.label,
                policy=self.policy(fresh),
                cut_by=fresh.cut_by,
                status=SignoffStatus(row.status),
                approvals=tuple(Approval(user=a.user_id, at=a.approved_at) for a in approvals),
                ticks=tuple(Tick(item=t.item, user=t.user_id, at=t.ticked_at) for t in ticks),
                decided_by=row.decided_by,
                reason=row.reason,
            ),
            gates=await self._gates.report(fresh),
            superseded=superseded,
        )

    async def open_view(self, release: ReleaseInfo, *, request_id: int) -> SignoffView:
        """The request, if it still takes clicks; SignoffRefused saying why not otherwise."""
        view = await self.view(release, request_id=request_id)
        self._live(view)
        check_tick(view.signoff)
        return view

    # the request ------------------------------------------------------------------------------

    async def open(self, release: ReleaseInfo) -> None:
        """Create the release's request for this build and post it, once across replicas."""
        async with self._locks[release.id]:
            async with self._sessions() as session:
                latest = await signoff.current_request(session=session, release_id=release.id)
                if latest is not None and SignoffStatus(latest.status) is SignoffStatus.OPEN:
                    row = latest
                else:
                    number = 1 if latest is None else latest.round + 1
                    row, created = await signoff.open_request(
                        session=session, release_id=release.id, round=number, now=self._clock()
                    )
                    if created:
                        await self._audit(session, release, "signoff_requested", release.cut_by)
                await session.commit()
            assert row.id is not None
            await self._show(release, row.id)

    async def close(self, release: ReleaseInfo, action: Action) -> None:
        """After a cancel, mark the open request cancelled; after a new build, supersede a
        request still open, unless the new build already passed its gates (its request is
        the open one then), and show the replaced request without buttons."""
        async with self._locks[release.id]:
            fresh = await self._releases.get(release.id)
            async with self._sessions() as session:
                latest = await signoff.current_request(session=session, release_id=release.id)
                if latest is None:
                    return
                assert latest.id is not None
                if action is Action.CANCEL or fresh.state in BEFORE_SIGNOFF:
                    status = (
                        SignoffStatus.CANCELLED
                        if action is Action.CANCEL
                        else SignoffStatus.SUPERSEDED
                    )
                    await signoff.decide(
                        session=session,
                        request_id=latest.id,
                        status=status,
                        by=None,
                        reason=None,
                        now=self._clock(),
                    )
                    await session.commit()
            await self._show(release, latest.id)

    # acting -----------------------------------------------------------------------------------

    async def tick(
        self, *, release: ReleaseInfo, request_id: int, user: str, items: list[str]
    ) -> SignoffView:
        """Set the checklist to ``items`` (what the checkboxes now show), recording who ticked."""
        async with self._locks[release.id]:
            current = await self.view(release, request_id=request_id)
            self._live(current)
            check_tick(current.signoff)
            async with self._sessions() as session:
                added, removed = await signoff.set_ticks(
                    session=session,
                    request_id=request_id,
                    items=items,
                    allowed=current.signoff.policy.checklist,
                    user_id=user,
                    now=self._clock(),
                )
                if added or removed:
                    await self._audit(
                        session, release, "signoff_checklist", user,
                        details={"ticked": added, "unticked": removed},
                    )  # fmt: skip
                await session.commit()
            return await self._show(release, request_id)

    async def approve(
        self, *, release: ReleaseInfo, user: str, request_id: int | None = None
    ) -> SignoffView:
        """Count ``user``'s approval once; the approval that meets the quorum approves."""
        async with self._locks[release.id]:
            current = await self.view(release, request_id=request_id)
            self._live(current)
            if check_approve(current.signoff, user=user) is Approve.ALREADY:
                return _unchanged(current)
            async with self._sessions() as session:
                counted = await signoff.add_approval(
                    session=session, request_id=current.request_id, user_id=user, now=self._clock()
                )
                if not counted:
                    await session.rollback()
                    return _unchanged(current)
                await self._audit(session, release, "signoff_approve", user)
                await session.commit()
            # Counted after the commit, so the last approvals on two replicas both see the
            # quorum; the release's compare-and-set lets exactly one of them approve.
            async with self._sessions() as session:
                active = await signoff.active_approvals(
                    session=session, request_id=current.request_id
                )
            if reaches_quorum(current.signoff, approvals=len(active)):
                await self._decide(current, Action.APPROVE, user, None)
            return await self._show(release, current.request_id)

    async def withdraw(
        self, *, release: ReleaseInfo, user: str, request_id: int | None = None
    ) -> SignoffView:
        async with self._locks[release.id]:
            current = await self.view(release, request_id=request_id)
            self._live(current)
            check_withdraw(current.signoff, user=user)
            async with self._sessions() as session:
                done = await signoff.withdraw_approval(
                    session=session, request_id=current.request_id, user_id=user, now=self._clock()
                )
                if done:
                    await self._audit(session, release, "signoff_withdraw", user)
                await session.commit()
            return await self._show(release, current.request_id)

    async def reject(
        self, *, release: ReleaseInfo, user: str, reason: str, request_id: int | None = None
    ) -> SignoffView:
        """Reject with a reason: the release moves to rejected and its managers are told."""
        async with self._locks[release.id]:
            current = await self.view(release, request_id=request_id)
            self._live(current)
            why = check_reject(current.signoff, reason=reason)
            moved = await self._decide(current, Action.REJECT, user, why)
            await announce(
                self._notifier.thread_note(
                    card=self._releases.card(moved),
                    text=messages.SIGNOFF_REJECTED.format(
                        who=messages.who(user), label=moved.label, reason=messages.escape(why)
                    ),
                    mention=Role.RELEASE_MANAGER,
                ),
                what=f"rejection note of {moved.label}",
            )
            return await self._show(release, current.request_id)

    # helpers ----------------------------------------------------------------------------------

    def _live(self, view: SignoffView) -> None:
        """A click on a request replaced by a new build changes nothing."""
        if view.superseded:
            raise SignoffRefused(
                f"{view.release.label}: {SignoffStatus.SUPERSEDED.stale}, so nothing changed."
            )

    async def _decide(
        self, view: SignoffView, action: Action, user: str, reason: str | None
    ) -> ReleaseInfo:
        """Move the release (approve or reject) by compare-and-set, then record the request's
        outcome. The release moves first, so a request is never approved or rejected for a
        release that moved on; a refused approval means someone else's approved it (or the
        release changed), while a refused rejection is the user's to hear."""
        try:
            moved = await self._releases.transition(
                release=view.release, action=action, actor=user, reason=reason
            )
        except (TransitionRefused, Conflict):
            if action is Action.REJECT:
                raise
            return await self._releases.get(view.release.id)
        status = SignoffStatus.APPROVED if action is Action.APPROVE else SignoffStatus.REJECTED
        async with self._sessions() as session:
            await signoff.decide(
                session=session,
                request_id=view.request_id,
                status=status,
                by=user,
                reason=reason,
                now=self._clock(),
            )
            await session.commit()
        return moved

    async def _show(self, release: ReleaseInfo, request_id: int) -> SignoffView:
        view = await self.view(release, request_id=request_id)
        train = self._config.trains.get(release.train)
        await announce(
            self._notifier.signoff_request(
                card=self._releases.card(view.release),
                view=view,
                channel=train.signoff.channel if train is not None else None,
            ),
            what=f"sign-off request of {release.label}",
        )
        return view

    async def _audit(
        self,
        session: AsyncSession,
        release: ReleaseInfo,
        action: str,
        actor: str,
        *,
        details: dict[str, Any] | None = None,
    ) -> None:
        await audit.record_audit(
            session=session,
            actor=actor,
            action=action,
            subject_type=SUBJECT,
            subject_id=str(release.id),
            details={"label": release.label, **(details or {})},
            at=self._clock(),
        )


def _unchanged(view: SignoffView) -> SignoffView:
    return replace(view, changed=False)
