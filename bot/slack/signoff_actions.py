"""The sign-off request's controls: Approve, Reject (a modal asks why), Withdraw, and the
checklist. Each is for the ``qa`` role only (``require_role``), acks at once, and does its
work in the background; refusals and stale clicks get an ephemeral reply."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from pydantic import ValidationError
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.domain.roles import Role
from bot.services.releases import ReleaseService
from bot.services.signoff import SignoffService
from bot.slack.guards import require_role
from bot.slack.replies import error_reply, render
from bot.slack.roles import RoleResolver
from bot.slack.signoff_views import (
    REASON_ACTION,
    REASON_BLOCK,
    SignoffAction,
    SignoffButton,
    reject_modal,
)
from bot.tasks import BackgroundTasks

Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]
Work = Callable[[SignoffButton, str], Coroutine[Any, Any, str | None]]
"""(button, user) → what to tell the user, if anything."""


def _user(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def register_signoff_actions(
    app: AsyncApp,
    *,
    client: AsyncWebClient,
    roles: RoleResolver,
    tasks: BackgroundTasks,
    signoff: SignoffService,
    releases: ReleaseService,
) -> None:
    qa_only = require_role(roles, Role.QA, action="sign off releases")

    async def button_of(action: dict[str, Any], respond: Respond) -> SignoffButton | None:
        """The clicked button's value; an old or foreign one is told to use the command."""
        try:
            return SignoffButton.model_validate_json(str(action.get("value", "")))
        except ValidationError:
            await old_button(respond)
            return None

    async def old_button(respond: Respond) -> None:
        await respond(
            text=messages.OLD_BUTTON.format(command="/release signoff VERSION"),
            response_type="ephemeral",
            replace_original=False,
        )

    async def run(work: Work, button: SignoffButton, user: str, respond: Respond) -> None:
        try:
            said = await work(button, user)
        except Exception as exc:
            await respond(**render(error_reply(exc)), replace_original=False)
            return
        if said:
            await respond(text=said, response_type="ephemeral", replace_original=False)

    def listener(work: Work, name: str) -> Callable[..., Awaitable[None]]:
        async def on_click(
            ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
        ) -> None:
            await ack()
            button = await button_of(action, respond)
            if button is None:
                return
            tasks.spawn(run(work, button, _user(body), respond), name=name)

        return on_click

    async def approve(button: SignoffButton, user: str) -> str | None:
        release = await releases.get(button.release_id)
        view = await signoff.approve(release=release, user=user, request_id=button.request_id)
        return None if view.changed else messages.SIGNOFF_ALREADY.format(label=release.label)

    async def withdraw(button: SignoffButton, user: str) -> str | None:
        release = await releases.get(button.release_id)
        await signoff.withdraw(release=release, user=user, request_id=button.request_id)
        return messages.SIGNOFF_WITHDRAWN.format(label=release.label)

    async def on_reject(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        button = await button_of(action, respond)
        if button is None:
            return
        try:
            release = await releases.get(button.release_id)
            await signoff.open_view(release, request_id=button.request_id)
            await client.views_open(
                trigger_id=str(body.get("trigger_id", "")),
                view=reject_modal(button, label=release.label),
            )
        except Exception as exc:
            await respond(**render(error_reply(exc)), replace_original=False)

    async def on_reason(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        reason = str(((values.get(REASON_BLOCK) or {}).get(REASON_ACTION) or {}).get("value") or "")
        if not reason.strip():
            await ack(
                response_action="errors", errors={REASON_BLOCK: messages.SIGNOFF_NEEDS_REASON}
            )
            return
        try:
            button = SignoffButton.model_validate_json(str(view.get("private_metadata", "")))
            release = await releases.get(button.release_id)
            await signoff.open_view(release, request_id=button.request_id)
        except ValidationError:
            await ack()
            return
        except Exception as exc:  # decided or replaced meanwhile: say so in the modal
            await ack(response_action="errors", errors={REASON_BLOCK: error_reply(exc).text})
            return
        await ack()
        user = _user(body)

        async def reject() -> None:
            await signoff.reject(
                release=release, user=user, reason=reason, request_id=button.request_id
            )

        tasks.spawn(reject(), name="signoff reject")

    async def on_checklist(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        _, release_id, request_id = ([*str(action.get("block_id", "")).split(":"), "", ""])[:3]
        if not (release_id.isdigit() and request_id.isdigit()):
            await old_button(respond)
            return
        items = [str(o.get("value", "")) for o in action.get("selected_options") or []]
        button = SignoffButton(release_id=int(release_id), request_id=int(request_id))

        async def tick(button: SignoffButton, user: str) -> str | None:
            release = await releases.get(button.release_id)
            await signoff.tick(
                release=release, request_id=button.request_id, user=user, items=items
            )
            return None

        tasks.spawn(run(tick, button, _user(body), respond), name="signoff checklist")

    app.action(SignoffAction.APPROVE.value, middleware=[qa_only])(
        listener(approve, "signoff approve")
    )
    app.action(SignoffAction.WITHDRAW.value, middleware=[qa_only])(
        listener(withdraw, "signoff withdraw")
    )
    app.action(SignoffAction.REJECT.value, middleware=[qa_only])(on_reject)
    app.action(SignoffAction.CHECKLIST.value, middleware=[qa_only])(on_checklist)
    app.view(SignoffAction.REJECT_MODAL.value)(on_reason)
