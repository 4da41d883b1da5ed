"""Alertmanager's webhook, version 4: documented payloads, and every way one can be wrong."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.domain.alerts import AlertSource, AlertStatus, Notification, fingerprint_of
from integrations.alerts.alertmanager import parse
from integrations.alerts.base import MAX_ALERTS, MAX_GROUP_KEY, MAX_VALUE, BadPayload

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
GROUP_KEY = '{}/{severity="critical"}:{alertname="HighErrorRate", service="checkout"}'


def alert(**fields: Any) -> dict[str, Any]:
    """One alert as Alertmanager sends it; ``fields`` replace or add keys."""
    return {
        "status": "firing",
        "labels": {"alertname": "HighErrorRate", "service": "checkout", "severity": "critical"},
        "annotations": {"summary": "Checkout is failing requests"},
        "startsAt": "2024-05-01T12:00:00.123456789Z",
        "endsAt": "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=up",
        "fingerprint": "4b1d5e1c9a0f3e72",
    } | fields


def body(*alerts: dict[str, Any], **fields: Any) -> bytes:
    """A version 4 payload of ``alerts`` (one default alert when none)."""
    payload = {
        "version": "4",
        "groupKey": GROUP_KEY,
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "stationmaster",
        "groupLabels": {"alertname": "HighErrorRate"},
        "commonLabels": {"alertname": "HighErrorRate", "service": "checkout"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts) or [alert()],
    } | fields
    return json.dumps(payload).encode()


def without(document: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != key}


def read(data: bytes) -> Notification:
    return parse(data, received=RECEIVED)


def refusal(data: bytes) -> str:
    with pytest.raises(BadPayload) as caught:
        read(data)
    return str(caught.value)


def test_a_documented_firing_group() -> None:
    notification = read((FIXTURES / "alertmanager_firing.json").read_bytes())
    assert notification.source is AlertSource.ALERTMANAGER
    assert notification.group_key == GROUP_KEY
    assert notification.title == "HighErrorRate (service=checkout)"
    assert notification.external_url == "http://alertmanager.example.com:9093"
    assert notification.labels == {
        "alertname": "HighErrorRate",
        "job": "checkout",
        "service": "checkout",
        "severity": "critical",
    }
    first, second = notification.alerts
    assert first.fingerprint == "4b1d5e1c9a0f3e72"
    assert first.status is AlertStatus.FIRING
    assert first.labels["instance"] == "checkout-7d9f8b6c4-x2kqp:8080"
    assert first.summary == "Checkout is failing requests"
    assert first.severity == "critical"
    # +02:00 read as UTC, nanoseconds cut to microseconds
    assert first.starts_at == datetime(2024, 5, 1, 12, 2, 26, 739266, tzinfo=UTC)
    assert first.ends_at is None  # Alertmanager's zero time
    assert first.url == (
        "http://prometheus.example.com:9090/graph"
        "?g0.expr=job%3Acheckout_errors%3Aratio5m+%3E+0.02&g0.tab=1"
    )
    assert second.fingerprint == "e08c7a2b61d4f935"
    assert second.starts_at == datetime(2024, 5, 1, 12, 3, 11, 500000, tzinfo=UTC)


def test_a_documented_resolved_group() -> None:
    notification = read((FIXTURES / "alertmanager_resolved.json").read_bytes())
    (resolved,) = notification.alerts
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.fingerprint == "4b1d5e1c9a0f3e72"  # the same alert as when it fired
    assert resolved.ends_at == datetime(2024, 5, 1, 12, 19, 41, 82517, tzinfo=UTC)
    assert notification.group_key == GROUP_KEY


def test_a_firing_alert_has_no_end_even_when_alertmanager_sends_one() -> None:
    (firing,) = read(body(alert(endsAt="2024-05-01T12:05:00Z"))).alerts
    assert firing.ends_at is None


def test_a_missing_fingerprint_is_computed_from_the_labels() -> None:
    labels = {"alertname": "DiskFull", "instance": "db-1"}
    older = without(alert(labels=labels), "fingerprint")
    (read_alert,) = read(body(older)).alerts
    assert read_alert.fingerprint == fingerprint_of(labels)
    assert read(body(alert(labels=labels, fingerprint=""))).alerts[0].fingerprint == (
        fingerprint_of(labels)
    )


def test_optional_fields_may_be_missing_or_null() -> None:
    bare = {"status": "resolved", "labels": {"alertname": "X"}, "startsAt": "2024-05-01T12:00:00Z"}
    notification = read(
        json.dumps(
            {"version": "4", "groupKey": "g", "alerts": [bare], "groupLabels": None}
        ).encode()
    )
    (only,) = notification.alerts
    assert only.annotations == {}
    assert only.url is None
    assert only.ends_at is None
    assert notification.common_labels == {}
    assert notification.external_url is None
    assert notification.title == "X"


def test_unknown_fields_are_ignored() -> None:
    notification = read(body(alert(silenceURL="http://am/silence"), future={"x": [1]}, orgId=1))
    assert notification.alerts[0].fingerprint == "4b1d5e1c9a0f3e72"


def test_an_empty_group_key_falls_back_to_the_fingerprints() -> None:
    notification = read(body(groupKey=""))
    assert notification.group_key.startswith("fp:")


@pytest.mark.parametrize(
    ("alerts", "group_labels", "title"),
    [
        ([alert()], {"alertname": "HighErrorRate"}, "HighErrorRate"),
        ([alert()], {}, "HighErrorRate"),
        (
            [alert(labels={"alertname": "A", "env": "prod"}, fingerprint="1"),
             alert(labels={"alertname": "B", "env": "prod"}, fingerprint="2")],
            {"env": "prod"},
            "A, B (env=prod)",
        ),
        (
            [alert(labels={"alertname": n}, fingerprint=n) for n in "ABCD"],
            {},
            "A, B and 2 more",
        ),
        (
            [alert(labels={"job": "api", "zone": "a"}, fingerprint="1"),
             alert(labels={"job": "api", "zone": "b"}, fingerprint="2")],
            {},
            "job=api",
        ),
        (
            [alert(labels={"zone": "a"}, fingerprint="1"),
             alert(labels={"zone": "b"}, fingerprint="2")],
            {},
            "2 alerts",
        ),
    ],
)  # fmt: skip
def test_the_title_names_the_alerts_and_the_group(
    alerts: list[dict[str, Any]], group_labels: dict[str, str], title: str
) -> None:
    assert read(body(*alerts, groupLabels=group_labels)).title == title


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("3", 'version: expected "4", the Alertmanager webhook version this bot reads; got "3"'),
        ("5", 'version: expected "4", the Alertmanager webhook version this bot reads; got "5"'),
        (4, "version: expected a string, got a number"),
        (None, "version: expected a string, got null"),
    ],
)
def test_only_version_4_is_read(version: object, message: str) -> None:
    assert refusal(body(version=version)) == message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (without(json.loads(body()), "version"), "version: required, but missing"),
        (without(json.loads(body()), "groupKey"), "groupKey: required, but missing"),
        (without(json.loads(body()), "alerts"), "alerts: required, but missing"),
        ({**json.loads(body()), "alerts": [without(alert(), "startsAt")]},
         "alerts[0].startsAt: required, but missing"),
        ({**json.loads(body()), "alerts": [without(alert(), "labels")]},
         "alerts[0].labels: required, but missing"),
        ({**json.loads(body()), "alerts": [alert(), without(alert(), "status")]},
         "alerts[1].status: required, but missing"),
    ],
)  # fmt: skip
def test_required_fields(document: dict[str, Any], message: str) -> None:
    assert refusal(json.dumps(document).encode()) == message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"alerts": {"0": alert()}}, "alerts: expected an array, got an object"),
        ({"alerts": []}, "alerts: must not be empty"),
        ({"alerts": ["HighErrorRate"]}, "alerts[0]: expected an object, got a string"),
        ({"groupKey": {"alertname": "X"}}, "groupKey: expected a string, got an object"),
        ({"commonLabels": "alertname=X"}, "commonLabels: expected an object, got a string"),
        ({"groupLabels": {"env": None}}, "groupLabels.env: expected a string, got null"),
        ({"externalURL": 9093}, "externalURL: expected a string, got a number"),
    ],
)
def test_wrong_types_name_the_field(fields: dict[str, Any], message: str) -> None:
    assert refusal(body(**fields)) == message


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"status": "pending"}, "status: expected 'firing' or 'resolved', got \"pending\""),
        ({"status": None}, "status: expected 'firing' or 'resolved', got null"),
        ({"labels": [["alertname", "X"]]}, "labels: expected an object, got an array"),
        ({"labels": {"replicas": 3}}, "labels.replicas: expected a string, got a number"),
        ({"annotations": {"value": 0.98}}, "annotations.value: expected a string, got a number"),
        ({"startsAt": 1714564800}, "startsAt: expected an RFC 3339 time, got a number"),
        ({"fingerprint": 12345}, "fingerprint: expected a string, got a number"),
        ({"generatorURL": True}, "generatorURL: expected a string, got a boolean"),
    ],
)
def test_wrong_types_in_an_alert_name_the_alert_and_field(
    fields: dict[str, Any], message: str
) -> None:
    second = alert(fingerprint="2") | fields
    assert refusal(body(alert(), second)) == f"alerts[1].{message}"


def test_a_bad_time_names_the_alert() -> None:
    alerts = [alert(fingerprint=str(i)) for i in range(4)]
    alerts[3]["startsAt"] = "Wed, 01 May 2024 12:00:00 GMT"
    assert refusal(body(*alerts)) == (
        'alerts[3].startsAt: not an RFC 3339 time ("Wed, 01 May 2024 12:00:00 GMT"); '
        "expected e.g. 2024-05-01T12:00:00Z"
    )


def test_bad_json_and_non_objects() -> None:
    assert refusal(body()[:-1]).startswith("the body is not JSON: EOF while parsing an object")
    assert refusal(b"[" + body() + b"]") == "the body must be a JSON object, not an array"
    assert refusal(b"") == "the body is empty; expected a JSON object"


def test_at_most_max_alerts() -> None:
    alerts = [alert(fingerprint=f"{i:016x}") for i in range(MAX_ALERTS)]
    assert len(read(body(*alerts)).alerts) == MAX_ALERTS
    alerts.append(alert(fingerprint="f" * 16))
    assert refusal(body(*alerts)) == f"alerts: at most {MAX_ALERTS} allowed, got {MAX_ALERTS + 1}"


def test_the_same_alert_twice_is_refused() -> None:
    other = alert(labels={"alertname": "Other"}, fingerprint="0ther")
    assert refusal(body(alert(), other, alert())) == (
        "alerts[2]: the same alert as alerts[0] (fingerprint 4b1d5e1c9a0f3e72); "
        "send each alert once"
    )


def test_huge_values() -> None:
    assert refusal(body(groupKey="k" * (MAX_GROUP_KEY + 1))) == (
        f"groupKey: longer than {MAX_GROUP_KEY} characters"
    )
    assert read(body(groupKey="k" * MAX_GROUP_KEY)).group_key == "k" * MAX_GROUP_KEY
    huge = alert(labels={"alertname": "X", "query": "q" * (MAX_VALUE + 1)})
    assert refusal(body(huge)) == (
        f'alerts[0].labels: the value of "query" is longer than {MAX_VALUE} characters'
    )
    described = alert(annotations={"description": "d" * 100_000})
    assert len(read(body(described)).alerts[0].annotations["description"]) == MAX_VALUE
    assert refusal(body(alert(fingerprint="f" * 129))) == (
        "alerts[0].fingerprint: longer than 128 characters"
    )


def test_unicode_labels_and_annotations() -> None:
    labels = {"alertname": "Über-Latenz", "équipe": "paiements", "服务": "结账"}
    notification = read(body(alert(labels=labels, annotations={"summary": "🔥 p99 > 2 s"})))
    (only,) = notification.alerts
    assert only.labels == labels
    assert only.summary == "🔥 p99 > 2 s"
    assert notification.title == "Über-Latenz"
