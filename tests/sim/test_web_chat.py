"""chat.* through slack_sdk's real AsyncWebClient."""

from __future__ import annotations

import json

import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SlackSimulator, limits

SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*Release* 2024.05.1"}}


async def error_of(call: object) -> str:
    with pytest.raises(SlackApiError) as caught:
        await call  # type: ignore[misc]
    return str(caught.value.response["error"])


async def test_post_message_by_name_returns_the_channel_id_and_stores_the_message(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    response = await web_client.chat_postMessage(channel="#releases", text="hi", blocks=[SECTION])

    assert response["channel"] == "C0RELEASES"
    assert response["message"]["bot_id"] == sim.config.bot_id
    assert response["message"]["blocks"][0]["block_id"]  # Slack fills in missing block ids
    [stored] = sim.messages_in("#releases")
    assert (stored.ts, stored.text, stored.user) == (response["ts"], "hi", "U0BOT")
    assert sim.calls_to("chat.postMessage")[0].params["channel"] == "#releases"


async def test_post_message_to_a_user_id_goes_to_the_direct_message(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    response = await web_client.chat_postMessage(channel="U0ALICE", text="psst")

    channel = sim.workspace.channels[response["channel"]]
    assert channel.is_im
    assert channel.im_user == "U0ALICE"
    assert sim.messages_in(response["channel"])[0].text == "psst"


async def test_form_encoded_posts_carry_blocks_as_a_json_string(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    response = await web_client.api_call(
        "chat.postMessage",
        data={"channel": "C0QA", "text": "form", "blocks": json.dumps([SECTION])},
    )

    assert response["ok"]
    assert sim.messages_in("#qa")[0].blocks[0]["text"]["text"] == "*Release* 2024.05.1"
    assert sim.calls[-1].params["blocks"][0]["type"] == "section"


async def test_the_token_may_come_as_a_form_parameter(sim: SlackSimulator) -> None:
    anonymous = AsyncWebClient(base_url=sim.api_url)

    response = await anonymous.api_call(
        "chat.postMessage", data={"token": sim.config.bot_token, "channel": "#qa", "text": "x"}
    )

    assert response["ok"]
    assert "token" not in sim.calls[-1].params


async def test_thread_replies_count_on_the_parent(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    root = await web_client.chat_postMessage(channel="#releases", text="root")
    first = await web_client.chat_postMessage(channel="#releases", text="one", thread_ts=root["ts"])
    await web_client.chat_postMessage(channel="#releases", text="two", thread_ts=first["ts"])

    thread = sim.thread("#releases", root["ts"])
    assert [m.text for m in thread] == ["root", "one", "two"]
    assert thread[0].reply_count == 2
    assert thread[2].thread_ts == root["ts"]  # a reply to a reply joins the parent's thread
    assert [m.text for m in sim.messages_in("#releases", include_replies=False)] == ["root"]


async def test_update_edits_in_place_and_counts_edits(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    posted = await web_client.chat_postMessage(channel="#releases", text="deploying 10%")

    for percent in (25, 50):
        updated = await web_client.chat_update(
            channel=posted["channel"], ts=posted["ts"], text=f"deploying {percent}%"
        )

    assert updated["text"] == "deploying 50%"
    assert updated["message"]["edited"]["user"] == "U0BOT"
    [message] = sim.messages_in("#releases")
    assert (message.text, message.edit_count) == ("deploying 50%", 2)


async def test_update_refuses_messages_the_bot_did_not_post(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    posted = await web_client.chat_postMessage(channel="#releases", text="x")
    sim.workspace.message("C0RELEASES", posted["ts"]).bot_id = None  # type: ignore[union-attr]

    assert await error_of(
        web_client.chat_update(channel="C0RELEASES", ts=posted["ts"], text="y")
    ) == ("cant_update_message")
    assert await error_of(web_client.chat_delete(channel="C0RELEASES", ts=posted["ts"])) == (
        "cant_delete_message"
    )
    assert await error_of(
        web_client.chat_update(channel="C0RELEASES", ts="1.000001", text="y")
    ) == ("message_not_found")


async def test_delete_marks_the_message_deleted(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    posted = await web_client.chat_postMessage(channel="#releases", text="oops")

    response = await web_client.chat_delete(channel=posted["channel"], ts=posted["ts"])

    assert response["ts"] == posted["ts"]
    assert sim.messages_in("#releases") == []
    assert sim.messages_in("#releases", include_deleted=True)[0].deleted
    assert await error_of(web_client.chat_delete(channel="#releases", ts=posted["ts"])) == (
        "message_not_found"
    )


async def test_post_ephemeral_to_a_member(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    response = await web_client.chat_postEphemeral(channel="#qa", user="U0BOB", text="only you")

    [ephemeral] = sim.ephemerals_for("bob")
    assert (ephemeral.ts, ephemeral.text, ephemeral.source) == (
        response["message_ts"],
        "only you",
        "api",
    )
    assert sim.ephemerals_for("alice") == []


async def test_post_ephemeral_errors(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    sim.add_user("zoe")
    sim.add_channel("quiet", members=["alice"])

    assert await error_of(
        web_client.chat_postEphemeral(channel="#quiet", user="zoe", text="x")
    ) == ("user_not_in_channel")
    assert await error_of(
        web_client.chat_postEphemeral(channel="#quiet", user="U404", text="x")
    ) == ("user_not_found")


async def test_get_permalink(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    root = await web_client.chat_postMessage(channel="#releases", text="root")
    reply = await web_client.chat_postMessage(channel="#releases", text="r", thread_ts=root["ts"])

    link = await web_client.chat_getPermalink(channel="C0RELEASES", message_ts=root["ts"])
    reply_link = await web_client.chat_getPermalink(channel="C0RELEASES", message_ts=reply["ts"])

    assert link["permalink"].endswith(f"/archives/C0RELEASES/p{root['ts'].replace('.', '')}")
    assert f"thread_ts={root['ts']}" in reply_link["permalink"]
    assert await error_of(web_client.chat_getPermalink(channel="C0NOPE", message_ts="1.1")) == (
        "channel_not_found"
    )
    assert await error_of(web_client.chat_getPermalink(channel="C0QA", message_ts="1.1")) == (
        "message_not_found"
    )


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"channel": "#nowhere", "text": "x"}, "channel_not_found"),
        ({"channel": "", "text": "x"}, "channel_not_found"),
        ({"channel": "#releases"}, "no_text"),
        ({"channel": "#releases", "text": "x" * (limits.MAX_MESSAGE_TEXT + 1)}, "msg_too_long"),
        ({"channel": "#releases", "text": "x", "thread_ts": "1.000001"}, "thread_not_found"),
        ({"channel": "#releases", "blocks": "not json"}, "invalid_blocks_format"),
    ],
)
async def test_post_message_errors(
    web_client: AsyncWebClient, arguments: dict[str, str], error: str
) -> None:
    assert await error_of(web_client.api_call("chat.postMessage", json=arguments)) == error


async def test_a_bot_outside_a_channel_must_join_first(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    sim.add_channel("releases-web", bot_is_member=False)

    assert await error_of(web_client.chat_postMessage(channel="#releases-web", text="x")) == (
        "not_in_channel"
    )
    await web_client.conversations_join(channel=sim.channel("#releases-web").id)
    posted = await web_client.chat_postMessage(channel="#releases-web", text="x")

    assert posted["ok"]
    assert [c.error for c in sim.calls_to("chat.postMessage")] == ["not_in_channel", None]


async def test_private_channels_the_bot_is_not_in_are_invisible(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    secret = sim.add_channel("secret", is_private=True, bot_is_member=False)

    assert await error_of(web_client.chat_postMessage(channel=secret.id, text="x")) == (
        "channel_not_found"
    )
