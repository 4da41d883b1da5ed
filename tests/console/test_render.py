"""Block Kit and mrkdwn as terminal text: pure functions, representative blocks."""

from __future__ import annotations

from typing import Any

import pytest

from bot.console.mrkdwn import Names, plain, rich_text, to_text
from bot.console.render import DIVIDER, Control, ControlKind, render_blocks, text_of

NAMES = Names(
    users={"U0ALICE": "alice", "U0BOB": "bob"},
    channels={"C0QA": "qa"},
    groups={"S0QATEAM": "qa-team"},
)


def pt(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def md(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": pt(text), "value": value}


SIGNOFF = [
    {"type": "header", "block_id": "title", "text": pt("Release 2024.05.1")},
    {
        "type": "section",
        "block_id": "summary",
        "text": md("Ready for sign-off by <!subteam^S0QATEAM>, cut by <@U0ALICE>"),
        "fields": [md("*Version*\n2024.05.1"), md("*Train*\nweb"), md("no label")],
        "accessory": {
            "type": "button",
            "action_id": "details",
            "text": pt("Details"),
            "value": "r1",
        },
    },
    {
        "type": "actions",
        "block_id": "signoff",
        "elements": [
            {"type": "button", "action_id": "approve", "text": pt("Approve"), "value": "r1"},
            {"type": "button", "action_id": "reject", "text": pt("Reject"), "style": "danger"},
            {
                "type": "checkboxes",
                "action_id": "checklist",
                "options": [option("Smoke tests", "smoke"), option("Notes reviewed", "notes")],
                "initial_options": [option("Notes reviewed", "notes")],
            },
            {
                "type": "static_select",
                "action_id": "version",
                "placeholder": pt("Version"),
                "options": [option("1.2", "1.2"), option("1.3", "1.3")],
                "initial_option": option("1.3", "1.3"),
            },
        ],
    },
    {
        "type": "context",
        "elements": [
            md("Cut at 10:00 by <@U0BOB>"),
            {"type": "image", "image_url": "https://x/a.png", "alt_text": "avatar"},
        ],
    },
    {"type": "divider"},
    {"type": "image", "image_url": "https://x/canary.png", "alt_text": "canary graph"},
]


def test_a_signoff_message_reads_top_to_bottom_with_numbers_from_the_given_one() -> None:
    rendered = render_blocks(SIGNOFF, names=NAMES, first_number=7)
    assert rendered.lines == [
        "RELEASE 2024.05.1",
        "Ready for sign-off by @qa-team, cut by @alice",
        "  Version: 2024.05.1",
        "  Train: web",
        "  no label",
        "  [7] Details",
        "[8] Approve   [9] Reject",
        "[10] [ ] Smoke tests",
        "[11] [x] Notes reviewed",
        "Version: [12] 1.2   [13] 1.3 (chosen)",
        "› Cut at 10:00 by @bob · [image: avatar]",
        DIVIDER,
        "[image: canary graph]",
    ]
    assert [c.number for c in rendered.controls] == list(range(7, 14))


def test_controls_carry_what_a_click_needs() -> None:
    controls = {c.number: c for c in render_blocks(SIGNOFF, names=NAMES).controls}
    assert controls[1] == Control(
        number=1,
        kind=ControlKind.BUTTON,
        label="Details",
        block_id="summary",
        action_id="details",
        element_type="button",
        value="r1",
    )
    assert (controls[2].action_id, controls[2].block_id) == ("approve", "signoff")
    assert controls[3].value is None  # a button without a value
    assert (controls[4].kind, controls[4].selected) == (ControlKind.CHECKBOX, False)
    assert (controls[5].kind, controls[5].selected) == (ControlKind.CHECKBOX, True)
    assert (controls[7].kind, controls[7].value) == (ControlKind.OPTION, "1.3")
    assert not any(c.in_input for c in controls.values())


MODAL_BLOCKS = [
    {"type": "section", "block_id": "intro", "text": md("Why reject *2024.05.1*?")},
    {
        "type": "input",
        "block_id": "reason",
        "label": pt("Reason"),
        "element": {"type": "plain_text_input", "action_id": "text", "multiline": True},
        "hint": pt("QA reads this"),
    },
    {
        "type": "input",
        "block_id": "severity",
        "optional": True,
        "label": pt("Severity"),
        "element": {
            "type": "radio_buttons",
            "action_id": "level",
            "options": [option("Low", "low"), option("High", "high")],
        },
    },
    {
        "type": "input",
        "block_id": "owner",
        "label": pt("Owner"),
        "element": {"type": "users_select", "action_id": "who", "initial_user": "U0BOB"},
    },
    {
        "type": "input",
        "block_id": "ticket",
        "label": pt("Ticket"),
        "element": {"type": "url_text_input", "action_id": "url", "initial_value": "https://t/1"},
    },
    {"type": "input", "block_id": "broken", "label": pt("Nothing to fill")},
]


def test_modal_inputs_are_numbered_and_marked_as_form_fields() -> None:
    rendered = render_blocks(MODAL_BLOCKS, names=NAMES, first_number=20)
    assert rendered.lines == [
        "Why reject 2024.05.1?",
        "[20] Reason (text)",
        "  QA reads this",
        "Severity (optional):",
        "  [21] Low   [22] High",
        "[23] Owner (a person)",
        "[24] Ticket (a URL) = 'https://t/1'",
        "Nothing to fill",
    ]
    assert all(c.in_input for c in rendered.controls)
    reason = rendered.controls[0]
    assert (reason.kind, reason.label, reason.block_id, reason.action_id) == (
        ControlKind.FIELD,
        "Reason",
        "reason",
        "text",
    )
    assert [c.kind for c in rendered.controls[1:3]] == [ControlKind.OPTION, ControlKind.OPTION]


def test_other_elements_in_actions() -> None:
    blocks = [
        {
            "type": "actions",
            "block_id": "more",
            "elements": [
                {"type": "button", "action_id": "go", "text": pt("Open"), "url": "https://x/y"},
                {
                    "type": "overflow",
                    "action_id": "menu",
                    "options": [option("Edit", "edit"), option("Delete", "delete")],
                },
                {"type": "datepicker", "action_id": "when", "placeholder": pt("Release day")},
                {"type": "timepicker", "action_id": "at"},
                {
                    "type": "multi_static_select",
                    "action_id": "services",
                    "option_groups": [
                        {"label": pt("Web"), "options": [option("checkout", "checkout")]},
                    ],
                },
                {"type": "button", "text": pt("No id")},
                {"type": "button", "action_id": "last", "text": pt("Last")},
            ],
        },
    ]
    rendered = render_blocks(blocks, names=NAMES)
    assert rendered.lines == [
        "[1] Open (https://x/y)",
        "⋯ [2] Edit   [3] Delete",
        "[4] Release day (a date, YYYY-MM-DD)",
        "[5] timepicker (a time, HH:MM)",
        "[6] checkout",
        "No id   [7] Last",
    ]
    kinds = [c.kind for c in rendered.controls]
    assert kinds == [
        ControlKind.BUTTON,
        ControlKind.OPTION,
        ControlKind.OPTION,
        ControlKind.FIELD,
        ControlKind.FIELD,
        ControlKind.CHECKBOX,
        ControlKind.BUTTON,
    ]


def test_section_with_an_image_accessory_and_unknown_blocks() -> None:
    blocks = [
        {
            "type": "section",
            "text": pt("Canary at 25%"),
            "accessory": {"type": "image", "image_url": "https://x", "alt_text": "graph"},
        },
        {"type": "image", "image_url": "https://x", "alt_text": "", "title": pt("Error rate")},
        {"type": "video", "title": pt("demo")},
        {"type": "markdown", "text": "**bold** text"},
        {"type": "section", "fields": [md("only fields")]},
        {"type": "actions", "elements": [{"type": "datepicker"}]},
    ]
    assert render_blocks(blocks, names=NAMES).lines == [
        "Canary at 25%",
        "  [image: graph]",
        "[image: Error rate]",
        "[video block]",
        "**bold** text",
        "  only fields",
        "datepicker",
    ]


def test_rich_text_blocks() -> None:
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Deploy by "},
                    {"type": "user", "user_id": "U0ALICE"},
                    {"type": "text", "text": " in "},
                    {"type": "channel", "channel_id": "C0QA"},
                    {"type": "emoji", "name": "rocket"},
                    {"type": "link", "url": "https://x"},
                ],
            },
            {
                "type": "rich_text_list",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]},
                ],
            },
            {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quoted"}]},
        ],
    }
    assert render_blocks([block], names=NAMES).lines == [
        "Deploy by @alice in #qa:rocket:https://x",
        "• one",
        "> quoted",
    ]
    assert rich_text({"elements": []}) == ""


