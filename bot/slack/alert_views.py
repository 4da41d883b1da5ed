"""An alert group's root message in Block Kit: one per group, updated in place.

A first section with a severity badge, the title, whether it fires, its counts, its highest
severity and for how long it has fired; the release it is attributed to (or the releases a
person said are not related); the alerts themselves, at most :data:`SHOWN_ALERTS` of them; who
acknowledged, resolved or was paged; and the buttons the group's state allows: Rollback behind
a confirm dialog, Acknowledge, Resolve and Not related. A resolved group keeps its record and
loses its buttons.

However many alerts a group holds, the message stays within Slack's limits (a handful of
blocks, each section cut at ``SECTION_LIMIT``). Everything that came from an alerting system
(titles, labels, annotations, links) is escaped, so an alert called ``<!channel>`` pings nobody.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    MarkdownTextObject,
    SectionBlock,
)

from bot import messages
from bot.domain.alerts import Alert, AlertStatus, severity_rank
from bot.services.alert_models import AlertGroupView
from bot.slack.gate_views import SECTION_LIMIT, clip
from bot.slack.views import slack_date

__all__ = [
    "SHOWN_ALERTS",
    "AlertAction",
    "AlertButton",
    "alert_line",
    "alert_root",
    "span",
    "title_of",
]

SHOWN_ALERTS = 10
SHOWN_LINKS = 5
TITLE_CHARS = 200
SUMMARY_CHARS = 200
MORE_RESERVE = 40
"""Room kept in the alerts' section for "…and N more"."""
TEXT_CHARS = 300
"""The fallback text: what a notification shows."""
URL_CHARS = 1000
CONFIRM_CHARS = 300  # Slack's limit for a confirm dialog's text

#: Badges by :func:`~bot.domain.alerts.severity_rank`: critical, error, warning, info, other.
SEVERITY_BADGES = {4: "🔴", 3: "🟠", 2: "🟡", 1: "🔵", 0: "⚪"}
STATUS_BADGES = {AlertStatus.FIRING: "🔥", AlertStatus.RESOLVED: "✅"}


class AlertAction(StrEnum):
    ROLLBACK = "alert.rollback"
    ACK = "alert.ack"
    RESOLVE = "alert.resolve"
    UNRELATED = "alert.unrelated"


