from __future__ import annotations

from pathlib import Path

import pytest

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
