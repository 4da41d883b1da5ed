"""/release over real HTTP: signed requests to the running server, Web API calls to the sim."""

from __future__ import annotations

import asyncio
import time

from bot.sim.slack import Knobs
from tests.harness import Running


async def test_help_is_answered_in_the_ack(bot: Running) -> None:
    response = await bot.people.slash_command(user="alice", text="help")
    assert response.status == 200
    assert response.json["response_type"] == "ephemeral"
    assert "/release whoami" in response.json["text"]
    assert "/release help [SUBCOMMAND]" in response.json["text"]
    shown = bot.sim.ephemerals_for("alice")
    assert shown[-1].text == response.json["text"]


async def test_empty_command_shows_help(bot: Running) -> None:
    response = await bot.people.slash_command(user="bob", text="")
    assert "/release whoami" in response.json["text"]


async def test_unknown_subcommand_gets_did_you_mean(bot: Running) -> None:
    response = await bot.people.slash_command(user="alice", text="whomai")
    assert response.status == 200
    assert response.json["response_type"] == "ephemeral"
    assert "Did you mean `/release whoami`?" in response.json["text"]
    assert "Usage: `/release SUBCOMMAND [ARGS]`" in response.json["text"]


async def test_bad_arguments_get_that_subcommands_usage(bot: Running) -> None:
    response = await bot.people.slash_command(user="alice", text="help a b")
    assert "Usage: `/release help [SUBCOMMAND]`" in response.json["text"]


async def test_whoami_resolves_group_handles_after_the_ack(bot: Running) -> None:
    response = await bot.people.slash_command(user="bob", text="whoami")
    assert response.status == 200
    assert response.body == ""  # acked at once; the answer follows on the response URL
    shown = await bot.sim.wait_for(
        lambda: [e for e in bot.sim.ephemerals_for("bob") if "Roles" in e.text], timeout=5
    )
    assert "QA (`qa`)" in shown[0].text
    assert "`U0BOB`" in shown[0].text
    assert bot.sim.calls_to("usergroups.list")
    assert bot.sim.calls_to("usergroups.users.list")


async def test_role_lookups_are_cached(bot: Running) -> None:
    for user in ("alice", "bob", "carol"):
        await bot.people.slash_command(user=user, text="whoami")
    await bot.sim.wait_for(
        lambda: [e for e in bot.sim.ephemerals_for("carol") if "Roles" in e.text], timeout=5
    )
    assert len(bot.sim.calls_to("usergroups.list")) == 1


async def test_whoami_for_someone_without_roles(bot: Running) -> None:
    await bot.people.slash_command(user="erin", text="whoami")
    shown = await bot.sim.wait_for(
        lambda: [e for e in bot.sim.ephemerals_for("erin") if "Roles" in e.text], timeout=5
    )
    assert "Roles: none" in shown[0].text


async def test_bad_signature_is_refused_without_effect(bot: Running) -> None:
    before = len(bot.sim.calls)
    response = await bot.people.slash_command(
        user="alice", text="whoami", knobs=Knobs(signature="v0=" + "0" * 64)
    )
    assert response.status == 401
    assert response.json["error"] == "invalid signature"
    await asyncio.sleep(0.2)
    assert len(bot.sim.calls) == before


async def test_stale_timestamp_is_refused(bot: Running) -> None:
    stale = int(time.time()) - 5 * 60 - 5
    response = await bot.people.slash_command(
        user="alice", text="help", knobs=Knobs(timestamp=stale)
    )
    assert response.status == 401
    assert "replay window" in response.json["error"]


async def test_future_timestamp_beyond_the_window_is_refused(bot: Running) -> None:
    response = await bot.people.slash_command(
        user="alice", text="help", knobs=Knobs(timestamp=int(time.time()) + 400)
    )
    assert response.status == 401


async def test_timestamp_just_inside_the_window_is_accepted(bot: Running) -> None:
    response = await bot.people.slash_command(
        user="alice", text="help", knobs=Knobs(timestamp=int(time.time()) - 4 * 60)
    )
    assert response.status == 200


async def test_body_over_one_mebibyte_gets_413(bot: Running) -> None:
    body = b"command=%2Frelease&text=" + b"a" * (1024 * 1024)
    response = await bot.people.post_raw(
        body=body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status == 413
    assert bot.sim.ephemerals_for("alice") == []


async def test_retry_of_a_handled_command_is_acked_not_redone(bot: Running) -> None:
    body = (
        b"command=%2Frelease&text=whoami&user_id=U0ALICE&user_name=alice&channel_id=C0RELEASES"
        b"&team_id=T0SIM&response_url="
        + bot.sim.issue_response_url(user="U0ALICE", channel="C0RELEASES").encode()
    )
    form = "application/x-www-form-urlencoded"
    first = await bot.people.post_raw(body=body, content_type=form)
    assert first.status == 200
    await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("alice"), timeout=5)
    retry = await bot.people.post_raw(
        body=body, content_type=form, knobs=Knobs(headers={"X-Slack-Retry-Num": "1"})
    )
    assert retry.status == 200
    assert retry.headers.get("X-Slack-No-Retry") == "1"
    await asyncio.sleep(0.3)
    assert len(bot.sim.ephemerals_for("alice")) == 1
