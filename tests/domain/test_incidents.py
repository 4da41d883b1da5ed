"""An incident's timeline: the steps that happened, in time order (ties in the incident's
logical order), each ending the duration on-call is measured by."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.domain.incidents import Durations, IncidentTimes, StepKind, timeline

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


FULL = IncidentTimes(
    deployed_at=at(0),
    deployed_by="U0ALICE",
    first_alert_at=at(7),
    first_alert="HighErrorRate",
    acked_at=at(9),
    acked_by="U0DAVE",
    rollback_started_at=at(10),
    rollback_by="U0DAVE",
    rollback_finished_at=at(10.5),
    resolved_at=at(15),
    resolved_by=None,
)


def test_a_whole_incident_in_order_with_its_durations() -> None:
    steps = timeline(FULL)
    assert [(s.kind, s.at, s.who, s.took, s.detail) for s in steps] == [
        (StepKind.DEPLOYED, at(0), "U0ALICE", None, None),
        (StepKind.FIRST_ALERT, at(7), None, timedelta(minutes=7), "HighErrorRate"),
        (StepKind.ACKNOWLEDGED, at(9), "U0DAVE", timedelta(minutes=2), None),
        (StepKind.ROLLBACK_STARTED, at(10), "U0DAVE", None, None),
        (StepKind.ROLLBACK_FINISHED, at(10.5), None, timedelta(seconds=30), None),
        (StepKind.RESOLVED, at(15), None, timedelta(minutes=8), None),
    ]


def test_durations_of_a_whole_incident() -> None:
    assert Durations.of(FULL) == Durations(
        detect=timedelta(minutes=7),
        acknowledge=timedelta(minutes=2),
        rollback=timedelta(seconds=30),
        resolve=timedelta(minutes=8),
    )


def test_what_did_not_happen_is_left_out_and_its_durations_unknown() -> None:
    times = IncidentTimes(deployed_at=at(0), first_alert_at=at(3), first_alert="DiskFull")
    steps = timeline(times)
    assert [s.kind for s in steps] == [StepKind.DEPLOYED, StepKind.FIRST_ALERT]
    assert Durations.of(times) == Durations(
        detect=timedelta(minutes=3), acknowledge=None, rollback=None, resolve=None
    )


def test_a_first_alert_without_a_known_deploy_has_no_time_to_detect() -> None:
    steps = timeline(IncidentTimes(first_alert_at=at(3), resolved_at=at(5)))
    assert [(s.kind, s.took) for s in steps] == [
        (StepKind.FIRST_ALERT, None),
        (StepKind.RESOLVED, timedelta(minutes=2)),
    ]


def test_a_failed_rollback_says_so() -> None:
    steps = timeline(replace(FULL, rollback_failed=True))
    finished = next(s for s in steps if s.kind is StepKind.ROLLBACK_FINISHED)
    assert finished.detail == "failed"


def test_steps_are_ordered_by_time_not_by_kind() -> None:
    # acknowledged in PagerDuty after the rollback had already started and finished
    steps = timeline(replace(FULL, acked_at=at(12)))
    assert [s.kind for s in steps] == [
        StepKind.DEPLOYED,
        StepKind.FIRST_ALERT,
        StepKind.ROLLBACK_STARTED,
        StepKind.ROLLBACK_FINISHED,
        StepKind.ACKNOWLEDGED,
        StepKind.RESOLVED,
    ]


def test_steps_at_the_same_instant_keep_the_incidents_order() -> None:
    same = IncidentTimes(
        resolved_at=at(1),
        rollback_finished_at=at(1),
        rollback_started_at=at(1),
        acked_at=at(1),
        first_alert_at=at(1),
        deployed_at=at(1),
    )
    assert [s.kind for s in timeline(same)] == list(StepKind)


def test_a_duration_is_never_negative() -> None:
    # a clock skew between the alerting system and the bot: the alert started before the deploy
    times = IncidentTimes(deployed_at=at(5), first_alert_at=at(4), acked_at=at(3))
    assert Durations.of(times).detect == timedelta(0)
    assert Durations.of(times).acknowledge == timedelta(0)


instants = st.none() | st.integers(min_value=0, max_value=600).map(at)


@given(
    deployed=instants, first=instants, acked=instants, started=instants, done=instants,
    resolved=instants,
)  # fmt: skip
def test_the_timeline_is_sorted_and_holds_every_known_instant(
    deployed: datetime | None,
    first: datetime | None,
    acked: datetime | None,
    started: datetime | None,
    done: datetime | None,
    resolved: datetime | None,
) -> None:
    times = IncidentTimes(
        deployed_at=deployed,
        first_alert_at=first,
        acked_at=acked,
        rollback_started_at=started,
        rollback_finished_at=done,
        resolved_at=resolved,
    )
    steps = timeline(times)
    known = [deployed, first, acked, started, done, resolved]
    assert len(steps) == sum(moment is not None for moment in known)
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert all(s.took is None or s.took >= timedelta(0) for s in steps)
