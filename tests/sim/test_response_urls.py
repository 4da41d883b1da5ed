"""Response URLs: posted to with slack_sdk's AsyncWebhookClient, as bolt's respond() does."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.sim.slack import SimClient, SlackSimulator, limits
from tests.sim.conftest import FakeBot, FakeClock
from tests.sim.test_client_http import APPROVAL, form, payload_of


async def command_response_url(sim: SlackSimulator, bot: FakeBot, *, user: str = "alice") -> str:
    async with SimClient(sim, bot_url=bot.url) as people:
        await people.slash_command(user=user, text="status")
    return form(bot.received[-1].body)["response_url"]


async def click_response_url(
    sim: SlackSimulator, bot: FakeBot, message: Any, *, action_id: str = "approve"
) -> str:
    async with SimClient(sim, bot_url=bot.url) as people:
        await people.click(user="bob", message=message, action_id=action_id)
    return str(payload_of(bot.received[-1].body)["response_url"])


async def test_a_response_is_ephemeral_by_default(sim: SlackSimulator, fake_bot: FakeBot) -> None:
    url = await command_response_url(sim, fake_bot)

    response = await AsyncWebhookClient(url).send(text="Only you can see this")

    assert (response.status_code, response.body) == (200, "ok")
    [ephemeral] = sim.ephemerals_for("alice", channel="#releases")
    assert (ephemeral.text, ephemeral.source) == ("Only you can see this", "response_url")
    assert sim.messages_in("#releases") == []
    [call] = sim.calls_to("response_url")
    assert call.ok
    assert call.params["text"] == "Only you can see this"


async def test_in_channel_posts_a_message_even_in_a_thread(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    root = await web_client.chat_postMessage(channel="#releases", text="root")
    url = await command_response_url(sim, fake_bot)
    webhook = AsyncWebhookClient(url)

    await webhook.send(text="Everyone sees this", response_type="in_channel")
    await webhook.send_dict(
        {"text": "In the thread", "response_type": "in_channel", "thread_ts": root["ts"]}
    )

    texts = [m.text for m in sim.messages_in("#releases", include_replies=False)]
    assert texts == ["root", "Everyone sees this"]
    assert [m.text for m in sim.thread("#releases", root["ts"])] == ["root", "In the thread"]


async def test_replace_original_updates_the_clicked_message(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    posted = await web_client.chat_postMessage(channel="#qa", text="sign off", blocks=APPROVAL)
    url = await click_response_url(sim, fake_bot, ("#qa", posted["ts"]))

    await AsyncWebhookClient(url).send(
        replace_original=True,
        text="Approved by bob",
        blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": ":white_check_mark:"}}],
    )

    [message] = sim.messages_in("#qa")
    assert (message.text, message.edit_count) == ("Approved by bob", 1)
    assert message.blocks[0]["text"]["text"] == ":white_check_mark:"


async def test_delete_original_deletes_the_clicked_message(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    posted = await web_client.chat_postMessage(channel="#qa", text="x", blocks=APPROVAL)
    url = await click_response_url(sim, fake_bot, ("#qa", posted["ts"]))

    response = await AsyncWebhookClient(url).send_dict({"delete_original": "true"})

    assert response.status_code == 200
    assert sim.messages_in("#qa") == []


async def test_replace_and_delete_work_on_ephemeral_messages_too(
    sim: SlackSimulator, web_client: AsyncWebClient, fake_bot: FakeBot
) -> None:
    await web_client.chat_postEphemeral(channel="#qa", user="U0BOB", text="x", blocks=APPROVAL)
    [ephemeral] = sim.ephemerals_for("bob")
    url = await click_response_url(sim, fake_bot, ephemeral)
    assert payload_of(fake_bot.received[-1].body)["container"]["is_ephemeral"] is True
    assert "message" not in payload_of(fake_bot.received[-1].body)

    await AsyncWebhookClient(url).send(replace_original=True, text="done")
    assert sim.ephemerals_for("bob")[0].text == "done"
    await AsyncWebhookClient(url).send(delete_original=True)
    assert sim.ephemerals_for("bob") == []
    again = await AsyncWebhookClient(url).send(delete_original=True)
    assert (again.status_code, again.body) == (404, "message_not_found")


async def test_a_command_response_can_replace_the_previous_response(
    sim: SlackSimulator, fake_bot: FakeBot
) -> None:
    url = await command_response_url(sim, fake_bot)
    webhook = AsyncWebhookClient(url)

    await webhook.send(text="Deploying 10%")
    await webhook.send(text="Deploying 50%", replace_original=True)

    [progress] = sim.ephemerals_for("alice")
    assert (progress.text, progress.edit_count) == ("Deploying 50%", 1)


async def test_replace_without_an_original_posts_a_new_response(
    sim: SlackSimulator, fake_bot: FakeBot
) -> None:
    url = await command_response_url(sim, fake_bot)

    await AsyncWebhookClient(url).send(text="first", replace_original=True)

    assert [e.text for e in sim.ephemerals_for("alice")] == ["first"]


async def test_a_response_url_takes_five_posts(sim: SlackSimulator, fake_bot: FakeBot) -> None:
    url = await command_response_url(sim, fake_bot)
    webhook = AsyncWebhookClient(url)

    statuses = [(await webhook.send(text=str(i))).status_code for i in range(6)]

    assert statuses == [200] * limits.RESPONSE_URL_MAX_USES + [404]
    assert sim.calls_to("response_url")[-1].error == "expired_url"


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        (b"not json", 400, "invalid_payload"),
        (json.dumps({"response_type": "ephemeral"}).encode(), 400, "no_text"),
        (json.dumps({"text": "x", "blocks": "nope"}).encode(), 400, "invalid_blocks_format"),
        (json.dumps({"text": "x" * (limits.MAX_MESSAGE_TEXT + 1)}).encode(), 400, "msg_too_long"),
        (json.dumps({"blocks": [{"type": "divider"}] * 51}).encode(), 400, "invalid_blocks"),
    ],
)
async def test_bad_posts_are_refused_like_slack(
    sim: SlackSimulator, fake_bot: FakeBot, body: bytes, status: int, error: str
) -> None:
    url = await command_response_url(sim, fake_bot)
    async with aiohttp.ClientSession() as session:
        response = await session.post(url, data=body, headers={"Content-Type": "application/json"})

        assert (response.status, await response.text()) == (status, error)
    assert sim.calls_to("response_url")[0].error == error
    assert sim.ephemerals_for("alice") == []


async def test_unknown_response_urls_are_gone(sim: SlackSimulator) -> None:
    response = await AsyncWebhookClient(f"{sim.base_url}/response/nope").send(text="x")

    assert (response.status_code, response.body) == (404, "expired_url")
    assert sim.workspace.ephemerals == []


async def test_response_urls_expire_after_thirty_minutes() -> None:
    clock = FakeClock()
    async with SlackSimulator(clock=clock) as sim:
        url = sim.issue_response_url(user="alice", channel="#releases")
        clock.advance(limits.RESPONSE_URL_TTL_SECONDS + 1)

        response = await AsyncWebhookClient(url).send(text="late")

        assert response.status_code == 404
