"""QA sign-off: who may approve, withdraw or reject a release's request, and when it is decided.

::

    open ──approve × required (distinct QA, checklist ticked, not the cutter)──> approved
         ──reject(reason)──> rejected
         ──new build──> superseded            ──release cancelled──> cancelled

Pure: the service reads a :class:`Signoff` snapshot from storage, asks these functions, and
writes what they allow. An approval by someone who already approved counts once
(:attr:`Approve.ALREADY`); the quorum is reached by the approval that makes ``required``.
Membership of the ``qa`` role is checked at the interface, before any of this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.errors import NotAllowed

__all__ = [
    "Approval",
    "Approve",
    "Signoff",
    "SignoffPolicy",
    "SignoffRefused",
    "SignoffStatus",
    "Tick",
    "check_approve",
    "check_reject",
    "check_tick",
    "check_withdraw",
    "reaches_quorum",
]


class SignoffStatus(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"

    @property
    def stale(self) -> str:
        """Why a click on a request in this status changes nothing."""
        return _STALE[self]


_STALE = {
    SignoffStatus.OPEN: "",
    SignoffStatus.APPROVED: "this sign-off is already approved",
    SignoffStatus.REJECTED: "this sign-off was rejected",
    SignoffStatus.SUPERSEDED: "a new build replaced this sign-off request; use the newest one",
    SignoffStatus.CANCELLED: "the release was cancelled",
}


class SignoffRefused(NotAllowed):
    """The sign-off rules forbid the action; the message says why and what to do."""


class Approve(StrEnum):
    """What an allowed approval does."""

    COUNTED = "counted"
    ALREADY = "already"
    """The person had approved already: it counts once, nothing changes."""


@dataclass(frozen=True)
class SignoffPolicy:
    required: int = 1
    four_eyes: bool = True
    checklist: tuple[str, ...] = ()


@dataclass(frozen=True)
class Approval:
    user: str
    at: datetime


@dataclass(frozen=True)
class Tick:
    item: str
    user: str
    at: datetime


@dataclass(frozen=True)
class Signoff:
    """One request as it stands: its status, active approvals and checklist ticks."""

    label: str
    policy: SignoffPolicy
    cut_by: str
    status: SignoffStatus = SignoffStatus.OPEN
    approvals: tuple[Approval, ...] = ()
    ticks: tuple[Tick, ...] = ()
    decided_by: str | None = None
    reason: str | None = None

    @property
    def needed(self) -> int:
        """Approvals still needed for the quorum."""
        return max(0, self.policy.required - len(self.approvals))

    @property
    def missing(self) -> tuple[str, ...]:
        """Checklist items nobody has ticked, in checklist order."""
        ticked = {tick.item for tick in self.ticks}
        return tuple(item for item in self.policy.checklist if item not in ticked)

    def approved_by(self, user: str) -> bool:
        return any(approval.user == user for approval in self.approvals)

    def ticked_by(self, item: str) -> Tick | None:
        return next((tick for tick in self.ticks if tick.item == item), None)


def _open(signoff: Signoff) -> None:
    if signoff.status is not SignoffStatus.OPEN:
        raise SignoffRefused(f"{signoff.label}: {signoff.status.stale}, so nothing changed.")


def check_approve(signoff: Signoff, *, user: str) -> Approve:
    """Whether ``user``'s approval counts: refused when the request is decided or replaced,
    when four-eyes forbids it, or while checklist items are unticked."""
    _open(signoff)
    if signoff.approved_by(user):
        return Approve.ALREADY
    if signoff.policy.four_eyes and user == signoff.cut_by:
        raise SignoffRefused(
            f"You cut {signoff.label}, so four-eyes asks someone else from QA to approve it."
        )
    if signoff.missing:
        left = ", ".join(f"“{item}”" for item in signoff.missing)
        raise SignoffRefused(
            f"Tick every checklist item before approving {signoff.label}. Left: {left}."
        )
    return Approve.COUNTED


def reaches_quorum(signoff: Signoff, *, approvals: int) -> bool:
    """Whether ``approvals`` active approvals meet the quorum."""
    return approvals >= signoff.policy.required


def check_withdraw(signoff: Signoff, *, user: str) -> None:
    """A person withdraws their own approval while the request is still open."""
    _open(signoff)
    if not signoff.approved_by(user):
        raise SignoffRefused(f"You have no approval of {signoff.label} to withdraw.")


def check_reject(signoff: Signoff, *, reason: str) -> str:
    """The reason, stripped: a rejection needs one, and an open request."""
    _open(signoff)
    reason = reason.strip()
    if not reason:
        raise SignoffRefused(f"Say why {signoff.label} is rejected: a reason is required.")
    return reason


def check_tick(signoff: Signoff) -> None:
    """Checklist items can change only while the request is open."""
    _open(signoff)
