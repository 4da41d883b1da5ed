"""Telling Slack after a state change has committed.

The database is the truth: once a change has committed, a Slack failure must not be reported
as if the change failed. It is logged with what was being shown; the next change of the same
release updates (or reposts) its root message anyway.
"""

from __future__ import annotations

from collections.abc import Awaitable

from bot.observability.logs import get_logger

log = get_logger(__name__)


async def announce(notification: Awaitable[None], *, what: str) -> bool:
    """Await ``notification``; on failure log it and return False instead of raising."""
    try:
        await notification
    except Exception:
        log.exception("the change is saved, but Slack could not be told", what=what)
        return False
    return True
