"""The ``notes`` section and a train's ``announce_channel``: defaults, and one clear line for
each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config, parse_config
from tests.config.helpers import first_error


def test_defaults_mean_no_links_nothing_extra_shown_and_built_in_templates() -> None:
    notes = parse_config(text="").notes
    assert notes.links.pr is None
    assert notes.links.issue is None
    assert notes.issue_prefixes == ()
    assert notes.show_types == ()
    assert notes.templates_dir is None
    assert parse_config(text="notes:\n").notes == notes


def test_a_full_section_reads_back() -> None:
    notes = parse_config(
        text=(
            "notes:\n"
            "  links:\n"
            '    pr: "https://github.com/acme/shop/pull/{n}"\n'
            '    issue: "https://acme.atlassian.net/browse/{key}"\n'
            "  issue_prefixes: [SHOP, OPS2]\n"
            "  show_types: [Chore, ci]\n"
        )
    ).notes
    assert notes.links.pr == "https://github.com/acme/shop/pull/{n}"
    assert notes.issue_prefixes == ("SHOP", "OPS2")
    assert notes.show_types == ("chore", "ci")


@pytest.mark.parametrize(
    ("section", "error"),
    [
        (
            '  links: {pr: "https://github.com/acme/shop/pull/"}',
            "line 2: notes.links.pr: 'https://github.com/acme/shop/pull/' must hold {n} once, "
            "and no other {…}",
        ),
        (
            '  links: {issue: "jira/browse/{key}"}',
            "line 2: notes.links.issue: 'jira/browse/{key}' is not an http(s) URL template such "
            "as 'https://acme.atlassian.net/browse/{key}'",
        ),
        (
            '  links: {pr: "https://x.example/{n}/{m}"}',
            "line 2: notes.links.pr: 'https://x.example/{n}/{m}' must hold {n} once, and no "
            "other {…}",
        ),
        (
            "  show_types: [chores]",
            "line 2: notes.show_types[0]: 'chores' is not hidden, so it needs no showing: the "
            "hidden types are build, chore, ci, style, test. Did you mean chore?",
        ),
        (
            "  show_types: [feat]",
            "line 2: notes.show_types[0]: 'feat' is not hidden, so it needs no showing: the "
            "hidden types are build, chore, ci, style, test.",
        ),
        (
            "  issue_prefixes: [shop]",
            "line 2: notes.issue_prefixes[0]: 'shop' is not an issue project key: upper-case "
            "letters and digits",
        ),
        ("  templates: x", "line 2: notes.templates: unknown key; did you mean 'templates_dir'?"),
    ],
)
def test_mistakes_name_their_line_and_key(section: str, error: str) -> None:
    assert first_error(f"notes:\n{section}\n") == error


def test_the_templates_directory_is_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    config_file = tmp_path / "stationmaster.yml"
    config_file.write_text("notes:\n  templates_dir: tpl\n")
    assert load_config(path=config_file).notes.templates_dir == tmp_path / "tpl"
    config_file.write_text("notes:\n  templates_dir: missing\n")
    with pytest.raises(Exception, match=f"the templates directory {tmp_path}/missing does not"):
        load_config(path=config_file)


def test_a_train_may_name_its_announce_channel() -> None:
    text = "trains:\n  web:\n    channel: '#releases'\n    announce_channel: '{}'\n"
    assert parse_config(text=text.format("#announcements")).trains["web"].announce_channel == (
        "#announcements"
    )
    assert first_error(text.format("announcements")) == (
        "line 4: trains.web.announce_channel: 'announcements' is not a channel: use #name or a "
        "channel ID"
    )
    assert (
        parse_config(text="trains:\n  web: {channel: '#r'}\n").trains["web"].announce_channel
        is None
    )
