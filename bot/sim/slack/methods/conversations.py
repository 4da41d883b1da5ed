"""conversations.info, conversations.open and conversations.join."""

from __future__ import annotations

from bot.sim.slack.errors import ApiError
from bot.sim.slack.methods.base import MethodContext, MethodSpec, Params, flag, text_arg
from bot.sim.slack.models import JsonDict, SimChannel
from bot.sim.slack.render import channel_json


def _visible_channel(ctx: MethodContext, params: Params) -> SimChannel:
    ref = text_arg(params, "channel")
    channel = ctx.workspace.find_channel(ref) if ref else None
    if channel is None or (channel.is_private and not channel.is_member):
        raise ApiError("channel_not_found")
    return channel


def conversations_info(ctx: MethodContext, params: Params) -> JsonDict:
    channel = _visible_channel(ctx, params)
    return {"ok": True, "channel": channel_json(channel, config=ctx.config)}


def conversations_open(ctx: MethodContext, params: Params) -> JsonDict:
    existing = text_arg(params, "channel")
    if existing is not None:
        channel = ctx.workspace.find_channel(existing)
        if channel is None or not (channel.is_im or channel.is_mpim):
            raise ApiError("channel_not_found")
        return _opened(ctx, channel, params, already_open=True)
    users = [u.strip() for u in (text_arg(params, "users") or "").split(",") if u.strip()]
    if not users:
        raise ApiError("users_list_not_supplied")
    for user_id in users:
        user = ctx.workspace.users.get(user_id)
        if user is None:
            raise ApiError("user_not_found")
        if user.deleted:
            raise ApiError("user_disabled")
    if len(users) > 8:
        raise ApiError("too_many_users")
    if len(users) == 1:
        already = ctx.workspace.im_with(users[0], create=False) is not None
        channel = ctx.workspace.im_with(users[0])
        assert channel is not None
        return _opened(ctx, channel, params, already_open=already)
    members = set(users)
    for channel in ctx.workspace.channels.values():
        if channel.is_mpim and channel.members == members:
            return _opened(ctx, channel, params, already_open=True)
    name = "mpdm-" + "--".join(ctx.workspace.users[u].name for u in users) + "-1"
    channel = ctx.workspace.add_channel(
        SimChannel(
            id=ctx.workspace.new_id("G"), name=name, is_mpim=True, is_private=True, members=members
        )
    )
    return _opened(ctx, channel, params, already_open=False)


def _opened(
    ctx: MethodContext, channel: SimChannel, params: Params, *, already_open: bool
) -> JsonDict:
    body: JsonDict = {"ok": True}
    if already_open:
        body.update(no_op=True, already_open=True)
    if flag(params, "return_im"):
        body["channel"] = channel_json(channel, config=ctx.config)
    else:
        body["channel"] = {"id": channel.id}
    return body


def conversations_join(ctx: MethodContext, params: Params) -> JsonDict:
    channel = _visible_channel(ctx, params)
    if channel.is_private or channel.is_im:
        raise ApiError("method_not_supported_for_channel_type")
    body: JsonDict = {"ok": True}
    if channel.is_member:
        body.update(
            warning="already_in_channel", response_metadata={"warnings": ["already_in_channel"]}
        )
    channel.is_member = True
    body["channel"] = channel_json(channel, config=ctx.config)
    return body


METHODS = {
    "conversations.info": MethodSpec(conversations_info),
    "conversations.open": MethodSpec(conversations_open),
    "conversations.join": MethodSpec(conversations_join),
}
