"""App Home: publish the home tab when a user opens it (after the ack)."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.roles import RoleResolver
from bot.slack.views import home_view
from bot.tasks import BackgroundTasks


def register_home(
    app: AsyncApp, *, roles: RoleResolver, client: AsyncWebClient, tasks: BackgroundTasks
) -> None:
    async def publish(user_id: str) -> None:
        view = home_view(user_id=user_id, roles=await roles.roles_of(user_id))
        await client.views_publish(user_id=user_id, view=view)

    async def app_home_opened(event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            tasks.spawn(publish(str(event.get("user", ""))), name="publish home")

    app.event("app_home_opened")(app_home_opened)
