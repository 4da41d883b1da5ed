"""The deploy progress message's controls: Promote, Promote fully, Pause and Resume for release
managers; Roll back for release managers and on-call (``require_role``). Each acks at once and
calls the deploy service in the background; the message itself shows the outcome, so only
refusals, errors and stale clicks get an ephemeral reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp

from bot import messages
from bot.domain.roles import Role
from bot.services.models import ReleaseInfo
from bot.services.releases import ReleaseService
from bot.slack.deploy_views import DeployAction, DeployButton
from bot.slack.guards import Guard, require_role
from bot.slack.replies import error_reply, render
from bot.slack.roles import RoleResolver
from bot.tasks import BackgroundTasks

if TYPE_CHECKING:
    from bot.services.deploys import DeployService

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]
Work = Callable[[ReleaseInfo, DeployButton, str], Awaitable[object]]
"""(release, button, user) → the service call; the progress message shows what it did."""


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def register_deploy_actions(
    app: AsyncApp,
    *,
    roles: RoleResolver,
    tasks: BackgroundTasks,
    deploys: DeployService,
    releases: ReleaseService,
) -> None:
    managers = require_role(roles, Role.RELEASE_MANAGER, action="promote, pause or resume deploys")
    rollers = require_role(roles, Role.RELEASE_MANAGER, Role.ONCALL, action="roll back releases")

    async def run(work: Work, button: DeployButton, user: str, respond: Respond) -> None:
        try:
            release = await releases.get(button.release_id)
            await work(release, button, user)
        except Exception as exc:
            await respond(**render(error_reply(exc)), replace_original=False)

    def listener(work: Work, *, name: str, command: str) -> Callable[..., Awaitable[None]]:
        async def on_click(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            await ack()
            try:
                button = DeployButton.model_validate_json(str(action.get("value", "")))
            except ValidationError:
                await respond(
                    text=messages.OLD_BUTTON.format(command=command),
                    response_type="ephemeral",
                    replace_original=False,
                )
                return
            tasks.spawn(run(work, button, _user(body), respond), name=name)

        return on_click

    async def promote(release: ReleaseInfo, button: DeployButton, user: str) -> object:
        return await deploys.promote(release=release, actor=user, full=button.full)

    async def pause(release: ReleaseInfo, button: DeployButton, user: str) -> object:
        return await deploys.pause(release=release, actor=user)

    async def resume(release: ReleaseInfo, button: DeployButton, user: str) -> object:
        return await deploys.resume(release=release, actor=user)

    async def rollback(release: ReleaseInfo, button: DeployButton, user: str) -> object:
        return await deploys.rollback(
            release=release, actor=user, reason=messages.ROLLBACK_BY_BUTTON
        )

    buttons: list[tuple[DeployAction, Guard, Work, str]] = [
        (DeployAction.PROMOTE, managers, promote, "/release promote VERSION"),
        (DeployAction.PROMOTE_FULL, managers, promote, "/release promote VERSION --full"),
        (DeployAction.PAUSE, managers, pause, "/release pause VERSION"),
        (DeployAction.RESUME, managers, resume, "/release resume VERSION"),
        (DeployAction.ROLLBACK, rollers, rollback, "/release rollback VERSION [REASON]"),
    ]
    for action_id, guard, work, command in buttons:
        name = f"deploy {action_id.value.removeprefix('deploy.')}"
        app.action(action_id.value, middleware=[guard])(listener(work, name=name, command=command))
