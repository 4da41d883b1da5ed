"""Short-lived handles Slack gives an app with each interaction: trigger ids and response URLs.

A trigger id opens one modal, within three seconds. A response URL accepts five posts within
thirty minutes and remembers where the interaction happened, so a post can replace the
message whose button was clicked.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from bot.sim.slack import limits
from bot.sim.slack.errors import ApiError
from bot.sim.slack.models import SimEphemeral


@dataclass(slots=True)
class _Trigger:
    user: str
    issued_at: float
    used: bool = False


class TriggerRegistry:
    def __init__(self, *, team_id: str, clock: Callable[[], float]) -> None:
        self._team_id = team_id
        self._clock = clock
        self._triggers: dict[str, _Trigger] = {}

    def issue(self, *, user: str) -> str:
        now = self._clock()
        trigger_id = f"{int(now)}.{self._team_id}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = _Trigger(user=user, issued_at=now)
        return trigger_id

    def redeem(self, trigger_id: str) -> str:
        """Use ``trigger_id`` up and return its user; fail as views.open would."""
        trigger = self._triggers.get(trigger_id)
        if trigger is None:
            raise ApiError("invalid_trigger_id")
        if trigger.used:
            raise ApiError("exchanged_trigger_id")
        if self._clock() - trigger.issued_at > limits.TRIGGER_TTL_SECONDS:
            raise ApiError("expired_trigger_id")
        trigger.used = True
        return trigger.user


@dataclass(slots=True)
class ResponseTarget:
    """Where a response URL's posts go. ``message_ts`` is the message whose button was
    clicked; ``ephemeral`` the ephemeral message instead, when that was clicked."""

    id: str
    user: str
    channel: str
    issued_at: float
    message_ts: str | None = None
    ephemeral: SimEphemeral | None = None
    thread_ts: str | None = None
    uses: int = 0
    last_response: SimEphemeral | None = None


class ResponseUrlRegistry:
    def __init__(self, *, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._targets: dict[str, ResponseTarget] = {}

    def issue(
        self,
        *,
        user: str,
        channel: str,
        message_ts: str | None = None,
        ephemeral: SimEphemeral | None = None,
        thread_ts: str | None = None,
    ) -> ResponseTarget:
        target = ResponseTarget(
            id=secrets.token_urlsafe(12),
            user=user,
            channel=channel,
            issued_at=self._clock(),
            message_ts=message_ts,
            ephemeral=ephemeral,
            thread_ts=thread_ts,
        )
        self._targets[target.id] = target
        return target

    def peek(self, target_id: str) -> ResponseTarget | None:
        return self._targets.get(target_id)

    def use(self, target_id: str) -> ResponseTarget | None:
        """Count one post to the URL; ``None`` when it is unknown, expired or used up."""
        target = self._targets.get(target_id)
        if target is None:
            return None
        expired = self._clock() - target.issued_at > limits.RESPONSE_URL_TTL_SECONDS
        if expired or target.uses >= limits.RESPONSE_URL_MAX_USES:
            return None
        target.uses += 1
        return target
