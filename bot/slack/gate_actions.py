"""The gate report's "Show all failures" button: a modal, or a file when the list is long."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.services.gates import GateService
from bot.services.releases import ReleaseService
from bot.slack.gate_views import (
    FailuresButton,
    GateAction,
    failures_markdown,
    failures_modal,
    too_long_modal,
)
from bot.slack.notifier import SlackNotifier
from bot.slack.replies import error_reply, render
from bot.tasks import BackgroundTasks

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]


def register_gate_actions(
    app: AsyncApp,
    *,
    client: AsyncWebClient,
    tasks: BackgroundTasks,
    gates: GateService,
    releases: ReleaseService,
    notifier: SlackNotifier,
) -> None:
    async def show(trigger_id: str, button: FailuresButton, respond: Respond) -> None:
        try:
            release = await releases.get(button.release_id)
            report = await gates.report(release)
            modal = failures_modal(report)
            if modal is not None:
                await client.views_open(trigger_id=trigger_id, view=modal)
                return
            filename = f"failures-{release.train}-{release.version}.md"
            await client.views_open(
                trigger_id=trigger_id,
                view=too_long_modal(count=report.failure_count, filename=filename),
            )
            thread = await notifier.thread_of(card=releases.card(release))
            await client.files_upload_v2(
                channel=thread[0],
                thread_ts=thread[1],
                filename=filename,
                title=f"Failing tests of {release.label}",
                content=failures_markdown(report),
            )
        except Exception as exc:
            await respond(**render(error_reply(exc)), replace_original=False)

    async def show_failures(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        try:
            button = FailuresButton.model_validate_json(str(action.get("value", "")))
        except ValidationError:
            await respond(
                text=messages.OLD_BUTTON.format(command="/release gates VERSION"),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        tasks.spawn(show(str(body.get("trigger_id", "")), button, respond), name="show failures")

    app.action(GateAction.SHOW_FAILURES.value)(show_failures)
