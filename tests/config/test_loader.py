from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import (
    AppConfig,
    ConfigErrors,
    RepoConfig,
    RolesConfig,
    ServiceConfig,
    SlackConfig,
    TrainConfig,
    load_config,
    parse_config,
)
from bot.config.deploy import (
    AnalysisConfig,
    ArgoRolloutsDeploy,
    BlueGreenConfig,
    CanaryConfig,
    CommandDeploy,
    GitHubActionsDeploy,
    PrometheusConfig,
    SimDeploy,
    StepConfig,
    StrategyConfig,
    WebhookDeploy,
)
from bot.config.gates import (
    AllowanceConfig,
    CoverageRuleConfig,
    GatePolicyConfig,
    PerformanceRuleConfig,
    SecurityRuleConfig,
    TestsRuleConfig,
)
from bot.config.models import GitHubConfig, IntegrationsConfig, SignoffConfig
from bot.config.notes import LinksConfig, NotesConfig
from bot.domain.cron import parse_cron
from bot.domain.versioning import Scheme
from bot.errors import ConfigError, UsageError
from bot.sim.slack.seed import DEFAULT_CHANNELS, DEFAULT_GROUPS
from tests.config.helpers import first_error

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "stationmaster.example.yml"

TRAIN = """\
# Stationmaster config for the shop.
slack:
  default_channel: "#releases"
roles:
  release_managers: ["@release-managers"]
  qa: ["@qa-team"]
  oncall: ["@oncall"]
trains:
  web:
    channel: "#releases-web"
    cut: "0 10 * * MON"
    timezone: {timezone}
    release: "{release}"
"""


def test_the_example_loads_cleanly() -> None:
    config = load_config(path=EXAMPLE)
    web = config.trains["web"]
    assert config.slack.default_channel == "#releases"
    assert config.roles.release_managers == ("@release-managers",)
    assert config.roles.qa == ("@qa-team",)
    assert config.roles.oncall == ("@oncall",)
    assert list(config.trains) == ["web"]
    assert web.channel == "#releases"
    assert web.services == ("checkout", "cart")
    assert set(web.services) <= set(config.services)
    assert config.services["checkout"].paths == ("services/checkout/",)
    assert config.services["checkout"].deploy == SimDeploy()
    assert web.repo == RepoConfig(path=ROOT, branch="main")
    assert web.timezone == ZoneInfo("Europe/Berlin")
    assert web.versioning is Scheme.CALVER
    assert web.cut == parse_cron("0 10 * * MON")
    assert list(web.milestones()) == ["cut", "freeze", "signoff_deadline", "release"]
    assert web.reminders == (timedelta(hours=1), timedelta(minutes=15))
    assert web.misfire_grace == timedelta(hours=1)
    assert web.monitoring_window == timedelta(hours=1)


def test_the_example_only_uses_what_the_simulator_seeds() -> None:
    config = load_config(path=EXAMPLE)
    channels = {f"#{name}" for _, name in DEFAULT_CHANNELS}
    handles = {f"@{handle}" for _, handle, _, _ in DEFAULT_GROUPS}
    assert {train.channel for train in config.trains.values()} <= channels
    assert {train.announce_channel for train in config.trains.values()} <= channels
    assert {train.signoff.channel for train in config.trains.values()} <= channels
    assert {config.slack.default_channel} <= channels
    for role in (config.roles.release_managers, config.roles.qa, config.roles.oncall):
        assert role
        assert set(role) <= handles


def test_the_example_documents_every_key_of_every_model() -> None:
    text = EXAMPLE.read_text()
    models = (
        AppConfig, SlackConfig, RolesConfig, ServiceConfig, TrainConfig, RepoConfig,
        GatePolicyConfig, TestsRuleConfig, CoverageRuleConfig, PerformanceRuleConfig,
        SecurityRuleConfig, AllowanceConfig, IntegrationsConfig, GitHubConfig, NotesConfig,
        LinksConfig, SignoffConfig, ArgoRolloutsDeploy, WebhookDeploy, CommandDeploy,
        GitHubActionsDeploy, SimDeploy, StrategyConfig, CanaryConfig, StepConfig, AnalysisConfig,
        BlueGreenConfig, PrometheusConfig,
    )  # fmt: skip
    for model in models:
        assert [key for key in model.model_fields if f"{key}:" not in text] == []
    assert "secrets never go in this file" in text.lower()


def test_the_commented_out_train_is_valid_too() -> None:
    text = EXAMPLE.read_text()
    start = text.index("  # mobile:\n")
    end = text.index("\ngate_policies:")
    block = re.sub(r"^  # ", "  ", text[start:end], flags=re.MULTILINE)
    uncommented = text[:start] + block + text[end:]
    uncommented = uncommented.replace('"#releases-mobile"', '"#releases"')
    mobile = parse_config(text=uncommented).trains["mobile"]
    assert mobile.versioning is Scheme.SEMVER
    assert mobile.cut == parse_cron("30 9 1,15 * *")
    assert mobile.repo == RepoConfig()


