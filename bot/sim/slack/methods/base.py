"""What every simulated Web API method gets, and the argument checks they share."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from bot.sim.slack import limits
from bot.sim.slack.blocks import validate_blocks, with_generated_ids
from bot.sim.slack.config import SimConfig
from bot.sim.slack.errors import ApiError, with_messages
from bot.sim.slack.interactions import TriggerRegistry
from bot.sim.slack.models import JsonDict, SimChannel, SimMessage
from bot.sim.slack.ratelimit import PostRateLimiter
from bot.sim.slack.state import Workspace

Params = dict[str, Any]
TokenKind = Literal["bot", "app"]


@dataclass(slots=True)
class MethodContext:
    config: SimConfig
    workspace: Workspace
    triggers: TriggerRegistry
    limiter: PostRateLimiter | None
    base_url: str
    issue_socket_url: Callable[[], str]


Handler = Callable[[MethodContext, Params], JsonDict]


@dataclass(frozen=True, slots=True)
class MethodSpec:
    handler: Handler
    accepts: TokenKind = "bot"


def text_arg(params: Params, name: str) -> str | None:
    value = params.get(name)
    if value is None or value == "":
        return None
    return str(value)


def flag(params: Params, name: str) -> bool:
    value = params.get(name)
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("1", "true", "yes")


def missing_argument(name: str) -> ApiError:
    return with_messages("invalid_arguments", [f"missing required field: {name}"], errors_key=False)


def channel_for_bot(ctx: MethodContext, params: Params, *, name: str = "channel") -> SimChannel:
    """The conversation named by ``params[name]`` (id, ``#name`` or a user id for a DM), which
    the bot must be in."""
    ref = text_arg(params, name)
    if ref is None:
        raise ApiError("channel_not_found")
    channel = ctx.workspace.find_channel(ref)
    if channel is None and ref in ctx.workspace.users and ref != ctx.config.bot_user_id:
        channel = ctx.workspace.im_with(ref)
    if channel is None or (channel.is_private and not channel.is_member):
        raise ApiError("channel_not_found")
    if not channel.is_member:
        raise ApiError("not_in_channel")
    return channel


def blocks_arg(
    params: Params, *, max_blocks: int = limits.MAX_MESSAGE_BLOCKS
) -> list[JsonDict] | None:
    """Validated blocks with generated ids, or ``None`` when the argument is absent."""
    blocks = params.get("blocks")
    if blocks is None or blocks == "":
        return None
    if not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format")
    errors = validate_blocks(blocks, pointer="/blocks", max_blocks=max_blocks)
    if errors:
        raise with_messages("invalid_blocks", errors)
    return with_generated_ids(blocks)


def content_args(
    params: Params, *, required: bool = True
) -> tuple[str | None, list[JsonDict] | None]:
    """``text`` and ``blocks`` of a message: one of them (or attachments) is required."""
    text = text_arg(params, "text")
    blocks = blocks_arg(params)
    attachments = params.get("attachments")
    if required and text is None and not blocks and not attachments:
        raise ApiError("no_text")
    if text is not None and len(text) > limits.MAX_MESSAGE_TEXT:
        raise ApiError("msg_too_long")
    return text, blocks


def attachments_arg(params: Params) -> list[JsonDict]:
    attachments = params.get("attachments")
    return attachments if isinstance(attachments, list) else []


def thread_root(ctx: MethodContext, channel: SimChannel, params: Params) -> str | None:
    """The ts of the thread a reply goes to; a reply's own ts is resolved to its parent."""
    thread_ts = text_arg(params, "thread_ts")
    if thread_ts is None:
        return None
    parent = ctx.workspace.message(channel.id, thread_ts)
    if parent is None or parent.deleted:
        raise ApiError("thread_not_found")
    return parent.thread_ts if parent.is_reply else parent.ts


def own_message(
    ctx: MethodContext, channel: SimChannel, ts: str | None, *, refuse: str
) -> SimMessage:
    """A live message in ``channel`` that the bot posted; else ``message_not_found`` or
    ``refuse`` (``cant_update_message``, ``cant_delete_message``)."""
    message = ctx.workspace.message(channel.id, ts) if ts else None
    if message is None or message.deleted:
        raise ApiError("message_not_found")
    if message.bot_id != ctx.config.bot_id:
        raise ApiError(refuse)
    return message


def check_rate(ctx: MethodContext, channel: SimChannel) -> None:
    if ctx.limiter is None:
        return
    wait = ctx.limiter.try_acquire(channel.id)
    if wait is not None:
        raise ApiError("ratelimited", status=429, headers={"Retry-After": str(math.ceil(wait))})
