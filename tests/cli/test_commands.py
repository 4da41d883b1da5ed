"""The command line: exit codes, one-line errors, --help everywhere, any working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.processes import stationmaster

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "stationmaster.example.yml"


@pytest.mark.parametrize(
    "args",
    [(), ("run",), ("console",), ("check-config",), ("db",), ("db", "upgrade")],
)
def test_help_everywhere(args: tuple[str, ...], tmp_path: Path) -> None:
    result = stationmaster(*args, "--help", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: stationmaster")


def test_bad_flag_is_exit_2_in_one_line(tmp_path: Path) -> None:
    result = stationmaster("run", "--port", "eighty", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "invalid int value: 'eighty'" in result.stderr
    assert "Traceback" not in result.stderr


def test_no_subcommand_is_exit_2(tmp_path: Path) -> None:
    result = stationmaster(cwd=tmp_path)
    assert result.returncode == 2
    assert "required" in result.stderr


def test_check_config_accepts_the_example_from_any_directory(tmp_path: Path) -> None:
    result = stationmaster("check-config", str(EXAMPLE), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(": ok")


DEPLOYS = """
services:
  checkout: {deploy: {adapter: sim}}
  payments: {deploy: {adapter: webhook, url: "https://deploy.acme.internal/hooks"}}
  search: {deploy: {adapter: argo_rollouts, namespace: shop, rollout: s, image: "r/s:{version}"}}
  web: {deploy: {adapter: command, run: ./deploy.sh}}
"""


def test_check_config_says_which_deploy_adapters_cannot_work_here(tmp_path: Path) -> None:
    config = tmp_path / "stationmaster.yml"
    config.write_text(DEPLOYS)
    outside = {"KUBERNETES_SERVICE_HOST": ""}
    result = stationmaster("check-config", str(config), cwd=tmp_path, env=outside)
    assert result.returncode == 0, result.stderr  # a missing secret is no invalid config
    assert result.stdout.splitlines() == [
        "checkout: sim",
        "payments: webhook — unavailable: needs STATIONMASTER_DEPLOY_WEBHOOK_SECRET",
        "search: argo_rollouts — unavailable: needs Kubernetes access: "
        "STATIONMASTER_KUBECONFIG, or running in the cluster",
        "web: command",
        "alerts: #oncall, webhooks off until STATIONMASTER_ALERTS_TOKEN is set, no paging",
        f"{config}: ok",
    ]

    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "current-context: t\ncontexts: [{name: t, context: {cluster: c}}]\n"
        "clusters: [{name: c, cluster: {server: 'http://127.0.0.1:9'}}]\n"
    )
    configured = outside | {
        "STATIONMASTER_DEPLOY_WEBHOOK_SECRET": "s3cret",
        "STATIONMASTER_KUBECONFIG": str(kubeconfig),
    }
    result = stationmaster("check-config", str(config), cwd=tmp_path, env=configured)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[1:3] == ["payments: webhook", "search: argo_rollouts"]


def test_check_config_says_whether_alerts_and_paging_can_work_here(tmp_path: Path) -> None:
    config = tmp_path / "stationmaster.yml"
    config.write_text("alerts: {channel: '#pager', pagerduty: {}}\n")
    result = stationmaster("check-config", str(config), cwd=tmp_path)
    assert result.stdout.splitlines()[0] == (
        "alerts: #pager, webhooks off until STATIONMASTER_ALERTS_TOKEN is set, PagerDuty — "
        "unavailable: needs STATIONMASTER_PAGERDUTY_ROUTING_KEY"
    )
    secrets = {"STATIONMASTER_ALERTS_TOKEN": "t", "STATIONMASTER_PAGERDUTY_ROUTING_KEY": "k" * 32}
    result = stationmaster("check-config", str(config), cwd=tmp_path, env=secrets)
    assert result.stdout.splitlines()[0] == "alerts: #pager, webhooks on, PagerDuty"


def test_check_config_names_line_and_key_of_a_bad_timezone(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace("timezone: Europe/Berlin", "timezone: Mars/Olympus")
    line = text.splitlines().index("    timezone: Mars/Olympus") + 1
    bad = tmp_path / "bad.yml"
    bad.write_text(text)
    result = stationmaster("check-config", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert f"line {line}: trains.web.timezone: unknown time zone 'Mars/Olympus'" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_names_line_of_a_bad_cron_and_lists_every_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(
        'trains:\n  web:\n    channel: "#web"\n    cut: "61 10 * * MON"\n    timezone: Nowhere/X\n'
    )
    result = stationmaster("check-config", str(bad), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert any("line 4: trains.web.cut:" in line and "minute 61" in line for line in lines)
    assert any("line 5: trains.web.timezone:" in line for line in lines)


def test_check_config_missing_file_is_exit_2(tmp_path: Path) -> None:
    result = stationmaster("check-config", "nope.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "stationmaster: config file not found: nope.yml"


def test_run_with_a_missing_config_is_exit_2(tmp_path: Path) -> None:
    result = stationmaster("run", "--config", "missing.yml", cwd=tmp_path)
    assert result.returncode == 2
    assert "config file not found" in result.stderr


def test_run_with_an_invalid_config_is_exit_1(tmp_path: Path) -> None:
    (tmp_path / "stationmaster.yml").write_text("slack:\n  defualt_channel: '#x'\n")
    result = stationmaster("run", cwd=tmp_path)
    assert result.returncode == 1
    assert "did you mean 'default_channel'?" in result.stderr


def test_bad_setting_is_exit_2(tmp_path: Path) -> None:
    result = stationmaster("db", "upgrade", env={"STATIONMASTER_PORT": "abc"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "bad setting" in result.stderr


def test_db_upgrade_on_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    result = stationmaster("db", "upgrade", env={"STATIONMASTER_DATABASE_URL": url}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "fresh.db").exists()


def test_console_refuses_a_real_workspace(tmp_path: Path) -> None:
    result = stationmaster("console", env={"SLACK_BOT_TOKEN": "xoxb-real"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "unset SLACK_BOT_TOKEN" in result.stderr
