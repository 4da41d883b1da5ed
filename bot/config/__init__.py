"""The config file, ``stationmaster.yml``: models, and a loader that reports problems by line.

Problems raise :class:`ConfigErrors`, a :class:`bot.errors.ConfigError` whose ``str()`` is the
first problem (``line 12: trains.web.timezone: unknown time zone 'Mars/Olympus'``) and whose
``errors`` holds all of them. A file that cannot be read raises :class:`bot.errors.UsageError`.
"""

from __future__ import annotations

from bot.config.errors import ConfigErrors
from bot.config.loader import load_config, parse_config
from bot.config.models import (
    AppConfig,
    RepoConfig,
    RolesConfig,
    ServiceConfig,
    SlackConfig,
    TrainConfig,
)

__all__ = [
    "AppConfig",
    "ConfigErrors",
    "RepoConfig",
    "RolesConfig",
    "ServiceConfig",
    "SlackConfig",
    "TrainConfig",
    "load_config",
    "parse_config",
]
