"""An alert thread's controls: Rollback, Acknowledge, Resolve and Not related, for on-call and
release managers (``require_role``). Each acks at once and calls the alert service in the
background; the service updates the root message itself, so only refusals, errors and stale
clicks get an ephemeral reply. A repeated click changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot import messages
from bot.domain.roles import Role
from bot.slack.alert_views import AlertAction, AlertButton
from bot.slack.clicks import background_click
from bot.slack.guards import require_role
from bot.slack.roles import RoleResolver
from bot.tasks import BackgroundTasks

if TYPE_CHECKING:
    from bot.services.alerts import AlertService

__all__ = ["register_alert_actions"]

Work = Callable[[AlertButton, str], Awaitable[object]]
"""(button, user) → the service call; the root message shows what it did."""


def register_alert_actions(
    app: AsyncApp, *, roles: RoleResolver, tasks: BackgroundTasks, alerts: AlertService
) -> None:
    """Register the four buttons of an alert group's root message."""
    guard = require_role(
        roles, Role.ONCALL, Role.RELEASE_MANAGER, action=messages.ALERT_ROOT_ACTION
    )

    async def rollback(button: AlertButton, user: str) -> object:
        return await alerts.rollback(group_id=button.group_id, actor=user)

    async def acknowledge(button: AlertButton, user: str) -> object:
        return await alerts.acknowledge(group_id=button.group_id, actor=user)

    async def resolve(button: AlertButton, user: str) -> object:
        return await alerts.resolve(group_id=button.group_id, actor=user)

    async def unrelated(button: AlertButton, user: str) -> object:
        return await alerts.detach(group_id=button.group_id, actor=user)

    buttons: list[tuple[AlertAction, Work]] = [
        (AlertAction.ROLLBACK, rollback),
        (AlertAction.ACK, acknowledge),
        (AlertAction.RESOLVE, resolve),
        (AlertAction.UNRELATED, unrelated),
    ]
    for action_id, work in buttons:
        name = f"alert {action_id.value.removeprefix('alert.')}"
        listener = background_click(
            model=AlertButton,
            work=work,
            tasks=tasks,
            name=name,
            command=messages.ALERT_ROOT_COMMAND,
        )
        app.action(action_id.value, middleware=[guard])(listener)
