"""Stationmaster's own alert format, for any system that is neither Alertmanager nor Grafana.

::

    {"group": "checkout-errors", "title": "Checkout errors",
     "alerts": [{"id": "checkout-5xx", "status": "firing",
                 "labels": {"alertname": "HighErrorRate", "service": "checkout",
                            "severity": "critical"},
                 "annotations": {"summary": "5xx above 2% for 5 minutes"},
                 "starts_at": "2024-05-01T12:00:00Z", "ends_at": null,
                 "url": "https://grafana.example.com/d/checkout"}]}

Only ``alerts`` and each alert's ``labels`` (at least one) are required. Defaults: ``group``
is a key made of the alerts' ids; ``title`` is made of the alertnames and is otherwise the
labels the alerts share; ``id`` is a hash of the labels; ``status`` is ``firing``;
``starts_at`` is when the request arrived; ``ends_at`` of a resolved alert is when the request
arrived too (a firing alert's ``ends_at`` is ignored). Unknown fields are refused, so that a
misspelt ``startsAt`` is not silently read as "now". docs/alerts.md is the full reference.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from bot.domain.alerts import Alert, AlertSource, AlertStatus, Notification, fingerprint_of
from integrations.alerts.base import load, notification
from integrations.alerts.fields import (
    AlertList,
    Annotations,
    Fingerprint,
    GroupKey,
    Labels,
    Status,
    Text,
    Time,
)

__all__ = ["parse"]

_OURS = ConfigDict(strict=True, extra="forbid", frozen=True)


class _Alert(BaseModel):
    model_config = _OURS

    id: Fingerprint = None
    status: Status = "firing"
    labels: Annotated[Labels, Field(min_length=1)]
    annotations: Annotations = Field(default_factory=dict)
    starts_at: Time = None
    """Absent, null or the zero time: when the request arrived."""
    ends_at: Time = None
    url: Text = None

    def to_alert(self, *, received: datetime) -> Alert:
        status = AlertStatus(self.status)
        return Alert(
            fingerprint=self.id or fingerprint_of(self.labels),
            status=status,
            labels=self.labels,
            annotations=self.annotations,
            starts_at=self.starts_at or received,
            ends_at=(self.ends_at or received) if status is AlertStatus.RESOLVED else None,
            url=self.url,
        )


class _Payload(BaseModel):
    model_config = _OURS

    group: GroupKey = None
    title: Text = None
    alerts: AlertList[_Alert]


def parse(body: bytes, *, received: datetime) -> Notification:
    """One generic alert body as a Notification; ``received`` (aware) fills in missing times.

    BadPayload says what is wrong with it."""
    payload = load(body, _Payload)
    return notification(
        source=AlertSource.GENERIC,
        alerts=[alert.to_alert(received=received.astimezone(UTC)) for alert in payload.alerts],
        group_key=payload.group,
        title=payload.title,
    )
