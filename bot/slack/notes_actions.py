"""The notes message's "Publish notes" button: release managers post the customer-facing
announcement to the train's announce channel, once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp

from bot import messages
from bot.domain.roles import Role
from bot.services.notes import NotesService
from bot.services.releases import ReleaseService
from bot.slack.guards import require_role
from bot.slack.notes_views import NotesAction, PublishButton
from bot.slack.replies import error_reply, render
from bot.slack.roles import RoleResolver
from bot.tasks import BackgroundTasks

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]


def register_notes_actions(
    app: AsyncApp,
    *,
    roles: RoleResolver,
    tasks: BackgroundTasks,
    notes: NotesService,
    releases: ReleaseService,
) -> None:
    async def publish(button: PublishButton, user_id: str, respond: Respond) -> None:
        try:
            release = await releases.get(button.release_id)
            published = await notes.publish(release=release, actor=user_id)
            if not published.posted:
                await respond(
                    text=messages.NOTES_ALREADY_PUBLISHED.format(
                        label=release.label, channel=published.channel
                    ),
                    response_type="ephemeral",
                    replace_original=False,
                )
        except Exception as exc:
            await respond(**render(error_reply(exc)), replace_original=False)

    async def on_publish(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        try:
            button = PublishButton.model_validate_json(str(action.get("value", "")))
        except ValidationError:
            await respond(
                text=messages.OLD_BUTTON.format(command="/release notes VERSION"),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        user_id = str((body.get("user") or {}).get("id", ""))
        tasks.spawn(publish(button, user_id, respond), name="publish notes")

    app.action(
        NotesAction.PUBLISH.value,
        middleware=[require_role(roles, Role.RELEASE_MANAGER, action="publish release notes")],
    )(on_publish)
