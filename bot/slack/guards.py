"""Role checks for buttons, declared once per action as bolt listener middleware."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot import messages
from bot.domain.roles import Role
from bot.slack.roles import RoleResolver

Guard = Callable[..., Awaitable[None]]


def require_role(roles: RoleResolver, *allowed: Role, action: str) -> Guard:
    """Middleware that lets a click through only from members of one of the ``allowed`` roles;
    anyone else gets an ephemeral reply naming them all, and the listener never runs."""
    if not allowed:
        raise ValueError("require_role needs at least one role")
    refusal = messages.ROLE_FOR_ACTION.format(action=action, **messages.any_role(allowed))

    async def guard(
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        next: Callable[[], Awaitable[None]],  # bolt passes it by this name
    ) -> None:
        user_id = str((body.get("user") or {}).get("id", ""))
        if not set(allowed).isdisjoint(await roles.roles_of(user_id)):
            await next()
            return
        await ack()
        await respond(text=refusal, response_type="ephemeral", replace_original=False)

    return guard
