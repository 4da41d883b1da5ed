"""The payloads Slack sends an app, in the documented shapes.

- slash commands: url-encoded fields (``token``, ``team_id``, ``user_id``, ``command``,
  ``text``, ``response_url``, ``trigger_id``...);
- ``block_actions`` and ``view_submission``: JSON, sent as the ``payload`` form field;
- ``event_callback``: the Events API JSON envelope.

Element values follow each element's type: a button sends ``value``, a select
``selected_option``, checkboxes ``selected_options``, a text input ``value``, and so on.
"""

from __future__ import annotations

from typing import Any

from bot.sim.slack.blocks import interactive_elements
from bot.sim.slack.config import SimConfig
from bot.sim.slack.errors import SimulatorError
from bot.sim.slack.models import JsonDict, SimChannel, SimMessage, SimUser, SimView

ElementValue = str | list[str] | None

_SINGLE_OPTION = ("static_select", "radio_buttons", "overflow", "external_select")
_MULTI_OPTION = ("multi_static_select", "checkboxes", "multi_external_select")
_SELECTED_FIELD = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
    "datepicker": "selected_date",
    "timepicker": "selected_time",
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
_INITIAL_FIELD = {
    "users_select": "initial_user",
    "conversations_select": "initial_conversation",
    "channels_select": "initial_channel",
    "datepicker": "initial_date",
    "timepicker": "initial_time",
    "multi_users_select": "initial_users",
    "multi_conversations_select": "initial_conversations",
    "multi_channels_select": "initial_channels",
    "plain_text_input": "initial_value",
    "number_input": "initial_value",
    "email_text_input": "initial_value",
    "url_text_input": "initial_value",
}


def user_ref(user: SimUser, *, config: SimConfig) -> JsonDict:
    return {"id": user.id, "username": user.name, "name": user.name, "team_id": config.team_id}


def team_ref(config: SimConfig) -> JsonDict:
    return {"id": config.team_id, "domain": config.team_domain}


