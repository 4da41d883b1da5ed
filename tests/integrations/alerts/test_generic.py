"""Stationmaster's generic alert format: every field, its default, and its limits."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from bot.domain.alerts import (
    AlertSource,
    AlertStatus,
    Notification,
    fingerprint_key,
    fingerprint_of,
)
from integrations.alerts.base import (
    MAX_ALERTS,
    MAX_FINGERPRINT,
    MAX_GROUP_KEY,
    MAX_NAME,
    MAX_VALUE,
    BadPayload,
)
from integrations.alerts.generic import parse

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)
LABELS = {"alertname": "DiskFull", "service": "ledger"}


def read(document: dict[str, Any], *, received: datetime = RECEIVED) -> Notification:
    return parse(json.dumps(document).encode(), received=received)


def one(**alert: Any) -> dict[str, Any]:
    """A body of one alert with ``alert``'s fields (labels default to LABELS)."""
    return {"alerts": [{"labels": LABELS} | alert]}


def refusal(document: dict[str, Any]) -> str:
    with pytest.raises(BadPayload) as caught:
        read(document)
    return str(caught.value)


def test_every_field() -> None:
    notification = parse((FIXTURES / "generic_full.json").read_bytes(), received=RECEIVED)
    assert notification.source is AlertSource.GENERIC
    assert notification.group_key == "checkout-errors"
    assert notification.title == "Checkout errors"
    assert notification.common_labels is None
    assert notification.labels == {"service": "checkout"}  # computed by the domain
    assert notification.external_url is None
    firing, resolved = notification.alerts
    assert firing.fingerprint == "checkout-5xx"
    assert firing.status is AlertStatus.FIRING
    assert firing.starts_at == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert firing.ends_at is None
    assert firing.url == "https://grafana.example.com/d/checkout"
    assert firing.summary == "5xx above 2% for 5 minutes"
    assert firing.severity == "critical"
    assert resolved.fingerprint == "checkout-latency"
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.starts_at == datetime(2024, 5, 1, 9, 40, tzinfo=UTC)
    assert resolved.ends_at == datetime(2024, 5, 1, 9, 55, tzinfo=UTC)
    assert resolved.url is None


def test_the_defaults() -> None:
    notification = parse((FIXTURES / "generic_minimal.json").read_bytes(), received=RECEIVED)
    (alert,) = notification.alerts
    assert alert.fingerprint == fingerprint_of(LABELS)
    assert notification.group_key == fingerprint_key([alert])
    assert notification.title == "DiskFull"
    assert alert.status is AlertStatus.FIRING
    assert alert.starts_at == RECEIVED
    assert alert.ends_at is None
    assert alert.annotations == {}
    assert alert.url is None


def test_missing_times_are_the_receipt_time_in_utc() -> None:
    received = datetime(2024, 5, 1, 15, 0, tzinfo=timezone(timedelta(hours=2)))
    (alert,) = read(one(status="resolved"), received=received).alerts
    assert alert.starts_at == alert.ends_at == RECEIVED
    assert alert.starts_at.tzinfo is UTC


@pytest.mark.parametrize("starts_at", [None, "0001-01-01T00:00:00Z"])
def test_a_null_or_zero_start_is_the_receipt_time(starts_at: str | None) -> None:
    assert read(one(starts_at=starts_at)).alerts[0].starts_at == RECEIVED


def test_a_firing_alert_ignores_its_end() -> None:
    assert read(one(ends_at="2024-05-01T14:00:00Z")).alerts[0].ends_at is None


def test_a_title_without_alertname_is_the_shared_labels() -> None:
    document = {
        "alerts": [
            {"labels": {"service": "ledger", "disk": "sda"}},
            {"labels": {"service": "ledger", "disk": "sdb"}},
        ]
    }
    assert read(document).title == "service=ledger"


