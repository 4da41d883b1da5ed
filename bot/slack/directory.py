"""User-group handles resolved through the Web API, cached for about a minute."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Mapping

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.errors import IntegrationError
from bot.observability.logs import get_logger

log = get_logger(__name__)


class UserGroupDirectory:
    """Maps user-group handles (without '@') to their members.

    One refresh at a time: concurrent callers share it. When Slack fails, a stale answer is
    better than none, so the last good mapping is kept; with none, an IntegrationError says so.
    """

    def __init__(
        self,
        *,
        client: AsyncWebClient,
        ttl: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._ttl = ttl
        self._clock = clock
        self._members: dict[str, frozenset[str]] | None = None
        self._ids: dict[str, str] = {}
        self._asked: frozenset[str] = frozenset()
        """The handles ``_members`` was fetched for (a handle Slack does not know included)."""
        self._fetched_at = 0.0
        self._lock = asyncio.Lock()

    async def members(self, *, handles: Collection[str]) -> Mapping[str, frozenset[str]]:
        if not handles:
            return {}
        wanted = frozenset(handles)
        if self._fresh(wanted):
            return self._members or {}
        async with self._lock:
            if not self._fresh(wanted):
                await self._refresh(self._asked | wanted)  # keep the handles others asked for
            return self._members or {}

    async def group_id(self, *, handle: str) -> str | None:
        """The user group's ID (for a ``<!subteam^ID>`` mention), when Slack knows it."""
        await self.members(handles={handle})
        return self._ids.get(handle)

    def _fresh(self, wanted: frozenset[str]) -> bool:
        return (
            self._members is not None
            and wanted <= self._asked
            and self._clock() - self._fetched_at < self._ttl
        )

    async def _refresh(self, handles: Collection[str]) -> None:
        try:
            listed = await self._client.usergroups_list()
            groups: list[dict[str, str]] = listed.get("usergroups", [])
            ids = {group["handle"]: group["id"] for group in groups}
            self._ids = ids
            members: dict[str, frozenset[str]] = {}
            for handle in handles:
                if handle not in ids:
                    log.warning("user group not found in Slack", handle=handle)
                    continue
                users = await self._client.usergroups_users_list(usergroup=ids[handle])
                members[handle] = frozenset(users.get("users", []))
        except SlackApiError as exc:
            error = exc.response.get("error", "error")
            if self._members is not None:
                log.warning("user groups refresh failed; using the last answer", error=error)
                self._fetched_at = self._clock()
                return
            raise IntegrationError(
                f"Slack would not list user groups ({error}); check the usergroups:read scope."
            ) from exc
        self._members = members
        self._asked = frozenset(handles)
        self._fetched_at = self._clock()
