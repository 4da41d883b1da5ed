"""Role checks for buttons, declared once per action as bolt listener middleware."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot import messages
from bot.domain.roles import Role
from bot.slack.roles import RoleResolver

Guard = Callable[..., Awaitable[None]]


def require_role(roles: RoleResolver, role: Role, *, action: str) -> Guard:
    """Middleware that lets a click through only from members of ``role``; anyone else gets
    an ephemeral reply naming the role, and the listener never runs."""

    async def guard(
        ack: Callable[..., Awaitable[Any]],
        body: dict[str, Any],
        respond: Callable[..., Awaitable[Any]],
        next: Callable[[], Awaitable[None]],  # bolt passes it by this name
    ) -> None:
        user_id = str((body.get("user") or {}).get("id", ""))
        if role in await roles.roles_of(user_id):
            await next()
            return
        await ack()
        await respond(
            text=messages.ROLE_FOR_ACTION.format(
                role=role.label, action=action, config_key=role.value
            ),
            response_type="ephemeral",
            replace_original=False,
        )

    return guard
