"""The QA sign-off rules: the snapshot's derived facts, who may approve, withdraw, reject or tick,
and when the quorum is met. Pure: no clock, no storage."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
from bot.errors import NotAllowed, StationmasterError

AT = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
LABEL = "web/2026.11.1"
CUTTER, ANA, BEN = "U0CUTTER", "U0ANA", "U0BEN"
CHECKLIST = ("iOS", "Refunds", "Android")
DECIDED = [status for status in SignoffStatus if status is not SignoffStatus.OPEN]


def approval(user: str, minutes: int = 0) -> Approval:
    return Approval(user=user, at=AT + timedelta(minutes=minutes))


def tick(item: str, user: str = ANA, minutes: int = 0) -> Tick:
    return Tick(item=item, user=user, at=AT + timedelta(minutes=minutes))


def signoff(
    *,
    required: int = 1,
    four_eyes: bool = True,
    checklist: tuple[str, ...] = (),
    status: SignoffStatus = SignoffStatus.OPEN,
    approvals: tuple[Approval, ...] = (),
    ticks: tuple[Tick, ...] = (),
) -> Signoff:
    return Signoff(
        label=LABEL,
        policy=SignoffPolicy(required=required, four_eyes=four_eyes, checklist=checklist),
        cut_by=CUTTER,
        status=status,
        approvals=approvals,
        ticks=ticks,
    )


def all_ticked() -> tuple[Tick, ...]:
    return tuple(tick(item) for item in CHECKLIST)


# the vocabulary ---------------------------------------------------------------------------


def test_the_statuses_are_stored_by_their_values() -> None:
    assert [status.value for status in SignoffStatus] == [
        "open", "approved", "rejected", "superseded", "cancelled",
    ]  # fmt: skip
    assert SignoffStatus("approved") is SignoffStatus.APPROVED
    assert [a.value for a in Approve] == ["counted", "already"]


@pytest.mark.parametrize(
    ("status", "stale"),
    [
        (SignoffStatus.OPEN, ""),
        (SignoffStatus.APPROVED, "this sign-off is already approved"),
        (SignoffStatus.REJECTED, "this sign-off was rejected"),
        (
            SignoffStatus.SUPERSEDED,
            "a new build replaced this sign-off request; use the newest one",
        ),
        (SignoffStatus.CANCELLED, "the release was cancelled"),
    ],
)
def test_each_status_says_why_a_click_changes_nothing(status: SignoffStatus, stale: str) -> None:
    assert status.stale == stale


def test_a_refusal_is_a_not_allowed_error_shown_as_is() -> None:
    refused = SignoffRefused("no")
    assert isinstance(refused, NotAllowed)
    assert isinstance(refused, StationmasterError)
    assert str(refused) == refused.message == "no"


def test_the_default_policy_is_one_approval_four_eyes_and_no_checklist() -> None:
    assert SignoffPolicy() == SignoffPolicy(required=1, four_eyes=True, checklist=())


def test_snapshots_are_frozen_and_start_open_and_empty() -> None:
    fresh = Signoff(label=LABEL, policy=SignoffPolicy(), cut_by=CUTTER)
    assert fresh.status is SignoffStatus.OPEN
    assert (fresh.approvals, fresh.ticks, fresh.decided_by, fresh.reason) == ((), (), None, None)
    for frozen in (fresh, fresh.policy, approval(ANA), tick("iOS")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            frozen.label = "other"  # type: ignore[misc,union-attr]


# derived facts ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("required", "approvers", "needed"),
    [(1, (), 1), (1, (ANA,), 0), (3, (ANA,), 2), (2, (ANA, BEN), 0), (1, (ANA, BEN), 0)],
)
def test_needed_counts_the_approvals_still_missing_never_below_zero(
    required: int, approvers: tuple[str, ...], needed: int
) -> None:
    snapshot = signoff(required=required, approvals=tuple(approval(u) for u in approvers))
    assert snapshot.needed == needed


def test_missing_lists_the_unticked_items_in_checklist_order() -> None:
    assert signoff(checklist=CHECKLIST).missing == CHECKLIST
    ticked = signoff(checklist=CHECKLIST, ticks=(tick("Android"), tick("iOS", BEN)))
    assert ticked.missing == ("Refunds",)
    assert signoff(checklist=CHECKLIST, ticks=all_ticked()).missing == ()
    assert signoff().missing == ()


def test_a_tick_of_an_item_off_the_checklist_ticks_nothing() -> None:
    snapshot = signoff(checklist=("iOS",), ticks=(tick("Android"), tick("ios")))
    assert snapshot.missing == ("iOS",)


def test_approved_by_and_ticked_by_name_the_person() -> None:
    snapshot = signoff(
        checklist=CHECKLIST,
        approvals=(approval(ANA),),
        ticks=(tick("iOS", BEN, 1), tick("Refunds", ANA, 2)),
    )
    assert snapshot.approved_by(ANA)
    assert not snapshot.approved_by(BEN)
    assert snapshot.ticked_by("iOS") == tick("iOS", BEN, 1)
    assert snapshot.ticked_by("Refunds") == tick("Refunds", ANA, 2)
    assert snapshot.ticked_by("Android") is None


def test_ticked_by_gives_the_first_tick_of_an_item() -> None:
    snapshot = signoff(checklist=("iOS",), ticks=(tick("iOS", BEN, 1), tick("iOS", ANA, 2)))
    assert snapshot.ticked_by("iOS") == tick("iOS", BEN, 1)


@given(
    ticked=st.sets(st.sampled_from([*CHECKLIST, "Web", "iOS "])),
    order=st.permutations(CHECKLIST),
)
def test_missing_is_the_checklist_without_the_ticked_items(
    ticked: set[str], order: list[str]
) -> None:
    checklist = tuple(order)
    snapshot = signoff(checklist=checklist, ticks=tuple(tick(item) for item in sorted(ticked)))
    assert snapshot.missing == tuple(item for item in checklist if item not in ticked)


# approving --------------------------------------------------------------------------------


def test_an_approval_counts_on_an_open_request() -> None:
    assert check_approve(signoff(), user=ANA) is Approve.COUNTED


def test_a_second_approval_by_the_same_person_counts_once() -> None:
    snapshot = signoff(required=2, approvals=(approval(ANA),))
    assert check_approve(snapshot, user=ANA) is Approve.ALREADY
    assert check_approve(snapshot, user=BEN) is Approve.COUNTED


@pytest.mark.parametrize("status", DECIDED)
def test_a_decided_request_takes_no_approval(status: SignoffStatus) -> None:
    snapshot = signoff(status=status, approvals=(approval(ANA),))
    with pytest.raises(SignoffRefused) as refused:
        check_approve(snapshot, user=BEN)
    assert str(refused.value) == f"{LABEL}: {status.stale}, so nothing changed."
    with pytest.raises(SignoffRefused):  # not even a repeat: decided comes first
        check_approve(snapshot, user=ANA)


def test_four_eyes_refuses_the_person_who_cut_the_release() -> None:
    with pytest.raises(SignoffRefused) as refused:
        check_approve(signoff(), user=CUTTER)
    assert str(refused.value) == (
        f"You cut {LABEL}, so four-eyes asks someone else from QA to approve it."
    )


def test_without_four_eyes_the_cutter_may_approve() -> None:
    assert check_approve(signoff(four_eyes=False), user=CUTTER) is Approve.COUNTED


def test_an_approval_waits_for_every_checklist_item() -> None:
    partly = signoff(checklist=CHECKLIST, ticks=(tick("Refunds"),))
    with pytest.raises(SignoffRefused) as refused:
        check_approve(partly, user=ANA)
    assert str(refused.value) == (
        f"Tick every checklist item before approving {LABEL}. Left: “iOS”, “Android”."
    )
    with pytest.raises(SignoffRefused, match=r"Left: “iOS”, “Refunds”, “Android”\.$"):
        check_approve(signoff(checklist=CHECKLIST), user=ANA)
    done = signoff(checklist=CHECKLIST, ticks=all_ticked())
    assert check_approve(done, user=ANA) is Approve.COUNTED


def test_four_eyes_is_checked_before_the_checklist() -> None:
    with pytest.raises(SignoffRefused, match="four-eyes"):
        check_approve(signoff(checklist=CHECKLIST), user=CUTTER)
    with pytest.raises(SignoffRefused, match="Tick every checklist item"):
        check_approve(signoff(four_eyes=False, checklist=CHECKLIST), user=CUTTER)


def test_an_approval_already_counted_stays_counted_whatever_the_rules_say_now() -> None:
    """The cutter approved while four-eyes was off, or before an item was unticked."""
    snapshot = signoff(checklist=CHECKLIST, approvals=(approval(CUTTER), approval(ANA)))
    assert check_approve(snapshot, user=CUTTER) is Approve.ALREADY
    assert check_approve(snapshot, user=ANA) is Approve.ALREADY


@pytest.mark.parametrize(
    ("required", "approvals", "met"),
    [(1, 0, False), (1, 1, True), (2, 1, False), (2, 2, True), (2, 3, True), (20, 19, False)],
)
def test_the_quorum_is_met_at_the_required_number(required: int, approvals: int, met: bool) -> None:
    assert reaches_quorum(signoff(required=required), approvals=approvals) is met


def test_the_quorum_counts_the_number_given_not_the_snapshot() -> None:
    """The service passes the active approvals it just read, this one included."""
    snapshot = signoff(required=2, approvals=(approval(ANA),))
    assert not reaches_quorum(snapshot, approvals=1)
    assert reaches_quorum(snapshot, approvals=2)


# withdrawing ------------------------------------------------------------------------------


def test_a_person_withdraws_their_own_approval() -> None:
    assert check_withdraw(signoff(approvals=(approval(ANA),)), user=ANA) is None


def test_there_is_nothing_to_withdraw_without_an_approval() -> None:
    with pytest.raises(SignoffRefused) as refused:
        check_withdraw(signoff(approvals=(approval(ANA),)), user=BEN)
    assert str(refused.value) == f"You have no approval of {LABEL} to withdraw."


@pytest.mark.parametrize("status", DECIDED)
def test_a_decided_request_keeps_its_approvals(status: SignoffStatus) -> None:
    with pytest.raises(SignoffRefused, match=f"^{LABEL}: {status.stale}, so nothing changed.$"):
        check_withdraw(signoff(status=status, approvals=(approval(ANA),)), user=ANA)


# rejecting --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "kept"),
    [("crashes on launch", "crashes on launch"), ("  refunds fail \n", "refunds fail")],
)
def test_a_rejection_keeps_its_reason_stripped(reason: str, kept: str) -> None:
    assert check_reject(signoff(), reason=reason) == kept


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_a_rejection_needs_a_reason(reason: str) -> None:
    with pytest.raises(SignoffRefused) as refused:
        check_reject(signoff(), reason=reason)
    assert str(refused.value) == f"Say why {LABEL} is rejected: a reason is required."


def test_anyone_may_reject_whatever_the_checklist_and_approvals() -> None:
    snapshot = signoff(required=2, checklist=CHECKLIST, approvals=(approval(ANA),))
    assert check_reject(snapshot, reason="no") == "no"


@pytest.mark.parametrize("status", DECIDED)
def test_a_decided_request_takes_no_rejection(status: SignoffStatus) -> None:
    with pytest.raises(SignoffRefused, match=status.stale):
        check_reject(signoff(status=status), reason="a good reason")
    with pytest.raises(SignoffRefused, match=status.stale):  # decided is said first
        check_reject(signoff(status=status), reason=" ")


# ticking ----------------------------------------------------------------------------------


def test_the_checklist_changes_only_while_the_request_is_open() -> None:
    check_tick(signoff(checklist=CHECKLIST))
    for status in DECIDED:
        with pytest.raises(SignoffRefused) as refused:
            check_tick(signoff(checklist=CHECKLIST, status=status))
        assert str(refused.value) == f"{LABEL}: {status.stale}, so nothing changed."
