"""Every bolt listener, registered in one explicit place."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.alert_actions import register_alert_actions
from bot.slack.commands import register_release_command
from bot.slack.deploy_actions import register_deploy_actions
from bot.slack.errors import register_error_handler
from bot.slack.gate_actions import register_gate_actions
from bot.slack.home import register_home
from bot.slack.notes_actions import register_notes_actions
from bot.slack.notifier import SlackNotifier
from bot.slack.roles import RoleResolver
from bot.slack.signoff_actions import register_signoff_actions
from bot.tasks import BackgroundTasks
from commands.base import Services
from commands.router import Router


@dataclass(frozen=True)
class SlackDeps:
    router: Router
    roles: RoleResolver
    tasks: BackgroundTasks
    #: The app's one instrumented client; listeners use it rather than bolt's per-request copy.
    client: AsyncWebClient
    services: Services
    notifier: SlackNotifier


def register(app: AsyncApp, deps: SlackDeps) -> None:
    register_error_handler(app)
    register_release_command(
        app, router=deps.router, roles=deps.roles, tasks=deps.tasks, services=deps.services
    )
    register_home(app, roles=deps.roles, client=deps.client, tasks=deps.tasks)
    register_gate_actions(
        app,
        client=deps.client,
        tasks=deps.tasks,
        gates=deps.services.gates,
        releases=deps.services.releases,
        notifier=deps.notifier,
    )
    register_notes_actions(
        app,
        roles=deps.roles,
        tasks=deps.tasks,
        notes=deps.services.notes,
        releases=deps.services.releases,
    )
    register_signoff_actions(
        app,
        client=deps.client,
        roles=deps.roles,
        tasks=deps.tasks,
        signoff=deps.services.signoff,
        releases=deps.services.releases,
    )
    register_deploy_actions(
        app,
        roles=deps.roles,
        tasks=deps.tasks,
        deploys=deps.services.deploys,
        releases=deps.services.releases,
    )
    register_alert_actions(app, roles=deps.roles, tasks=deps.tasks, alerts=deps.services.alerts)
