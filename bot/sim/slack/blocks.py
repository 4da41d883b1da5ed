"""Block Kit validation, with Slack's wording.

Each problem is one string in Slack's form, ``must be less than 51 items
[json-pointer:/blocks]``; the methods put the list in ``errors`` and, prefixed with
``[ERROR]``, in ``response_metadata.messages``. Checks cover the documented limits in
:mod:`bot.sim.slack.limits`, required text, and unique ids; they are not a full schema.
"""

from __future__ import annotations

import copy
import secrets
import string
from typing import Any

from bot.sim.slack import limits
from bot.sim.slack.models import JsonDict

_ID_ALPHABET = string.ascii_letters + string.digits
_TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
_PLAIN_BLOCKS = frozenset({"divider", "rich_text", "file", "video", "table"})


def too_many(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} items [json-pointer:{pointer}]"


def too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def missing(name: str, pointer: str) -> str:
    return f"missing required field: {name} [json-pointer:{pointer}]"


def validate_blocks(blocks: list[Any], *, pointer: str, max_blocks: int) -> list[str]:
    """Every problem in ``blocks``; an empty list means Slack would accept them."""
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(too_many(max_blocks, pointer))
    seen_block_ids: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"{pointer}/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.append(missing("type", where))
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            errors += _check_id(block_id, f"{where}/block_id", "block_id", seen_block_ids)
        errors += _validate_block(block, where)
    return errors


def validate_text_object(
    obj: Any, *, pointer: str, limit: int, plain_only: bool = False
) -> list[str]:
    if not isinstance(obj, dict):
        return [missing("text", pointer)]
    kind = obj.get("type")
    allowed = {"plain_text"} if plain_only else _TEXT_TYPES
    if kind not in allowed:
        return [f"must be one of {sorted(allowed)} [json-pointer:{pointer}/type]"]
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        return [f"must be more than 0 characters [json-pointer:{pointer}/text]"]
    if len(text) > limit:
        return [too_long(limit, f"{pointer}/text")]
    return []


def with_generated_ids(blocks: list[JsonDict]) -> list[JsonDict]:
    """A copy where every block has a ``block_id`` and every element an ``action_id``, as Slack
    fills them in when they are left out."""
    filled = copy.deepcopy(blocks)
    for block in filled:
        block.setdefault("block_id", _random_id(5))
        for element in _elements_of(block):
            element.setdefault("action_id", _random_id(5))
    return filled


def interactive_elements(block: JsonDict) -> list[JsonDict]:
    """The elements of ``block`` that carry an ``action_id``."""
    return [e for e in _elements_of(block) if "action_id" in e]


def _elements_of(block: JsonDict) -> list[JsonDict]:
    kind = block.get("type")
    if kind == "actions":
        return [e for e in block.get("elements") or [] if isinstance(e, dict)]
    if kind == "section" and isinstance(block.get("accessory"), dict):
        accessory: JsonDict = block["accessory"]
        return [] if accessory.get("type") == "image" else [accessory]
    if kind == "input" and isinstance(block.get("element"), dict):
        return [block["element"]]
    return []


def _random_id(length: int) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def _check_id(value: Any, pointer: str, name: str, seen: set[str]) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"must be more than 0 characters [json-pointer:{pointer}]"]
    if len(value) > limits.MAX_ID_LENGTH:
        return [too_long(limits.MAX_ID_LENGTH, pointer)]
    if value in seen:
        return [f"duplicate {name}: {value} [json-pointer:{pointer}]"]
    seen.add(value)
    return []


def _validate_block(block: JsonDict, where: str) -> list[str]:
    kind = block["type"]
    if kind == "section":
        return _section(block, where)
    if kind == "header":
        return validate_text_object(
            block.get("text"),
            pointer=f"{where}/text",
            limit=limits.MAX_HEADER_TEXT,
            plain_only=True,
        )
    if kind == "context":
        return _context(block, where)
    if kind == "actions":
        return _actions(block, where)
    if kind == "input":
        return _input(block, where)
    if kind == "image":
        return _image(block, where)
    if kind == "markdown":
        text = block.get("text")
        if not isinstance(text, str) or not text:
            return [missing("text", where)]
        return (
            [too_long(limits.MAX_MARKDOWN_BLOCK_TEXT, f"{where}/text")]
            if len(text) > limits.MAX_MARKDOWN_BLOCK_TEXT
            else []
        )
    if kind in _PLAIN_BLOCKS:
        return []
    return [f"unsupported block type: {kind} [json-pointer:{where}/type]"]


def _section(block: JsonDict, where: str) -> list[str]:
    errors: list[str] = []
    text, fields = block.get("text"), block.get("fields")
    if text is None and fields is None:
        errors.append(f"must provide either text or fields [json-pointer:{where}]")
    if text is not None:
        errors += validate_text_object(text, pointer=f"{where}/text", limit=limits.MAX_SECTION_TEXT)
    if fields is not None:
        if not isinstance(fields, list):
            fields = []
            errors.append(f"must be an array [json-pointer:{where}/fields]")
        if len(fields) > limits.MAX_SECTION_FIELDS:
            errors.append(too_many(limits.MAX_SECTION_FIELDS, f"{where}/fields"))
        for index, field in enumerate(fields):
            errors += validate_text_object(
                field, pointer=f"{where}/fields/{index}", limit=limits.MAX_SECTION_FIELD_TEXT
            )
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        errors += _elements([accessory], f"{where}/accessory", single=True)
    return errors


