"""auth.test (bot token) and apps.connections.open (app-level token)."""

from __future__ import annotations

from bot.sim.slack.methods.base import MethodContext, MethodSpec, Params
from bot.sim.slack.models import JsonDict


def auth_test(ctx: MethodContext, params: Params) -> JsonDict:
    return {
        "ok": True,
        "url": f"{ctx.base_url}/",
        "team": ctx.config.team_name,
        "user": ctx.config.bot_name,
        "team_id": ctx.config.team_id,
        "user_id": ctx.config.bot_user_id,
        "bot_id": ctx.config.bot_id,
        "is_enterprise_install": False,
    }


def apps_connections_open(ctx: MethodContext, params: Params) -> JsonDict:
    return {"ok": True, "url": ctx.issue_socket_url()}


METHODS = {
    "auth.test": MethodSpec(auth_test),
    "apps.connections.open": MethodSpec(apps_connections_open, accepts="app"),
}