@pytest.mark.parametrize("text", ["", "\n\n", "# only a comment\n", "---\n"])
def test_an_empty_file_is_all_defaults(text: str) -> None:
    config = parse_config(text=text)
    assert config == AppConfig()
    assert config.slack.default_channel == "#releases"
    assert config.trains == {}


def test_a_bad_time_zone_names_its_line_and_key() -> None:
    text = TRAIN.format(timezone="Mars/Olympus", release="0 10 * * THU")
    assert first_error(text) == "line 12: trains.web.timezone: unknown time zone 'Mars/Olympus'"


def test_a_bad_cron_names_its_line_field_and_the_cron_problem() -> None:
    text = TRAIN.format(timezone="UTC", release="61 10 * * THU")
    assert first_error(text) == (
        "line 13: trains.web.release: invalid cron '61 10 * * THU': minute 61 is out of range 0-59"
    )


def test_an_unknown_key_gets_a_did_you_mean() -> None:
    text = "# config\nslack:\n  defualt_channel: '#releases'\n"
    assert first_error(text) == (
        "line 3: slack.defualt_channel: unknown key; did you mean 'default_channel'?"
    )


def test_a_duplicate_key_names_both_lines() -> None:
    text = "slack:\n  default_channel: '#a'\n\n  default_channel: '#b'\n"
    assert first_error(text) == (
        "line 4: slack.default_channel: duplicate key; it is first set on line 2"
    )


def test_a_yaml_syntax_error_names_its_line() -> None:
    text = "slack:\n  default_channel: '#a'\n bad: x: y\n"
    assert first_error(text).startswith("line 3: invalid YAML: ")


@pytest.mark.parametrize(
    "channel", ["'@alice'", "releases web", "'#Releases'", "D0123ABCD", "CHANGELOG", "C012"]
)
def test_a_bad_channel_is_refused(channel: str) -> None:
    shown = channel.strip("'")
    assert first_error(f"slack:\n  default_channel: {channel}\n") == (
        f"line 2: slack.default_channel: '{shown}' is not a channel: use #name or a channel ID"
    )


def test_a_bad_role_entry_is_refused() -> None:
    text = "roles:\n  qa:\n    - '@qa-team'\n    - alice\n"
    assert first_error(text) == (
        "line 4: roles.qa[1]: 'alice' is not a user ID or a user-group handle: "
        "use an ID such as U024BE7LH or a handle such as @release-managers"
    )


def test_a_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "nope.yml"
    with pytest.raises(UsageError) as caught:
        load_config(path=path)
    assert str(caught.value) == f"config file not found: {path}"
    assert not isinstance(caught.value, ConfigError)


def test_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        load_config(path=tmp_path)
    assert str(caught.value) == f"config file not found: {tmp_path} is a directory"


def test_an_unreadable_path_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    path = tmp_path / "file" / "stationmaster.yml"
    with pytest.raises(UsageError) as caught:
        load_config(path=path)
    assert str(caught.value) == f"config file not readable: {path} (Not a directory)"


def test_a_file_that_is_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "stationmaster.yml"
    path.write_bytes(b"slack:\n  default_channel: '#caf\xe9'\n")
    with pytest.raises(ConfigErrors) as caught:
        load_config(path=path)
    assert str(caught.value) == "line 2: the file is not UTF-8 text"
    assert caught.value.source == str(path)


def test_a_byte_order_mark_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "stationmaster.yml"
    path.write_bytes("\ufeffslack:\n  default_channel: '#a'\n".encode())
    assert load_config(path=path).slack.default_channel == "#a"


def test_errors_from_a_file_carry_its_name(tmp_path: Path) -> None:
    path = tmp_path / "stationmaster.yml"
    path.write_text("slack:\n  default_channel: nope\n")
    with pytest.raises(ConfigErrors) as caught:
        load_config(path=path)
    assert caught.value.source == str(path)
    assert caught.value.line == 2
    assert caught.value.path == "slack.default_channel"


def test_every_problem_is_kept_and_the_first_by_line_is_the_message() -> None:
    text = TRAIN.format(timezone="Mars/Olympus", release="61 10 * * THU").replace(
        '  default_channel: "#releases"', "  default_channel: releases"
    )
    with pytest.raises(ConfigErrors) as caught:
        parse_config(text=text)
    assert [error.line for error in caught.value.errors] == [3, 12, 13]
    assert str(caught.value) == str(caught.value.errors[0])
    assert caught.value.lines()[0].startswith("line 3: slack.default_channel: ")


def test_config_errors_need_at_least_one_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ConfigErrors(errors=[])


def test_equal_problems_are_reported_once() -> None:
    first = ConfigError("unknown key", line=2, path="either.colour")
    again = ConfigError("unknown key", line=2, path="either.colour")
    other = ConfigError("unknown key", line=1, path="x")
    errors = ConfigErrors(errors=[first, again, other])
    assert errors.errors == (other, first)
    assert errors.lines() == ["line 1: x: unknown key", "line 2: either.colour: unknown key"]
