"""Grafana alerting's webhook contact point (unified alerting, Grafana 9 and later).

Grafana's notifier is a fork of Alertmanager's, so its body is Alertmanager's with more fields::

    {"receiver": "stationmaster", "status": "firing", "orgId": 1,
     "alerts": [{"status": "firing", "labels": {...}, "annotations": {...},
                 "startsAt": "<RFC 3339>", "endsAt": "0001-01-01T00:00:00Z",
                 "generatorURL": ".../alerting/grafana/<rule>/view", "fingerprint": "…",
                 "silenceURL": "…", "dashboardURL": "", "panelURL": "", "imageURL": "…",
                 "values": {"B": 44.2, "C": 1}, "valueString": "[ var='B' … ]"}],
     "groupLabels": {...}, "commonLabels": {...}, "commonAnnotations": {...},
     "externalURL": "https://grafana/", "version": "1", "groupKey": "{}/{…}:{…}",
     "truncatedAlerts": 0, "title": "[FIRING:1] …", "state": "alerting", "message": "…"}

Read as Alertmanager's (see :mod:`integrations.alerts.alertmanager`), except that ``version``
is not checked, the group key is the fingerprints' key when ``groupKey`` is absent or empty,
and an alert's url is its ``dashboardURL``, else its ``panelURL``, else its ``generatorURL``.
``title``, ``state`` and ``message`` are deprecated by Grafana (the title counts the firing
alerts, so it changes) and ignored, as are ``values``, ``silenceURL`` and unknown fields.
A legacy alert (Grafana 8's ``ruleName``/``evalMatches`` body, no ``alerts``) is refused.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from bot.domain.alerts import AlertSource, Notification
from integrations.alerts.alertmanager import AlertmanagerAlert
from integrations.alerts.base import load, notification
from integrations.alerts.fields import WIRE, AlertList, GroupKey, Labels, Text

__all__ = ["parse"]


class _Alert(AlertmanagerAlert):
    dashboard_url: Text = Field(default=None, alias="dashboardURL")
    panel_url: Text = Field(default=None, alias="panelURL")


class _Payload(BaseModel):
    model_config = WIRE

    group_key: GroupKey = Field(default=None, alias="groupKey")
    group_labels: Labels = Field(default_factory=dict, alias="groupLabels")
    common_labels: Labels = Field(default_factory=dict, alias="commonLabels")
    external_url: Text = Field(default=None, alias="externalURL")
    alerts: AlertList[_Alert]

    @model_validator(mode="before")
    @classmethod
    def _not_legacy(cls, data: object) -> object:
        if isinstance(data, dict) and "alerts" not in data and "ruleName" in data:
            raise PydanticCustomError(
                "legacy",
                "a legacy Grafana alert (ruleName, evalMatches); "
                "send from a unified alerting webhook contact point instead",
            )
        return data


def parse(body: bytes, *, received: datetime) -> Notification:
    """One Grafana webhook body as a Notification (``received`` is not needed: every alert
    carries its own times); BadPayload says what is wrong with it."""
    payload = load(body, _Payload)
    return notification(
        source=AlertSource.GRAFANA,
        alerts=[
            alert.to_alert(url=alert.dashboard_url or alert.panel_url) for alert in payload.alerts
        ],
        group_key=payload.group_key,
        group_labels=payload.group_labels,
        common_labels=payload.common_labels,
        external_url=payload.external_url,
    )
