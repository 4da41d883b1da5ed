"""users.info, usergroups.list and usergroups.users.list."""

from __future__ import annotations

from bot.sim.slack.errors import ApiError
from bot.sim.slack.methods.base import MethodContext, MethodSpec, Params, flag, text_arg
from bot.sim.slack.models import JsonDict
from bot.sim.slack.render import user_json, usergroup_json


def users_info(ctx: MethodContext, params: Params) -> JsonDict:
    user_id = text_arg(params, "user")
    user = ctx.workspace.users.get(user_id) if user_id else None
    if user is None:
        raise ApiError("user_not_found")
    return {"ok": True, "user": user_json(user, config=ctx.config, now=ctx.workspace.clock())}


def usergroups_list(ctx: MethodContext, params: Params) -> JsonDict:
    include_users = flag(params, "include_users")
    groups = [
        usergroup_json(group, config=ctx.config, include_users=include_users)
        for group in ctx.workspace.usergroups.values()
    ]
    return {"ok": True, "usergroups": groups}


def usergroups_users_list(ctx: MethodContext, params: Params) -> JsonDict:
    group_id = text_arg(params, "usergroup")
    group = ctx.workspace.usergroups.get(group_id) if group_id else None
    if group is None:
        raise ApiError("no_such_subteam")
    return {"ok": True, "users": list(group.users)}


METHODS = {
    "users.info": MethodSpec(users_info),
    "usergroups.list": MethodSpec(usergroups_list),
    "usergroups.users.list": MethodSpec(usergroups_users_list),
}
