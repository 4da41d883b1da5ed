"""A button click handed to the background: ack at once, read the button's typed value (an old
or garbled one gets an ephemeral pointer to the command that does the same), run the work, and
reply ephemerally only when it is refused or fails; the message itself shows what it did."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from bot import messages
from bot.slack.replies import error_reply, render
from bot.tasks import BackgroundTasks

__all__ = ["background_click", "user_of"]

M = TypeVar("M", bound=BaseModel)
Ack = Callable[..., Awaitable[Any]]
Respond = Callable[..., Awaitable[Any]]


def user_of(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id", ""))


def background_click(
    *,
    model: type[M],
    work: Callable[[M, str], Awaitable[object]],
    tasks: BackgroundTasks,
    name: str,
    command: str,
) -> Callable[..., Awaitable[None]]:
    """A bolt action listener running ``work(button, user)`` in the background."""

    async def run(button: M, user: str, respond: Respond) -> None:
        try:
            await work(button, user)
        except Exception as exc:
            await respond(**render(error_reply(exc)), replace_original=False)

    async def on_click(
        ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond
    ) -> None:
        await ack()
        try:
            button = model.model_validate_json(str(action.get("value", "")))
        except ValidationError:
            await respond(
                text=messages.OLD_BUTTON.format(command=command),
                response_type="ephemeral",
                replace_original=False,
            )
            return
        tasks.spawn(run(button, user_of(body), respond), name=name)

    return on_click
