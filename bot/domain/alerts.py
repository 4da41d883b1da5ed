"""Alerts and alert groups: what an alerting system tells the bot, and how a group's stored
alerts change when a notification arrives.

An :class:`Alert` is one alert as its source reported it, keyed within its group by
``fingerprint``. A :class:`Notification` is one webhook delivery: a group key and the group's
alerts as the source sees them now. Alertmanager resends a group on ``repeat_interval`` and on
every change, and retries a delivery that failed, so :func:`merge` decides what a notification
changes: a new alert, an alert that resolved, or one that fired again. A repeat, or an older
delivery arriving late, changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

__all__ = [
    "Alert",
    "AlertSource",
    "AlertStatus",
    "GroupSummary",
    "Notification",
    "fingerprint_key",
    "fingerprint_of",
    "highest_severity",
    "merge",
    "severity_rank",
    "summarize",
]


class AlertStatus(StrEnum):
    FIRING = "firing"
    RESOLVED = "resolved"


class AlertSource(StrEnum):
    ALERTMANAGER = "alertmanager"
    GRAFANA = "grafana"
    GENERIC = "generic"
    CONSOLE = "console"


#: Severity label values from the most to the least severe; anything else ranks lowest.
SEVERITIES: tuple[tuple[str, ...], ...] = (
    ("critical", "page", "p1", "emergency", "fatal", "crit"),
    ("error", "high", "major", "p2", "err"),
    ("warning", "warn", "medium", "p3"),
    ("info", "low", "minor", "p4", "notice", "informational"),
)


def severity_rank(severity: str | None) -> int:
    """Higher is more severe: critical 4, error 3, warning 2, info 1, anything else 0."""
    value = (severity or "").strip().lower()
    for rank, names in enumerate(SEVERITIES):
        if value in names:
            return len(SEVERITIES) - rank
    return 0


def highest_severity(severities: Iterable[str | None]) -> str | None:
    """The most severe of ``severities`` as given (ties: the first), or None when none is set."""
    best: str | None = None
    for severity in severities:
        if severity and (best is None or severity_rank(severity) > severity_rank(best)):
            best = severity
    return best


@dataclass(frozen=True, kw_only=True)
class Alert:
    """One alert. ``ends_at`` is set once it resolved (Alertmanager's zero time reads None)."""

    fingerprint: str
    status: AlertStatus
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None = None
    url: str | None = None
    """Where to look: the rule's graph, the dashboard or the source's page."""

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or self.fingerprint

    @property
    def severity(self) -> str | None:
        return self.labels.get("severity")

    @property
    def summary(self) -> str:
        for key in ("summary", "description", "message"):
            if self.annotations.get(key):
                return self.annotations[key]
        return ""


@dataclass(frozen=True, kw_only=True)
class Notification:
    """One delivery from an alerting system: a group and its alerts as the source sees them."""

    source: AlertSource
    group_key: str
    alerts: tuple[Alert, ...]
    title: str = ""
    common_labels: Mapping[str, str] | None = None
    external_url: str | None = None

    @property
    def labels(self) -> Mapping[str, str]:
        """The labels every alert shares (the source's, or computed)."""
        if self.common_labels is not None:
            return self.common_labels
        if not self.alerts:
            return {}
        first, *rest = self.alerts
        return {k: v for k, v in first.labels.items() if all(a.labels.get(k) == v for a in rest)}


def fingerprint_of(labels: Mapping[str, str]) -> str:
    """A stable fingerprint for an alert its source gave none: its sorted label set, hashed."""
    text = json.dumps(sorted(labels.items()))  # unambiguous: a value may hold "=" or a newline
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fingerprint_key(alerts: Iterable[Alert]) -> str:
    """The group key of a notification that names no group: its set of fingerprints."""
    prints = sorted({alert.fingerprint for alert in alerts})
    return "fp:" + hashlib.sha256(",".join(prints).encode()).hexdigest()[:32]


def merge(stored: Alert | None, incoming: Alert) -> Alert | None:
    """The alert to store after ``incoming``, or None when it changes nothing.

    - a new fingerprint is stored as it comes;
    - a firing alert resolves when a resolved report is not older than its firing;
    - a resolved alert fires again only for a later occurrence (a ``starts_at`` after it
      resolved), so a delayed retry of the old firing report changes nothing;
    - a repeat changes nothing (a source that stamps each report with a new start included),
      except that a firing alert picks up new annotations, keeping its first start.
    """
    if stored is None:
        return incoming
    if incoming.status is AlertStatus.RESOLVED:
        if stored.status is AlertStatus.RESOLVED:
            return None
        ended = incoming.ends_at or incoming.starts_at
        return incoming if ended >= stored.starts_at else None
    if stored.status is AlertStatus.RESOLVED:
        resolved_at = stored.ends_at or stored.starts_at
        return incoming if incoming.starts_at > resolved_at else None
    if incoming.starts_at < stored.starts_at or incoming.annotations == stored.annotations:
        return None
    return replace(incoming, starts_at=stored.starts_at)


@dataclass(frozen=True, kw_only=True)
class GroupSummary:
    """What a group's root message shows about its alerts."""

    firing: int
    resolved: int
    severity: str | None
    first_fired_at: datetime | None

    @property
    def all_resolved(self) -> bool:
        return self.firing == 0 and self.resolved > 0


def summarize(alerts: Iterable[Alert]) -> GroupSummary:
    alerts = list(alerts)
    firing = [a for a in alerts if a.status is AlertStatus.FIRING]
    return GroupSummary(
        firing=len(firing),
        resolved=len(alerts) - len(firing),
        severity=highest_severity(a.severity for a in (firing or alerts)),
        first_fired_at=min((a.starts_at for a in alerts), default=None),
    )
