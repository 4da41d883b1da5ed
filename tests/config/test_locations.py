"""Every problem points at the line of its key (or list item) and its dotted key path."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config import AppConfig, parse_config
from bot.config.validation import allowed_keys
from bot.config.yaml_doc import join_path, locate, read_yaml
from bot.errors import ConfigError
from tests.config.helpers import errors_of, first_error

NESTED = """\
slack:
  default_channel: "#releases"
trains:
  web:
    channel: "#releases-web"
    timezone: UTC
  mobile:
    channel: "#releases-mobile"
    reminders:
      - 1h
      - 30m
      - soon
    misfire_grace: 0s
"""


def test_lines_of_nested_keys_and_block_list_items() -> None:
    assert errors_of(NESTED) == [
        "line 12: trains.mobile.reminders[2]: 'soon' is not a duration: "
        "use a number with a unit, e.g. 30s, 15m, 1h, 2d or 1h30m",
        "line 13: trains.mobile.misfire_grace: a duration here must be more than 0s, got 0s",
    ]


def test_lines_of_flow_list_items_and_flow_mappings() -> None:
    text = "roles: {qa: [U0123ABCD, nobody],\n  oncall: ['@oncall',\n    '#oncall']}\n"
    assert [line.split(": ", 2)[:2] for line in errors_of(text)] == [
        ["line 1", "roles.qa[1]"],
        ["line 3", "roles.oncall[1]"],
    ]


def test_a_missing_required_key_points_at_its_parent() -> None:
    text = "trains:\n  web:\n    timezone: UTC\n"
    assert first_error(text) == "line 2: trains.web.channel: required key is missing"


def test_unknown_keys_list_the_allowed_keys_when_nothing_is_close() -> None:
    assert errors_of("slack:\n  colour: blue\nwhatever: 1\n") == [
        "line 2: slack.colour: unknown key; the keys here are: default_channel",
        "line 3: whatever: unknown key; the keys here are: slack, roles, services, trains, "
        "gate_policies, notes, alerts, integrations",
    ]


def test_an_unknown_key_with_other_case_still_gets_a_did_you_mean() -> None:
    text = "trains:\n  web:\n    channel: '#web'\n    TIMEZONE: UTC\n"
    assert first_error(text) == "line 4: trains.web.TIMEZONE: unknown key; did you mean 'timezone'?"


def test_a_train_name_must_be_a_slug() -> None:
    text = "trains:\n  Web App:\n    channel: '#web'\n"
    assert first_error(text) == (
        "line 2: trains.Web App: 'Web App' is not a valid name: "
        "use lowercase letters, digits and '-' (e.g. web-app)"
    )


def test_wrong_shapes_say_what_was_expected() -> None:
    assert errors_of("slack: [1]\nroles:\n  qa: '@qa'\ntrains:\n  web:\n    channel: 5\n") == [
        "line 1: slack: expected a mapping of keys, got a list",
        "line 3: roles.qa: expected a list, got text '@qa'",
        "line 6: trains.web.channel: expected a channel (#name or a channel ID), got the number 5",
    ]


def test_a_top_level_that_is_not_a_mapping() -> None:
    assert first_error("- slack\n") == "line 1: expected a mapping of keys, got a list"
    assert first_error("hello\n") == "line 1: expected a mapping of keys, got text 'hello'"


def test_duplicates_are_all_reported_at_any_depth() -> None:
    text = "slack: {}\nslack: {}\ntrains:\n  web:\n    channel: '#a'\n    channel: '#b'\n"
    assert errors_of(text) == [
        "line 2: slack: duplicate key; it is first set on line 1",
        "line 6: trains.web.channel: duplicate key; it is first set on line 5",
    ]


def test_yaml_syntax_errors_explain_common_mistakes() -> None:
    assert errors_of("trains:\n  web:\n    cut: * * * * *\n") == [
        "line 3: invalid YAML: expected alphabetic or numeric character, but found ' '; "
        'quote values that start with * or &, e.g. cut: "*/15 * * * *"'
    ]
    assert errors_of("slack:\n\tdefault_channel: '#a'\n") == [
        "line 2: invalid YAML: found character '\\t' that cannot start any token; "
        "indent with spaces, not tabs"
    ]
    assert errors_of("slack:\n  default_channel: '#a'\n bad: x\n") == [
        "line 3: invalid YAML: expected <block end>, but found '<block mapping start>' "
        "(while parsing a block mapping that starts on line 1); check the indentation"
    ]
    assert errors_of("slack:\n  default_channel: '#a\n") == [
        "line 3: invalid YAML: found unexpected end of stream "
        "(while scanning a quoted scalar that starts on line 2)"
    ]
    assert errors_of("slack: {}\n---\nroles: {}\n") == [
        "line 2: invalid YAML: expected a single document in the stream but found another document"
    ]


def test_control_characters_are_refused_with_their_line() -> None:
    assert errors_of("slack:\n  default_channel: \x07\n") == [
        "line 2: invalid YAML: unacceptable character #x0007: special characters are not allowed"
    ]


def test_tags_non_text_keys_and_impossible_dates_are_refused() -> None:
    assert errors_of("slack: !channel x\n1: 2\n? [a]\n: b\nroles: 2019-99-99\n") == [
        "line 1: slack: YAML tags such as !channel are not supported: remove the tag",
        "line 2: key 1 is not text: put it in quotes",
        "line 3: key here is not text: put it in quotes",
        "line 5: roles: '2019-99-99' looks like a date but is not one: month must be in 1..12",
    ]


def test_a_date_where_a_cron_belongs_says_what_it_got() -> None:
    text = "trains:\n  web:\n    channel: '#web'\n    cut: 2024-01-01\n"
    assert first_error(text) == (
        "line 4: trains.web.cut: expected a cron expression such as '0 10 * * MON', got 2024-01-01"
    )


def test_merged_keys_are_checked_and_point_at_the_mapping() -> None:
    text = "trains:\n  web: &web\n    channel: '#web'\n  app:\n    <<: *web\n    chanel: '#a'\n"
    assert parse_config(text=text.replace("    chanel: '#a'\n", "")).trains["app"].channel == "#web"
    assert first_error(text) == "line 6: trains.app.chanel: unknown key; did you mean 'channel'?"
    bad = "base: &b\n  bogus: 1\n  channel: '#x'\ntrains:\n  web:\n    <<: *b\n"
    assert errors_of(bad)[1] == (
        "line 6: trains.web.bogus: unknown key; the keys here are: channel, services, repo, "
        "timezone, versioning, cut, freeze, signoff_deadline, release, reminders, "
        "misfire_grace, monitoring_window, gate_policy, hotfix_gate_policy, "
        "announce_channel, signoff"
    )


def test_locate_skips_parts_that_are_not_in_the_document() -> None:
    document, _ = read_yaml(text="trains:\n  web:\n    channel: x\n")
    assert locate(document, ("trains", "web", "[key]")) == (2, "trains.web")
    assert locate(document, ("trains", "web", "channel", "str", "x")) == (3, "trains.web.channel.x")
    assert locate(document, ("missing",)) == (1, "missing")
    assert locate("scalar", ("a",)) == (None, "a")


def test_join_path() -> None:
    assert join_path("", "slack") == "slack"
    assert join_path("slack", "default_channel") == "slack.default_channel"
    assert join_path("roles.qa", 2) == "roles.qa[2]"


def test_allowed_keys_follow_the_models() -> None:
    assert allowed_keys(model=AppConfig, loc=("trains", "web"))[:3] == [
        "channel",
        "services",
        "repo",
    ]
    assert allowed_keys(model=AppConfig, loc=("trains", "web", "repo")) == [
        "path",
        "github",
        "branch",
    ]
    assert allowed_keys(model=AppConfig, loc=("services", "checkout")) == [
        "paths",
        "deploy",
        "strategy",
    ]
    assert allowed_keys(model=AppConfig, loc=("slack",)) == ["default_channel"]
    assert allowed_keys(model=AppConfig, loc=("roles", "qa")) == []
    assert allowed_keys(model=AppConfig, loc=("roles", "qa", 0)) == []
    assert allowed_keys(model=AppConfig, loc=("nope", "x")) == []
    assert allowed_keys(model=AppConfig, loc=("trains", "web", "reminders", 0)) == []
    assert allowed_keys(model=AppConfig, loc=("trains", "web", "cut")) == []
    assert allowed_keys(model=AppConfig, loc=("slack", "default_channel", "x")) == []


def _outcome(text: str) -> AppConfig | ConfigError:
    try:
        return parse_config(text=text)
    except ConfigError as exc:
        return exc


@settings(max_examples=300)
@given(st.text())
def test_any_text_is_a_config_or_a_config_error(text: str) -> None:
    outcome = _outcome(text)
    assert isinstance(outcome, AppConfig) or str(outcome)


_YAMLISH = st.lists(
    st.sampled_from(
        [
            "slack:",
            "  default_channel: '#a'",
            "roles:",
            "  qa:",
            "    - U123",
            "    - x",
            "trains:",
            "  web:",
            "    channel: '#w'",
            "    cut: '0 10 * * MON'",
            "    reminders:",
            "      - 1h",
            "- a",
            "a: b: c",
            "  ",
            "\t",
            "&a x",
            "*a",
            "!t v",
            "{",
            "[",
            "'",
            "? k",
            ": v",
            "---",
            "<<: *a",
            "2019-13-01",
            "x: &a {y: 1}",
            "z: *a",
        ]
    ),
    max_size=12,
).map("\n".join)


@settings(max_examples=300)
@given(_YAMLISH)
def test_yaml_like_text_is_a_config_or_a_config_error(text: str) -> None:
    outcome = _outcome(text)
    assert isinstance(outcome, AppConfig) or str(outcome)


def test_deep_nesting_is_refused_without_a_traceback() -> None:
    assert errors_of("slack: " + "[" * 3000 + "]" * 3000) == ["invalid YAML: nested too deeply"]


def test_an_anchored_boolean_is_still_a_boolean() -> None:
    assert first_error("slack:\n  default_channel: &b true\n") == (
        "line 2: slack.default_channel: expected a channel (#name or a channel ID), "
        "got true (true/false)"
    )
