"""Prometheus Alertmanager's webhook (``webhook_configs``), payload version 4.

Alertmanager posts one alert group per request, on every change and again each
``repeat_interval``::

    {"version": "4", "groupKey": "{}:{alertname=\\"HighErrorRate\\"}", "truncatedAlerts": 0,
     "status": "firing", "receiver": "stationmaster", "groupLabels": {...},
     "commonLabels": {...}, "commonAnnotations": {...}, "externalURL": "http://am:9093",
     "alerts": [{"status": "firing", "labels": {...}, "annotations": {...},
                 "startsAt": "<RFC 3339>", "endsAt": "0001-01-01T00:00:00Z",
                 "generatorURL": "http://prometheus/graph?...", "fingerprint": "a1b2c3d4e5f60718"}]}

Read: ``version`` (must be ``"4"``), ``groupKey`` (the group key), ``groupLabels`` (in the
title), ``commonLabels``, ``externalURL`` and, per alert, ``status``, ``labels``,
``annotations``, ``startsAt``, ``endsAt`` (the zero time reads as None), ``generatorURL`` (the
alert's url) and ``fingerprint`` (computed from the labels when absent: older releases send
none). A firing alert has no end: Alertmanager zeroes it, and any other value would only say
when it expires. Other fields (``receiver``, ``status``, ``truncatedAlerts``,
``commonAnnotations``) and unknown ones are ignored.
"""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from bot.domain.alerts import Alert, AlertSource, AlertStatus, Notification, fingerprint_of
from integrations.alerts.base import load, notification
from integrations.alerts.fields import (
    WIRE,
    AlertList,
    Annotations,
    Fingerprint,
    GroupKey,
    Labels,
    StartTime,
    Status,
    Text,
    Time,
)

__all__ = ["VERSION", "AlertmanagerAlert", "parse"]

VERSION = "4"
"""The webhook payload version current Alertmanager releases send."""


class AlertmanagerAlert(BaseModel):
    """One alert of the payload; Grafana's alerts add fields to it."""

    model_config = WIRE

    status: Status
    labels: Labels
    annotations: Annotations = Field(default_factory=dict)
    starts_at: StartTime = Field(alias="startsAt")
    ends_at: Time = Field(default=None, alias="endsAt")
    generator_url: Text = Field(default=None, alias="generatorURL")
    fingerprint: Fingerprint = None

    def to_alert(self, *, url: str | None = None) -> Alert:
        """The domain alert; ``url`` defaults to the generator URL."""
        status = AlertStatus(self.status)
        return Alert(
            fingerprint=self.fingerprint or fingerprint_of(self.labels),
            status=status,
            labels=self.labels,
            annotations=self.annotations,
            starts_at=self.starts_at,
            ends_at=self.ends_at if status is AlertStatus.RESOLVED else None,
            url=url or self.generator_url,
        )


class _Payload(BaseModel):
    model_config = WIRE

    version: str
    group_key: GroupKey = Field(alias="groupKey")
    group_labels: Labels = Field(default_factory=dict, alias="groupLabels")
    common_labels: Labels = Field(default_factory=dict, alias="commonLabels")
    external_url: Text = Field(default=None, alias="externalURL")
    alerts: AlertList[AlertmanagerAlert]

    @field_validator("version")
    @classmethod
    def _version_4(cls, version: str) -> str:
        if version != VERSION:
            raise PydanticCustomError(
                "version",
                'expected "4", the Alertmanager webhook version this bot reads; got {got}',
                {"got": json.dumps(version[:20])},
            )
        return version


def parse(body: bytes, *, received: datetime) -> Notification:
    """One Alertmanager webhook body as a Notification (``received`` is not needed: every
    alert carries its own times); BadPayload says what is wrong with it."""
    payload = load(body, _Payload)
    return notification(
        source=AlertSource.ALERTMANAGER,
        alerts=[alert.to_alert() for alert in payload.alerts],
        group_key=payload.group_key,
        group_labels=payload.group_labels,
        common_labels=payload.common_labels,
        external_url=payload.external_url,
    )
