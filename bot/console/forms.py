"""A modal's inputs: which ones there are, and reading a typed answer into an element value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.console.mrkdwn import Names
from bot.console.render import MULTI_CHOICE, SINGLE_CHOICE, text_of
from bot.sim.slack.payloads import ElementValue, initial_value

JsonDict = dict[str, Any]
Lookup = Callable[[str], str]  # a typed name -> an ID; raises LookupError with a message


@dataclass(frozen=True)
class FormInput:
    block_id: str
    action_id: str
    label: str
    element: JsonDict
    optional: bool

    @property
    def has_initial(self) -> bool:
        return initial_value(self.element) not in (None, [])


def form_inputs(blocks: list[JsonDict], *, names: Names) -> list[FormInput]:
    """The input blocks of a view that have an element to fill."""
    found: list[FormInput] = []
    for block in blocks:
        element = block.get("element")
        if block.get("type") != "input" or not isinstance(element, dict):
            continue
        if not element.get("action_id"):
            continue
        found.append(
            FormInput(
                block_id=str(block.get("block_id", "")),
                action_id=str(element["action_id"]),
                label=text_of(block.get("label"), names=names),
                element=element,
                optional=bool(block.get("optional")),
            )
        )
    return found


def choices(element: JsonDict, *, names: Names) -> list[tuple[str, str]]:
    """(label, value) for each option of a select, radio group or checkboxes."""
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    return [(text_of(o.get("text"), names=names), str(o.get("value", ""))) for o in options]


def parse_value(
    element: JsonDict, raw: str, *, names: Names, user: Lookup, channel: Lookup
) -> ElementValue:
    """What a person typed for ``element``: an option by label or value (several for a
    multi-choice, comma-separated), a person or channel by name, or the text itself."""
    kind = str(element.get("type", ""))
    multi = kind in MULTI_CHOICE or kind.startswith("multi_")
    parts = [p.strip() for p in raw.split(",")] if multi else [raw.strip()]
    parts = [p for p in parts if p]
    if kind in SINGLE_CHOICE or kind in MULTI_CHOICE:
        options = choices(element, names=names)
        picked = [_option(options, part) for part in parts]
        return picked if multi else (picked[0] if picked else None)
    if "users" in kind:
        ids = [user(part) for part in parts]
        return ids if multi else (ids[0] if ids else None)
    if "conversations" in kind or "channels" in kind:
        ids = [channel(part) for part in parts]
        return ids if multi else (ids[0] if ids else None)
    if multi:
        return parts
    return raw.strip() or None


def _option(options: list[tuple[str, str]], typed: str) -> str:
    for label, value in options:
        if typed.lower() in (label.lower(), value.lower()):
            return value
    listed = ", ".join(label for label, _ in options)
    raise LookupError(f"{typed!r} is not one of: {listed}")
