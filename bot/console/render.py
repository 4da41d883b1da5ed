"""Block Kit as terminal text, with every interactive element numbered.

Pure: ``render_blocks(blocks, names=..., first_number=7)`` returns the lines to print and the
:class:`Control` behind each number, from 7 upwards, in reading order::

    RELEASE 2024.05.1                     header
    Ready for sign-off by @qa-team        section text
      Version: 2024.05.1                  section fields ("*Version*\\n2024.05.1")
      [7] Details                         section accessory
    [8] Approve   [9] Reject              actions: buttons
    Checklist: [10] [ ] Tests pass        checkboxes
    › Requested by @alice                 context
    ────────────────────────────────────  divider
    [image: canary graph]                 image
    [11] Reason (text)                    input (in a modal)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from bot.console.mrkdwn import Names, plain, rich_text, to_text

JsonDict = dict[str, Any]
DIVIDER = "─" * 36
CONTEXT = "› "
FIELD_INDENT = "  "
GAP = "   "

#: Elements that take a typed value, and how to describe what to type.
FIELD_KINDS = {
    "plain_text_input": "text",
    "number_input": "a number",
    "email_text_input": "an email address",
    "url_text_input": "a URL",
    "datepicker": "a date, YYYY-MM-DD",
    "timepicker": "a time, HH:MM",
    "datetimepicker": "a Unix time",
    "users_select": "a person",
    "multi_users_select": "people, comma-separated",
    "conversations_select": "a channel",
    "channels_select": "a channel",
    "multi_conversations_select": "channels, comma-separated",
    "multi_channels_select": "channels, comma-separated",
    "external_select": "an option value",
    "multi_external_select": "option values, comma-separated",
}
SINGLE_CHOICE = frozenset({"static_select", "radio_buttons", "overflow"})
MULTI_CHOICE = frozenset({"checkboxes", "multi_static_select"})


class ControlKind(StrEnum):
    BUTTON = "button"  # pressing it sends block_actions with the button's value
    OPTION = "option"  # one choice of a select, radio group or overflow menu
    CHECKBOX = "checkbox"  # one box of a checkboxes element (or multi-select): toggles
    FIELD = "field"  # takes a typed value: text, a date, a person...


@dataclass(frozen=True)
class Control:
    """What a number stands for: one element, or one option of it."""

    number: int
    kind: ControlKind
    label: str
    block_id: str
    action_id: str
    element_type: str
    value: str | None = None  # the button's value, or the option's value
    in_input: bool = False  # in an input block: kept for `submit`, not sent on press
    selected: bool = False  # a box or option chosen when the blocks were rendered


@dataclass
class Rendered:
    lines: list[str] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)


class _Numbering:
    def __init__(self, first: int) -> None:
        self.next = first
        self.controls: list[Control] = []

    def add(self, control: Control) -> str:
        numbered = replace(control, number=self.next)
        self.controls.append(numbered)
        self.next += 1
        return f"[{numbered.number}]"


def render_blocks(blocks: list[JsonDict], *, names: Names, first_number: int = 1) -> Rendered:
    """The lines for ``blocks`` and the controls numbered from ``first_number``."""
    numbering = _Numbering(first_number)
    lines: list[str] = []
    for block in blocks:
        lines += _block(block, names=names, numbering=numbering)
    return Rendered(lines=lines, controls=numbering.controls)


def text_of(obj: Any, *, names: Names) -> str:
    """A text object (plain_text or mrkdwn) as one line."""
    if isinstance(obj, dict):
        return plain(str(obj.get("text", "")), names=names)
    return plain(str(obj or ""), names=names)


def _block(block: JsonDict, *, names: Names, numbering: _Numbering) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [text_of(block.get("text"), names=names).upper()]
    if kind == "section":
        return _section(block, names=names, numbering=numbering)
    if kind == "actions":
        return _actions(block, names=names, numbering=numbering)
    if kind == "context":
        items = [_context_item(e, names=names) for e in block.get("elements") or []]
        return [CONTEXT + " · ".join(item for item in items if item)]
    if kind == "divider":
        return [DIVIDER]
    if kind == "image":
        title = text_of(block.get("title"), names=names)
        return [f"[image: {block.get('alt_text') or title or 'image'}]"]
    if kind == "input":
        return _input(block, names=names, numbering=numbering)
    if kind in ("markdown", "rich_text"):
        return _multiline(str(block.get("text") or rich_text(block)), names=names)
    return [f"[{kind} block]"]


def _multiline(text: str, *, names: Names) -> list[str]:
    return to_text(text, names=names).split("\n") if text else []


def _section(block: JsonDict, *, names: Names, numbering: _Numbering) -> list[str]:
    text = block.get("text")
    lines = _multiline(str(text.get("text", "")), names=names) if isinstance(text, dict) else []
    for item in block.get("fields") or []:
        lines.append(FIELD_INDENT + _field(str(item.get("text", "")), names=names))
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        shown = _element(accessory, block=block, names=names, numbering=numbering)
        lines += [FIELD_INDENT + line for line in shown]
    return lines


def _field(text: str, *, names: Names) -> str:
    """A section field; the common ``*Label*\\nvalue`` reads as ``Label: value``."""
    label, newline, value = text.partition("\n")
    if newline and label.startswith("*") and label.endswith("*") and len(label) > 2:
        return f"{plain(label, names=names)}: {plain(value, names=names)}"
    return plain(text, names=names)


def _actions(block: JsonDict, *, names: Names, numbering: _Numbering) -> list[str]:
    lines: list[str] = []
    row: list[str] = []
    for element in block.get("elements") or []:
        shown = _element(element, block=block, names=names, numbering=numbering)
        if element.get("type") in ("button", "workflow_button") and len(shown) == 1:
            row.append(shown[0])
            continue
        if row:
            lines.append(GAP.join(row))
            row = []
        lines += shown
    if row:
        lines.append(GAP.join(row))
    return lines


def _element(
    element: JsonDict,
    *,
    block: JsonDict,
    names: Names,
    numbering: _Numbering,
    in_input: bool = False,
) -> list[str]:
    """One element's lines (several for checkboxes); numbers it when it can be used."""
    kind = str(element.get("type", ""))
    if kind == "image":
        return [f"[image: {element.get('alt_text') or 'image'}]"]
    base = Control(
        number=0,
        kind=ControlKind.BUTTON,
        label="",
        block_id=str(block.get("block_id", "")),
        action_id=str(element.get("action_id", "")),
        element_type=kind,
        in_input=in_input,
    )
    interactive = bool(base.action_id)
    if kind in ("button", "workflow_button"):
        label = text_of(element.get("text"), names=names)
        if not interactive:
            return [label]
        value = element.get("value")
        control = replace(base, label=label, value=None if value is None else str(value))
        link = f" ({element['url']})" if element.get("url") else ""
        return [f"{numbering.add(control)} {label}{link}"]
    if kind in SINGLE_CHOICE or kind in MULTI_CHOICE:
        return _choices(element, base=base, names=names, numbering=numbering)
    described = FIELD_KINDS.get(kind, kind)
    label = text_of(element.get("placeholder"), names=names) or kind.replace("_", " ")
    if not interactive:
        return [label]
    control = replace(base, kind=ControlKind.FIELD, label=label)
    return [f"{numbering.add(control)} {label} ({described})"]


