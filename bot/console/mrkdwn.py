"""Slack's ``mrkdwn`` as plain terminal text: mentions by name, links with their address,
code blocks indented, ``*bold*`` without its stars, entities decoded; and the words of a
``rich_text`` block as mrkdwn. Pure functions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CODE_INDENT = "    "
_FENCE = re.compile(r"```(.*?)```", re.DOTALL)
_ANGLE = re.compile(r"<([^<>]+)>")
_LINK = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|mailto:|tel:)", re.IGNORECASE)
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])")
_ENTITIES = (("&lt;", "<"), ("&gt;", ">"), ("&amp;", "&"))


@dataclass(frozen=True)
class Names:
    """How to show ids: user id -> name, channel id -> name, user-group id -> handle."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, str] = field(default_factory=dict)


def to_text(text: str, *, names: Names) -> str:
    """``text`` (mrkdwn) as it reads on screen; code blocks become indented lines."""
    out = ""
    position = 0
    for fence in _FENCE.finditer(text):
        out += _prose(text[position : fence.start()], names=names).rstrip(" ")
        if out and not out.endswith("\n"):
            out += "\n"
        code = _decode(fence.group(1).strip("\n"))
        out += "\n".join((CODE_INDENT + line).rstrip() for line in code.split("\n")) + "\n"
        position = fence.end()
        while text.startswith(" ", position):
            position += 1
        if text.startswith("\n", position):
            position += 1
    return (out + _prose(text[position:], names=names)).rstrip("\n")


def plain(text: str, *, names: Names) -> str:
    """One line: ``to_text`` with line breaks folded into spaces."""
    return " ".join(to_text(text, names=names).split())


def _prose(text: str, *, names: Names) -> str:
    text = _ANGLE.sub(lambda match: _special(match.group(1), names=names), text)
    return _decode(_BOLD.sub(r"\1", text))


def _decode(text: str) -> str:
    for entity, character in _ENTITIES:
        text = text.replace(entity, character)
    return text


def _special(inner: str, *, names: Names) -> str:
    """What ``<...>`` shows: a mention, a channel, a group, a date or a link."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return "@" + (names.users.get(target[1:]) or label or target[1:])
    if target.startswith("#"):
        return "#" + (names.channels.get(target[1:]) or label or target[1:])
    if target.startswith("!subteam^"):
        group = target.removeprefix("!subteam^")
        return "@" + (names.groups.get(group) or label.removeprefix("@") or group)
    if target.startswith("!date^"):
        return label or target
    if target.startswith("!"):
        return "@" + target[1:]
    if not _LINK.match(target):
        return f"<{inner}>"  # not Slack markup: a placeholder such as <subcommand>
    if label and label != target:
        return f"{label} ({target})"
    return target


def rich_text(block: dict[str, Any]) -> str:
    """The words of a rich_text block (sections, lists, quotes), one line per element."""
    lines: list[str] = []
    for part in block.get("elements") or []:
        nested = part.get("elements") or []
        if part.get("type") == "rich_text_list":
            lines += ["• " + rich_text({"elements": [item]}) for item in nested]
            continue
        words = "".join(_rich_word(item) for item in nested)
        lines.append(("> " if part.get("type") == "rich_text_quote" else "") + words)
    return "\n".join(lines)


def _rich_word(item: dict[str, Any]) -> str:
    kind = item.get("type")
    if kind == "user":
        return f"<@{item.get('user_id')}>"
    if kind == "channel":
        return f"<#{item.get('channel_id')}>"
    if kind == "link":
        return str(item.get("text") or item.get("url") or "")
    if kind == "emoji":
        return f":{item.get('name')}:"
    return str(item.get("text", ""))
