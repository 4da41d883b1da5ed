"""An alert thread's controls: Roll back, Acknowledge, Resolve and Not related, for on-call and
release managers (``require_role``). Each acks at once and calls the alert service in the
background; the service updates the root message itself, so only refusals, errors and stale
clicks get an ephemeral reply. A repeated click changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp

from bot import messages
from bot.domain.roles import Role
from bot.slack.alert_views import AlertAction, AlertButton
from bot.slack.guards import require_role
from bot.slack.replies import error_reply, render
from bot.slack.roles import RoleResolver
from bot.tasks import BackgroundTasks

if TYPE_CHECKING:
    from bot.services.alerts import AlertService

__all__ = ["register_alert_actions"]

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]
Work = Callable[[int, str], Awaitable[object]]
"""(group id, user) → the service call; the root message shows what it did."""


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def register_alert_actions(
    app: AsyncApp, *, roles: RoleResolver, tasks: BackgroundTasks, alerts: AlertService
) -> None:
    """Register the four buttons of an alert group's root message."""
    guard = require_role(
        roles, Role.ONCALL, Role.RELEASE_MANAGER, action=messages.ALERT_ROOT_ACTION
    )

    async def run(work: Work, button: AlertButton, user: str, respond: Respond) -> None:
        try:
            await work(button.group_id, user)
        except Exception as exc:
            await respond(**render(error_reply(exc)), replace_original=False)

    def listener(work: Work, *, name: str) -> Callable[..., Awaitable[None]]:
        async def on_click(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            await ack()
            try:
                button = AlertButton.model_validate_json(str(action.get("value", "")))
            except ValidationError:
                await respond(
                    text=messages.OLD_BUTTON.format(command=messages.ALERT_ROOT_COMMAND),
                    response_type="ephemeral",
                    replace_original=False,
                )
                return
            tasks.spawn(run(work, button, _user(body), respond), name=name)

        return on_click

    async def rollback(group_id: int, user: str) -> object:
        return await alerts.rollback(group_id=group_id, actor=user)

    async def acknowledge(group_id: int, user: str) -> object:
        return await alerts.acknowledge(group_id=group_id, actor=user)

    async def resolve(group_id: int, user: str) -> object:
        return await alerts.resolve(group_id=group_id, actor=user)

    async def unrelated(group_id: int, user: str) -> object:
        return await alerts.detach(group_id=group_id, actor=user)

    buttons: list[tuple[AlertAction, Work]] = [
        (AlertAction.ROLLBACK, rollback),
        (AlertAction.ACK, acknowledge),
        (AlertAction.RESOLVE, resolve),
        (AlertAction.UNRELATED, unrelated),
    ]
    for action_id, work in buttons:
        name = f"alert {action_id.value.removeprefix('alert.')}"
        app.action(action_id.value, middleware=[guard])(listener(work, name=name))
