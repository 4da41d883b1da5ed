"""Train config: services, repo, versioning, monitoring window, checks across fields."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import RepoConfig, ServiceConfig, TrainConfig, load_config, parse_config
from bot.domain.calendar import TrainSchedule
from bot.domain.cron import parse_cron
from bot.domain.versioning import Scheme
from tests.config.helpers import errors_of, first_error

SHOP = """\
services:
  checkout:
    paths: [services/checkout/]
  cart:
trains:
  web:
    channel: "#releases"
    services:
      - checkout
      - {service}
    repo: {{path: "{path}", branch: main}}
    timezone: Europe/Berlin
    cut: "0 10 * * MON"
    freeze: "0 10 * * TUE"
    signoff_deadline: "0 16 * * WED"
    release: "{release}"
"""


def shop(*, service: str = "cart", path: str = ".", release: str = "0 10 * * THU") -> str:
    return SHOP.format(service=service, path=path, release=release)


def test_a_complete_train() -> None:
    config = parse_config(text=shop())
    web = config.trains["web"]
    assert config.services == {
        "checkout": ServiceConfig(paths=("services/checkout/",)),
        "cart": ServiceConfig(),
    }
    assert web.services == ("checkout", "cart")
    assert web.repo == RepoConfig(path=Path("."), branch="main")
    assert web.versioning is Scheme.CALVER
    assert web.monitoring_window == timedelta(hours=1)


def test_schedule_is_the_trains_calendar() -> None:
    web = parse_config(text=shop()).trains["web"]
    assert web.schedule() == TrainSchedule(
        timezone=ZoneInfo("Europe/Berlin"),
        cut=parse_cron("0 10 * * MON"),
        freeze=parse_cron("0 10 * * TUE"),
        signoff_deadline=parse_cron("0 16 * * WED"),
        release=parse_cron("0 10 * * THU"),
        reminders=(timedelta(hours=1), timedelta(minutes=15)),
    )
    twice = TrainConfig(channel="#w", reminders=["15m", "1h", "15m"])
    assert twice.schedule().reminders == (timedelta(hours=1), timedelta(minutes=15))


# services ---------------------------------------------------------------------------------


def test_an_unknown_service_gets_a_did_you_mean_at_its_item() -> None:
    assert first_error(shop(service="chekout")) == (
        "line 10: trains.web.services[1]: unknown service 'chekout'; did you mean 'checkout'?"
    )


def test_an_unknown_service_with_nothing_close_lists_the_services() -> None:
    assert first_error(shop(service="search")) == (
        "line 10: trains.web.services[1]: unknown service 'search'; "
        "the services are: checkout, cart"
    )


def test_a_service_with_no_services_map() -> None:
    text = "trains:\n  web:\n    channel: '#w'\n    services: [checkout]\n"
    assert first_error(text) == (
        "line 4: trains.web.services[0]: unknown service 'checkout': "
        "add it to the top-level services map"
    )


def test_a_service_listed_twice() -> None:
    assert first_error(shop(service="checkout")) == (
        "line 10: trains.web.services[1]: service 'checkout' is listed twice"
    )


def test_a_service_name_must_be_a_slug() -> None:
    assert first_error("services:\n  Check Out: {}\n") == (
        "line 2: services.Check Out: 'Check Out' is not a valid name: "
        "use lowercase letters, digits and '-' (e.g. web-app)"
    )


@pytest.mark.parametrize("path", ["/srv/checkout", "../checkout", "services/../x", "a\\b", "''"])
def test_service_paths_stay_inside_the_repository(path: str) -> None:
    shown = path.strip("'")
    assert errors_of(f"services:\n  checkout:\n    paths:\n      - {path}\n") == [
        f"line 4: services.checkout.paths[0]: {shown!r} is not a path inside the repository: "
        "write it from the repository's root with '/', such as services/checkout/"
    ]


def test_service_keys_are_checked() -> None:
    assert first_error("services:\n  checkout:\n    path: [x/]\n") == (
        "line 3: services.checkout.path: unknown key; did you mean 'paths'?"
    )


# repo -------------------------------------------------------------------------------------


def test_a_repo_path_is_read_from_the_config_files_directory(tmp_path: Path) -> None:
    (tmp_path / "conf").mkdir()
    config_file = tmp_path / "conf" / "stationmaster.yml"
    config_file.write_text(shop(path="../shop"))
    web = load_config(path=config_file).trains["web"]
    assert web.repo.path == tmp_path / "conf" / ".." / "shop"
    assert web.repo.branch == "main"


def test_an_absolute_repo_path_stays(tmp_path: Path) -> None:
    config_file = tmp_path / "stationmaster.yml"
    config_file.write_text(shop(path="/srv/shop"))
    assert load_config(path=config_file).trains["web"].repo.path == Path("/srv/shop")


def test_without_a_directory_a_repo_path_stays_as_written() -> None:
    assert parse_config(text=shop(path="shop")).trains["web"].repo.path == Path("shop")


def test_no_repo_means_no_path_and_the_default_branch() -> None:
    train = parse_config(text="trains:\n  web:\n    channel: '#w'\n    repo:\n").trains["web"]
    assert train.repo == RepoConfig()
    assert train.repo.path is None
    assert train.repo.branch == "main"
    assert TrainConfig(channel="#w").repo == RepoConfig()


def test_a_branch_without_a_path_is_refused() -> None:
    text = "trains:\n  web:\n    channel: '#w'\n    repo: {branch: develop}\n"
    assert first_error(text) == (
        'line 4: trains.web.repo: a repository needs its path (a local clone, such as path: ".") '
        "or its GitHub name (github: owner/name)"
    )


def test_an_empty_repo_path_is_refused() -> None:
    text = "trains:\n  web:\n    channel: '#w'\n    repo:\n      path: ''\n"
    assert first_error(text) == (
        'line 5: trains.web.repo.path: a repository path cannot be empty: use "." for the '
        "config's directory"
    )


def test_a_github_repository_is_owner_and_name() -> None:
    text = "trains:\n  web:\n    channel: '#w'\n    repo: {github: acme/shop, branch: main}\n"
    repo = parse_config(text=text).trains["web"].repo
    assert (repo.github, repo.path, repo.branch) == ("acme/shop", None, "main")


@pytest.mark.parametrize("name", ["acme", "acme/shop/x", "-acme/shop", "acme/shop.git", "a b/c"])
def test_a_github_repository_that_is_not_owner_and_name_is_refused(name: str) -> None:
    text = f"trains:\n  web:\n    channel: '#w'\n    repo: {{github: '{name}'}}\n"
    assert first_error(text) == (
        f"line 4: trains.web.repo.github: '{name}' is not a GitHub repository: write owner/name, "
        "such as acme/shop"
    )


def test_a_repository_is_a_clone_or_github_not_both() -> None:
    text = "trains:\n  web:\n    channel: '#w'\n    repo: {github: acme/shop, path: .}\n"
    assert first_error(text) == (
        "line 4: trains.web.repo: a repository is either a local clone (path) or a GitHub "
        "repository (github), not both"
    )


@pytest.mark.parametrize(
    "branch", ["main", "release/web", "feature/x-1.2", "v2026.3", "@main", "a.b"]
)
def test_git_branch_names(branch: str) -> None:
    text = f"trains:\n  web:\n    channel: '#w'\n    repo: {{path: ., branch: '{branch}'}}\n"
    assert parse_config(text=text).trains["web"].repo.branch == branch


@pytest.mark.parametrize(
    ("branch", "why"),
    [
        ("''", "it is empty"),
        ("'my branch'", "it may not contain ' '"),
        ("'a..b'", "it may not contain '..'"),
        ("'a~1'", "it may not contain '~'"),
        ("'a:b'", "it may not contain ':'"),
        ("'x@{1}'", "it may not contain '@{'"),
        ("'a//b'", "it may not contain '//'"),
        ("'-x'", "it may not be '@', start with '-' or '/', or end with '/', '.' or '.lock'"),
        ("'@'", "it may not be '@', start with '-' or '/', or end with '/', '.' or '.lock'"),
        (
            "'main.lock'",
            "it may not be '@', start with '-' or '/', or end with '/', '.' or '.lock'",
        ),
        ("'x/'", "it may not be '@', start with '-' or '/', or end with '/', '.' or '.lock'"),
        ("'a/.b'", "no part between slashes may start with '.' or end with '.lock'"),
        ("'a.lock/b'", "no part between slashes may start with '.' or end with '.lock'"),
    ],
)
def test_bad_git_branch_names(branch: str, why: str) -> None:
    text = f"trains:\n  web:\n    channel: '#w'\n    repo:\n      path: .\n      branch: {branch}\n"
    shown = branch.strip("'")
    assert first_error(text) == (
        f"line 6: trains.web.repo.branch: {shown!r} is not a git branch name: {why}"
    )


def test_a_branch_must_be_text() -> None:
    text = "trains:\n  web:\n    channel: '#w'\n    repo: {path: ., branch: 5}\n"
    assert first_error(text) == (
        "line 4: trains.web.repo.branch: expected a git branch name such as main, got the number 5"
    )


# versioning and monitoring window ---------------------------------------------------------


def test_semver_versioning() -> None:
    text = "trains:\n  web:\n    channel: '#w'\n    versioning: semver\n"
    train = parse_config(text=text).trains["web"]
    assert train.versioning is Scheme.SEMVER
    assert train.model_dump(mode="json")["versioning"] == "semver"
    assert TrainConfig(channel="#w", versioning=Scheme.SEMVER).versioning is Scheme.SEMVER


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("calvr", "'calvr' is not a versioning scheme: use calver or semver"),
        ("CalVer", "'CalVer' is not a versioning scheme: use calver or semver"),
        ("2", "expected calver or semver, got the number 2"),
    ],
)
def test_unknown_versioning(value: str, message: str) -> None:
    text = f"trains:\n  web:\n    channel: '#w'\n    versioning: {value}\n"
    assert first_error(text) == f"line 4: trains.web.versioning: {message}"


def test_monitoring_window() -> None:
    text = "trains:\n  web:\n    channel: '#w'\n    monitoring_window: 30s\n"
    assert parse_config(text=text).trains["web"].monitoring_window == timedelta(seconds=30)
    assert first_error(text.replace("30s", "0s")) == (
        "line 4: trains.web.monitoring_window: a duration here must be more than 0s, got 0s"
    )


# milestone order --------------------------------------------------------------------------


def test_a_milestone_out_of_order_is_refused_at_its_line() -> None:
    assert first_error(shop(release="0 9 * * WED")) == (
        "line 16: trains.web.release: release (0 9 * * WED) comes before "
        "signoff_deadline (0 16 * * WED) in a cycle: "
        "the order must be cut, freeze, signoff_deadline, release"
    )


def test_a_milestone_at_the_time_of_the_one_before_is_refused() -> None:
    text = shop().replace('freeze: "0 10 * * TUE"', 'freeze: "0 10 * * MON"')
    assert first_error(text) == (
        "line 14: trains.web.freeze: freeze (0 10 * * MON) fires together with "
        "cut (0 10 * * MON) on 2026-01-05 10:00: "
        "the order must be cut, freeze, signoff_deadline, release"
    )


def test_a_cron_that_never_fires_is_refused() -> None:
    assert first_error(shop(release="0 10 31 2 *")) == (
        "line 16: trains.web.release: invalid cron '0 10 31 2 *': "
        "it never fires: day 31 never falls in FEB"
    )


def test_every_cross_field_problem_is_reported_by_line() -> None:
    assert errors_of(shop(service="chekout", release="0 9 * * WED")) == [
        "line 10: trains.web.services[1]: unknown service 'chekout'; did you mean 'checkout'?",
        "line 16: trains.web.release: release (0 9 * * WED) comes before signoff_deadline "
        "(0 16 * * WED) in a cycle: the order must be cut, freeze, signoff_deadline, release",
    ]


def test_checks_across_fields_wait_for_valid_fields() -> None:
    text = shop(service="chekout").replace("Europe/Berlin", "Mars/Olympus")
    assert errors_of(text) == ["line 12: trains.web.timezone: unknown time zone 'Mars/Olympus'"]
