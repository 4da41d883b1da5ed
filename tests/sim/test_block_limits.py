"""Block Kit limits: each one accepted at the limit and refused one past it, with Slack's
error name and message, through the real AsyncWebClient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SlackSimulator, limits
from bot.sim.slack.blocks import validate_blocks

Blocks = list[dict[str, Any]]


def text(n: int, kind: str = "mrkdwn") -> dict[str, str]:
    return {"type": kind, "text": "x" * n}


def button(n: int = 5, action_id: str = "a") -> dict[str, Any]:
    return {"type": "button", "text": text(n, "plain_text"), "action_id": action_id}


def options(n: int) -> list[dict[str, Any]]:
    return [{"text": text(3, "plain_text"), "value": f"v{i}"} for i in range(n)]


LIMITS: list[tuple[str, int, Callable[[int], Blocks], str]] = [
    ("blocks", limits.MAX_MESSAGE_BLOCKS, lambda n: [{"type": "divider"}] * n, "/blocks"),
    (
        "section text",
        limits.MAX_SECTION_TEXT,
        lambda n: [{"type": "section", "text": text(n)}],
        "/blocks/0/text/text",
    ),
    (
        "section fields",
        limits.MAX_SECTION_FIELDS,
        lambda n: [{"type": "section", "fields": [text(3)] * n}],
        "/blocks/0/fields",
    ),
    (
        "section field text",
        limits.MAX_SECTION_FIELD_TEXT,
        lambda n: [{"type": "section", "fields": [text(n)]}],
        "/blocks/0/fields/0/text",
    ),
    (
        "header text",
        limits.MAX_HEADER_TEXT,
        lambda n: [{"type": "header", "text": text(n, "plain_text")}],
        "/blocks/0/text/text",
    ),
    (
        "button text",
        limits.MAX_BUTTON_TEXT,
        lambda n: [{"type": "actions", "elements": [button(n)]}],
        "/blocks/0/elements/0/text/text",
    ),
    (
        "actions elements",
        limits.MAX_ACTIONS_ELEMENTS,
        lambda n: [{"type": "actions", "elements": [button(3, f"a{i}") for i in range(n)]}],
        "/blocks/0/elements",
    ),
    (
        "context elements",
        limits.MAX_CONTEXT_ELEMENTS,
        lambda n: [{"type": "context", "elements": [text(3)] * n}],
        "/blocks/0/elements",
    ),
    (
        "block_id length",
        limits.MAX_ID_LENGTH,
        lambda n: [{"type": "divider", "block_id": "b" * n}],
        "/blocks/0/block_id",
    ),
    (
        "action_id length",
        limits.MAX_ID_LENGTH,
        lambda n: [{"type": "actions", "elements": [button(3, "a" * n)]}],
        "/blocks/0/elements/0/action_id",
    ),
    (
        "button value",
        limits.MAX_BUTTON_VALUE,
        lambda n: [{"type": "actions", "elements": [{**button(), "value": "v" * n}]}],
        "/blocks/0/elements/0/value",
    ),
    (
        "button url",
        limits.MAX_URL,
        lambda n: [{"type": "actions", "elements": [{**button(), "url": "u" * n}]}],
        "/blocks/0/elements/0/url",
    ),
    (
        "markdown block",
        limits.MAX_MARKDOWN_BLOCK_TEXT,
        lambda n: [{"type": "markdown", "text": "m" * n}],
        "/blocks/0/text",
    ),
    (
        "image alt text",
        limits.MAX_IMAGE_ALT_TEXT,
        lambda n: [{"type": "image", "image_url": "https://x/y.png", "alt_text": "a" * n}],
        "/blocks/0/alt_text",
    ),
    (
        "select options",
        limits.MAX_SELECT_OPTIONS,
        lambda n: [
            {
                "type": "section",
                "text": text(1),
                "accessory": {"type": "static_select", "action_id": "s", "options": options(n)},
            }
        ],
        "/blocks/0/accessory/options",
    ),
    (
        "checkbox options",
        limits.MAX_CHECKBOX_OPTIONS,
        lambda n: [
            {
                "type": "actions",
                "elements": [{"type": "checkboxes", "action_id": "c", "options": options(n)}],
            }
        ],
        "/blocks/0/elements/0/options",
    ),
    (
        "option text",
        limits.MAX_OPTION_TEXT,
        lambda n: [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "overflow",
                        "action_id": "o",
                        "options": [{"text": text(n, "plain_text"), "value": "v"}],
                    }
                ],
            }
        ],
        "/blocks/0/elements/0/options/0/text/text",
    ),
    (
        "option value",
        limits.MAX_OPTION_VALUE,
        lambda n: [
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "overflow",
                        "action_id": "o",
                        "options": [{"text": text(1, "plain_text"), "value": "v" * n}],
                    }
                ],
            }
        ],
        "/blocks/0/elements/0/options/0/value",
    ),
]


@pytest.mark.parametrize(("name", "limit", "build", "pointer"), LIMITS, ids=[x[0] for x in LIMITS])
async def test_each_limit_holds_at_the_boundary(
    web_client: AsyncWebClient,
    name: str,
    limit: int,
    build: Callable[[int], Blocks],
    pointer: str,
) -> None:
    accepted = await web_client.chat_postMessage(
        channel="#releases", text=name, blocks=build(limit)
    )
    with pytest.raises(SlackApiError) as caught:
        await web_client.chat_postMessage(channel="#releases", text=name, blocks=build(limit + 1))

    assert accepted["ok"]
    response = caught.value.response
    assert response["error"] == "invalid_blocks"
    [problem] = response["errors"]
    assert problem.startswith("must be less than ")
    assert problem.endswith(f"[json-pointer:{pointer}]")
    assert response["response_metadata"]["messages"] == [f"[ERROR] {problem}"]


@pytest.mark.parametrize(
    ("blocks", "message"),
    [
        (
            [{"type": "divider", "block_id": "b"}] * 2,
            "duplicate block_id: b [json-pointer:/blocks/1/block_id]",
        ),
        (
            [{"type": "actions", "elements": [button(action_id="go"), button(action_id="go")]}],
            "duplicate action_id: go [json-pointer:/blocks/0/elements/1/action_id]",
        ),
        ([{"type": "section", "text": text(0)}], "must be more than 0 characters"),
        (
            [{"type": "header", "text": text(5)}],
            "must be one of ['plain_text'] [json-pointer:/blocks/0/text/type]",
        ),
        ([{"type": "hologram"}], "unsupported block type: hologram"),
        ([{"text": "no type"}], "missing required field: type [json-pointer:/blocks/0]"),
        ([{"type": "section"}], "must provide either text or fields"),
        ([{"type": "section", "fields": "x"}], "must be an array [json-pointer:/blocks/0/fields]"),
        ([{"type": "context", "elements": []}], "missing required field: elements"),
        ([{"type": "actions"}], "missing required field: elements"),
        ([{"type": "actions", "elements": [{"text": "x"}]}], "missing required field: type"),
        ([{"type": "actions", "elements": [{**button(), "style": "loud"}]}], "/elements/0/style]"),
        (
            [{"type": "actions", "elements": [button(action_id="")]}],
            "must be more than 0 characters",
        ),
        ([{"type": "input", "label": text(3, "plain_text")}], "missing required field: element"),
        ([{"type": "image", "image_url": "https://x"}], "missing required field: alt_text"),
        ([{"type": "image", "alt_text": "a"}], "missing required field: image_url"),
        ([{"type": "image", "alt_text": "a", "image_url": "u" * 3001}], "/blocks/0/image_url]"),
        ([{"type": "markdown"}], "missing required field: text"),
        ([{"type": "context", "elements": [{"type": "image", "alt_text": "a"}]}], "image_url"),
        (
            [
                {
                    "type": "actions",
                    "elements": [{"type": "overflow", "action_id": "o", "options": ["x"]}],
                }
            ],
            "missing required field: text",
        ),
        (
            [
                {
                    "type": "actions",
                    "elements": [
                        {
                            "type": "overflow",
                            "action_id": "o",
                            "options": [{"text": text(1, "plain_text")}],
                        }
                    ],
                }
            ],
            "missing required field: value",
        ),
        ([{"type": "section", "text": "plain string"}], "missing required field: text"),
    ],
)
async def test_other_block_errors(web_client: AsyncWebClient, blocks: Blocks, message: str) -> None:
    with pytest.raises(SlackApiError) as caught:
        await web_client.chat_postMessage(channel="#releases", text="x", blocks=blocks)

    assert caught.value.response["error"] == "invalid_blocks"
    assert any(message in problem for problem in caught.value.response["errors"])


async def test_the_same_action_id_may_appear_in_different_blocks(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    row = {"type": "actions", "elements": [button(action_id="approve")]}

    response = await web_client.chat_postMessage(channel="#qa", text="x", blocks=[row, row])

    assert response["ok"]
    assert len({b["block_id"] for b in sim.messages_in("#qa")[0].blocks}) == 2


async def test_chat_update_applies_the_same_limits(web_client: AsyncWebClient) -> None:
    posted = await web_client.chat_postMessage(channel="#qa", text="x")
    with pytest.raises(SlackApiError) as caught:
        await web_client.chat_update(
            channel=posted["channel"],
            ts=posted["ts"],
            text="y",
            blocks=[{"type": "divider"}] * (limits.MAX_MESSAGE_BLOCKS + 1),
        )

    assert caught.value.response["error"] == "invalid_blocks"


@given(length=st.integers(min_value=1, max_value=limits.MAX_SECTION_TEXT + 50))
def test_section_text_is_refused_exactly_past_the_limit(length: int) -> None:
    errors = validate_blocks(
        [{"type": "section", "text": text(length)}], pointer="/blocks", max_blocks=50
    )

    assert bool(errors) is (length > limits.MAX_SECTION_TEXT)


@given(count=st.integers(min_value=0, max_value=2 * limits.MAX_MESSAGE_BLOCKS))
def test_block_count_is_refused_exactly_past_the_limit(count: int) -> None:
    errors = validate_blocks([{"type": "divider"}] * count, pointer="/blocks", max_blocks=50)

    assert bool(errors) is (count > limits.MAX_MESSAGE_BLOCKS)
