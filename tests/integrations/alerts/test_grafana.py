"""Grafana alerting's webhook contact point: the documented payload and Grafana's differences."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
from integrations.alerts.base import MAX_ALERTS, BadPayload
from integrations.alerts.grafana import parse

FIXTURES = Path(__file__).parent / "fixtures"
RECEIVED = datetime(2024, 5, 1, 13, 0, tzinfo=UTC)


def documented() -> dict[str, Any]:
    document: dict[str, Any] = json.loads((FIXTURES / "grafana_firing.json").read_bytes())
    return document


def read(document: dict[str, Any]) -> Notification:
    return parse(json.dumps(document).encode(), received=RECEIVED)


def refusal(data: bytes) -> str:
    with pytest.raises(BadPayload) as caught:
        parse(data, received=RECEIVED)
    return str(caught.value)


def test_the_documented_payload() -> None:
    notification = parse((FIXTURES / "grafana_firing.json").read_bytes(), received=RECEIVED)
    assert notification.source is AlertSource.GRAFANA
    assert notification.group_key == (
        '{}/{team="payments"}:{alertname="Checkout latency", grafana_folder="Payments"}'
    )
    # Grafana's own title counts the firing alerts, so it changes; ours names the group
    assert notification.title == "Checkout latency (grafana_folder=Payments)"
    assert notification.external_url == "https://grafana.example.com/"
    assert notification.labels["team"] == "payments"
    first, second = notification.alerts
    assert first.fingerprint == "c6eadffa33fcdf37"
    assert first.status is AlertStatus.FIRING
    assert first.starts_at == datetime(2024, 5, 1, 12, 10, 3, 157076, tzinfo=UTC)
    assert first.ends_at is None
    assert first.summary == "Checkout is slow in eu-west-1"
    assert first.url == "https://grafana.example.com/d/checkout-slo?orgId=1"  # dashboardURL
    assert second.fingerprint == "bc97ff14869b13e3"
    assert second.labels["zone"] == "eu-west-1b"
    # empty dashboardURL and panelURL: the rule's page
    assert second.url == "https://grafana.example.com/alerting/grafana/b3d2a1c0/view?orgId=1"


def test_the_panel_url_comes_before_the_generator_url() -> None:
    document = documented()
    document["alerts"][0]["dashboardURL"] = ""
    assert read(document).alerts[0].url == (
        "https://grafana.example.com/d/checkout-slo?orgId=1&viewPanel=4"
    )


def test_an_alert_without_any_url() -> None:
    document = documented()
    for key in ("dashboardURL", "panelURL", "generatorURL"):
        del document["alerts"][1][key]
    assert read(document).alerts[1].url is None


@pytest.mark.parametrize("group_key", [None, ""])
def test_without_a_group_key_the_fingerprints_key_the_group(group_key: str | None) -> None:
    document = documented()
    if group_key is None:
        del document["groupKey"]
    else:
        document["groupKey"] = group_key
    notification = read(document)
    assert notification.group_key == fingerprint_key(notification.alerts)
    assert notification.group_key.startswith("fp:")


def test_a_missing_fingerprint_is_computed_from_the_labels() -> None:
    document = documented()
    del document["alerts"][0]["fingerprint"]
    first = read(document).alerts[0]
    assert first.fingerprint == fingerprint_of(document["alerts"][0]["labels"])


def test_a_resolved_alert_keeps_its_end() -> None:
    document = documented()
    document["alerts"][0] |= {"status": "resolved", "endsAt": "2024-05-01T14:25:03.157076+02:00"}
    resolved, firing = read(document).alerts
    assert resolved.status is AlertStatus.RESOLVED
    assert resolved.ends_at == datetime(2024, 5, 1, 12, 25, 3, 157076, tzinfo=UTC)
    assert firing.ends_at is None


@pytest.mark.parametrize("version", ["1", "2", None])
def test_the_version_is_not_checked(version: str | None) -> None:
    document = documented()
    if version is None:
        del document["version"]
    else:
        document["version"] = version
    assert len(read(document).alerts) == 2


def test_deprecated_and_unknown_fields_are_ignored_whatever_their_type() -> None:
    document = documented() | {"title": 7, "state": None, "message": ["x"], "orgId": "one"}
    document["alerts"][0] |= {"values": "B=1", "silenceURL": 3, "imageURL": "https://img"}
    assert read(document).alerts[0].fingerprint == "c6eadffa33fcdf37"


def test_a_legacy_alert_is_refused_with_what_to_use_instead() -> None:
    assert refusal((FIXTURES / "grafana_legacy.json").read_bytes()) == (
        "the body: a legacy Grafana alert (ruleName, evalMatches); "
        "send from a unified alerting webhook contact point instead"
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"alerts": None}, "alerts: expected an array, got null"),
        ({"groupKey": 1}, "groupKey: expected a string, got a number"),
        (
            {"commonLabels": {"team": ["blue"]}},
            "commonLabels.team: expected a string, got an array",
        ),
        (
            {"alerts": [{"status": "firing", "labels": {}}]},
            "alerts[0].startsAt: required, but missing",
        ),
    ],
)
def test_bad_payload_fields(change: dict[str, Any], message: str) -> None:
    assert refusal(json.dumps(documented() | change).encode()) == message


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"dashboardURL": 4}, "dashboardURL: expected a string, got a number"),
        ({"panelURL": {"id": 4}}, "panelURL: expected a string, got an object"),
        ({"status": "alerting"}, "status: expected 'firing' or 'resolved', got \"alerting\""),
        (
            {"endsAt": "soon"},
            'endsAt: not an RFC 3339 time ("soon"); expected e.g. 2024-05-01T12:00:00Z',
        ),
        ({"annotations": {"summary": None}}, "annotations.summary: expected a string, got null"),
    ],
)
def test_bad_alert_fields(change: dict[str, Any], message: str) -> None:
    document = documented()
    document["alerts"][1] |= change
    assert refusal(json.dumps(document).encode()) == f"alerts[1].{message}"


def test_bad_json_and_non_objects() -> None:
    assert refusal(b"{'receiver': 'x'}").startswith("the body is not JSON: key must be a string")
    assert refusal(b"true") == "the body must be a JSON object, not a boolean"


def test_too_many_alerts() -> None:
    document = documented()
    template = document["alerts"][0]
    document["alerts"] = [template | {"fingerprint": str(i)} for i in range(MAX_ALERTS + 1)]
    assert refusal(json.dumps(document).encode()) == (
        f"alerts: at most {MAX_ALERTS} allowed, got {MAX_ALERTS + 1}"
    )


def test_unicode_survives() -> None:
    document = documented()
    document["alerts"][0]["labels"]["alertname"] = "Latence élevée 🐢"
    document["commonLabels"].pop("alertname")
    document["groupLabels"] = {"grafana_folder": "Paiements"}
    assert read(document).title == "Latence élevée 🐢, Checkout latency (grafana_folder=Paiements)"