def slash_command_fields(
    *,
    config: SimConfig,
    user: SimUser,
    channel: SimChannel,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    return {
        "token": config.verification_token,
        "team_id": config.team_id,
        "team_domain": config.team_domain,
        "channel_id": channel.id,
        "channel_name": "directmessage" if channel.is_im else channel.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": config.api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def find_element(
    blocks: list[JsonDict], *, action_id: str, block_id: str | None
) -> tuple[str, JsonDict]:
    """The block id and element carrying ``action_id`` (in ``block_id`` when given)."""
    for block in blocks:
        if block_id is not None and block.get("block_id") != block_id:
            continue
        for element in interactive_elements(block):
            if element.get("action_id") == action_id:
                return str(block["block_id"]), element
    where = f" in block {block_id!r}" if block_id else ""
    raise SimulatorError(f"no element with action_id {action_id!r}{where}")


def _options(element: JsonDict) -> list[JsonDict]:
    options: list[JsonDict] = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return options


def _option(element: JsonDict, value: str) -> JsonDict:
    for option in _options(element):
        if option.get("value") == value:
            return option
    raise SimulatorError(f"no option {value!r} in {element.get('action_id')!r}")


def element_state(element: JsonDict, value: ElementValue) -> JsonDict:
    """``{"type": ..., <selected field>: ...}`` for ``element`` holding ``value``."""
    kind = str(element["type"])
    state: JsonDict = {"type": kind}
    values = [value] if isinstance(value, str) else list(value or [])
    if kind in _SINGLE_OPTION:
        state["selected_option"] = _option(element, values[0]) if values else None
    elif kind in _MULTI_OPTION:
        state["selected_options"] = [_option(element, v) for v in values]
    elif kind in _SELECTED_FIELD:
        multi = kind.startswith("multi_")
        state[_SELECTED_FIELD[kind]] = values if multi else (values[0] if values else None)
    else:
        state["value"] = values[0] if values else None
    return state


def initial_value(element: JsonDict) -> ElementValue:
    """What ``element`` holds before anyone touches it."""
    kind = element.get("type")
    if kind in _SINGLE_OPTION:
        option = element.get("initial_option")
        return str(option["value"]) if isinstance(option, dict) else None
    if kind in _MULTI_OPTION:
        return [str(o["value"]) for o in element.get("initial_options") or []]
    initial: Any = element.get(_INITIAL_FIELD.get(str(kind), ""))
    if isinstance(initial, list):
        return [str(v) for v in initial]
    return None if initial is None else str(initial)


def state_values(
    blocks: list[JsonDict], *, overrides: dict[tuple[str, str], ElementValue]
) -> dict[str, dict[str, JsonDict]]:
    """``state.values`` for the stateful elements of ``blocks`` (not buttons)."""
    values: dict[str, dict[str, JsonDict]] = {}
    for block in blocks:
        for element in interactive_elements(block):
            if element.get("type") in ("button", "overflow", "workflow_button"):
                continue
            key = (str(block["block_id"]), str(element["action_id"]))
            value = overrides[key] if key in overrides else initial_value(element)
            values.setdefault(key[0], {})[key[1]] = element_state(element, value)
    return values


def action_json(
    element: JsonDict, *, block_id: str, value: ElementValue, action_ts: str
) -> JsonDict:
    if element["type"] == "button":
        action: JsonDict = {"type": "button", "text": element.get("text")}
        chosen = value if isinstance(value, str) else element.get("value")
        if chosen is not None:
            action["value"] = chosen
        if "style" in element:
            action["style"] = element["style"]
    else:
        action = element_state(element, value)
    action.update(action_id=element["action_id"], block_id=block_id, action_ts=action_ts)
    return action


def block_actions_payload(
    *,
    config: SimConfig,
    user: SimUser,
    container: JsonDict,
    actions: list[JsonDict],
    state: dict[str, dict[str, JsonDict]],
    trigger_id: str,
    channel: SimChannel | None = None,
    message: JsonDict | None = None,
    response_url: str | None = None,
    view: JsonDict | None = None,
) -> JsonDict:
    payload: JsonDict = {
        "type": "block_actions",
        "user": user_ref(user, config=config),
        "api_app_id": config.api_app_id,
        "token": config.verification_token,
        "container": container,
        "trigger_id": trigger_id,
        "team": team_ref(config),
        "enterprise": None,
        "is_enterprise_install": False,
        "state": {"values": state},
        "actions": actions,
    }
    if channel is not None:
        name = "directmessage" if channel.is_im else channel.name
        payload["channel"] = {"id": channel.id, "name": name}
    if message is not None:
        payload["message"] = message
    if response_url is not None:
        payload["response_url"] = response_url
    if view is not None:
        payload["view"] = view
    return payload


def view_submission_payload(
    *,
    config: SimConfig,
    user: SimUser,
    view: SimView,
    state: dict[str, dict[str, JsonDict]],
    trigger_id: str,
) -> JsonDict:
    return {
        "type": "view_submission",
        "team": team_ref(config),
        "user": user_ref(user, config=config),
        "api_app_id": config.api_app_id,
        "token": config.verification_token,
        "trigger_id": trigger_id,
        "view": {**view.view, "state": {"values": state}},
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_callback(
    *, config: SimConfig, event: JsonDict, event_id: str, event_time: int
) -> JsonDict:
    return {
        "token": config.verification_token,
        "team_id": config.team_id,
        "context_team_id": config.team_id,
        "api_app_id": config.api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": config.team_id,
                "user_id": config.bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-sim-{event_id}",
    }


def message_event(message: SimMessage, *, channel: SimChannel, bot_user_id: str) -> JsonDict:
    """The ``message`` event for a person's message, or ``app_mention`` if it names the bot."""
    event: JsonDict = {
        "type": "app_mention" if f"<@{bot_user_id}>" in message.text else "message",
        "channel": channel.id,
        "user": message.user,
        "text": message.text,
        "ts": message.ts,
        "event_ts": message.ts,
        "channel_type": "im" if channel.is_im else "group" if channel.is_private else "channel",
    }
    if message.thread_ts:
        event["thread_ts"] = message.thread_ts
    return event