@pytest.mark.parametrize(
    ("mrkdwn", "shown"),
    [
        ("<@U0BOB> and <@U9NOBODY> and <@U1|carl>", "@bob and @U9NOBODY and @carl"),
        ("<#C0QA> <#C9|ops> <#C8>", "#qa #ops #C8"),
        (
            "<!subteam^S0QATEAM> <!subteam^S9|@ghosts> <!here> <!date^1|today>",
            "@qa-team @ghosts @here today",
        ),
        (
            "<https://x.y/z|the docs> <https://x.y> <mailto:a@b.c|mail>",
            "the docs (https://x.y/z) https://x.y mail (mailto:a@b.c)",
        ),
        ("`/release help <subcommand>`", "`/release help <subcommand>`"),
        ("*bold* a*b*c *two words* **", "bold a*b*c two words **"),
        ("&lt;tag&gt; &amp;", "<tag> &"),
    ],
)
def test_mrkdwn_markup(mrkdwn: str, shown: str) -> None:
    assert to_text(mrkdwn, names=NAMES) == shown


def test_code_blocks_become_indented_lines() -> None:
    text = "*Usage*\n```/release help   List\n/release whoami Who```\nMore `inline`."
    assert to_text(text, names=NAMES).split("\n") == [
        "Usage",
        "    /release help   List",
        "    /release whoami Who",
        "More `inline`.",
    ]
    assert to_text("see ```x &lt; y``` then", names=NAMES) == "see\n    x < y\nthen"
    assert to_text("```only```", names=NAMES) == "    only"


def test_plain_and_text_of_fold_lines() -> None:
    assert plain("a\n*b*  c", names=NAMES) == "a b c"
    assert text_of(pt("One\nline"), names=NAMES) == "One line"
    assert text_of(None, names=NAMES) == ""
    assert text_of("raw *text*", names=NAMES) == "raw text"
