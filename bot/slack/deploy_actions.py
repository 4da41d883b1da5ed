"""The deploy progress message's controls: Promote, Promote fully, Pause and Resume for release
managers; Roll back for release managers and on-call (``require_role``). Each acks at once and
calls the deploy service in the background; the message itself shows the outcome, so only
refusals, errors and stale clicks get an ephemeral reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp

from bot import messages
from bot.domain.roles import Role
from bot.services.models import ReleaseInfo
from bot.services.releases import ReleaseService
from bot.slack.clicks import background_click
from bot.slack.deploy_views import DeployAction, DeployButton
from bot.slack.guards import Guard, require_role
from bot.slack.roles import RoleResolver
from bot.tasks import BackgroundTasks

if TYPE_CHECKING:
    from bot.services.deploys import DeployService

Work = Callable[[ReleaseInfo, DeployButton, str], Awaitable[object]]
"""(release, button, user) → the service call; the progress message shows what it did."""


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
        listener = background_click(
            model=DeployButton,
            work=_on_release(releases, work),
            tasks=tasks,
            name=name,
            command=command,
        )
        app.action(action_id.value, middleware=[guard])(listener)


def _on_release(
    releases: ReleaseService, work: Work
) -> Callable[[DeployButton, str], Awaitable[object]]:
    """The work, given the release the button names (read when clicked)."""

    async def on(button: DeployButton, user: str) -> object:
        return await work(await releases.get(button.release_id), button, user)

    return on
