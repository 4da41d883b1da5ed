"""The release subcommands over signed HTTP: the running app, the Slack simulator's users
(each with a Slack time zone) and a config with roles and two trains.

alice is a release manager (Europe/Berlin), bob is QA (America/New_York)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import messages
from bot.config import parse_config
from bot.domain.calendar import next_occurrences
from bot.sim.slack import SimMessage
from commands.train import local
from tests.harness import Running, running_bot

CONFIG = """
roles:
  release_managers: ["@release-managers"]
  qa: ["@qa-team"]
  oncall: ["@oncall"]
services:
  checkout: {}
trains:
  web:
    channel: "#releases"
    services: [checkout]
    timezone: Europe/Berlin
    cut: "0 10 * * MON"
    freeze: "0 10 * * TUE"
    signoff_deadline: "0 16 * * WED"
    release: "0 10 * * THU"
  mobile:
    channel: "#announcements"
    timezone: America/New_York
    cut: "30 9 1,15 * *"
    release: "0 11 * * TUE"
  ops:
    channel: "#oncall"
"""
TRAINS = parse_config(text=CONFIG)


@pytest.fixture
async def bot(tmp_path: Path) -> AsyncIterator[Running]:
    async with running_bot(tmp_path=tmp_path, config=TRAINS) as running:
        yield running


@pytest.fixture
async def bot_on(tmp_path: Path, db_url: str) -> AsyncIterator[Running]:
    """The same bot on SQLite and on PostgreSQL."""
    async with running_bot(tmp_path=tmp_path, config=TRAINS, database_url=db_url) as running:
        yield running


def posted(bot: Running) -> list[SimMessage]:
    """Every message the bot posted in the trains' channels (roots, notes, notices)."""
    return [*bot.sim.messages_in("#releases"), *bot.sim.messages_in("#announcements")]


def version_in(reply: str, train: str) -> str:
    found = re.search(rf"\*{train}/([0-9.]+)\*", reply)
    assert found, reply
    return found.group(1)


# usage ----------------------------------------------------------------------------------------

USAGE_ERRORS = [
    ("cut", "Name the train to cut.", "/release cut TRAIN"),
    ("cut web mobile", "Name the train to cut.", "/release cut TRAIN"),
    ("cancel", "Name the release to cancel and say why.", "/release cancel VERSION REASON"),
    ("cancel 2026.1.1", "Say why you cancel 2026.1.1: a reason is required.", "/release cancel"),
    ("hotfix", "Name the train and say why it needs a hotfix.", "/release hotfix TRAIN"),
    ("hotfix web", "A hotfix needs a reason.", "/release hotfix TRAIN [--from VERSION] REASON"),
    ("hotfix web --from", "`--from` needs a value.", "/release hotfix"),
    ("hotfix web --force now", "Unknown option `--force`.", "/release hotfix"),
    ("freeze web maybe", "Name the train, then `on` or `off`.", "/release freeze TRAIN on|off"),
    ("freeze web", "Name the train, then `on` or `off`.", "/release freeze TRAIN on|off"),
    ("plan web --cycles 0", "`--cycles` is a number from 1 to 12.", "/release plan TRAIN"),
    ("plan web --cycles=13", "`--cycles` is a number from 1 to 12.", "/release plan TRAIN"),
    ("plan web --cycles two", "`--cycles` is a number from 1 to 12.", "/release plan TRAIN"),
    ("plan", "Name one train.", "/release plan TRAIN [--cycles N]"),
    ("list --bogus", "Unknown option `--bogus`.", "/release list [--all] [TRAIN]"),
    ("list web mobile", "Name at most one train.", "/release list [--all] [TRAIN]"),
    ("history a b", "Name one release.", "/release history VERSION"),
    ("history", "Name one release.", "/release history VERSION"),
    ("status a b", "`status` takes at most one release.", "/release status [VERSION]"),
    ("train web mobile", "Name at most one train.", "/release train [NAME]"),
]


async def test_bad_arguments_get_the_usage_and_change_nothing(bot: Running) -> None:
    for text, message, usage in USAGE_ERRORS:
        reply = await bot.ask(text)
        assert reply.startswith(message), (text, reply)
        assert f"Usage: `{usage}" in reply, (text, reply)
    assert posted(bot) == []
    assert bot.sim.calls_to("chat.postMessage") == []


