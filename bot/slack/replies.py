"""Render Replies and errors into what ack()/respond() send to Slack."""

from __future__ import annotations

import secrets
from typing import Any

from bot import messages
from bot.errors import StationmasterError, UsageError
from bot.observability.logs import get_logger
from commands.base import Reply

log = get_logger(__name__)


def render(reply: Reply) -> dict[str, Any]:
    """Keyword arguments for ``ack``/``respond``: text always, blocks when given."""
    payload: dict[str, Any] = {
        "text": reply.text,
        "response_type": "in_channel" if reply.public else "ephemeral",
    }
    if reply.blocks:
        payload["blocks"] = [block.to_dict() for block in reply.blocks]
    return payload


def error_reply(error: BaseException) -> Reply:
    """A person-facing reply for any error: the message for ours, a short id for the rest."""
    if isinstance(error, UsageError):
        usage = f"\n{messages.USAGE.format(usage=error.usage)}" if error.usage else ""
        return Reply(text=f"{error.message}{usage}")
    if isinstance(error, StationmasterError):
        return Reply(text=error.message)
    return Reply(text=messages.UNEXPECTED.format(error_id=log_unexpected(error)))


def log_unexpected(error: BaseException) -> str:
    """Log ``error`` with its traceback under a short id, and return the id."""
    error_id = secrets.token_hex(4)
    log.error("unexpected error", error_id=error_id, exc_info=error)
    return error_id