class AlertButton(BaseModel):
    """The value of an alert group's button (versioned, so old buttons keep working)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    v: Literal[1] = 1
    group_id: int


def span(delta: timedelta) -> str:
    """A duration as people say it: ``under a minute``, ``12 min``, ``2 h 5 min``, ``3 d 4 h``."""
    minutes = max(0, int(delta.total_seconds()) // 60)
    if minutes < 1:
        return "under a minute"
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{minutes} min"


def _text(value: str, limit: int) -> str:
    """Text from an alerting system on one line, escaped and cut to ``limit``."""
    return clip(messages.escape(" ".join(value.split())), limit)


def _link(url: str | None, label: str) -> str | None:
    """A Slack link to an http(s) ``url`` that cannot break out of its ``<…|…>``."""
    if not url or not url.startswith(("https://", "http://")) or len(url) > URL_CHARS:
        return None
    safe = messages.escape(url.strip()).replace("|", "%7C").replace(" ", "%20")
    return f"<{safe}|{label}>"


def title_of(view: AlertGroupView) -> str:
    """The group's title, escaped and cut: its own, its first alert's name, or its id."""
    title = view.title or (view.alerts[0].name if view.alerts else "")
    if not title:
        return messages.ALERT_ROOT_UNTITLED.format(group_id=view.group_id)
    return _text(title, TITLE_CHARS)


def alert_line(alert: Alert, *, service_labels: Sequence[str] = ("service",)) -> str:
    """``🔥 *HighErrorRate* · `checkout` · critical: 5% of requests fail · <url|graph>``."""
    parts = [f"{STATUS_BADGES[alert.status]} *{_text(alert.name, 100)}*"]
    service = next((alert.labels[n] for n in service_labels if alert.labels.get(n)), None)
    if service:
        parts.append(f"`{_text(service, 60)}`")
    if alert.severity:
        parts.append(_text(alert.severity, 30))
    line = " · ".join(parts)
    if alert.summary:
        line += f": {_text(alert.summary, SUMMARY_CHARS)}"
    link = _link(alert.url, messages.ALERT_ROOT_LINK)
    return line + (f" · {link}" if link else "")


def _head(view: AlertGroupView) -> str:
    summary = view.summary
    badge = SEVERITY_BADGES[severity_rank(summary.severity)]
    facts = [
        messages.ALERT_ROOT_RESOLVED if view.resolved else messages.ALERT_ROOT_FIRING,
        messages.ALERT_ROOT_COUNTS.format(firing=summary.firing, resolved=summary.resolved),
    ]
    if summary.severity:
        facts.append(messages.ALERT_ROOT_SEVERITY.format(severity=_text(summary.severity, 30)))
    if summary.first_fired_at is not None:
        if view.resolved:
            end = view.resolved_at or view.now
            facts.append(messages.ALERT_ROOT_LASTED.format(span=span(end - summary.first_fired_at)))
        else:
            facts.append(
                messages.ALERT_ROOT_FIRING_FOR.format(span=span(view.now - summary.first_fired_at))
            )
    return f"{badge} *{title_of(view)}*\n" + " · ".join(facts)


def _cause(view: AlertGroupView, release_link: str | None) -> str | None:
    lines = []
    cause = view.attribution
    if cause is not None:
        line = messages.ALERT_ROOT_CAUSE.format(
            label=messages.escape(cause.label),
            service=f"`{_text(cause.service, 60)}`",
            ago=span(view.now - cause.deployed_at),
            who=messages.who(cause.deployed_by),
        )
        link = _link(release_link, messages.ALERT_ROOT_RELEASE_THREAD)
        lines.append(f"{line} · {link}" if link else line)
        if cause.in_flight and not view.resolved:
            lines.append(messages.ALERT_ROOT_IN_FLIGHT)
    if view.detached:
        labels = ", ".join(f"*{messages.escape(label)}*" for label in view.detached)
        who = messages.who(view.detached_by) if view.detached_by else "someone"
        lines.append(messages.ALERT_ROOT_NOT_RELATED.format(labels=labels, who=who))
    return clip("\n".join(lines)) if lines else None


def _look_at(links: Sequence[str], *, room: int) -> str | None:
    """``Look at: <url|1> · <url|2>``: the first :data:`SHOWN_LINKS` links that fit ``room``."""
    kept: list[str] = []
    for url in links:
        link = _link(url, str(len(kept) + 1))
        if link is None:
            continue
        if len(kept) == SHOWN_LINKS or len(" · ".join([*kept, link])) + 20 > room:
            break
        kept.append(link)
    return messages.ALERT_ROOT_LOOK_AT.format(links=" · ".join(kept)) if kept else None


def _alerts(view: AlertGroupView, service_labels: Sequence[str]) -> str | None:
    """The first alerts, as many as fit (at most :data:`SHOWN_ALERTS`), then how many more, then
    links to look at that no shown alert has. Lines are left out whole, never cut mid-link."""
    if not view.alerts:
        return None
    lines: list[str] = []
    for alert in view.alerts[:SHOWN_ALERTS]:
        line = alert_line(alert, service_labels=service_labels)
        if len("\n".join([*lines, line])) > SECTION_LIMIT - MORE_RESERVE:
            break
        lines.append(line)
    shown = {alert.url for alert in view.alerts[: len(lines)]}
    if len(view.alerts) > len(lines):
        lines.append(messages.ALERT_ROOT_MORE.format(count=len(view.alerts) - len(lines)))
    room = SECTION_LIMIT - len("\n".join(lines)) - 1
    look = _look_at([url for url in view.links if url not in shown], room=room)
    return "\n".join([*lines, look] if look else lines)


def _record(view: AlertGroupView) -> str:
    """Who acknowledged and resolved it, and whether it escalated or paged."""
    parts = []
    if view.acked_at is not None:
        via = messages.ALERT_ROOT_VIA_PAGERDUTY if view.acked_via == "pagerduty" else ""
        who = messages.who(view.acked_by) if view.acked_by else "someone"
        parts.append(
            messages.ALERT_ROOT_ACKED.format(who=who, at=slack_date(view.acked_at), via=via)
        )
    elif not view.resolved:
        parts.append(messages.ALERT_ROOT_UNACKED)
    if view.escalated_at is not None:
        parts.append(messages.ALERT_ROOT_ESCALATED.format(at=slack_date(view.escalated_at)))
    if view.paged:
        parts.append(messages.ALERT_ROOT_PAGED)
    if view.resolved:
        at = slack_date(view.resolved_at or view.now)
        if view.resolved_by:
            parts.append(
                messages.ALERT_ROOT_RESOLVED_BY.format(who=messages.who(view.resolved_by), at=at)
            )
        else:
            parts.append(messages.ALERT_ROOT_RESOLVED_ITSELF.format(at=at))
    return " · ".join(parts)


def _rollback(view: AlertGroupView, value: str) -> ButtonElement:
    label = view.attribution.label if view.attribution else ""
    confirm = messages.ALERT_ROOT_ROLLBACK_CONFIRM.format(label=messages.escape(label))
    return ButtonElement(
        text=messages.ALERT_ROOT_BUTTON_ROLLBACK,
        action_id=AlertAction.ROLLBACK.value,
        value=value,
        style="danger",
        confirm=ConfirmObject(
            title=messages.ALERT_ROOT_ROLLBACK_TITLE,
            text=MarkdownTextObject(text=clip(confirm, CONFIRM_CHARS)),
            confirm=messages.ALERT_ROOT_BUTTON_ROLLBACK,
            deny=messages.ALERT_ROOT_CANCEL,
            style="danger",
        ),
    )


def _actions(view: AlertGroupView) -> ActionsBlock | None:
    if view.resolved:
        return None
    value = AlertButton(group_id=view.group_id).model_dump_json()
    elements: list[ButtonElement] = []
    if view.can_roll_back:
        elements.append(_rollback(view, value))
    if not view.acknowledged:
        elements.append(
            ButtonElement(
                text=messages.ALERT_ROOT_BUTTON_ACK,
                action_id=AlertAction.ACK.value,
                value=value,
                style="primary",
            )
        )
    elements.append(
        ButtonElement(
            text=messages.ALERT_ROOT_BUTTON_RESOLVE,
            action_id=AlertAction.RESOLVE.value,
            value=value,
        )
    )
    if view.attribution is not None:
        elements.append(
            ButtonElement(
                text=messages.ALERT_ROOT_BUTTON_UNRELATED,
                action_id=AlertAction.UNRELATED.value,
                value=value,
            )
        )
    return ActionsBlock(block_id="alert_actions", elements=elements)


def _fallback(view: AlertGroupView) -> str:
    status = messages.ALERT_ROOT_RESOLVED if view.resolved else messages.ALERT_ROOT_FIRING
    counts = messages.ALERT_ROOT_COUNTS.format(
        firing=view.summary.firing, resolved=view.summary.resolved
    )
    return clip(f"{title_of(view)}: {status} · {counts}", TEXT_CHARS)


def alert_root(
    view: AlertGroupView,
    *,
    release_link: str | None = None,
    service_labels: Sequence[str] = ("service",),
) -> tuple[str, list[Block]]:
    """The group's root message: text for notifications, and its blocks. ``release_link`` is
    the permalink of the attributed release's thread, when known."""
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=clip(_head(view))))]
    for text in (_cause(view, release_link), _alerts(view, service_labels)):
        if text:
            blocks.append(SectionBlock(text=MarkdownTextObject(text=text)))
    record = _record(view)
    if record:
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(record))]))
    actions = _actions(view)
    if actions is not None:
        blocks.append(actions)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=messages.ALERT_ROOT_ROLES)]))
    return _fallback(view), blocks
