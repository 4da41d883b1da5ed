"""The ``alerts:`` section: where alert threads go, which label names a service, how long
before an unacknowledged group escalates, and PagerDuty.

::

    alerts:
      channel: "#oncall"                     # the default
      routes: [{match: {severity: critical, service: checkout}, channel: "#oncall-checkout"}]
      service_label: service                 # or a list, tried in order: [service, app, job]
      ack_timeout: 5m
      pause_canary: true
      pagerduty: {url: "https://events.pagerduty.com"}   # STATIONMASTER_PAGERDUTY_ROUTING_KEY

The first route whose ``match`` labels all equal the group's common labels names the channel;
without a match the group goes to ``channel``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, Field, field_validator

from bot.config.base import Section, empty_mapping
from bot.config.fields import Channel, Duration, HttpUrl, none_as_empty

__all__ = ["AlertRoute", "AlertsConfig", "PagerDutyConfig"]

LABEL_NAME = r"^[a-zA-Z_][a-zA-Z0-9_]*$"
"""Prometheus's label name syntax."""


class AlertRoute(Section):
    """Alerts whose labels include every ``match`` pair go to ``channel``."""

    match: Annotated[
        dict[Annotated[str, Field(pattern=LABEL_NAME)], str], BeforeValidator(empty_mapping)
    ] = Field(min_length=1)
    channel: Channel

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(labels.get(name) == value for name, value in self.match.items())


class PagerDutyConfig(Section):
    """PagerDuty's Events API v2 (``POST {url}/v2/enqueue``), paged when a group escalates."""

    url: HttpUrl = "https://events.pagerduty.com"


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


class AlertsConfig(Section):
    channel: Channel = "#oncall"
    routes: Annotated[tuple[AlertRoute, ...], BeforeValidator(none_as_empty)] = ()
    service_label: Annotated[
        tuple[Annotated[str, Field(pattern=LABEL_NAME)], ...],
        BeforeValidator(_one_or_many),
        Field(min_length=1),
    ] = ("service",)
    ack_timeout: Duration = timedelta(minutes=5)
    pause_canary: bool = True
    pagerduty: PagerDutyConfig | None = None

    @field_validator("service_label")
    @classmethod
    def _distinct(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(names))

    def channel_for(self, labels: Mapping[str, str]) -> str:
        """The channel of the first route matching ``labels``, else the default."""
        route = next((r for r in self.routes if r.matches(labels)), None)
        return route.channel if route is not None else self.channel