def _context(block: JsonDict, where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [missing("elements", where)]
    errors: list[str] = []
    if len(elements) > limits.MAX_CONTEXT_ELEMENTS:
        errors.append(too_many(limits.MAX_CONTEXT_ELEMENTS, f"{where}/elements"))
    for index, element in enumerate(elements):
        pointer = f"{where}/elements/{index}"
        if isinstance(element, dict) and element.get("type") == "image":
            errors += _image(element, pointer)
        else:
            errors += validate_text_object(element, pointer=pointer, limit=limits.MAX_SECTION_TEXT)
    return errors


def _actions(block: JsonDict, where: str) -> list[str]:
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        return [missing("elements", where)]
    errors: list[str] = []
    if len(elements) > limits.MAX_ACTIONS_ELEMENTS:
        errors.append(too_many(limits.MAX_ACTIONS_ELEMENTS, f"{where}/elements"))
    return errors + _elements(elements, f"{where}/elements", single=False)


def _input(block: JsonDict, where: str) -> list[str]:
    errors = validate_text_object(
        block.get("label"), pointer=f"{where}/label", limit=limits.MAX_INPUT_LABEL, plain_only=True
    )
    element = block.get("element")
    if not isinstance(element, dict):
        return [*errors, missing("element", where)]
    return errors + _elements([element], f"{where}/element", single=True)


def _image(block: JsonDict, where: str) -> list[str]:
    errors: list[str] = []
    alt = block.get("alt_text")
    if not isinstance(alt, str) or not alt:
        errors.append(missing("alt_text", where))
    elif len(alt) > limits.MAX_IMAGE_ALT_TEXT:
        errors.append(too_long(limits.MAX_IMAGE_ALT_TEXT, f"{where}/alt_text"))
    url = block.get("image_url")
    if isinstance(url, str) and len(url) > limits.MAX_URL:
        errors.append(too_long(limits.MAX_URL, f"{where}/image_url"))
    elif url is None and block.get("slack_file") is None:
        errors.append(missing("image_url", where))
    return errors


def _elements(elements: list[Any], pointer: str, *, single: bool) -> list[str]:
    """Validate interactive elements; action_ids must be unique within their block."""
    errors: list[str] = []
    seen: set[str] = set()
    for index, element in enumerate(elements):
        where = pointer if single else f"{pointer}/{index}"
        if not isinstance(element, dict) or not isinstance(element.get("type"), str):
            errors.append(missing("type", where))
            continue
        if "action_id" in element:
            errors += _check_id(element["action_id"], f"{where}/action_id", "action_id", seen)
        errors += _element(element, where)
    return errors


def _element(element: JsonDict, where: str) -> list[str]:
    kind = element["type"]
    errors: list[str] = []
    if kind == "button":
        errors += validate_text_object(
            element.get("text"),
            pointer=f"{where}/text",
            limit=limits.MAX_BUTTON_TEXT,
            plain_only=True,
        )
        value = element.get("value")
        if isinstance(value, str) and len(value) > limits.MAX_BUTTON_VALUE:
            errors.append(too_long(limits.MAX_BUTTON_VALUE, f"{where}/value"))
        url = element.get("url")
        if isinstance(url, str) and len(url) > limits.MAX_URL:
            errors.append(too_long(limits.MAX_URL, f"{where}/url"))
        style = element.get("style")
        if style is not None and style not in ("primary", "danger"):
            errors.append(f"must be one of ['danger', 'primary'] [json-pointer:{where}/style]")
        return errors
    option_limit = {
        "static_select": limits.MAX_SELECT_OPTIONS,
        "multi_static_select": limits.MAX_SELECT_OPTIONS,
        "checkboxes": limits.MAX_CHECKBOX_OPTIONS,
        "radio_buttons": limits.MAX_CHECKBOX_OPTIONS,
        "overflow": limits.MAX_OVERFLOW_OPTIONS,
    }.get(kind)
    options = element.get("options")
    if option_limit is not None and isinstance(options, list):
        if len(options) > option_limit:
            errors.append(too_many(option_limit, f"{where}/options"))
        for index, option in enumerate(options):
            errors += _option(option, f"{where}/options/{index}")
    return errors


def _option(option: Any, where: str) -> list[str]:
    if not isinstance(option, dict):
        return [missing("text", where)]
    errors = validate_text_object(
        option.get("text"), pointer=f"{where}/text", limit=limits.MAX_OPTION_TEXT
    )
    value = option.get("value")
    if not isinstance(value, str):
        errors.append(missing("value", where))
    elif len(value) > limits.MAX_OPTION_VALUE:
        errors.append(too_long(limits.MAX_OPTION_VALUE, f"{where}/value"))
    return errors
