"""The console's own commands and the live feed, against the real bot."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.console import text
from bot.sim.slack import SimEventKind, SimMessage
from tests.console.conftest import Session


def button(action_id: str, label: str, value: str = "v") -> dict[str, Any]:
    return {
        "type": "button",
        "action_id": action_id,
        "value": value,
        "text": {"type": "plain_text", "text": label},
    }


async def test_moving_and_switching(session: Session) -> None:
    assert session.console.prompt == "alice #releases> "
    assert await session.do("in #qa") == "You are now in #qa.\n"
    assert session.console.prompt == "alice #qa> "
    assert "There is no channel '#nope'. Channels: #releases, #qa" in await session.do("in #nope")
    assert "Say where to go" in await session.do("in")
    assert "Say who to be" in await session.do("as")
    assert await session.do("as U0CAROL") == "You are now carol (Carol Chen), QA.\n"
    assert await session.do("as @dave") == "You are now dave (Dave Diaz), on-call.\n"
    assert "There is no user 'stationmaster'" in await session.do("as stationmaster")
    assert session.console.prompt == "dave #qa> "


async def test_listings_and_hints(session: Session) -> None:
    users = await session.do("users")
    assert "alice  Alice Archer  release manager" in users
    assert "Roles come from stationmaster.yml." in users
    assert "  #announcements" in await session.do("channels")
    assert await session.do("help") == text.COMMANDS + "\n"
    assert await session.do("   ") == ""
    assert "Type a command after the slash" in await session.do("/")
    assert "Press what?" in await session.do("press")
    assert "Not a console command: 'release help'" in await session.do("release help")
    assert await session.console.handle("EXIT") is False


async def test_slash_commands_go_to_the_current_channel(session: Session) -> None:
    await session.do("in #qa")
    shown = await session.do("/release help whoami")
    assert "#qa · Stationmaster · only visible to you" in shown
    assert "/release whoami" in shown
    assert session.sim.ephemerals_for("alice", channel="#qa")


async def test_a_command_the_bot_does_not_answer(session: Session) -> None:
    shown = await session.do("/deploy now")
    assert shown == text.NO_ANSWER.format(log_file=session.console.log_file) + "\n"


async def test_others_ephemerals_threads_edits_and_deletions(session: Session) -> None:
    web = session.web
    root = await web.chat_postMessage(channel="#releases", text="Release *2024.05.1* cut")
    await web.chat_postMessage(channel="#releases", thread_ts=root["ts"], text="Gates: 12/12")
    await web.chat_postEphemeral(channel="#releases", user="U0BOB", text="Just for bob")
    await web.chat_postEphemeral(channel="#releases", user="U0ALICE", text="Just for alice")
    await web.chat_update(channel="#releases", ts=root["ts"], text="Release 2024.05.1 approved")
    await web.reactions_add(channel="#releases", timestamp=root["ts"], name="rocket")
    await web.chat_delete(channel="#releases", ts=root["ts"])
    shown = await session.settled()
    assert "#releases · Stationmaster\n  Release 2024.05.1 cut\n" in shown
    assert (
        "    ↳ #releases · Stationmaster · reply in the thread of 'Release 2024.05.1 cut'\n"
        "      Gates: 12/12\n"
    ) in shown
    assert "#releases · Stationmaster · only visible to bob\n  Just for bob" in shown
    assert "#releases · Stationmaster · only visible to you\n  Just for alice" in shown
    assert "#releases · Stationmaster · edited\n  Release 2024.05.1 approved" in shown
    assert "#releases · stationmaster reacted :rocket: to 'Release 2024.05.1 approved'" in shown
    assert "#releases · a message from Stationmaster was deleted" in shown


async def test_a_direct_message_and_a_file(session: Session) -> None:
    web = session.web
    opened = await web.conversations_open(users="U0ALICE")
    await web.chat_postMessage(channel=opened["channel"]["id"], text="Psst")
    await web.files_upload_v2(channel="#releases", content="notes", filename="notes.md")
    shown = await session.settled()
    assert "DM with @alice · Stationmaster\n  Psst" in shown
    assert "#releases · file 'notes.md' shared (5 bytes)" in shown


async def test_pressing_buttons_ticking_boxes_and_picking_options(session: Session) -> None:
    await session.web.chat_postMessage(
        channel="#releases",
        text="Sign off?",
        blocks=[
            {"type": "actions", "block_id": "b", "elements": [button("approve", "Approve")]},
            {
                "type": "actions",
                "block_id": "c",
                "elements": [
                    {
                        "type": "checkboxes",
                        "action_id": "checks",
                        "options": [
                            {"text": {"type": "plain_text", "text": "Smoke"}, "value": "smoke"},
                            {"text": {"type": "plain_text", "text": "Perf"}, "value": "perf"},
                        ],
                    },
                    {
                        "type": "static_select",
                        "action_id": "env",
                        "options": [
                            {"text": {"type": "plain_text", "text": "Staging"}, "value": "stg"},
                        ],
                    },
                    {"type": "datepicker", "action_id": "day"},
                ],
            },
        ],
    )
    shown = await session.settled()
    assert "[1] Approve\n  [2] [ ] Smoke\n  [3] [ ] Perf\n  [4] Staging\n  [5] datepicker" in shown
    assert await session.do("press 1") == "You pressed [1] Approve.\n"
    assert await session.do("2") == "You ticked [2] Smoke.\n"
    assert await session.do("3") == "You ticked [3] Perf.\n"
    assert await session.do("2") == "You unticked [2] Smoke.\n"
    assert await session.do("4") == "You picked [4] Staging.\n"
    assert await session.do("5 2024-05-01") == "[5] datepicker is now '2024-05-01'.\n"
    assert "takes a value: type `5 <value>`" in await session.do("5")
    assert "takes no value; type just `1`" in await session.do("1 yes")
    assert "There is no [9]. Numbers so far: 1 to 5." in await session.do("9")


async def test_a_number_from_before_an_edit_says_it_is_gone(session: Session) -> None:
    posted = await session.web.chat_postMessage(
        channel="#releases",
        text="Approve?",
        blocks=[{"type": "actions", "block_id": "b", "elements": [button("approve", "Approve")]}],
    )
    await session.settled()
    approved = [{"type": "section", "text": {"type": "mrkdwn", "text": "Approved"}}]
    await session.web.chat_update(
        channel="#releases", ts=posted["ts"], text="Approved", blocks=approved
    )
    await session.settled()
    assert "[1] Approve is no longer there" in await session.do("1")


async def test_app_home_opens_and_its_buttons_are_pressed_in_the_view(session: Session) -> None:
    shown = await session.do("home")
    assert "App Home of you\n  STATIONMASTER\n" in shown
    assert "Roles: release manager (`release_managers`)" in shown
    await session.web.views_publish(
        user_id="U0ALICE",
        view={
            "type": "home",
            "blocks": [{"type": "actions", "elements": [button("refresh", "Refresh")]}],
        },
    )
    assert "[1] Refresh" in await session.settled()
    assert await session.do("1") == "You pressed [1] Refresh.\n"


async def test_the_feed_keeps_printing_while_waiting(session: Session) -> None:
    await session.web.chat_postMessage(channel="#oncall", text="Alert: error rate 5%")
    await asyncio.sleep(0.2)
    assert "#oncall · Stationmaster\n  Alert: error rate 5%" in session.out.getvalue()


async def test_an_event_that_cannot_be_shown_is_one_line(session: Session) -> None:
    broken = SimMessage(
        channel="C0RELEASES", ts="1.000001", text="x", blocks=[{"type": "section", "fields": "?"}]
    )
    session.sim.bus.publish(SimEventKind.POSTED, channel="C0RELEASES", message=broken)
    await session.web.chat_postMessage(channel="#releases", text="still here")
    shown = await session.settled()
    assert "(could not show a posted event: " in shown
    assert "still here" in shown
