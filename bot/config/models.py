"""The shape of ``stationmaster.yml``: frozen pydantic models, one per section.

Every model refuses unknown keys and reads an empty section (``slack:`` with nothing under it)
as all defaults. A new section is a new :class:`Section` subclass and one field on
:class:`AppConfig`; the loader needs no change to report its errors with lines.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from bot.config.fields import (
    Channel,
    Cron,
    Duration,
    RoleList,
    Slug,
    TimeZone,
    is_user_id,
    none_as_empty,
)
from bot.domain.cron import CronSpec
from bot.domain.roles import Role, RoleMembers

__all__ = [
    "DEFAULT_REMINDERS",
    "AppConfig",
    "RolesConfig",
    "Section",
    "SlackConfig",
    "TrainConfig",
]

DEFAULT_REMINDERS = (timedelta(hours=1), timedelta(minutes=15))
MILESTONES = ("cut", "freeze", "signoff_deadline", "release")


def _empty_mapping(value: Any) -> Any:
    return {} if value is None else value


class Section(BaseModel):
    """Base of every config model: frozen, no unknown keys, ``None`` means all defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _empty_is_default(cls, data: Any) -> Any:
        return _empty_mapping(data)


class SlackConfig(Section):
    """Where the bot talks when nothing more specific is configured."""

    default_channel: Channel = "#releases"


class RolesConfig(Section):
    """Who holds each role: Slack user IDs and/or user-group handles such as ``@qa-team``."""

    release_managers: RoleList = ()
    qa: RoleList = ()
    oncall: RoleList = ()

    def members(self, *, role: Role) -> RoleMembers:
        """One role's entries split into user IDs and group handles (without the ``@``)."""
        entries: tuple[str, ...] = getattr(self, Role(role).value)
        return RoleMembers(
            user_ids=frozenset(e for e in entries if is_user_id(e)),
            handles=frozenset(e.removeprefix("@") for e in entries if not is_user_id(e)),
        )

    def by_role(self) -> dict[Role, RoleMembers]:
        """Every role's members, for the role resolver."""
        return {role: self.members(role=role) for role in Role}


class TrainConfig(Section):
    """A release train: its channel, calendar (crons in its time zone) and reminders."""

    channel: Channel
    timezone: TimeZone = ZoneInfo("UTC")
    cut: Cron | None = None
    freeze: Cron | None = None
    signoff_deadline: Cron | None = None
    release: Cron | None = None
    reminders: Annotated[tuple[Duration, ...], BeforeValidator(none_as_empty)] = DEFAULT_REMINDERS
    misfire_grace: Duration = timedelta(hours=1)

    def milestones(self) -> dict[str, CronSpec]:
        """The configured milestones by name (``cut``, ``freeze``, ...), in calendar order."""
        found = {name: getattr(self, name) for name in MILESTONES}
        return {name: spec for name, spec in found.items() if spec is not None}


class AppConfig(Section):
    """The whole config file. Later sections (services, gate policies, ...) slot in here."""

    slack: SlackConfig = Field(default_factory=SlackConfig)
    roles: RolesConfig = Field(default_factory=RolesConfig)
    trains: Annotated[dict[Slug, TrainConfig], BeforeValidator(_empty_mapping)] = Field(
        default_factory=dict
    )
