"""reactions.add."""

from __future__ import annotations

import re

from bot.sim.slack.errors import ApiError
from bot.sim.slack.methods.base import MethodContext, MethodSpec, Params, channel_for_bot, text_arg
from bot.sim.slack.models import JsonDict

_EMOJI_NAME = re.compile(r"^[a-z0-9_+\-']+(::skin-tone-[2-6])?$")


def reactions_add(ctx: MethodContext, params: Params) -> JsonDict:
    channel = channel_for_bot(ctx, params)
    name = (text_arg(params, "name") or "").strip(":")
    if not _EMOJI_NAME.match(name):
        raise ApiError("invalid_name")
    ts = text_arg(params, "timestamp")
    if ts is None:
        raise ApiError("no_item_specified")
    message = ctx.workspace.message(channel.id, ts)
    if message is None or message.deleted:
        raise ApiError("message_not_found")
    if ctx.config.bot_user_id in message.reactions.get(name, []):
        raise ApiError("already_reacted")
    ctx.workspace.add_reaction(message, name=name, user=ctx.config.bot_user_id)
    return {"ok": True}


METHODS = {"reactions.add": MethodSpec(reactions_add)}
