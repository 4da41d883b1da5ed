"""views.* with trigger ids, modal stacks, hashes and App Home."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SimEventKind, SimulatorError, SlackSimulator, limits
from tests.sim.conftest import FakeClock
from tests.sim.test_web_chat import error_of


def modal(title: str = "Reject release", **extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "reject",
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": "Reject"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why?"},
                "element": {"type": "plain_text_input", "action_id": "reason_input"},
            }
        ],
        **extra,
    }


HOME = {
    "type": "home",
    "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Your releases"}}],
}


async def test_views_open_with_a_fresh_trigger(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    events = sim.subscribe()
    trigger = sim.issue_trigger(user="bob")

    response = await web_client.views_open(trigger_id=trigger, view=modal(private_metadata="r1"))

    view = response["view"]
    assert view["id"].startswith("V")
    assert view["hash"]
    assert view["root_view_id"] == view["id"]
    [opened] = sim.open_modals("bob")
    assert (opened.id, opened.user, opened.callback_id, opened.private_metadata) == (
        view["id"],
        "U0BOB",
        "reject",
        "r1",
    )
    assert (await events.get()).kind is SimEventKind.VIEW_OPENED
    assert await error_of(web_client.views_open(trigger_id=trigger, view=modal())) == (
        "exchanged_trigger_id"
    )


@pytest.fixture
async def clocked() -> AsyncIterator[tuple[SlackSimulator, FakeClock, AsyncWebClient]]:
    clock = FakeClock()
    async with SlackSimulator(clock=clock) as simulator:
        yield simulator, clock, AsyncWebClient(base_url=simulator.api_url, token="xoxb-sim-token")


async def test_trigger_ids_expire_after_three_seconds(
    clocked: tuple[SlackSimulator, FakeClock, AsyncWebClient],
) -> None:
    sim, clock, web = clocked
    trigger = sim.issue_trigger(user="alice")
    clock.advance(limits.TRIGGER_TTL_SECONDS + 0.1)

    assert await error_of(web.views_open(trigger_id=trigger, view=modal())) == "expired_trigger_id"
    assert await error_of(web.views_open(trigger_id="1.2.3", view=modal())) == "invalid_trigger_id"
    with pytest.raises(SlackApiError) as caught:
        await web.api_call("views.open", json={"view": modal()})
    assert caught.value.response["response_metadata"]["messages"] == [
        "[ERROR] missing required field: trigger_id"
    ]


async def test_push_stacks_up_to_three_views(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    assert await error_of(
        web_client.views_push(trigger_id=sim.issue_trigger(user="bob"), view=modal())
    ) == ("not_found")
    root = await web_client.views_open(trigger_id=sim.issue_trigger(user="bob"), view=modal())
    second = await web_client.views_push(trigger_id=sim.issue_trigger(user="bob"), view=modal())
    await web_client.views_push(trigger_id=sim.issue_trigger(user="bob"), view=modal())

    assert second["view"]["root_view_id"] == root["view"]["id"]
    assert second["view"]["previous_view_id"] == root["view"]["id"]
    assert len(sim.open_modals("bob")) == limits.MAX_VIEW_STACK
    assert await error_of(
        web_client.views_push(trigger_id=sim.issue_trigger(user="bob"), view=modal())
    ) == ("push_limit_reached")


async def test_update_by_id_or_external_id_with_hash_check(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    opened = await web_client.views_open(
        trigger_id=sim.issue_trigger(user="alice"), view=modal(external_id="ext-1")
    )
    view_id, old_hash = opened["view"]["id"], opened["view"]["hash"]

    updated = await web_client.views_update(
        view_id=view_id, hash=old_hash, view=modal("Step 2", external_id="ext-1")
    )
    by_external = await web_client.views_update(
        external_id="ext-1", view=modal("Step 3", external_id="ext-1")
    )

    assert updated["view"]["title"]["text"] == "Step 2"
    assert by_external["view"]["id"] == view_id
    assert sim.view(view_id).view["title"]["text"] == "Step 3"
    assert await error_of(
        web_client.views_update(view_id=view_id, hash=old_hash, view=modal())
    ) == ("hash_conflict")
    assert await error_of(web_client.views_update(view_id="V404", view=modal())) == "not_found"
    assert await error_of(web_client.api_call("views.update", json={"view": modal()})) == (
        "invalid_arguments"
    )


async def test_external_ids_are_unique_among_open_views(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    await web_client.views_open(
        trigger_id=sim.issue_trigger(user="alice"), view=modal(external_id="same")
    )

    assert await error_of(
        web_client.views_open(
            trigger_id=sim.issue_trigger(user="bob"), view=modal(external_id="same")
        )
    ) == ("duplicate_external_id")


async def test_publish_home_creates_then_updates(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    first = await web_client.views_publish(user_id="U0ALICE", view=HOME)
    second = await web_client.views_publish(
        user_id="U0ALICE", view=HOME, hash=first["view"]["hash"]
    )

    assert first["view"]["id"] == second["view"]["id"]
    home = sim.home_for("alice")
    assert home is not None
    assert home.type == "home"
    assert home.blocks[0]["block_id"]
    assert sim.home_for("bob") is None
    assert await error_of(web_client.views_publish(user_id="U0ALICE", view=HOME, hash="stale")) == (
        "hash_conflict"
    )
    assert await error_of(web_client.views_publish(user_id="U404", view=HOME)) == ("user_not_found")
    assert await error_of(web_client.api_call("views.publish", json={"view": HOME})) == (
        "invalid_arguments"
    )


def _too_many_blocks() -> dict[str, Any]:
    divider = {"type": "divider"}
    return {**HOME, "blocks": [divider] * (limits.MAX_VIEW_BLOCKS + 1)}


@pytest.mark.parametrize(
    ("view", "message"),
    [
        (modal("x" * 25), "must be less than 25 characters [json-pointer:/view/title/text]"),
        (_too_many_blocks(), "must be less than 101 items [json-pointer:/view/blocks]"),
        ({**modal(), "submit": None}, "submit is required"),
        ({**modal(), "submit": {"type": "plain_text", "text": "s" * 25}}, "/view/submit/text"),
        ({**modal(), "blocks": None}, "missing required field: blocks"),
        (modal(callback_id="c" * 256), "[json-pointer:/view/callback_id]"),
        (modal(private_metadata="m" * 3001), "[json-pointer:/view/private_metadata]"),
        ({**modal(), "type": "home"}, "[json-pointer:/view/type]"),
    ],
)
async def test_views_are_validated(
    sim: SlackSimulator, web_client: AsyncWebClient, view: dict[str, Any], message: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        await web_client.views_open(trigger_id=sim.issue_trigger(user="bob"), view=view)

    assert caught.value.response["error"] == "invalid_arguments"
    assert any(message in m for m in caught.value.response["response_metadata"]["messages"])


async def test_a_home_tab_may_hold_up_to_a_hundred_blocks(web_client: AsyncWebClient) -> None:
    view = {**HOME, "blocks": [{"type": "divider"}] * limits.MAX_VIEW_BLOCKS}

    assert (await web_client.views_publish(user_id="U0BOB", view=view))["ok"]
    with pytest.raises(SlackApiError) as caught:
        await web_client.views_publish(user_id="U0BOB", view=_too_many_blocks())
    assert caught.value.response["error"] == "invalid_arguments"


async def test_view_argument_must_be_present_and_json(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    trigger = sim.issue_trigger(user="bob")
    for view in ("", "{not json"):
        with pytest.raises(SlackApiError) as caught:
            await web_client.api_call("views.open", data={"trigger_id": trigger, "view": view})
        assert caught.value.response["error"] == "invalid_arguments"
    with pytest.raises(SimulatorError):
        sim.view("V404")
