"""Authentication and the non-chat methods, through slack_sdk's real AsyncWebClient."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.sim.slack import SlackSimulator
from tests.sim.test_web_chat import error_of


async def test_auth_test_describes_the_bot(web_client: AsyncWebClient) -> None:
    response = await web_client.auth_test()

    assert (response["user_id"], response["bot_id"], response["team_id"]) == (
        "U0BOT",
        "B0BOT",
        "T0SIM",
    )


@pytest.mark.parametrize(
    ("token", "error"),
    [
        (None, "not_authed"),
        ("xoxb-wrong", "invalid_auth"),
        ("xapp-sim-token", "not_allowed_token_type"),
    ],
)
async def test_bad_tokens_are_refused_and_recorded(
    sim: SlackSimulator, token: str | None, error: str
) -> None:
    client = AsyncWebClient(base_url=sim.api_url, token=token)

    assert await error_of(client.chat_postMessage(channel="#qa", text="x")) == error
    assert sim.calls[-1].ok is False
    assert sim.calls[-1].error == error


async def test_apps_connections_open_needs_the_app_token(web_client: AsyncWebClient) -> None:
    assert await error_of(web_client.apps_connections_open(app_token="xoxb-sim-token")) == (
        "not_allowed_token_type"
    )


async def test_unknown_method(web_client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        await web_client.api_call("chat.teleport")

    assert caught.value.response.data == {
        "ok": False,
        "error": "unknown_method",
        "req_method": "chat.teleport",
    }


async def test_malformed_bodies_are_refused(sim: SlackSimulator) -> None:
    headers = {"Authorization": f"Bearer {sim.config.bot_token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        bad_json = await session.post(
            f"{sim.api_url}auth.test", data=b"{", headers={"Content-Type": "application/json"}
        )
        json_list = await session.post(f"{sim.api_url}auth.test", json=[1])
        text = await session.post(
            f"{sim.api_url}auth.test", data=b"x", headers={"Content-Type": "text/plain"}
        )
        multipart = aiohttp.FormData({"channel": "#qa", "text": "multipart"})
        posted = await session.post(f"{sim.api_url}chat.postMessage", data=multipart())

        assert (await bad_json.json())["error"] == "invalid_json"
        assert (await json_list.json())["error"] == "invalid_json"
        assert (await text.json())["error"] == "invalid_form_data"
        assert (await posted.json())["ok"] is True
    assert sim.messages_in("#qa")[0].text == "multipart"


async def test_users_info(web_client: AsyncWebClient) -> None:
    response = await web_client.users_info(user="U0ALICE")

    user = response["user"]
    assert (user["name"], user["real_name"], user["tz"], user["is_bot"]) == (
        "alice",
        "Alice Archer",
        "Europe/Berlin",
        False,
    )
    assert user["tz_offset"] in (3600, 7200)
    assert await error_of(web_client.users_info(user="U404")) == "user_not_found"


async def test_usergroups(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    sim.add_usergroup("@sre", users=["dave", "erin"])

    listed = await web_client.usergroups_list(include_users=True)
    handles = {g["handle"]: g["users"] for g in listed["usergroups"]}
    members = await web_client.usergroups_users_list(usergroup=sim.usergroup("@qa-team").id)

    assert handles["release-managers"] == ["U0ALICE"]
    assert handles["sre"] == ["U0DAVE", "U0ERIN"]
    assert members["users"] == ["U0BOB", "U0CAROL"]
    assert "users" not in (await web_client.usergroups_list())["usergroups"][0]
    assert await error_of(web_client.usergroups_users_list(usergroup="S404")) == ("no_such_subteam")


async def test_conversations_info(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    response = await web_client.conversations_info(channel="C0ONCALL")

    channel = response["channel"]
    assert (channel["name"], channel["is_member"], channel["is_private"]) == (
        "oncall",
        True,
        False,
    )
    assert await error_of(web_client.conversations_info(channel="C404")) == "channel_not_found"


async def test_conversations_open_a_dm_and_a_group_dm(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    first = await web_client.conversations_open(users="U0BOB")
    again = await web_client.conversations_open(users="U0BOB", return_im=True)
    group = await web_client.conversations_open(users="U0BOB,U0CAROL")
    same_group = await web_client.conversations_open(users="U0BOB,U0CAROL")
    by_id = await web_client.conversations_open(channel=first["channel"]["id"])

    assert first["channel"]["id"].startswith("D")
    assert "no_op" not in first.data
    assert again["already_open"] is True
    assert again["channel"]["is_im"] is True
    assert again["channel"]["user"] == "U0BOB"
    assert group["channel"]["id"] == same_group["channel"]["id"] != first["channel"]["id"]
    assert by_id["channel"]["id"] == first["channel"]["id"]
    info = await web_client.conversations_info(channel=first["channel"]["id"])
    assert info["channel"]["is_im"] is True


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({}, "users_list_not_supplied"),
        ({"users": "U404"}, "user_not_found"),
        ({"users": ",".join(f"U0{i}" for i in range(9))}, "user_not_found"),
        ({"channel": "C0QA"}, "channel_not_found"),
    ],
)
async def test_conversations_open_errors(
    web_client: AsyncWebClient, arguments: dict[str, str], error: str
) -> None:
    assert await error_of(web_client.api_call("conversations.open", params=arguments)) == error


async def test_conversations_open_refuses_deleted_users_and_crowds(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    gone = sim.add_user("gone", deleted=True)
    crowd = [sim.add_user(f"u{i}").id for i in range(9)]

    assert await error_of(web_client.conversations_open(users=gone.id)) == "user_disabled"
    assert await error_of(web_client.conversations_open(users=",".join(crowd))) == (
        "too_many_users"
    )


async def test_conversations_join(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    lobby = sim.add_channel("lobby", bot_is_member=False)
    private = sim.add_channel("private", is_private=True)

    joined = await web_client.conversations_join(channel=lobby.id)
    again = await web_client.conversations_join(channel=lobby.id)

    assert joined["channel"]["is_member"] is True
    assert lobby.is_member
    assert again["warning"] == "already_in_channel"
    assert await error_of(web_client.conversations_join(channel=private.id)) == (
        "method_not_supported_for_channel_type"
    )


async def test_reactions_add(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    posted = await web_client.chat_postMessage(channel="#releases", text="shipped")

    await web_client.reactions_add(channel="C0RELEASES", name=":rocket:", timestamp=posted["ts"])

    assert sim.reactions[0].name == "rocket"
    assert sim.messages_in("#releases")[0].reactions == {"rocket": ["U0BOT"]}
    assert await error_of(
        web_client.reactions_add(channel="C0RELEASES", name="rocket", timestamp=posted["ts"])
    ) == ("already_reacted")
    assert await error_of(
        web_client.reactions_add(channel="C0RELEASES", name="no spaces", timestamp=posted["ts"])
    ) == ("invalid_name")
    assert await error_of(
        web_client.reactions_add(channel="C0RELEASES", name="tada", timestamp="1.000001")
    ) == ("message_not_found")
    assert await error_of(
        web_client.api_call("reactions.add", params={"channel": "C0RELEASES", "name": "tada"})
    ) == ("no_item_specified")


async def test_files_upload_v2_lands_the_bytes_in_a_thread(
    sim: SlackSimulator, web_client: AsyncWebClient
) -> None:
    root = await web_client.chat_postMessage(channel="#releases", text="notes")

    response = await web_client.files_upload_v2(
        channel="C0RELEASES",
        thread_ts=root["ts"],
        content="# Release notes\n",
        filename="notes.md",
        title="Release notes",
        initial_comment="Full notes attached",
    )

    [file] = sim.files
    assert response["file"]["id"] == file.id
    assert (file.content, file.title, file.completed) == (
        b"# Release notes\n",
        "Release notes",
        True,
    )
    assert file.channels == ["C0RELEASES"]
    assert file.thread_ts == root["ts"]
    reply = sim.thread("#releases", root["ts"])[1]
    assert (reply.text, reply.files) == ("Full notes attached", [file.id])
    assert [c.method for c in sim.calls[-3:]] == [
        "files.getUploadURLExternal",
        "files.upload",
        "files.completeUploadExternal",
    ]


async def test_files_errors(sim: SlackSimulator, web_client: AsyncWebClient) -> None:
    pending = await web_client.files_getUploadURLExternal(filename="a.txt", length=3)

    assert await error_of(
        web_client.files_completeUploadExternal(files=[{"id": pending["file_id"]}])
    ) == ("file_not_found")
    assert await error_of(web_client.api_call("files.getUploadURLExternal", params={})) == (
        "invalid_arguments"
    )
    assert await error_of(
        web_client.api_call("files.getUploadURLExternal", params={"filename": "a"})
    ) == ("invalid_arguments")
    assert await error_of(web_client.api_call("files.completeUploadExternal", params={})) == (
        "invalid_arguments"
    )
    async with aiohttp.ClientSession() as session:
        missing = await session.post(f"{sim.base_url}/upload/F404", data=b"x")
        form = aiohttp.FormData()
        form.add_field("file", b"abc", filename="a.txt")
        multipart = await session.post(pending["upload_url"], data=form)
        assert (missing.status, await multipart.text()) == (404, "OK - 3")
    completed = await web_client.files_completeUploadExternal(files=[{"id": pending["file_id"]}])
    assert completed["files"][0]["size"] == 3
    assert sim.files[0].channels == []
