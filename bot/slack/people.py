"""People as Slack knows them: a user's time zone through ``users.info``, cached."""

from __future__ import annotations

import time
from collections.abc import Callable

from cachetools import TTLCache
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.observability.logs import get_logger

log = get_logger(__name__)


class SlackPeople:
    def __init__(
        self,
        *,
        client: AsyncWebClient,
        ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._zones: TTLCache[str, str] = TTLCache(maxsize=5000, ttl=ttl, timer=clock)

    async def timezone_of(self, user_id: str) -> str:
        if user_id in self._zones:
            return self._zones[user_id]
        try:
            info = await self._client.users_info(user=user_id)
            zone = str(info["user"].get("tz") or "UTC")
        except SlackApiError as exc:
            log.warning("users.info failed; showing times in UTC", error=exc.response.get("error"))
            return "UTC"
        self._zones[user_id] = zone
        return zone