def _options(element: JsonDict) -> Iterator[JsonDict]:
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        yield from group.get("options") or []


def _choices(element: JsonDict, *, base: Control, names: Names, numbering: _Numbering) -> list[str]:
    kind = base.element_type
    multi = kind in MULTI_CHOICE
    chosen = {str(o.get("value")) for o in element.get("initial_options") or []}
    initial = element.get("initial_option")
    if isinstance(initial, dict):
        chosen.add(str(initial.get("value")))
    items: list[str] = []
    for option in _options(element):
        label = text_of(option.get("text"), names=names)
        value = str(option.get("value", ""))
        control = replace(
            base,
            kind=ControlKind.CHECKBOX if multi else ControlKind.OPTION,
            label=label,
            value=value,
            selected=value in chosen,
        )
        number = numbering.add(control) if base.action_id else ""
        if kind == "checkboxes":
            items.append(f"{number} [{'x' if value in chosen else ' '}] {label}".strip())
        else:
            items.append(f"{number} {label}{' (chosen)' if value in chosen else ''}".strip())
    if kind == "checkboxes":
        return items
    if kind == "overflow":
        return ["⋯ " + GAP.join(items)]
    title = text_of(element.get("placeholder"), names=names)
    return [(f"{title}: " if title else "") + GAP.join(items)]


def _input(block: JsonDict, *, names: Names, numbering: _Numbering) -> list[str]:
    label = text_of(block.get("label"), names=names)
    optional = " (optional)" if block.get("optional") else ""
    hint = text_of(block.get("hint"), names=names)
    hints = [FIELD_INDENT + hint] if hint else []
    element = block.get("element")
    if not isinstance(element, dict):
        return [label + optional, *hints]
    kind = str(element.get("type", ""))
    if kind in SINGLE_CHOICE or kind in MULTI_CHOICE:
        shown = _element(element, block=block, names=names, numbering=numbering, in_input=True)
        return [f"{label}{optional}:", *(FIELD_INDENT + line for line in shown), *hints]
    described = FIELD_KINDS.get(kind, kind)
    initial = element.get("initial_value")
    now = f" = {initial!r}" if initial else ""
    number = ""
    if element.get("action_id"):
        control = Control(
            number=0,
            kind=ControlKind.FIELD,
            label=label,
            block_id=str(block.get("block_id", "")),
            action_id=str(element["action_id"]),
            element_type=kind,
            in_input=True,
        )
        number = numbering.add(control) + " "
    return [f"{number}{label}{optional} ({described}){now}", *hints]


def _context_item(element: JsonDict, *, names: Names) -> str:
    if element.get("type") == "image":
        return f"[image: {element.get('alt_text') or 'image'}]"
    return text_of(element, names=names)
