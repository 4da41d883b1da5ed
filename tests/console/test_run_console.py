"""``run_console`` end to end in this process: the simulator, the real bot, a typed script."""

from __future__ import annotations

import asyncio
import io
import os
import re
from pathlib import Path

import pytest
from pydantic import SecretStr
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import parse_config
from bot.console import run_console
from bot.console.runner import database_label
from bot.errors import UsageError
from bot.settings import Settings
from tests.console.conftest import ROLES

SCRIPT = """\
/release help
as bob
/release whoami
/release nope
as nobody
press 99
dance
quit
"""


def settings_in(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db")


async def test_a_scripted_session_reads_like_slack(tmp_path: Path) -> None:
    out = io.StringIO()
    code = await run_console(
        settings=settings_in(tmp_path),
        config=parse_config(text=ROLES),
        user=None,
        stdin=io.StringIO(SCRIPT),
        stdout=out,
        log_file=tmp_path / "console.log",
    )
    shown = out.getvalue()
    assert code == 0
    # the banner: what this is, who you are, who else you can be, where the logs go
    assert "local mode" in shown
    assert "No Slack account is needed" in shown
    assert "You are alice (Alice Archer) in #releases." in shown
    assert re.search(r"alice\s+Alice Archer\s+release manager", shown)
    assert re.search(r"bob\s+Bob Brooks\s+QA", shown)
    assert re.search(r"dave\s+Dave Diaz\s+on-call", shown)
    assert re.search(r"erin\s+Erin Evans\s+no role", shown)
    assert f"Logs:     {tmp_path / 'console.log'}" in shown
    assert f"Database: {tmp_path}/c.db" in shown
    # /release help, answered as an ephemeral reply, the listing indented under it
    assert "alice #releases> /release help" in shown
    assert "#releases · Stationmaster · only visible to you" in shown
    assert "      /release whoami" in shown
    assert "`/release help SUBCOMMAND` shows one subcommand in detail." in shown
    # switching user, and the answer that arrives after the ack
    assert "You are now bob (Bob Brooks), QA." in shown
    assert "bob #releases> /release whoami" in shown
    assert "You are @bob (`U0BOB`). Roles: QA (`qa`)." in shown
    # the bot's did-you-mean, and the console's own clear messages
    assert "`nope` is not a /release subcommand." in shown
    assert "There is no user 'nobody'. You can be: alice, bob, carol, dave, erin." in shown
    assert "There is nothing to press yet" in shown
    assert "Not a console command: 'dance'." in shown
    assert shown.rstrip().endswith("Bye.")
    assert "Traceback" not in shown
    # the logs went to the file, not the screen
    assert "listening" in (tmp_path / "console.log").read_text()
    assert "listening" not in shown


async def test_the_end_of_input_ends_the_session(tmp_path: Path) -> None:
    out = io.StringIO()
    code = await run_console(
        settings=settings_in(tmp_path),
        config=parse_config(text=ROLES),
        user="dave",
        stdin=io.StringIO("/release whoami\n"),
        stdout=out,
        log_file=tmp_path / "console.log",
    )
    assert code == 0
    assert "dave #releases> /release whoami" in out.getvalue()
    assert "Roles: on-call (`oncall`)." in out.getvalue()
    assert out.getvalue().rstrip().endswith("Bye.")


async def test_an_unknown_first_user_is_refused_with_the_list(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"There is no user 'zed'\. You can be: alice, bob"):
        await run_console(
            settings=settings_in(tmp_path),
            config=parse_config(text=ROLES),
            user="zed",
            stdin=io.StringIO(""),
            stdout=io.StringIO(),
            log_file=tmp_path / "console.log",
        )


async def test_with_no_roles_configured_the_banner_says_how_to_add_them(tmp_path: Path) -> None:
    out = io.StringIO()
    await run_console(
        settings=settings_in(tmp_path),
        config=parse_config(text="slack:\n  default_channel: '#deploys'\n"),
        stdin=io.StringIO("channels\n"),
        stdout=out,
        log_file=tmp_path / "console.log",
    )
    shown = out.getvalue()
    assert "No roles are configured" in shown
    assert 'release_managers: ["@release-managers"]' in shown
    # a channel the config names is created in the simulated workspace, and is where you start
    assert "You are alice (Alice Archer) in #deploys." in shown
    assert "  #deploys" in shown


async def test_a_real_workspace_is_refused(tmp_path: Path) -> None:
    settings = Settings(
        slack_bot_token=SecretStr("xoxb-real"), database_url=settings_in(tmp_path).database_url
    )
    with pytest.raises(UsageError, match="unset SLACK_BOT_TOKEN"):
        await run_console(
            settings=settings,
            config=parse_config(text=ROLES),
            stdin=io.StringIO(""),
            stdout=io.StringIO(),
            log_file=tmp_path / "console.log",
        )


SIGNOFF = [
    {"type": "section", "text": {"type": "mrkdwn", "text": "Sign off *2024.05.1*?"}},
    {
        "type": "actions",
        "block_id": "signoff",
        "elements": [
            {
                "type": "button",
                "action_id": action_id,
                "value": "r-1",
                "text": {"type": "plain_text", "text": action_id.title()},
            }
            for action_id in ("approve", "reject")
        ],
    },
]


async def wait_for_text(out: io.StringIO, text: str, *, timeout: float = 10) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while text not in out.getvalue():
        assert loop.time() < deadline, f"{text!r} never appeared in:\n{out.getvalue()}"
        await asyncio.sleep(0.02)
    return out.getvalue()


async def test_buttons_posted_during_the_session_are_numbered_and_pressed(
    tmp_path: Path,
) -> None:
    """A message with buttons arrives while the prompt waits; pressing its number sends the
    bot a block_actions request (it acks an unknown action with 200)."""
    read_end, write_end = os.pipe()
    out = io.StringIO()
    with os.fdopen(read_end, "r") as stdin:
        session = asyncio.create_task(
            run_console(
                settings=settings_in(tmp_path),
                config=parse_config(text=ROLES),
                stdin=stdin,
                stdout=out,
                log_file=tmp_path / "console.log",
            )
        )
        try:
            banner = await wait_for_text(out, "alice #releases> ")
            api = re.search(r"(http://127\.0\.0\.1:\d+/api/) with token (\S+)", banner)
            assert api is not None
            web = AsyncWebClient(base_url=api.group(1), token=api.group(2))
            await web.chat_postMessage(channel="#releases", text="Sign off?", blocks=SIGNOFF)
            await web.session.close() if web.session is not None else None
            shown = await wait_for_text(out, "[2] Reject")
            assert (
                "#releases · Stationmaster\n  Sign off 2024.05.1?\n  [1] Approve   [2] Reject"
                in shown
            )
            os.write(write_end, b"1\n")
            await wait_for_text(out, "You pressed [1] Approve.")
            os.write(write_end, b"quit\n")
            assert await asyncio.wait_for(session, timeout=10) == 0
        finally:
            os.close(write_end)
            if not session.done():
                session.cancel()
    log = (tmp_path / "console.log").read_text()
    assert "block_actions" in log  # bolt's note: nothing listens for this action yet
    assert "approve" in log


def test_database_labels_hide_passwords() -> None:
    assert database_label("sqlite+aiosqlite:///./stationmaster.db") == "./stationmaster.db"
    assert database_label("sqlite+aiosqlite://") == ":memory:"
    assert (
        database_label("postgresql+asyncpg://sm:secret@db:5432/sm")
        == "postgresql+asyncpg://sm:***@db:5432/sm"
    )


async def test_the_console_cuts_and_cancels_a_release_with_the_example_config(
    tmp_path: Path,
) -> None:
    from bot.config import load_config

    example = Path(__file__).resolve().parents[2] / "stationmaster.example.yml"
    out = io.StringIO()
    script = "/release cut web\n/release status\n/release cancel 2026.11.1\n/release list\nquit\n"
    code = await run_console(
        settings=settings_in(tmp_path),
        config=load_config(path=example),
        user="alice",
        stdin=io.StringIO(script.replace("2026.11.1", "{version}")),
        stdout=out,
        log_file=tmp_path / "console.log",
    )
    assert code == 0
    shown = out.getvalue()
    match = re.search(r"Cut web/(\S+); it is gating", shown)
    assert match, shown
    version = match.group(1)
    assert "WEB " + version in shown  # the root message, header in capitals
    assert f"web/{version} · gating" in shown
    assert "a reason is required" in shown  # the cancel without a reason changed nothing

    out = io.StringIO()
    code = await run_console(
        settings=settings_in(tmp_path),
        config=load_config(path=example),
        user="alice",
        stdin=io.StringIO(f"/release cancel {version} trying the console\n/release list\nquit\n"),
        stdout=out,
        log_file=tmp_path / "console.log",
    )
    shown = out.getvalue()
    assert code == 0
    assert f"Cancelled web/{version}." in shown
    assert "No active releases." in shown
