"""Release notes in Block Kit: the rendered mrkdwn split into sections within Slack's limits,
and the "Publish notes" button.

The notes template's paragraphs (a heading and its entries) become sections of at most
:data:`SECTION_LIMIT` characters; a paragraph over the limit is split between lines, and a
single line over it is cut. Notes that need more than :data:`MAX_BLOCKS` blocks in one message
are not shown as blocks at all: the caller posts a summary and attaches the Markdown file.
"""

from __future__ import annotations

from enum import StrEnum

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from bot.slack.gate_views import SECTION_LIMIT, ReleaseButton, clip

__all__ = [
    "MAX_BLOCKS",
    "NotesAction",
    "PublishButton",
    "notes_blocks",
    "split_sections",
    "summary_blocks",
]

MAX_BLOCKS = 50
"""Slack's limit of blocks in one message."""


class NotesAction(StrEnum):
    PUBLISH = "notes.publish"


class PublishButton(ReleaseButton):
    """The value of a "Publish notes" button."""


def clip_line(line: str, limit: int = SECTION_LIMIT) -> str:
    """``line`` cut to ``limit`` like :func:`clip`, and never inside a ``<url|label>`` link."""
    cut = clip(line, limit)
    if cut == line:
        return line
    body = cut[:-1]
    opened = body.rfind("<")
    if opened > body.rfind(">"):
        body = body[:opened]
    return body + "…"


def split_sections(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """``text`` as section texts of at most ``limit`` characters: one per paragraph, split
    between lines when a paragraph is longer, each line cut when it alone is longer."""
    sections: list[str] = []
    for paragraph in text.split("\n\n"):
        paragraph = paragraph.strip("\n")
        if not paragraph.strip():
            continue
        if len(paragraph) <= limit:
            sections.append(paragraph)
            continue
        current = ""
        for line in paragraph.split("\n"):
            line = clip_line(line, limit)
            if current and len(current) + 1 + len(line) > limit:
                sections.append(current)
                current = ""
            current = f"{current}\n{line}" if current else line
        if current:
            sections.append(current)
    return sections


def _publish(release_id: int) -> ActionsBlock:
    return ActionsBlock(
        block_id="notes_actions",
        elements=[
            ButtonElement(
                text="Publish notes",
                action_id=NotesAction.PUBLISH.value,
                value=PublishButton(release_id=release_id).model_dump_json(),
            )
        ],
    )


def notes_blocks(text: str, *, release_id: int, publishable: bool) -> list[Block] | None:
    """The notes as sections (and the Publish button), or None when they need more blocks
    than one message may hold."""
    sections = split_sections(text)
    room = MAX_BLOCKS - (1 if publishable else 0)
    if len(sections) > room:
        return None
    blocks: list[Block] = [SectionBlock(text=section) for section in sections]
    if publishable:
        blocks.append(_publish(release_id))
    return blocks


def summary_blocks(summary: str, *, release_id: int, publishable: bool) -> list[Block]:
    blocks: list[Block] = [SectionBlock(text=clip_line(summary))]
    if publishable:
        blocks.append(_publish(release_id))
    return blocks
