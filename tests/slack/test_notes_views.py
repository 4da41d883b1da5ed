"""Notes in Block Kit stay within Slack's limits: 3,000 characters a section, 50 blocks."""

from __future__ import annotations

from bot.slack.notes_views import (
    MAX_BLOCKS,
    NotesAction,
    PublishButton,
    clip_line,
    notes_blocks,
    split_sections,
    summary_blocks,
)


def test_each_paragraph_is_a_section() -> None:
    assert split_sections("*Title*\n\n*Features*\n• a\n• b\n\n\n\n*Fixes*\n• c\n") == [
        "*Title*",
        "*Features*\n• a\n• b",
        "*Fixes*\n• c",
    ]
    assert split_sections("") == []
    assert split_sections("\n\n  \n\n") == []


def test_a_long_paragraph_splits_between_lines() -> None:
    lines = [f"• entry {n:04} " + "x" * 90 for n in range(100)]
    sections = split_sections("\n".join(lines))
    assert all(len(s) <= 3000 for s in sections)
    assert "\n".join(sections).split("\n") == lines
    assert len(sections) == 4


def test_a_line_over_the_limit_is_cut_outside_entities_and_links() -> None:
    line = "• " + "é" * 5000
    [section] = split_sections(line)
    assert len(section) == 3000
    assert section.endswith("…")
    entity = "a" * 2997 + "&lt;b"
    assert clip_line(entity) == "a" * 2997 + "…"
    link = "a" * 2990 + "<https://example.com/pull/1|#1>"
    assert clip_line(link) == "a" * 2990 + "…"
    assert clip_line("short") == "short"


def test_blocks_carry_the_publish_button_when_publishable() -> None:
    blocks = notes_blocks("*T*\n\n• a", release_id=7, publishable=True)
    assert blocks is not None
    assert [b.type for b in blocks] == ["section", "section", "actions"]
    button = blocks[-1].to_dict()["elements"][0]
    assert button["action_id"] == NotesAction.PUBLISH.value
    assert PublishButton.model_validate_json(button["value"]).release_id == 7
    plain = notes_blocks("*T*", release_id=7, publishable=False)
    assert plain is not None
    assert [b.type for b in plain] == ["section"]


def test_notes_over_fifty_blocks_are_not_blocks() -> None:
    fits = "\n\n".join(f"p{n}" for n in range(MAX_BLOCKS - 1))
    assert len(notes_blocks(fits, release_id=1, publishable=True) or []) == MAX_BLOCKS
    assert notes_blocks(fits + "\n\nmore", release_id=1, publishable=True) is None
    assert notes_blocks(fits + "\n\nmore", release_id=1, publishable=False) is not None
    summary = summary_blocks("too long", release_id=1, publishable=True)
    assert [b.type for b in summary] == ["section", "actions"]
