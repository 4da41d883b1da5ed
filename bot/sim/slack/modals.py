"""Views: their validation, the modal stack of each user, and App Home tabs.

Used by the views.* methods and by the user-side client, which applies a bot's answer to a
``view_submission`` (``update``, ``push``, ``clear``, ``errors``, or close).
"""

from __future__ import annotations

import secrets
from typing import Any

from bot.sim.slack import limits
from bot.sim.slack.blocks import missing, too_long, validate_blocks, validate_text_object
from bot.sim.slack.blocks import with_generated_ids as _with_ids
from bot.sim.slack.config import SimConfig
from bot.sim.slack.errors import ApiError, SimulatorError, with_messages
from bot.sim.slack.models import JsonDict, SimEventKind, SimView
from bot.sim.slack.state import Workspace


def validate_view(view: Any, *, kind: str | None = None) -> JsonDict:
    """``view`` if Slack would accept it, else ``invalid_arguments`` listing every problem."""
    if view is None or view == "":
        raise with_messages("invalid_arguments", [missing("view", "/view")], errors_key=False)
    if not isinstance(view, dict):
        raise with_messages(
            "invalid_arguments", ["invalid json [json-pointer:/view]"], errors_key=False
        )
    errors: list[str] = []
    view_type = view.get("type")
    allowed = (kind,) if kind else ("modal", "home")
    if view_type not in allowed:
        errors.append(f"must be one of {list(allowed)} [json-pointer:/view/type]")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        errors.append(missing("blocks", "/view"))
        blocks = []
    errors += validate_blocks(blocks, pointer="/view/blocks", max_blocks=limits.MAX_VIEW_BLOCKS)
    if view_type == "modal":
        errors += validate_text_object(
            view.get("title"), pointer="/view/title", limit=limits.MAX_VIEW_TITLE, plain_only=True
        )
        for button in ("submit", "close"):
            if view.get(button) is not None:
                errors += validate_text_object(
                    view[button],
                    pointer=f"/view/{button}",
                    limit=limits.MAX_VIEW_BUTTON_TEXT,
                    plain_only=True,
                )
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and view.get("submit") is None:
            errors.append(
                "submit is required when an input block is within the blocks array "
                "[json-pointer:/view/submit]"
            )
    for name in ("callback_id", "external_id"):
        value = view.get(name)
        if isinstance(value, str) and len(value) > limits.MAX_ID_LENGTH:
            errors.append(too_long(limits.MAX_ID_LENGTH, f"/view/{name}"))
    metadata = view.get("private_metadata")
    if isinstance(metadata, str) and len(metadata) > limits.MAX_PRIVATE_METADATA:
        errors.append(too_long(limits.MAX_PRIVATE_METADATA, "/view/private_metadata"))
    if errors:
        raise with_messages("invalid_arguments", errors, errors_key=False)
    return view


def _stored(
    view: JsonDict, *, view_id: str, config: SimConfig, root: str, previous: str | None
) -> JsonDict:
    return {
        "id": view_id,
        "team_id": config.team_id,
        "type": view["type"],
        "title": view.get("title"),
        "submit": view.get("submit"),
        "close": view.get("close"),
        "blocks": _with_ids(view.get("blocks") or []),
        "private_metadata": view.get("private_metadata") or "",
        "callback_id": view.get("callback_id") or "",
        "external_id": view.get("external_id") or "",
        "state": {"values": {}},
        "hash": f"{secrets.randbelow(10**9)}.{secrets.token_hex(4)}",
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "root_view_id": root,
        "previous_view_id": previous,
        "app_id": config.api_app_id,
        "app_installed_team_id": config.team_id,
        "bot_id": config.bot_id,
    }


def _check_external_id(workspace: Workspace, view: JsonDict, *, except_id: str | None) -> None:
    external_id = view.get("external_id")
    if not external_id:
        return
    for other in workspace.views.values():
        if other.external_id == external_id and other.id != except_id and not other.closed:
            raise ApiError("duplicate_external_id")


