"""The alert rules: what a notification changes in a group's stored alerts (a new alert, a
resolution, a new occurrence; never a repeat or a late retry), severities, the group summary
and the fingerprints of alerts and groups that name none."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.alerts import (
    Alert,
    AlertSource,
    AlertStatus,
    Notification,
    fingerprint_key,
    fingerprint_of,
    highest_severity,
    merge,
    severity_rank,
    summarize,
)

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
LABELS = {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"}


def firing(
    fingerprint: str = "fp1", *, at: datetime = T0, summary: str = "5xx above 2%", **labels: str
) -> Alert:
    return Alert(
        fingerprint=fingerprint,
        status=AlertStatus.FIRING,
        labels={**LABELS, **labels},
        annotations={"summary": summary},
        starts_at=at,
    )


def resolved(fingerprint: str = "fp1", *, at: datetime = T0, ends: datetime | None = None) -> Alert:
    return replace(
        firing(fingerprint, at=at),
        status=AlertStatus.RESOLVED,
        ends_at=ends if ends is not None else at + timedelta(minutes=10),
    )


# --- merge ------------------------------------------------------------------------------------


def test_a_new_fingerprint_is_stored_as_it_comes() -> None:
    alert = firing()
    assert merge(None, alert) is alert
    done = resolved()
    assert merge(None, done) is done  # a resolution seen first is stored too


def test_a_resolution_resolves_a_firing_alert() -> None:
    done = resolved(ends=T0 + timedelta(minutes=3))
    assert merge(firing(), done) == done


def test_a_resolution_older_than_the_firing_changes_nothing() -> None:
    late = resolved(at=T0 - timedelta(hours=1), ends=T0 - timedelta(minutes=30))
    assert merge(firing(), late) is None


def test_a_resolution_ending_exactly_at_the_start_counts() -> None:
    assert merge(firing(), resolved(ends=T0)) is not None


def test_a_resolved_alert_ignores_a_second_resolution() -> None:
    assert merge(resolved(), resolved(ends=T0 + timedelta(hours=2))) is None


def test_a_late_retry_of_the_old_firing_report_changes_nothing() -> None:
    done = resolved(ends=T0 + timedelta(minutes=10))
    assert merge(done, firing(at=T0)) is None
    assert merge(done, firing(at=T0 + timedelta(minutes=10))) is None  # not after it resolved


def test_a_later_occurrence_fires_again() -> None:
    done = resolved(ends=T0 + timedelta(minutes=10))
    again = firing(at=T0 + timedelta(minutes=11))
    assert merge(done, again) == again


def test_a_resolved_alert_without_an_end_fires_again_after_its_start() -> None:
    done = replace(resolved(), ends_at=None)
    assert merge(done, firing(at=T0)) is None
    assert merge(done, firing(at=T0 + timedelta(seconds=1))) is not None


@pytest.mark.parametrize("later", [timedelta(0), timedelta(minutes=5)])
def test_a_repeat_changes_nothing_even_with_a_new_start(later: timedelta) -> None:
    assert merge(firing(), firing(at=T0 + later)) is None


def test_new_annotations_update_a_firing_alert_and_keep_its_first_start() -> None:
    update = firing(at=T0 + timedelta(minutes=5), summary="5xx above 4%")
    merged = merge(firing(), update)
    assert merged is not None
    assert merged.annotations == {"summary": "5xx above 4%"}
    assert merged.starts_at == T0


def test_new_annotations_from_an_older_report_change_nothing() -> None:
    older = firing(at=T0 - timedelta(minutes=1), summary="5xx above 1%")
    assert merge(firing(), older) is None


# --- merge: properties ------------------------------------------------------------------------

moments = st.integers(min_value=0, max_value=120).map(lambda m: T0 + timedelta(minutes=m))
alerts = st.builds(
    lambda status, start, span, summary: Alert(
        fingerprint="fp1",
        status=status,
        labels=LABELS,
        annotations={"summary": summary},
        starts_at=start,
        ends_at=start + timedelta(minutes=span) if status is AlertStatus.RESOLVED else None,
    ),
    st.sampled_from(AlertStatus),
    moments,
    st.integers(min_value=0, max_value=60),
    st.sampled_from(["a", "b", "c"]),
)


@given(stored=st.none() | alerts, incoming=alerts)
def test_merging_a_notification_twice_equals_merging_it_once(
    stored: Alert | None, incoming: Alert
) -> None:
    after = merge(stored, incoming) or stored
    assert after is not None
    assert merge(after, incoming) is None


@given(stored=alerts, incoming=alerts)
def test_merge_keeps_the_incoming_report_or_changes_nothing(stored: Alert, incoming: Alert) -> None:
    merged = merge(stored, incoming)
    if merged is None:
        return
    assert merged.status is incoming.status
    assert merged.annotations == incoming.annotations
    if stored.status is incoming.status is AlertStatus.FIRING:
        assert merged.starts_at == stored.starts_at  # the first start is kept


@given(
    start=moments,
    span=st.integers(min_value=0, max_value=60),
    order=st.lists(st.sampled_from(["firing", "resolved"]), min_size=1, max_size=8),
)
def test_retries_of_one_occurrence_in_any_order_end_resolved_once_it_resolved(
    start: datetime, span: int, order: list[str]
) -> None:
    reports = {
        "firing": firing(at=start),
        "resolved": resolved(at=start, ends=start + timedelta(minutes=span)),
    }
    stored: Alert | None = None
    for name in order:
        stored = merge(stored, reports[name]) or stored
    assert stored is not None
    expected = AlertStatus.RESOLVED if "resolved" in order else AlertStatus.FIRING
    assert stored.status is expected


# --- severities -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("severity", "rank"),
    [
        ("critical", 4), ("page", 4), ("P1", 4), (" Critical ", 4), ("error", 3), ("major", 3),
        ("warning", 2), ("warn", 2), ("info", 1), ("p4", 1), ("bogus", 0), ("", 0), (None, 0),
    ],
)  # fmt: skip
def test_severity_rank(severity: str | None, rank: int) -> None:
    assert severity_rank(severity) == rank


@pytest.mark.parametrize(
    ("severities", "highest"),
    [
        (["warning", None, "critical", "info"], "critical"),
        (["critical", "page"], "critical"),  # a tie keeps the first
        (["page", "critical"], "page"),
        (["bogus", "info"], "info"),
        (["bogus"], "bogus"),  # unknown still beats none
        ([None, ""], None),
        ([], None),
    ],
)
def test_highest_severity(severities: list[str | None], highest: str | None) -> None:
    assert highest_severity(severities) == highest


# --- alerts, notifications and summaries --------------------------------------------------


def test_an_alert_reads_its_name_severity_and_summary() -> None:
    alert = firing()
    assert (alert.name, alert.severity, alert.summary) == (
        "HighErrorRate", "critical", "5xx above 2%",
    )  # fmt: skip
    bare = Alert(
        fingerprint="abc",
        status=AlertStatus.FIRING,
        labels={},
        annotations={"description": "", "message": "disk is full"},
        starts_at=T0,
    )
    assert (bare.name, bare.severity, bare.summary) == ("abc", None, "disk is full")
    assert replace(bare, annotations={}).summary == ""


def test_a_notification_names_the_labels_its_alerts_share() -> None:
    one = firing("a", instance="pod-a")
    two = firing("b", instance="pod-b")
    notification = Notification(source=AlertSource.GENERIC, group_key="g", alerts=(one, two))
    assert notification.labels == LABELS
    given_labels = replace(notification, common_labels={"team": "payments"})
    assert given_labels.labels == {"team": "payments"}
    assert replace(notification, alerts=()).labels == {}


def test_summarize_counts_and_takes_the_severity_of_what_fires() -> None:
    summary = summarize(
        [
            firing("a", severity="warning", at=T0 + timedelta(minutes=2)),
            replace(resolved("b"), labels={"severity": "critical"}),
            firing("c", severity="info", at=T0 + timedelta(minutes=1)),
        ]
    )
    assert (summary.firing, summary.resolved, summary.severity) == (2, 1, "warning")
    assert summary.first_fired_at == T0  # the resolved one started first
    assert not summary.all_resolved


def test_summarize_of_resolved_alerts_takes_their_severity() -> None:
    summary = summarize([resolved("a"), replace(resolved("b"), labels={"severity": "info"})])
    assert (summary.firing, summary.resolved, summary.severity) == (0, 2, "critical")
    assert summary.all_resolved


def test_summarize_of_nothing() -> None:
    summary = summarize([])
    assert (summary.firing, summary.resolved, summary.severity) == (0, 0, None)
    assert summary.first_fired_at is None
    assert not summary.all_resolved


# --- fingerprints -----------------------------------------------------------------------------

label_sets = st.dictionaries(st.text(min_size=1, max_size=8), st.text(max_size=8), max_size=4)


def test_fingerprint_of_is_stable_and_ignores_label_order() -> None:
    forward = fingerprint_of({"a": "1", "b": "2"})
    assert forward == fingerprint_of({"b": "2", "a": "1"})
    assert len(forward) == 16
    assert int(forward, 16) >= 0
    assert forward != fingerprint_of({"a": "1", "b": "3"})


@given(first=label_sets, second=label_sets)
def test_distinct_label_sets_have_distinct_fingerprints(
    first: dict[str, str], second: dict[str, str]
) -> None:
    if first != second:
        assert fingerprint_of(first) != fingerprint_of(second)


def test_label_values_holding_separators_do_not_collide() -> None:
    assert fingerprint_of({"a": "b\nc=d"}) != fingerprint_of({"a": "b", "c": "d"})
    assert fingerprint_of({"a=b": "c"}) != fingerprint_of({"a": "b=c"})


def test_fingerprint_key_is_the_set_of_fingerprints() -> None:
    one, two = firing("a"), firing("b")
    key = fingerprint_key([one, two])
    assert key.startswith("fp:")
    assert len(key) == 3 + 32
    assert key == fingerprint_key([two, one, replace(one, status=AlertStatus.RESOLVED)])
    assert key != fingerprint_key([one])