async def test_unknown_names_are_told_with_a_did_you_mean_and_post_nothing(bot: Running) -> None:
    assert await bot.ask("cut wbe") == (
        "There is no train `wbe`. Did you mean `web`? Trains: `mobile`, `ops`, `web`."
    )
    assert (await bot.ask("plan mobil")).startswith("There is no train `mobil`. Did you mean")
    assert await bot.ask("status web/1.2.3") == "web has no release `1.2.3`."
    assert await bot.ask("history 1.2.3") == "There is no release `1.2.3`."
    assert posted(bot) == []


async def test_changes_need_a_release_manager(bot: Running) -> None:
    for text in ("cut web", "freeze web on because", "cancel 1.0.0 why", "hotfix web why"):
        reply = await bot.ask(text, user="bob")
        command = text.split()[0]
        assert reply.startswith(f"Only release manager members can use `/release {command}`")
    assert posted(bot) == []


# reading the calendar -------------------------------------------------------------------------


async def test_train_without_a_name_lists_every_train_in_the_callers_time_zone(
    bot: Running,
) -> None:
    now = datetime.now(UTC)
    new_york = ZoneInfo("America/New_York")
    web = TRAINS.trains["web"].schedule()
    [next_cut] = [
        o
        for o in next_occurrences(train="web", schedule=web, after=now, limit=8)
        if o.milestone.value == "cut"
    ][:1]

    for_bob = await bot.ask("train", user="bob")
    for_alice = await bot.ask("train web", user="alice")

    assert "*mobile*" in for_bob
    assert "*web*" in for_bob
    assert f"  cut: {local(next_cut.fires_at, new_york)}" in for_bob
    assert for_bob.endswith(messages.TIMES_IN.format(zone="America/New_York"))
    assert "*mobile*" not in for_alice
    assert f"  cut: {local(next_cut.fires_at, ZoneInfo('Europe/Berlin'))}" in for_alice
    assert "  cut: Mon " in for_alice
    assert "10:00" in for_alice
    assert for_alice.endswith("_Times in Europe/Berlin, your Slack time zone._")
    assert bot.sim.calls_to("users.info")


async def test_plan_shows_the_cycles_asked_for(bot: Running) -> None:
    default = await bot.ask("plan web", user="carol")
    three = await bot.ask("plan web --cycles 3", user="carol")

    assert default.startswith("*web*, next 2 cycle(s)")
    assert "*Cycle 2*" in default
    assert "*Cycle 3*" not in default
    assert "*Cycle 3*" in three
    assert "*Cycle 4*" not in three
    assert len(re.findall(r"\d\d:\d\d  cut$", three, flags=re.MULTILINE)) == 3
    assert "signoff deadline" in three
    assert three.endswith("_Times in Asia/Singapore, your Slack time zone._")
    mobile = await bot.ask("plan mobile --cycles 1", user="carol")
    assert len(re.findall(r"  cut$", mobile, flags=re.MULTILINE)) == 1
    assert (await bot.ask("plan ops")).startswith("*ops*, next 2 cycle(s)\n  no scheduled")


async def test_a_train_without_milestones_and_a_config_without_trains(
    bot: Running, tmp_path: Path
) -> None:
    assert (await bot.ask("train ops")).startswith("*ops*\n  no scheduled milestones\n")
    (tmp_path / "bare").mkdir()
    async with running_bot(tmp_path=tmp_path / "bare") as bare:
        assert await bare.ask("train") == messages.NO_TRAINS


# a release through its commands ---------------------------------------------------------------


