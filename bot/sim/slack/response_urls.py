"""What a post to a response URL (or a slash command's ack body) does in the workspace.

Slack's rules: the message is ephemeral unless ``response_type`` is ``in_channel``;
``replace_original`` replaces the message whose button was clicked (or the previous response);
``delete_original`` deletes it; ``thread_ts`` puts an in-channel reply in a thread.
"""

from __future__ import annotations

from typing import Any

from bot.sim.slack import limits
from bot.sim.slack.blocks import validate_blocks, with_generated_ids
from bot.sim.slack.config import SimConfig
from bot.sim.slack.interactions import ResponseTarget
from bot.sim.slack.models import EphemeralSource, JsonDict, SimEphemeral, SimMessage
from bot.sim.slack.state import Workspace


class ResponseRejected(Exception):
    """Slack refused the post; ``status`` and ``error`` are its HTTP status and body."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(error)
        self.status = status
        self.error = error


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


def apply_response(
    *,
    workspace: Workspace,
    config: SimConfig,
    target: ResponseTarget,
    payload: JsonDict,
    source: EphemeralSource,
) -> None:
    if _truthy(payload.get("delete_original")):
        _delete_original(workspace, target)
        return
    text = payload.get("text")
    text = text if isinstance(text, str) else ""
    blocks = payload.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        raise ResponseRejected(400, "invalid_blocks_format")
    if not text and not blocks:
        raise ResponseRejected(400, "no_text")
    if len(text) > limits.MAX_MESSAGE_TEXT:
        raise ResponseRejected(400, "msg_too_long")
    if blocks and validate_blocks(blocks, pointer="/blocks", max_blocks=limits.MAX_MESSAGE_BLOCKS):
        raise ResponseRejected(400, "invalid_blocks")
    filled = with_generated_ids(blocks or [])
    if _truthy(payload.get("replace_original")) and _replace_original(
        workspace, target, text=text, blocks=filled
    ):
        return
    thread_ts = payload.get("thread_ts") or None
    if payload.get("response_type") == "in_channel":
        workspace.post(
            SimMessage(
                channel=target.channel,
                ts=workspace.next_ts(),
                text=text,
                blocks=filled,
                user=config.bot_user_id,
                bot_id=config.bot_id,
                thread_ts=str(thread_ts) if thread_ts else None,
            )
        )
        return
    target.last_response = workspace.add_ephemeral(
        SimEphemeral(
            channel=target.channel,
            user=target.user,
            ts=workspace.next_ts(),
            text=text,
            blocks=filled,
            thread_ts=str(thread_ts) if thread_ts else target.thread_ts,
            source=source,
        )
    )


def _original_message(workspace: Workspace, target: ResponseTarget) -> SimMessage | None:
    if target.message_ts is None:
        return None
    message = workspace.message(target.channel, target.message_ts)
    return message if message is not None and not message.deleted else None


def _replace_original(
    workspace: Workspace, target: ResponseTarget, *, text: str, blocks: list[JsonDict]
) -> bool:
    message = _original_message(workspace, target)
    if message is not None:
        workspace.update(message, text=text, blocks=blocks)
        return True
    ephemeral = target.ephemeral or target.last_response
    if ephemeral is not None and not ephemeral.deleted:
        workspace.replace_ephemeral(ephemeral, text=text, blocks=blocks)
        return True
    return False


def _delete_original(workspace: Workspace, target: ResponseTarget) -> None:
    message = _original_message(workspace, target)
    if message is not None:
        workspace.delete(message)
        return
    ephemeral = target.ephemeral or target.last_response
    if ephemeral is None or ephemeral.deleted:
        raise ResponseRejected(404, "message_not_found")
    workspace.delete_ephemeral(ephemeral)