def test_the_same_labels_twice_need_ids() -> None:
    twice = {"alerts": [{"labels": LABELS}, {"labels": LABELS}]}
    assert refusal(twice) == (
        f"alerts[1]: the same alert as alerts[0] (fingerprint {fingerprint_of(LABELS)}); "
        "send each alert once"
    )
    with_ids = {"alerts": [{"id": "a", "labels": LABELS}, {"id": "b", "labels": LABELS}]}
    assert [a.fingerprint for a in read(with_ids).alerts] == ["a", "b"]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({}, "alerts: required, but missing"),
        ({"alerts": []}, "alerts: must not be empty"),
        ({"alerts": [{}]}, "alerts[0].labels: required, but missing"),
        ({"alerts": [{"labels": {}}]}, "alerts[0].labels: must not be empty"),
        ({"alerts": [{"labels": None}]}, "alerts[0].labels: must not be empty"),
    ],
)
def test_at_least_one_alert_with_at_least_one_label(document: dict[str, Any], message: str) -> None:
    assert refusal(document) == message


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (one(startsAt="2024-05-01T12:00:00Z"), "alerts[0].startsAt: unknown field"),
        (one(severity="critical"), "alerts[0].severity: unknown field"),
        (one() | {"groupKey": "g"}, "groupKey: unknown field"),
    ],
)
def test_unknown_fields_are_refused_so_typos_show(document: dict[str, Any], message: str) -> None:
    assert refusal(document) == f"{message} (docs/alerts.md lists the fields)"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ({"alerts": {"labels": LABELS}}, "alerts: expected an array, got an object"),
        (one() | {"group": 12}, "group: expected a string, got a number"),
        (one() | {"title": ["a"]}, "title: expected a string, got an array"),
        (one(id=7), "alerts[0].id: expected a string, got a number"),
        (one(status="FIRING"), "alerts[0].status: expected 'firing' or 'resolved', got \"FIRING\""),
        (one(status=True), "alerts[0].status: expected 'firing' or 'resolved', got a boolean"),
        (one(labels={"disk": 1}), "alerts[0].labels.disk: expected a string, got a number"),
        (one(annotations="hi"), "alerts[0].annotations: expected an object, got a string"),
        (one(url=1), "alerts[0].url: expected a string, got a number"),
        (one(starts_at="now"), 'alerts[0].starts_at: not an RFC 3339 time ("now"); '
                               "expected e.g. 2024-05-01T12:00:00Z"),
        (one(ends_at=0), "alerts[0].ends_at: expected an RFC 3339 time, got a number"),
    ],
)  # fmt: skip
def test_wrong_types(document: dict[str, Any], message: str) -> None:
    assert refusal(document) == message


def test_limits() -> None:
    many = {"alerts": [{"id": str(i), "labels": LABELS} for i in range(MAX_ALERTS + 1)]}
    assert refusal(many) == f"alerts: at most {MAX_ALERTS} allowed, got {MAX_ALERTS + 1}"
    assert refusal(one() | {"group": "g" * (MAX_GROUP_KEY + 1)}) == (
        f"group: longer than {MAX_GROUP_KEY} characters"
    )
    assert refusal(one() | {"title": "t" * (MAX_VALUE + 1)}) == (
        f"title: longer than {MAX_VALUE} characters"
    )
    assert refusal(one(id="i" * (MAX_FINGERPRINT + 1))) == (
        f"alerts[0].id: longer than {MAX_FINGERPRINT} characters"
    )
    assert refusal(one(labels={"k" * (MAX_NAME + 1): "v"})).endswith(
        f"must have 1 to {MAX_NAME} characters"
    )
    assert refusal(one(labels={"big": "v" * (MAX_VALUE + 1)})) == (
        f'alerts[0].labels: the value of "big" is longer than {MAX_VALUE} characters'
    )


def test_limits_are_inclusive() -> None:
    document = one(id="i" * MAX_FINGERPRINT, labels={"k" * MAX_NAME: "v" * MAX_VALUE})
    notification = read(document | {"group": "g" * MAX_GROUP_KEY, "title": "t" * MAX_VALUE})
    assert notification.group_key == "g" * MAX_GROUP_KEY
    assert notification.alerts[0].fingerprint == "i" * MAX_FINGERPRINT


def test_empty_optional_strings_are_absent() -> None:
    notification = read(one(id="", url="") | {"group": "", "title": ""})
    (alert,) = notification.alerts
    assert alert.fingerprint == fingerprint_of(LABELS)
    assert alert.url is None
    assert notification.group_key == fingerprint_key([alert])
    assert notification.title == "DiskFull"


def test_unicode() -> None:
    labels = {"alertname": "Disque plein", "服务": "账本"}
    notification = read(one(labels=labels, annotations={"summary": "💾 98 %"}) | {"title": "☠"})
    assert notification.title == "☠"
    assert notification.alerts[0].labels == labels
    assert notification.alerts[0].summary == "💾 98 %"
