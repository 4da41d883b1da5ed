"""Modals from the user's side: a click opens one, a submission gets the bot's answer."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SimClient, SimulatorError, SlackSimulator
from tests.sim.conftest import FakeBot
from tests.sim.test_client_http import APPROVAL, payload_of
from tests.sim.test_views import HOME, modal

FORM_MODAL = {
    **modal(),
    "blocks": [
        *modal()["blocks"],
        {
            "type": "input",
            "block_id": "severity",
            "label": {"type": "plain_text", "text": "Severity"},
            "element": {
                "type": "static_select",
                "action_id": "level",
                "options": [
                    {"text": {"type": "plain_text", "text": "Low"}, "value": "low"},
                    {"text": {"type": "plain_text", "text": "High"}, "value": "high"},
                ],
            },
        },
        {
            "type": "input",
            "block_id": "owner",
            "label": {"type": "plain_text", "text": "Owner"},
            "element": {"type": "users_select", "action_id": "who", "initial_user": "U0DAVE"},
        },
    ],
}


async def open_modal_from_click(
    sim: SlackSimulator, web_client: AsyncWebClient, bot: FakeBot, people: SimClient
) -> str:
    """The bot answers a Reject click by opening FORM_MODAL with the click's trigger id."""

    async def open_on_click(request: web.Request) -> web.Response:
        payload = json.loads((await request.post())["payload"])  # type: ignore[arg-type]
        await web_client.views_open(trigger_id=payload["trigger_id"], view=FORM_MODAL)
        return web.Response()

    bot.reply = open_on_click
    posted = await web_client.chat_postMessage(channel="#qa", text="x", blocks=APPROVAL)
    await people.click(user="bob", message=("#qa", posted["ts"]), action_id="approve")
    [view] = sim.open_modals("bob")
    return view.id


async def test_submission_carries_the_entered_values(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        view_id = await open_modal_from_click(sim, web_client, fake_bot, people)
        fake_bot.reply = None
        response = await people.submit_view(
            user="bob",
            view_id=view_id,
            values={"reason": {"reason_input": "flaky login"}, "severity": {"level": "high"}},
        )

    submission = payload_of(fake_bot.received[-1].body)
    assert submission["type"] == "view_submission"
    assert submission["view"]["id"] == view_id
    assert submission["view"]["callback_id"] == "reject"
    values = submission["view"]["state"]["values"]
    assert values["reason"]["reason_input"] == {"type": "plain_text_input", "value": "flaky login"}
    assert values["severity"]["level"]["selected_option"]["value"] == "high"
    assert values["owner"]["who"] == {"type": "users_select", "selected_user": "U0DAVE"}
    assert submission["user"]["id"] == "U0BOB"
    assert submission["response_urls"] == []
    assert response.status == 200
    assert sim.open_modals("bob") == []
    assert sim.view(view_id).closed


def answer(body: dict[str, Any]) -> Any:
    async def reply(request: web.Request) -> web.Response:
        return web.json_response(body)

    return reply


@pytest.mark.parametrize(
    ("body", "open_titles"),
    [
        ({"response_action": "errors", "errors": {"reason": "Say why"}}, ["Reject release"]),
        ({"response_action": "update", "view": modal("Thanks")}, ["Thanks"]),
        ({"response_action": "push", "view": modal("Sure?")}, ["Reject release", "Sure?"]),
        ({"response_action": "clear"}, []),
    ],
)
async def test_the_bots_answer_decides_what_the_modal_does(
    sim: SlackSimulator,
    web_client: AsyncWebClient,
    fake_bot: FakeBot,
    body: dict[str, Any],
    open_titles: list[str],
) -> None:
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        view_id = await open_modal_from_click(sim, web_client, fake_bot, people)
        fake_bot.reply = answer(body)
        response = await people.submit_view(user="bob", view_id=view_id)

    assert response.json == body
    assert [v.view["title"]["text"] for v in sim.open_modals("bob")] == open_titles


async def test_an_invalid_answer_is_reported(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        view_id = await open_modal_from_click(sim, web_client, fake_bot, people)
        fake_bot.reply = answer({"response_action": "update", "view": modal("t" * 30)})
        with pytest.raises(SimulatorError, match="invalid_arguments"):
            await people.submit_view(user="bob", view_id=view_id)
        with pytest.raises(SimulatorError, match="no element"):
            await people.submit_view(user="bob", view_id=view_id, values={"x": {"y": "z"}})
        fake_bot.reply = None
        await people.submit_view(user="bob", view_id=view_id)
        with pytest.raises(SimulatorError, match="closed"):
            await people.submit_view(user="bob", view_id=view_id)


async def test_click_in_the_home_tab(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    home = {
        **HOME,
        "blocks": [
            *HOME["blocks"],
            {
                "type": "actions",
                "block_id": "nav",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "refresh",
                        "text": {"type": "plain_text", "text": "Refresh"},
                    },
                    {
                        "type": "static_select",
                        "action_id": "train",
                        "options": [
                            {"text": {"type": "plain_text", "text": "web"}, "value": "web"}
                        ],
                    },
                ],
            },
        ],
    }
    published = await web_client.views_publish(user_id="U0ALICE", view=home)
    async with SimClient(sim, bot_url=fake_bot.url) as people:
        await people.click_in_view(
            user="alice", view_id=published["view"]["id"], action_id="refresh"
        )
        await people.click_in_view(
            user="alice", view_id=published["view"]["id"], action_id="train", value="web"
        )

    refresh, train = (payload_of(r.body) for r in fake_bot.received)
    assert refresh["container"] == {"type": "view", "view_id": published["view"]["id"]}
    assert refresh["view"]["type"] == "home"
    assert "response_url" not in refresh
    assert refresh["actions"][0]["action_id"] == "refresh"
    assert "value" not in refresh["actions"][0]
    assert train["actions"][0]["selected_option"]["value"] == "web"
    assert train["view"]["state"]["values"]["nav"]["train"]["selected_option"]["value"] == "web"
