from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.settings import DEFAULT_DATABASE_URL, Settings, load_settings, normalise_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_plain_urls_are_normalised(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected


def test_defaults_are_local_mode_on_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "STATIONMASTER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.local_mode
    assert not settings.socket_mode
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.port == 3000
    assert settings.slack_api_url == "https://slack.com/api/"


def test_environment_and_secrets_directory(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "SLACK_BOT_TOKEN").write_text("xoxb-from-file")
    (tmp_path / "SLACK_SIGNING_SECRET").write_text("signing-from-file")
    monkeypatch.setenv("STATIONMASTER_SECRETS_DIR", str(tmp_path))
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("STATIONMASTER_PORT", "4000")
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    settings = load_settings()
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-file"
    assert settings.slack_signing_secret is not None
    assert settings.slack_signing_secret.get_secret_value() == "signing-from-file"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.port == 4000
    assert not settings.local_mode
    assert "xoxb-from-file" not in repr(settings)
    assert "signing-from-file" not in str(settings)


def test_environment_wins_over_the_secrets_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "SLACK_BOT_TOKEN").write_text("xoxb-from-file")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-from-env")
    settings = load_settings(secrets_dir=tmp_path)
    assert settings.slack_bot_token is not None
    assert settings.slack_bot_token.get_secret_value() == "xoxb-from-env"


def test_overrides_and_app_token() -> None:
    settings = Settings(slack_app_token="xapp-1", port=0)
    assert settings.socket_mode
    assert settings.port == 0


SECRET_VARIABLES = {
    "SLACK_BOT_TOKEN": "xoxb-bot",
    "SLACK_SIGNING_SECRET": "signing-secret",
    "SLACK_APP_TOKEN": "xapp-app",
    "STATIONMASTER_CI_SECRET": "ci-shared-secret",
    "STATIONMASTER_GITHUB_TOKEN": "ghp-github-token",
    "STATIONMASTER_DEPLOY_WEBHOOK_SECRET": "deploy-hook-secret",
}


def clear_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*SECRET_VARIABLES, "GITHUB_TOKEN", "STATIONMASTER_SECRETS_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_secrets_lists_every_secret_that_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_secrets(monkeypatch)
    for name, value in SECRET_VARIABLES.items():
        monkeypatch.setenv(name, value)

    settings = load_settings()

    assert sorted(settings.secrets) == sorted(SECRET_VARIABLES.values())
    for value in SECRET_VARIABLES.values():
        assert value not in repr(settings)


@pytest.mark.parametrize(
    "name",
    [
        "STATIONMASTER_CI_SECRET",
        "STATIONMASTER_GITHUB_TOKEN",
        "STATIONMASTER_DEPLOY_WEBHOOK_SECRET",
    ],
)
def test_secrets_lists_each_stationmaster_secret_alone(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    clear_secrets(monkeypatch)
    monkeypatch.setenv(name, "only-this-one")
    assert load_settings().secrets == ["only-this-one"]


def test_secrets_is_empty_when_none_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_secrets(monkeypatch)
    assert load_settings().secrets == []


def test_the_github_token_also_reads_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    clear_secrets(monkeypatch)
    monkeypatch.setenv("GITHUB_TOKEN", "ghs-actions-token")
    settings = load_settings()
    assert settings.github_token is not None
    assert settings.github_token.get_secret_value() == "ghs-actions-token"
    assert settings.secrets == ["ghs-actions-token"]


def test_ci_max_bytes_defaults_to_20_mib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STATIONMASTER_CI_MAX_BYTES", raising=False)
    assert load_settings().ci_max_bytes == 20 * 1024 * 1024 == 20_971_520


def test_ci_max_bytes_reads_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATIONMASTER_CI_MAX_BYTES", "1048576")
    assert load_settings().ci_max_bytes == 1_048_576


def test_ci_max_bytes_below_one_kib_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATIONMASTER_CI_MAX_BYTES", "1023")
    with pytest.raises(ValidationError, match="STATIONMASTER_CI_MAX_BYTES"):
        load_settings()


def test_deploy_settings_default_to_no_secret_64_kib_no_kubeconfig_no_fleet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clear_secrets(monkeypatch)
    for name in ("DEPLOY_MAX_BYTES", "KUBECONFIG", "SIM_URL"):
        monkeypatch.delenv(f"STATIONMASTER_{name}", raising=False)
    settings = load_settings()
    assert settings.deploy_webhook_secret is None
    assert settings.deploy_max_bytes == 64 * 1024
    assert settings.kubeconfig is None
    assert settings.sim_url is None


def test_deploy_settings_read_their_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    clear_secrets(monkeypatch)
    monkeypatch.setenv("STATIONMASTER_DEPLOY_WEBHOOK_SECRET", "hook-s3cret")
    monkeypatch.setenv("STATIONMASTER_DEPLOY_MAX_BYTES", "2048")
    monkeypatch.setenv("STATIONMASTER_KUBECONFIG", str(tmp_path / "kubeconfig"))
    monkeypatch.setenv("STATIONMASTER_SIM_URL", "http://127.0.0.1:8181")
    settings = load_settings()
    assert settings.sim_url == "http://127.0.0.1:8181"
    assert settings.deploy_webhook_secret is not None
    assert settings.deploy_webhook_secret.get_secret_value() == "hook-s3cret"
    assert "hook-s3cret" not in repr(settings)
    assert settings.deploy_max_bytes == 2048
    assert settings.kubeconfig == tmp_path / "kubeconfig"


def test_deploy_max_bytes_below_one_kib_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STATIONMASTER_DEPLOY_MAX_BYTES", "10")
    with pytest.raises(ValidationError, match="STATIONMASTER_DEPLOY_MAX_BYTES"):
        load_settings()
