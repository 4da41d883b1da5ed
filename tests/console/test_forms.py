"""Modals from the console, against a fake bot that records exactly what it receives."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web

from bot.config import parse_config
from bot.console.controls import Controls, MessageTarget, ViewTarget
from bot.console.forms import form_inputs, parse_value
from bot.console.mrkdwn import Names
from bot.console.render import render_blocks
from bot.sim.slack import SlackSimulator
from tests.console.conftest import ROLES, Session, console_on
from tests.sim.conftest import FakeBot
from tests.sim.test_client_http import payload_of


def pt(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": pt(text), "value": value}


REJECT = {
    "type": "modal",
    "callback_id": "reject",
    "title": pt("Reject 2024.05.1"),
    "submit": pt("Reject"),
    "close": pt("Back"),
    "blocks": [
        {
            "type": "input",
            "block_id": "reason",
            "label": pt("Reason"),
            "element": {"type": "plain_text_input", "action_id": "text"},
        },
        {
            "type": "input",
            "block_id": "severity",
            "label": pt("Severity"),
            "element": {
                "type": "static_select",
                "action_id": "level",
                "options": [option("Low", "low"), option("High", "high")],
            },
        },
        {
            "type": "input",
            "block_id": "checks",
            "optional": True,
            "label": pt("Failed checks"),
            "element": {
                "type": "checkboxes",
                "action_id": "failed",
                "options": [option("Smoke", "smoke"), option("Perf", "perf")],
            },
        },
        {
            "type": "input",
            "block_id": "owner",
            "label": pt("Owner"),
            "element": {"type": "users_select", "action_id": "who", "initial_user": "U0DAVE"},
        },
        {
            "type": "actions",
            "block_id": "tools",
            "elements": [{"type": "button", "action_id": "preview", "text": pt("Preview")}],
        },
    ],
}


async def open_reject(session: Session) -> str:
    trigger = session.sim.issue_trigger(user="bob")
    opened = await session.web.views_open(trigger_id=trigger, view=REJECT)
    return str(opened["view"]["id"])


async def test_a_modal_is_shown_filled_and_submitted(faked: Session, fake_bot: FakeBot) -> None:
    await open_reject(faked)
    shown = await faked.settled()
    assert "Modal 'Reject 2024.05.1' opened for you" in shown
    assert "  [1] Reason (text)\n  Severity:\n    [2] Low   [3] High\n" in shown
    assert "  Failed checks (optional):\n    [4] [ ] Smoke\n    [5] [ ] Perf\n" in shown
    assert "  [6] Owner (a person)\n  [7] Preview\n" in shown
    assert "[submit: Reject]  [cancel: Back]" in shown
    assert "then `submit`" in shown

    assert "[1] Reason is now 'flaky canary'. It is sent when you `submit`." in await faked.do(
        "1 flaky canary"
    )
    assert "You picked [3] High. It is sent when you `submit`." in await faked.do("3")
    assert "You ticked [5] Perf." in await faked.do("5")
    assert "[6] Owner is now 'carol'." in await faked.do("6 carol")
    assert not fake_bot.received  # nothing is sent before the submit

    assert "Modal 'Reject 2024.05.1' closed for you" in await faked.do("submit")
    [received] = fake_bot.received
    payload = payload_of(received.body)
    assert payload["type"] == "view_submission"
    values = payload["view"]["state"]["values"]
    assert values["reason"]["text"]["value"] == "flaky canary"
    assert values["severity"]["level"]["selected_option"]["value"] == "high"
    assert [o["value"] for o in values["checks"]["failed"]["selected_options"]] == ["perf"]
    assert values["owner"]["who"]["selected_user"] == "U0CAROL"
    assert "No modal is open for you." in await faked.do("submit")


async def test_submit_asks_for_what_is_missing(faked: Session, fake_bot: FakeBot) -> None:
    await open_reject(faked)
    await faked.settled()
    faked.typed.lines.extend(["tests flaked", "Medium", "high"])
    shown = await faked.do("submit")
    assert "Reason: tests flaked" in shown
    assert "Severity (Low, High): Medium" in shown
    assert "'Medium' is not one of: Low, High" in shown
    values = payload_of(fake_bot.received[0].body)["view"]["state"]["values"]
    assert values["reason"]["text"]["value"] == "tests flaked"
    assert values["severity"]["level"]["selected_option"]["value"] == "high"
    assert values["owner"]["who"]["selected_user"] == "U0DAVE"  # its initial value


async def test_submit_stops_at_the_end_of_input(faked: Session, fake_bot: FakeBot) -> None:
    await open_reject(faked)
    await faked.settled()
    assert "Not submitted: the input ended." in await faked.do("submit")
    assert not fake_bot.received
    assert faked.sim.open_modals("bob")


async def test_the_bots_validation_errors_are_listed(faked: Session, fake_bot: FakeBot) -> None:
    async def refuse(_: web.Request) -> web.Response:
        return web.json_response(
            {"response_action": "errors", "errors": {"reason": "Say a bit more"}}
        )

    fake_bot.reply = refuse
    await open_reject(faked)
    await faked.settled()
    await faked.do("1 no")
    await faked.do("2")
    shown = await faked.do("submit")
    assert "The bot did not accept the form:\n  Reason: Say a bit more\n" in shown
    assert faked.sim.open_modals("bob")  # still open, as in Slack


async def test_a_button_in_a_modal_and_cancel(faked: Session, fake_bot: FakeBot) -> None:
    view_id = await open_reject(faked)
    await faked.settled()
    assert await faked.do("7") == "You pressed [7] Preview.\n"
    payload = payload_of(fake_bot.received[0].body)
    assert payload["container"] == {"type": "view", "view_id": view_id}
    assert payload["actions"][0]["action_id"] == "preview"
    assert "Modal 'Reject 2024.05.1' closed for you" in await faked.do("cancel")
    assert not faked.sim.open_modals("bob")
    assert "is no longer there" in await faked.do("7")
    assert "No modal is open for you." in await faked.do("close")


async def test_a_bot_error_status_is_one_line(faked: Session, fake_bot: FakeBot) -> None:
    async def fail(_: web.Request) -> web.Response:
        return web.Response(status=500, text="boom")

    fake_bot.reply = fail
    assert await faked.do("/release help") == "The bot answered HTTP 500: boom\n"
    await open_reject(faked)
    await faked.settled()
    assert await faked.do("7") == "The bot answered HTTP 500: boom\n"
    assert await faked.do("home") == "The bot answered HTTP 500: boom\n"


async def test_a_bot_that_is_down_is_one_line(sim: SlackSimulator, tmp_path: Any) -> None:
    config = parse_config(text=ROLES)
    url = "http://127.0.0.1:9/slack/events"  # the discard port: nothing listens
    async with console_on(sim, bot_url=url, config=config, tmp_path=tmp_path) as session:
        shown = await session.do("/release help")
    assert shown.startswith("That did not work: ")
    assert shown.count("\n") == 1
    assert "Traceback" not in shown


async def test_a_bots_inline_answer_is_shown(faked: Session, fake_bot: FakeBot) -> None:
    async def answer(_: web.Request) -> web.Response:
        return web.json_response({"text": "pong", "response_type": "in_channel"})

    fake_bot.reply = answer
    assert "#releases · Stationmaster\n  pong\n" in await faked.do("/ping")
    form = fake_bot.received[0].body.decode()
    assert "command=%2Fping" in form
    assert "user_id=U0BOB" in form


def test_typed_values_for_each_kind_of_element() -> None:
    names = Names()
    people = {"carol": "U0CAROL", "dave": "U0DAVE"}
    places = {"#qa": "C0QA"}

    def parse(element: dict[str, Any], typed: str) -> object:
        return parse_value(
            element, typed, names=names, user=people.__getitem__, channel=places.__getitem__
        )

    checks = {"type": "checkboxes", "options": [option("Smoke", "smoke"), option("Perf", "p")]}
    assert parse(checks, "smoke, PERF") == ["smoke", "p"]
    grouped = {"type": "static_select", "option_groups": [{"options": [option("A", "a")]}]}
    assert parse(grouped, "a") == "a"
    assert parse({"type": "multi_users_select"}, "carol, dave") == ["U0CAROL", "U0DAVE"]
    assert parse({"type": "conversations_select"}, "#qa") == "C0QA"
    assert parse({"type": "multi_channels_select"}, "#qa") == ["C0QA"]
    assert parse({"type": "multi_external_select"}, "x, y") == ["x", "y"]
    assert parse({"type": "plain_text_input"}, "  words  ") == "words"
    assert parse({"type": "plain_text_input"}, "  ") is None
    assert parse({"type": "static_select", "options": []}, "") is None
    with pytest.raises(LookupError, match="not one of"):
        parse(checks, "nope")


def test_form_inputs_skip_blocks_without_an_element() -> None:
    blocks = [
        {"type": "input", "block_id": "a", "label": pt("A")},
        {"type": "input", "block_id": "b", "label": pt("B"), "element": {"type": "x"}},
        *REJECT["blocks"],
    ]
    found = form_inputs(blocks, names=Names())
    assert [f.block_id for f in found] == ["reason", "severity", "checks", "owner"]
    assert [f.has_initial for f in found] == [False, False, False, True]


def test_controls_remember_ticks_per_message_and_per_form() -> None:
    controls = Controls()
    blocks = REJECT["blocks"][2:3]
    view = ViewTarget("V1")
    controls.register(render_blocks(blocks, names=Names()).controls, target=view)
    smoke = controls.get(1)
    assert smoke is not None
    assert controls.toggle(smoke) == (True, ["smoke"])
    # a form keeps what was ticked when it is rendered again; a message shows its own state
    first = controls.next_number
    rendered = render_blocks(blocks, names=Names(), first_number=first)
    controls.register(rendered.controls, target=view)
    assert controls.form_values("V1") == {"checks": {"failed": ["smoke"]}}
    message = MessageTarget("C1", "1.0")
    controls.register(rendered.controls, target=message)
    assert controls.last_number == first + 1
    controls.forget(view_id="V1")
    assert controls.form_values("V1") == {}
    assert json.dumps(controls.form_values("V2")) == "{}"
