"""views.open, views.push, views.update and views.publish."""

from __future__ import annotations

from bot.sim.slack.errors import ApiError
from bot.sim.slack.methods.base import MethodContext, MethodSpec, Params, missing_argument, text_arg
from bot.sim.slack.modals import open_modal, publish_home, push_modal, update_view, validate_view
from bot.sim.slack.models import JsonDict, SimView


def _trigger_user(ctx: MethodContext, params: Params) -> str:
    trigger_id = text_arg(params, "trigger_id") or text_arg(params, "interactivity_pointer")
    if trigger_id is None:
        raise missing_argument("trigger_id")
    return ctx.triggers.redeem(trigger_id)


def _answer(sim_view: SimView) -> JsonDict:
    return {"ok": True, "view": sim_view.view}


def views_open(ctx: MethodContext, params: Params) -> JsonDict:
    view = validate_view(params.get("view"), kind="modal")
    user = _trigger_user(ctx, params)
    return _answer(open_modal(ctx.workspace, ctx.config, view, user=user))


def views_push(ctx: MethodContext, params: Params) -> JsonDict:
    view = validate_view(params.get("view"), kind="modal")
    user = _trigger_user(ctx, params)
    return _answer(push_modal(ctx.workspace, ctx.config, view, user=user))


def views_update(ctx: MethodContext, params: Params) -> JsonDict:
    view_id, external_id = text_arg(params, "view_id"), text_arg(params, "external_id")
    if view_id is None and external_id is None:
        raise missing_argument("view_id")
    sim_view = next(
        (
            v
            for v in ctx.workspace.views.values()
            if (v.id == view_id or (external_id and v.external_id == external_id)) and not v.closed
        ),
        None,
    )
    if sim_view is None:
        raise ApiError("not_found")
    view = validate_view(params.get("view"), kind=sim_view.type)
    expected = text_arg(params, "hash")
    if expected is not None and expected != sim_view.hash:
        raise ApiError("hash_conflict")
    return _answer(update_view(ctx.workspace, ctx.config, sim_view, view))


def views_publish(ctx: MethodContext, params: Params) -> JsonDict:
    user_id = text_arg(params, "user_id")
    if user_id is None:
        raise missing_argument("user_id")
    user = ctx.workspace.users.get(user_id)
    if user is None or user.deleted:
        raise ApiError("user_not_found")
    view = validate_view(params.get("view"), kind="home")
    existing = ctx.workspace.homes.get(user.id)
    expected = text_arg(params, "hash")
    if expected is not None and existing and expected != ctx.workspace.views[existing].hash:
        raise ApiError("hash_conflict")
    return _answer(publish_home(ctx.workspace, ctx.config, view, user=user.id))


METHODS = {
    "views.open": MethodSpec(views_open),
    "views.push": MethodSpec(views_push),
    "views.update": MethodSpec(views_update),
    "views.publish": MethodSpec(views_publish),
}