def _new_view(
    workspace: Workspace,
    config: SimConfig,
    view: JsonDict,
    *,
    user: str,
    root: str | None,
    previous: str | None,
) -> SimView:
    _check_external_id(workspace, view, except_id=None)
    view_id = workspace.new_id("V")
    stored = _stored(view, view_id=view_id, config=config, root=root or view_id, previous=previous)
    sim_view = SimView(
        id=view_id,
        type=stored["type"],
        user=user,
        view=stored,
        hash=stored["hash"],
        external_id=stored["external_id"] or None,
        root_view_id=stored["root_view_id"],
        previous_view_id=previous,
    )
    workspace.views[view_id] = sim_view
    return sim_view


def open_modal(workspace: Workspace, config: SimConfig, view: JsonDict, *, user: str) -> SimView:
    for old in workspace.modal_stacks.get(user, []):
        workspace.views[old].closed = True
    sim_view = _new_view(workspace, config, view, user=user, root=None, previous=None)
    workspace.modal_stacks[user] = [sim_view.id]
    workspace.bus.publish(SimEventKind.VIEW_OPENED, view=sim_view)
    return sim_view


def push_modal(workspace: Workspace, config: SimConfig, view: JsonDict, *, user: str) -> SimView:
    stack = workspace.modal_stacks.get(user) or []
    if not stack:
        raise ApiError("not_found")
    if len(stack) >= limits.MAX_VIEW_STACK:
        raise ApiError("push_limit_reached")
    sim_view = _new_view(workspace, config, view, user=user, root=stack[0], previous=stack[-1])
    stack.append(sim_view.id)
    workspace.bus.publish(SimEventKind.VIEW_PUSHED, view=sim_view)
    return sim_view


def update_view(
    workspace: Workspace, config: SimConfig, sim_view: SimView, view: JsonDict
) -> SimView:
    _check_external_id(workspace, view, except_id=sim_view.id)
    stored = _stored(
        view,
        view_id=sim_view.id,
        config=config,
        root=sim_view.root_view_id or sim_view.id,
        previous=sim_view.previous_view_id,
    )
    sim_view.view, sim_view.hash = stored, stored["hash"]
    sim_view.external_id = stored["external_id"] or None
    kind = SimEventKind.VIEW_PUBLISHED if sim_view.type == "home" else SimEventKind.VIEW_UPDATED
    workspace.bus.publish(kind, view=sim_view)
    return sim_view


def publish_home(workspace: Workspace, config: SimConfig, view: JsonDict, *, user: str) -> SimView:
    existing = workspace.homes.get(user)
    if existing is not None:
        return update_view(workspace, config, workspace.views[existing], view)
    sim_view = _new_view(workspace, config, view, user=user, root=None, previous=None)
    workspace.homes[user] = sim_view.id
    workspace.bus.publish(SimEventKind.VIEW_PUBLISHED, view=sim_view)
    return sim_view


def close_modal(workspace: Workspace, sim_view: SimView, *, clear: bool = False) -> None:
    """Close ``sim_view`` (the top of its user's stack), or the whole stack with ``clear``."""
    stack = workspace.modal_stacks.get(sim_view.user, [])
    closing = list(stack) if clear else [sim_view.id]
    for view_id in closing:
        if view_id in stack:
            stack.remove(view_id)
        workspace.views[view_id].closed = True
        workspace.bus.publish(SimEventKind.VIEW_CLOSED, view=workspace.views[view_id])


def apply_submission_answer(
    workspace: Workspace, config: SimConfig, view: SimView, answer: object
) -> None:
    """Do what Slack does with an app's answer to ``view_submission``: ``errors`` keeps the
    modal open, ``update`` and ``push`` change it, ``clear`` closes the stack, anything else
    closes the submitted view."""
    action = answer.get("response_action") if isinstance(answer, dict) else None
    try:
        if action == "errors":
            return
        if action == "clear":
            close_modal(workspace, view, clear=True)
        elif action == "update" and isinstance(answer, dict):
            update_view(workspace, config, view, validate_view(answer.get("view"), kind="modal"))
        elif action == "push" and isinstance(answer, dict):
            new_view = validate_view(answer.get("view"), kind="modal")
            push_modal(workspace, config, new_view, user=view.user)
        else:
            close_modal(workspace, view)
    except ApiError as error:
        details = error.extra.get("response_metadata", {}).get("messages", [])
        raise SimulatorError(
            f"Slack would reject the app's {action} answer to view_submission: "
            f"{error.error} {details}"
        ) from error
