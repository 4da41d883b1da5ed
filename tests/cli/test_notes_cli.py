"""``stationmaster notes`` on real git repositories it has never seen: grouped, credited,
escaped notes as Markdown, Slack mrkdwn or JSON, and exit 2 with one line for unusable input.
No Slack credentials and no database are involved."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.integrations.source.repos import LONG_SUBJECT, ShopHistory, commit, init, shop_history
from tests.processes import stationmaster


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ShopHistory:
    history = shop_history(tmp_path_factory.mktemp("cli") / "shop")
    commit(history.path, "Update the README wording", files={"README.md": "# the shop\n"})
    return history


def notes(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(["notes", *args]) == 0
    return capsys.readouterr().out


def test_markdown_has_breaking_first_no_revert_pair_docs_apart_and_credits(
    shop: ShopHistory, capsys: pytest.CaptureFixture[str]
) -> None:
    out = notes(capsys, "--repo", str(shop.path), "--from", "v1.0.0", "--to", "HEAD")
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Breaking changes",
        "## Features",
        "## Fixes",
        "## Performance",
        "## Documentation",
        "## Other changes",
        "## Contributors",
    ]
    assert out.startswith("# Changes from v1.0.0 to HEAD\n")
    breaking = out.split("## Breaking changes", 1)[1].split("## Features", 1)[0]
    assert "drop the v1 endpoints" in breaking
    assert "PaymentGateway.charge takes cents, not a float" in breaking
    assert "gift cards" not in out  # the revert pair cancelled out
    assert "rounding" in out.split("## Fixes", 1)[1]  # a revert of a revert restores it
    documentation = out.split("## Documentation", 1)[1].split("## Other changes", 1)[0]
    assert "describe the checkout flow" in documentation
    other = out.split("## Other changes", 1)[1].split("## Contributors", 1)[0]
    assert "Update the README wording" in other
    assert 'Revert "fix(search): empty query crash"' in other  # its target is before the range
    contributors = out.split("## Contributors", 1)[1]
    for name in ("Ana Lima", "Bo Berg", "Chen Wei", "Dana Scott", "Eve Adams"):
        assert name in contributors
    assert "Eve Adams: " in contributors
    assert "(first contribution, welcome!)" in contributors
    assert "facet cases" not in out  # test commits are hidden
    assert "ünïcödé prices — 日本語 und Straße 🚂" in out


def test_slack_format_escapes_mentions(
    shop: ShopHistory, capsys: pytest.CaptureFixture[str]
) -> None:
    out = notes(
        capsys, "--repo", str(shop.path), "--from", "v1.0.0", "--to", "v1.1.0", "--format", "slack"
    )
    assert "<!channel>" not in out
    assert "<@U123>" not in out
    assert "&lt;!channel&gt; and &lt;@U123&gt;" in out
    assert out.startswith("*Changes from v1.0.0 to v1.1.0*\n")
    assert "*Breaking changes*" in out


def test_json_lists_sections_entries_and_contributors(
    shop: ShopHistory, capsys: pytest.CaptureFixture[str]
) -> None:
    data = json.loads(
        notes(
            capsys,
            "--repo",
            str(shop.path),
            "--from",
            "v1.0.0",
            "--to",
            "v1.1.0",
            "--format",
            "json",
        )
    )
    assert data["to"] == shop.mentions
    assert len(data["from"]) == 40
    assert next(s["kind"] for s in data["sections"]) == "breaking"
    features = next(s for s in data["sections"] if s["kind"] == "features")
    facets = next(e for e in features["entries"] if e["description"] == "facets")
    assert facets["pulls"] == [12]  # lent by the merge commit
    long = next(e for s in data["sections"] for e in s["entries"] if e["sha"] == shop.long_subject)
    assert len(long["description"]) == len(LONG_SUBJECT) - len("feat: ")
    assert data["reverted"] >= 4
    assert data["hidden"] >= 1
    assert {c["person"]["name"] for c in data["contributors"]} >= {"Ana Lima", "Eve Adams"}


def test_a_service_keeps_to_its_paths(
    shop: ShopHistory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "stationmaster.yml"
    config.write_text(
        "services:\n  search: {paths: [services/search/]}\n"
        'notes:\n  links: {pr: "https://github.com/acme/shop/pull/{n}"}\n'
    )
    out = notes(
        capsys, "--repo", str(shop.path), "--from", "v1.0.0", "--to", "v1.1.0",
        "--service", "search", "--config", str(config),
    )  # fmt: skip
    assert out.startswith("# Changes from v1.0.0 to v1.1.0 (search)")
    assert "facets" in out
    assert "synonyms" in out
    assert "typo tolerance" in out
    assert "apple pay" not in out
    assert "describe the checkout flow" not in out
    assert "[#12](https://github.com/acme/shop/pull/12)" in out


def test_an_empty_range_and_a_whole_history(
    shop: ShopHistory, capsys: pytest.CaptureFixture[str]
) -> None:
    out = notes(capsys, "--repo", str(shop.path), "--from", "v1.1.0", "--to", "v1.1.0")
    assert "No changes to note." in out
    assert "0 commits" in out
    whole = notes(capsys, "--repo", str(shop.path), "--to", "v1.0.0", "--title", "All of it")
    assert whole.startswith("# All of it\n")
    assert "cart totals" in whole
    assert "first contribution" not in whole  # a whole history has no newcomers


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (["--from", "v9.9.9"], "`v9.9.9` is not a commit in"),
        (["--to=--output=x"], "is not a ref"),
        (["--service", "checkout"], "there is no service 'checkout' in the config"),
    ],
)
def test_unusable_input_exits_2_with_one_line(
    shop: ShopHistory, args: list[str], error: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["notes", "--repo", str(shop.path), *args]) == 2
    err = capsys.readouterr().err
    assert error in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_a_path_that_is_not_a_repository_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["notes", "--repo", str(tmp_path)]) == 2
    assert "is not a git repository" in capsys.readouterr().err
    assert main(["notes", "--repo", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_it_runs_as_a_command_without_credentials_or_database(tmp_path: Path) -> None:
    repo = init(tmp_path / "tiny")
    commit(repo, "feat: hello <@U123>")
    done = stationmaster("notes", "--repo", str(repo), "--format", "slack", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "hello &lt;@U123&gt;" in done.stdout
    assert not list(tmp_path.glob("*.db"))
    bad = stationmaster("notes", "--repo", str(repo), "--from", "nope", cwd=tmp_path)
    assert bad.returncode == 2
    assert bad.stderr.startswith("stationmaster: `nope` is not a commit in")
