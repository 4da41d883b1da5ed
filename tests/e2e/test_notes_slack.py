"""Release notes over real HTTP: the cut posts them in the release thread of the Slack
simulator, ``/release notes`` shows them, long notes become a Markdown file, and the Publish
button (release managers only) announces them once.

alice is a release manager; bob is QA.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import parse_config
from bot.sim.slack import SimMessage
from tests.harness import Running, running_bot
from tests.integrations.source.repos import BO, DANA, commit, init

CONFIG = """
roles:
  release_managers: ["@release-managers"]
  qa: ["@qa-team"]
services:
  checkout: {{paths: [services/checkout/]}}
trains:
  web:
    channel: "#releases"
    announce_channel: "#announcements"
    services: [checkout]
    repo: {{path: "{repo}", branch: main}}
notes:
  links: {{pr: "https://github.com/acme/shop/pull/{{n}}"}}
"""


def shop(path: Path) -> Path:
    repo = init(path)
    commit(repo, "feat(cart): coupons (#12)", files={"services/checkout/c.py": "1\n"})
    commit(repo, "fix: totals round half up", author=BO)
    commit(repo, "docs: how to pay")
    commit(repo, "feat!: drop the v1 API\n\nBREAKING CHANGE: clients must call /v2\n", author=DANA)
    commit(repo, "Tidy <!channel> and <@U0ALICE0001> *loudly*")
    return repo


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Running]:
    config = parse_config(text=CONFIG.format(repo=shop(tmp_path / "shop")))
    async with running_bot(tmp_path=tmp_path, config=config) as running:
        yield running


async def cut(bot: Running) -> tuple[str, SimMessage]:
    reply = await bot.ask("cut web")
    version = reply.split("Cut *web/", 1)[1].split("*", 1)[0]
    root = await bot.sim.wait_for(
        lambda: next(iter(bot.sim.messages_in("#releases", include_replies=False)), None)
    )
    return version, root


async def notes_message(bot: Running, root: SimMessage) -> SimMessage:
    return await bot.sim.wait_for(
        lambda: next(
            (
                m
                for m in bot.sim.thread(root.channel, root.ts)
                if m.text.startswith("Release notes")
            ),
            None,
        ),
        timeout=10,
    )


def shown(message: SimMessage) -> str:
    return "\n".join(
        block["text"]["text"] for block in message.blocks if block.get("type") == "section"
    )


async def test_the_cut_posts_grouped_credited_escaped_notes_in_the_thread(bot: Running) -> None:
    version, root = await cut(bot)
    message = await notes_message(bot, root)
    text = shown(message)
    sections = ["*Breaking changes*", "*Features*", "*Fixes*", "*Documentation*", "*Other changes*"]
    assert [text.index(s) for s in sections] == sorted(text.index(s) for s in sections)
    assert "_clients must call /v2_" in text
    assert "<https://github.com/acme/shop/pull/12|#12>" in text
    assert "Tidy &lt;!channel&gt; and &lt;@U0ALICE0001&gt;" in text
    assert "<!channel>" not in json.dumps(message.blocks)
    assert "<@U0ALICE0001>" not in text
    assert "*Thanks to* " in text
    assert "Bo Berg" in text
    assert "Dana Scott" in text
    assert any(b.get("type") == "actions" for b in message.blocks)
    assert len(message.blocks) <= 50

    reply = await bot.ask(f"notes {version}", user="bob")
    assert reply == f"Release notes: web {version}"
    ephemeral = bot.sim.ephemerals_for("bob")[-1]
    assert "*Fixes*" in json.dumps(ephemeral.blocks, ensure_ascii=False)
    scoped = await bot.ask(f"notes {version} --service checkout", user="bob")
    assert scoped == f"Release notes: web {version} (checkout)"
    assert "coupons" in json.dumps(bot.sim.ephemerals_for("bob")[-1].blocks)
    assert "totals" not in json.dumps(bot.sim.ephemerals_for("bob")[-1].blocks)


async def test_bad_notes_requests_get_a_clear_reply(bot: Running) -> None:
    version, _ = await cut(bot)
    assert "Train web ships no service `search`." in await bot.ask(
        f"notes {version} --service search"
    )
    assert "Name one release" in await bot.ask("notes")
    assert "`--service` needs a service name." in await bot.ask(f"notes {version} --service")
    assert "There is no release `9.9`." in await bot.ask("notes 9.9")
    assert "There is no release `payload`." in await bot.ask("notes payload")


async def test_publish_is_for_release_managers_and_happens_once(bot: Running) -> None:
    version, root = await cut(bot)
    message = await notes_message(bot, root)

    await bot.people.click(user="bob", message=message, action_id="notes.publish")
    refused = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("bob")[-1:], timeout=10)
    assert "Only release manager members can publish release notes" in refused[0].text
    assert bot.sim.messages_in("#announcements") == []

    await bot.people.click(user="alice", message=message, action_id="notes.publish")
    [announcement] = await bot.sim.wait_for(lambda: bot.sim.messages_in("#announcements"))
    assert announcement.text.startswith(f":rocket: *What's new in web {version}*")
    assert "clients must call /v2" in shown(announcement)
    assert "how to pay" not in shown(announcement)
    await bot.sim.wait_for(
        lambda: any(
            "published these notes" in m.text for m in bot.sim.thread(root.channel, root.ts)
        )
    )

    before = len(bot.sim.ephemerals_for("alice"))
    await bot.people.click(user="alice", message=message, action_id="notes.publish")
    again = await bot.sim.wait_for(lambda: bot.sim.ephemerals_for("alice")[before:], timeout=10)
    assert f"The notes of web/{version} are already published" in again[0].text
    assert len(bot.sim.messages_in("#announcements")) == 1
    history = await bot.ask(f"history {version}")
    assert history.count("publish_notes") == 1


async def test_notes_too_long_for_a_message_become_a_file(tmp_path: Path) -> None:
    repo = init(tmp_path / "long")
    for n in range(60):
        commit(repo, f"feat: change {n:02} " + "very long words " * 180)
    config = parse_config(text=CONFIG.format(repo=repo))
    async with running_bot(tmp_path=tmp_path, config=config) as bot:
        version, root = await cut(bot)
        message = await notes_message(bot, root)
        assert "too long for one message" in shown(message)
        assert "60 features" in shown(message)
        upload = await bot.sim.wait_for(
            lambda: next((f for f in bot.sim.files if f.completed), None), timeout=10
        )
        assert upload.name == f"notes-web-{version}.md"
        assert upload.thread_ts == root.ts
        assert upload.content is not None
        assert "change 59" in upload.content.decode()

        reply = await bot.ask(f"notes {version}")
        assert f"attached as `notes-web-{version}.md` in the release's thread" in reply
        assert len([f for f in bot.sim.files if f.completed]) == 1  # attached once
