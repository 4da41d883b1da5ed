from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError
from ruamel.yaml import YAML

from bot.config import AppConfig, RolesConfig, SlackConfig, TrainConfig, parse_config
from bot.config.fields import describe
from bot.domain.cron import parse_cron
from bot.domain.roles import Role, RoleMembers
from tests.config.helpers import first_error

ROLES = """\
roles:
  release_managers: ["@release-managers", U024BE7LH]
  qa: [W0123ABCD, "@qa-team", "@qa.leads"]
"""


def test_roles_split_into_user_ids_and_group_handles() -> None:
    roles = parse_config(text=ROLES).roles
    assert roles.members(role=Role.QA) == RoleMembers(
        user_ids=frozenset({"W0123ABCD"}), handles=frozenset({"qa-team", "qa.leads"})
    )
    assert roles.by_role() == {
        Role.RELEASE_MANAGER: RoleMembers(
            user_ids=frozenset({"U024BE7LH"}), handles=frozenset({"release-managers"})
        ),
        Role.QA: roles.members(role=Role.QA),
        Role.ONCALL: RoleMembers(),
    }


@pytest.mark.parametrize(
    "entry", ["alice", "'@Alice'", "u024be7lh", "'#qa'", "'@'", "U1", "UNKNOWN", "'U024 BE7LH'"]
)
def test_role_entries_must_be_ids_or_handles(entry: str) -> None:
    assert "is not a user ID or a user-group handle" in first_error(f"roles:\n  qa: [{entry}]\n")


def test_a_role_entry_must_be_text() -> None:
    assert first_error("roles:\n  oncall: [5]\n") == (
        "line 2: roles.oncall[0]: expected a user ID or @group-handle, got the number 5"
    )


def test_empty_sections_and_lists_mean_defaults() -> None:
    config = parse_config(text="slack:\nroles:\n  qa:\ntrains:\n")
    assert config == AppConfig()
    assert config.roles == RolesConfig(qa=())
    web = parse_config(text="trains:\n  web:\n    channel: '#w'\n    reminders:\n").trains["web"]
    assert web.reminders == ()


@pytest.mark.parametrize(
    "channel", ["#releases", "#a", "#rel_eases-2", "C0123ABCD", "G01ABCDEF2", "C012AB3CDEF"]
)
def test_channel_names_and_ids_are_accepted(channel: str) -> None:
    assert parse_config(text=f"slack:\n  default_channel: '{channel}'\n").slack == SlackConfig(
        default_channel=channel
    )


def test_a_channel_name_longer_than_80_is_refused() -> None:
    assert "is not a channel" in first_error(f"slack:\n  default_channel: '#{'a' * 81}'\n")


def test_train_defaults() -> None:
    train = TrainConfig(channel="#web")
    assert train.timezone == ZoneInfo("UTC")
    assert train.reminders == (timedelta(hours=1), timedelta(minutes=15))
    assert train.misfire_grace == timedelta(hours=1)
    assert train.milestones() == {}


def test_milestones_in_calendar_order() -> None:
    text = (
        "trains:\n  web:\n    channel: '#w'\n    release: '0 10 * * THU'\n    cut: '0 9 * * MON'\n"
    )
    train = parse_config(text=text).trains["web"]
    assert list(train.milestones()) == ["cut", "release"]
    assert train.milestones()["release"] == parse_cron("0 10 * * THU")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("30s", timedelta(seconds=30)), ("5m", timedelta(minutes=5)), (90, timedelta(seconds=90))],
)
def test_durations_accept_seconds_minutes_and_numbers(value: object, expected: timedelta) -> None:
    text = f"trains:\n  web:\n    channel: '#w'\n    misfire_grace: {value}\n"
    assert parse_config(text=text).trains["web"].misfire_grace == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "a duration cannot be negative, got -5"),
        ("true", "expected a duration such as 30s, 5m or 1h, got true (true/false)"),
        ("1.5", "expected a duration such as 30s, 5m or 1h, got the number 1.5"),
        ("0", "a duration here must be more than 0s, got 0s"),
    ],
)
def test_durations_refuse_other_values(value: str, message: str) -> None:
    text = f"trains:\n  web:\n    channel: '#w'\n    misfire_grace: {value}\n"
    assert first_error(text) == f"line 4: trains.web.misfire_grace: {message}"


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "Europe", "europe/berlin", "../etc/passwd", "/etc/localtime", "''"]
)
def test_unknown_time_zones(zone: str) -> None:
    text = f"trains:\n  web:\n    channel: '#w'\n    timezone: {zone}\n"
    shown = zone.strip("'")
    assert first_error(text) == f"line 4: trains.web.timezone: unknown time zone '{shown}'"


def test_models_are_frozen() -> None:
    config = parse_config(text=ROLES)
    with pytest.raises(ValidationError):
        config.slack = SlackConfig()  # type: ignore[misc]


def test_a_dumped_config_reads_back_the_same() -> None:
    config = parse_config(
        text=ROLES + "trains:\n  web:\n    channel: '#w'\n    cut: '*/5 * * * *'\n"
    )
    dumped = config.model_dump(mode="json")
    assert dumped["trains"]["web"]["cut"] == "*/5 * * * *"
    assert dumped["trains"]["web"]["reminders"] == ["1h", "15m"]
    assert dumped["trains"]["web"]["timezone"] == "UTC"
    assert AppConfig.model_validate(dumped) == config


def test_the_models_accept_their_own_values_from_python() -> None:
    train = TrainConfig(
        channel="#web", timezone="Europe/Berlin", cut="0 10 * * MON", reminders=["30s"]
    )
    assert train.timezone == ZoneInfo("Europe/Berlin")
    assert train.reminders == (timedelta(seconds=30),)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "nothing (null)"),
        (False, "false (true/false)"),
        ("x", "text 'x'"),
        (3, "the number 3"),
        ({}, "a mapping"),
        ([], "a list"),
        (YAML, "<class 'ruamel.yaml.main.YAML'>"),
    ],
)
def test_describe_names_what_was_written(value: object, text: str) -> None:
    assert describe(value) == text
