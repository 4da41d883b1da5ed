"""The Slack app manifest is valid against Slack's schema and declares what the bot uses."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator
from ruamel.yaml import YAML

REPO = Path(__file__).resolve().parents[1]
SCHEMA = Path(__file__).resolve().parents[2] / "shared/slack/manifest.schema.1.0.0.json"
EVENTS_URL = "https://stationmaster.example.com/slack/events"
BOT_SCOPES = {
    "commands",
    "chat:write",
    "chat:write.public",
    "users:read",
    "usergroups:read",
    "channels:read",
    "groups:read",
    "channels:join",
    "im:write",
    "files:write",
    "reactions:write",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded: dict[str, Any] = YAML(typ="safe").load(REPO / "manifest.yml")
    return loaded


def test_the_manifest_is_valid_against_slacks_schema(manifest: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    Draft7Validator.check_schema(schema)
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in Draft7Validator(schema).iter_errors(manifest)
    ]
    assert problems == []
    assert manifest["_metadata"] == {"major_version": 1, "minor_version": 1}


def test_the_release_command_is_declared(manifest: dict[str, Any]) -> None:
    (command,) = manifest["features"]["slash_commands"]
    assert command["command"] == "/release"
    assert command["url"] == EVENTS_URL
    assert command["should_escape"] is False
    assert command["usage_hint"].startswith("help | status | train | cut | gates")


def test_interactivity_events_and_app_home_are_enabled(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"] == {"is_enabled": True, "request_url": EVENTS_URL}
    assert settings["event_subscriptions"] == {
        "request_url": EVENTS_URL,
        "bot_events": ["app_home_opened"],
    }
    assert settings["socket_mode_enabled"] is False
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["features"]["bot_user"] == {
        "display_name": "stationmaster",
        "always_online": True,
    }


def test_the_bot_scopes_are_exactly_those_the_bot_uses(manifest: dict[str, Any]) -> None:
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert set(scopes) == BOT_SCOPES
    assert len(scopes) == len(BOT_SCOPES)