async def test_cut_status_list_cancel_and_history(bot_on: Running) -> None:
    bot = bot_on
    assert await bot.ask("status") == messages.NO_ACTIVE

    cut = await bot.ask("cut web")
    version = version_in(cut, "web")
    assert cut == f"Cut *web/{version}*; it is gating. Its thread has the details."
    root = await bot.sim.wait_for(
        lambda: [m for m in bot.sim.messages_in("#releases", include_replies=False) if m.blocks]
    )
    assert len(root) == 1

    status = await bot.ask(f"status {version}", user="bob")
    assert status.startswith(f"*web/{version}* · gating")
    assert "Cut by <@U0ALICE>." in status
    events = status.split("*Last events*\n", 1)[1].splitlines()
    assert [line.split(" UTC ", 1)[1] for line in events] == [
        "<@U0ALICE> create → planned",
        "<@U0ALICE> cut → gating",
    ]
    assert await bot.ask("status") == f"*Active releases*\n*web/{version}* · gating"
    assert await bot.ask("list") == f"*Active releases*\n*web/{version}* · gating"

    cancelled = await bot.ask(f'cancel web/{version} "wrong branch"')
    assert cancelled == f"Cancelled *web/{version}*."

    assert await bot.ask("list") == "No active releases."
    assert await bot.ask("list --all web") == f"*Releases*\n*web/{version}* · cancelled"
    history = await bot.ask(f"history {version}", user="dave")
    lines = history.splitlines()
    assert lines[0] == f"*History of web/{version}*"
    assert [line.split(" · ", 2)[2] for line in lines[1:]] == [
        "`create` · → planned",
        "`cut` planned → gating",
        "`cancel` gating → cancelled: wrong branch",
    ]
    updated = await bot.sim.wait_for(
        lambda: "cancelled" in bot.sim.message(root[0].channel, root[0].ts).text
    )
    assert updated


async def test_a_version_of_two_trains_asks_which_one(bot: Running) -> None:
    web = version_in(await bot.ask("cut web"), "web")
    mobile = version_in(await bot.ask("cut mobile"), "mobile")
    assert web == mobile  # both calver, cut in the same month

    reply = await bot.ask(f"status {web}")

    assert reply == messages.WHICH_ONE.format(version=web, labels=f"`mobile/{web}`, `web/{web}`")
    assert (await bot.ask(f"status mobile/{web}")).startswith(f"*mobile/{web}* · gating")


async def test_freeze_refuses_cuts_with_the_reason_and_a_hotfix_passes(bot_on: Running) -> None:
    bot = bot_on
    base = version_in(await bot.ask("cut web"), "web")

    assert await bot.ask("freeze web on") == (
        "Say why web is frozen: the reason is shown to whoever is refused."
    )
    assert await bot.ask("freeze web on db migration") == messages.FREEZE_DONE.format(train="web")
    notice = await bot.sim.wait_for(
        lambda: [m for m in bot.sim.messages_in("#releases") if m.text.startswith("❄")]
    )
    assert notice[0].text.startswith("❄ web is frozen by <@U0ALICE>: db migration.")
    assert "❄ frozen: db migration" in await bot.ask("train web", user="bob")

    refused = await bot.ask("cut web")
    assert refused.startswith("web is frozen by <@U0ALICE>: db migration.")
    assert "/release hotfix web REASON" in refused

    hotfix = await bot.ask(f"hotfix web --from {base} checkout returns 500")
    assert hotfix == f"Cut hotfix *web/{base}.1* from {base}; it is gating."
    status = await bot.ask(f"status web/{base}.1")
    assert status.startswith(f"*web/{base}.1* · gating · hotfix")
    assert "Reason: checkout returns 500" in status

    assert await bot.ask("freeze web off") == messages.THAW_DONE.format(train="web")
    assert (await bot.ask("freeze web OFF")).startswith("web is already not frozen")
    assert (await bot.ask("cut web")).startswith(f"web/{base} is still gating")


async def test_peoples_text_never_pings_or_links_in_what_the_bot_shows(bot: Running) -> None:
    cut = await bot.ask("cut web")
    version = version_in(cut, "web")
    await bot.ask(f'cancel web/{version} "<!channel> see <https://evil.example|this> & <@U0BOB>"')
    await bot.ask('freeze web on "<!here> freeze"')
    await bot.ask('hotfix mobile --from nope "<!everyone>"')

    shown = [m.text for m in bot.sim.messages_in("#releases")]
    shown += [e.text for e in bot.sim.ephemerals_for("alice")]
    shown.append(await bot.ask(f"history web/{version}", user="dave"))
    shown.append(await bot.ask(f"status web/{version}", user="dave"))
    shown.append(await bot.ask("train web", user="dave"))
    shown.append(await bot.ask("<!channel>", user="dave"))
    text = "\n".join(shown)
    for raw in ("<!channel>", "<!here>", "<!everyone>", "<https://evil", "<@U0BOB>"):
        assert raw not in text
    assert "&lt;!channel&gt; see &lt;https://evil.example|this&gt; &amp; &lt;@U0BOB&gt;" in text
    assert "&lt;!here&gt; freeze" in text
