"""Process settings from the environment and an optional secrets directory.

Secrets are ``SecretStr``: their ``repr`` and ``str`` are masked, so they never reach a log line.
Slack's settings keep Slack's own variable names; ours are ``STATIONMASTER_*``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./stationmaster.db"


def normalise_database_url(url: str) -> str:
    """Map plain SQLAlchemy URLs onto their async drivers.

    >>> normalise_database_url("postgresql://u@h/db")
    'postgresql+asyncpg://u@h/db'
    """
    for plain, asynchronous in (
        ("sqlite://", "sqlite+aiosqlite://"),
        ("postgresql://", "postgresql+asyncpg://"),
        ("postgres://", "postgresql+asyncpg://"),
    ):
        if url.startswith(plain):
            return asynchronous + url[len(plain) :]
    return url


class Settings(BaseSettings):
    """Everything the process reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="",
        case_sensitive=False,
        extra="ignore",
        populate_by_name=True,
    )

    slack_bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_BOT_TOKEN", "slack_bot_token")
    )
    slack_signing_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_SIGNING_SECRET", "slack_signing_secret")
    )
    slack_app_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SLACK_APP_TOKEN", "slack_app_token")
    )
    slack_api_url: str = Field(
        default=DEFAULT_SLACK_API_URL,
        validation_alias=AliasChoices("SLACK_API_URL", "slack_api_url"),
    )
    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("STATIONMASTER_DATABASE_URL", "database_url"),
    )
    port: int = Field(
        default=3000, ge=0, le=65535, validation_alias=AliasChoices("STATIONMASTER_PORT", "port")
    )
    host: str = Field(
        default="0.0.0.0",  # noqa: S104 - a server listens on all interfaces by default
        validation_alias=AliasChoices("STATIONMASTER_HOST", "host"),
    )
    config_path: Path | None = Field(
        default=None, validation_alias=AliasChoices("STATIONMASTER_CONFIG", "config_path")
    )
    log_format: str = Field(
        default="auto", validation_alias=AliasChoices("STATIONMASTER_LOG_FORMAT", "log_format")
    )
    log_level: str = Field(
        default="info", validation_alias=AliasChoices("STATIONMASTER_LOG_LEVEL", "log_level")
    )

    ci_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("STATIONMASTER_CI_SECRET", "ci_secret")
    )
    ci_max_bytes: int = Field(
        default=20 * 1024 * 1024,
        ge=1024,
        validation_alias=AliasChoices("STATIONMASTER_CI_MAX_BYTES", "ci_max_bytes"),
    )
    github_token: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("STATIONMASTER_GITHUB_TOKEN", "GITHUB_TOKEN", "github_token"),
    )
    deploy_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "STATIONMASTER_DEPLOY_WEBHOOK_SECRET", "deploy_webhook_secret"
        ),
    )
    deploy_max_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        validation_alias=AliasChoices("STATIONMASTER_DEPLOY_MAX_BYTES", "deploy_max_bytes"),
    )
    alerts_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("STATIONMASTER_ALERTS_TOKEN", "alerts_token")
    )
    """The bearer token alert webhooks must send; without it /hooks/alerts/* answer 503."""
    alerts_max_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        validation_alias=AliasChoices("STATIONMASTER_ALERTS_MAX_BYTES", "alerts_max_bytes"),
    )
    pagerduty_routing_key: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "STATIONMASTER_PAGERDUTY_ROUTING_KEY", "pagerduty_routing_key"
        ),
    )
    pagerduty_webhook_secret: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices(
            "STATIONMASTER_PAGERDUTY_WEBHOOK_SECRET", "pagerduty_webhook_secret"
        ),
    )
    """Signs PagerDuty's V3 webhooks (acknowledged, resolved) to /hooks/pagerduty."""
    kubeconfig: Path | None = Field(
        default=None, validation_alias=AliasChoices("STATIONMASTER_KUBECONFIG", "kubeconfig")
    )
    sim_url: str | None = Field(
        default=None, validation_alias=AliasChoices("STATIONMASTER_SIM_URL", "sim_url")
    )
    """A sim fleet already running (its base URL); without it the bot starts its own."""

    @property
    def secrets(self) -> list[str]:
        """Every secret value set, for the log redactor."""
        values = (
            self.slack_bot_token, self.slack_signing_secret, self.slack_app_token,
            self.ci_secret, self.github_token, self.deploy_webhook_secret, self.alerts_token,
            self.pagerduty_routing_key, self.pagerduty_webhook_secret,
        )  # fmt: skip
        return [v.get_secret_value() for v in values if v is not None]

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @property
    def local_mode(self) -> bool:
        """True when no Slack workspace is configured: the built-in simulator stands in."""
        return self.slack_bot_token is None

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None


def load_settings(*, secrets_dir: Path | None = None, **overrides: Any) -> Settings:
    """Read settings from the environment, then ``secrets_dir`` (one file per variable).

    ``STATIONMASTER_SECRETS_DIR`` names the directory when ``secrets_dir`` is not given.
    """
    directory = secrets_dir or (
        Path(os.environ["STATIONMASTER_SECRETS_DIR"])
        if os.environ.get("STATIONMASTER_SECRETS_DIR")
        else None
    )
    if directory is not None and directory.is_dir():
        return Settings(_secrets_dir=directory, **overrides)
    return Settings(**overrides)
