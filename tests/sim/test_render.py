"""Slack's JSON shapes for stored messages, and element state in payloads."""

from __future__ import annotations

import pytest

from bot.sim.slack import SimMessage, SimulatorError
from bot.sim.slack.config import SimConfig
from bot.sim.slack.payloads import element_state, initial_value
from bot.sim.slack.render import message_json


def test_a_rich_bot_message_renders_every_part() -> None:
    message = SimMessage(
        channel="C1",
        ts="2.000001",
        text="notes",
        blocks=[{"type": "divider", "block_id": "d"}],
        user="U0BOT",
        bot_id="B0BOT",
        thread_ts="2.000001",
        edited="3.000001",
        reply_count=1,
        reply_users=["U0ALICE"],
        latest_reply="2.000002",
        files=["F1"],
        reactions={"eyes": ["U0BOB"]},
        attachments=[{"text": "legacy"}],
        metadata={"event_type": "release", "event_payload": {}},
    )

    body = message_json(message, config=SimConfig())

    assert body["bot_profile"]["name"] == "stationmaster"
    assert (body["reply_count"], body["reply_users_count"], body["latest_reply"]) == (
        1,
        1,
        "2.000002",
    )
    assert body["edited"] == {"user": "U0BOT", "ts": "3.000001"}
    assert body["files"] == [{"id": "F1"}]
    assert body["reactions"] == [{"name": "eyes", "users": ["U0BOB"], "count": 1}]
    assert body["attachments"] == [{"text": "legacy"}]
    assert body["metadata"]["event_type"] == "release"


def test_a_person_s_message_has_no_bot_fields() -> None:
    body = message_json(
        SimMessage(channel="C1", ts="1.1", text="hi", user="U0ALICE"), config=SimConfig()
    )

    assert "bot_id" not in body
    assert "blocks" not in body
    assert body["user"] == "U0ALICE"


SELECT = {
    "type": "static_select",
    "action_id": "s",
    "option_groups": [
        {
            "label": {"type": "plain_text", "text": "g"},
            "options": [{"text": {"type": "plain_text", "text": "A"}, "value": "a"}],
        },
    ],
}


def test_element_state_follows_the_element_type() -> None:
    assert element_state(SELECT, "a")["selected_option"]["value"] == "a"
    assert element_state(SELECT, None) == {"type": "static_select", "selected_option": None}
    assert element_state({"type": "multi_users_select"}, ["U1", "U2"]) == {
        "type": "multi_users_select",
        "selected_users": ["U1", "U2"],
    }
    assert element_state({"type": "datepicker"}, "2024-05-01")["selected_date"] == "2024-05-01"
    assert element_state({"type": "plain_text_input"}, None) == {
        "type": "plain_text_input",
        "value": None,
    }
    with pytest.raises(SimulatorError, match="no option 'b'"):
        element_state(SELECT, "b")


def test_initial_values() -> None:
    assert initial_value({**SELECT, "initial_option": {"value": "a"}}) == "a"
    assert initial_value(SELECT) is None
    assert initial_value({"type": "multi_channels_select", "initial_channels": ["C1"]}) == ["C1"]
    assert initial_value({"type": "plain_text_input", "initial_value": "x"}) == "x"
    assert initial_value({"type": "checkboxes"}) == []
