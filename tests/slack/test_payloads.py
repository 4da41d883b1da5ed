"""Reading a Slack body: JSON events, interactivity forms and slash-command forms, including a
command whose text mentions "payload" (bolt's own parser mistakes it for interactivity)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest

from bot.slack.payloads import Kind, check, parse

FORM = "application/x-www-form-urlencoded"


def test_a_command_mentioning_payload_stays_a_command() -> None:
    text = urlencode({"command": "/release", "text": "notes payload", "user_id": "U1"})
    body = parse(text, FORM)
    assert body == {"command": "/release", "text": "notes payload", "user_id": "U1"}


def test_an_interactivity_form_is_its_json_payload() -> None:
    payload = {"type": "block_actions", "user": {"id": "U1"}}
    assert parse(urlencode({"payload": json.dumps(payload)}), FORM) == payload


def test_json_events_are_json() -> None:
    event = {"type": "url_verification", "challenge": "c"}
    assert parse(json.dumps(event), "application/json") == event
    assert check(parse(json.dumps(event), None)) is Kind.URL_VERIFICATION


@pytest.mark.parametrize("text", ["payload=%7Bnot-json", "{nope"])
def test_broken_json_is_a_value_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError, match="Expecting"):
        parse(text, FORM)
