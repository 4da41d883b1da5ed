"""chat.postMessage, chat.update, chat.postEphemeral, chat.delete and chat.getPermalink."""

from __future__ import annotations

from bot.sim.slack.errors import ApiError
from bot.sim.slack.methods.base import (
    MethodContext,
    MethodSpec,
    Params,
    attachments_arg,
    channel_for_bot,
    check_rate,
    content_args,
    own_message,
    text_arg,
    thread_root,
)
from bot.sim.slack.models import JsonDict, SimEphemeral, SimMessage
from bot.sim.slack.render import message_json


def post_message(ctx: MethodContext, params: Params) -> JsonDict:
    channel = channel_for_bot(ctx, params)
    text, blocks = content_args(params)
    thread_ts = thread_root(ctx, channel, params)
    check_rate(ctx, channel)
    metadata = params.get("metadata")
    message = ctx.workspace.post(
        SimMessage(
            channel=channel.id,
            ts=ctx.workspace.next_ts(),
            text=text or "",
            blocks=blocks or [],
            user=ctx.config.bot_user_id,
            bot_id=ctx.config.bot_id,
            thread_ts=thread_ts,
            attachments=attachments_arg(params),
            metadata=metadata if isinstance(metadata, dict) else None,
        )
    )
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "message": message_json(message, config=ctx.config),
    }


def update(ctx: MethodContext, params: Params) -> JsonDict:
    channel = channel_for_bot(ctx, params)
    message = own_message(ctx, channel, text_arg(params, "ts"), refuse="cant_update_message")
    text, blocks = content_args(params)
    check_rate(ctx, channel)
    ctx.workspace.update(message, text=text, blocks=blocks)
    if "attachments" in params:
        message.attachments = attachments_arg(params)
    return {
        "ok": True,
        "channel": channel.id,
        "ts": message.ts,
        "text": message.text,
        "message": message_json(message, config=ctx.config),
    }


def post_ephemeral(ctx: MethodContext, params: Params) -> JsonDict:
    channel = channel_for_bot(ctx, params)
    user_ref = text_arg(params, "user")
    user = ctx.workspace.find_user(user_ref) if user_ref else None
    if user is None:
        raise ApiError("user_not_found")
    if user.id not in channel.members:
        raise ApiError("user_not_in_channel")
    text, blocks = content_args(params)
    thread_ts = thread_root(ctx, channel, params)
    check_rate(ctx, channel)
    ephemeral = ctx.workspace.add_ephemeral(
        SimEphemeral(
            channel=channel.id,
            user=user.id,
            ts=ctx.workspace.next_ts(),
            text=text or "",
            blocks=blocks or [],
            thread_ts=thread_ts,
            source="api",
        )
    )
    return {"ok": True, "message_ts": ephemeral.ts}


def delete(ctx: MethodContext, params: Params) -> JsonDict:
    channel = channel_for_bot(ctx, params)
    message = own_message(ctx, channel, text_arg(params, "ts"), refuse="cant_delete_message")
    ctx.workspace.delete(message)
    return {"ok": True, "channel": channel.id, "ts": message.ts}


def get_permalink(ctx: MethodContext, params: Params) -> JsonDict:
    ref = text_arg(params, "channel")
    channel = ctx.workspace.find_channel(ref) if ref else None
    if channel is None:
        raise ApiError("channel_not_found")
    ts = text_arg(params, "message_ts")
    message = ctx.workspace.message(channel.id, ts) if ts else None
    if message is None or message.deleted:
        raise ApiError("message_not_found")
    link = f"{ctx.base_url}/archives/{channel.id}/p{message.ts.replace('.', '')}"
    if message.is_reply:
        link += f"?thread_ts={message.thread_ts}&cid={channel.id}"
    return {"ok": True, "channel": channel.id, "permalink": link}


METHODS = {
    "chat.postMessage": MethodSpec(post_message),
    "chat.update": MethodSpec(update),
    "chat.postEphemeral": MethodSpec(post_ephemeral),
    "chat.delete": MethodSpec(delete),
    "chat.getPermalink": MethodSpec(get_permalink),
}
