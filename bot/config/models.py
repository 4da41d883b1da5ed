"""The shape of ``stationmaster.yml``: frozen pydantic models, one per section.

Every model refuses unknown keys and reads an empty section (``slack:`` with nothing under it)
as all defaults. A new section is a new :class:`Section` subclass and one field on
:class:`AppConfig`; the loader needs no change to report its errors with lines.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import (
    BeforeValidator,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from bot.config.alerts import AlertsConfig
from bot.config.base import CONFIG_DIR, Section, empty_mapping
from bot.config.deploy import DeployConfig, PrometheusConfig, SimDeploy, StrategyConfig
from bot.config.fields import (
    Channel,
    Cron,
    Duration,
    GitBranch,
    GitHubRepo,
    HttpUrl,
    RepoPath,
    RoleList,
    ServicePath,
    Slug,
    TimeZone,
    Versioning,
    is_user_id,
    none_as_empty,
    text_value,
)
from bot.config.gates import GatePolicyConfig, policy_of
from bot.config.notes import NotesConfig
from bot.domain.calendar import TrainSchedule
from bot.domain.cron import CronSpec
from bot.domain.gates import GatePolicy
from bot.domain.roles import Role, RoleMembers
from bot.domain.versioning import Scheme

__all__ = [
    "CONFIG_DIR",
    "DEFAULT_REMINDERS",
    "AppConfig",
    "RepoConfig",
    "RolesConfig",
    "Section",
    "ServiceConfig",
    "SignoffConfig",
    "SlackConfig",
    "TrainConfig",
]

DEFAULT_REMINDERS = (timedelta(hours=1), timedelta(minutes=15))
MILESTONES = ("cut", "freeze", "signoff_deadline", "release")


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


class ServiceConfig(Section):
    """A deployable service: its paths in the repository, its deploy target (the sim by
    default) and its rollout strategy (a canary by default); see :mod:`bot.config.deploy`."""

    paths: Annotated[tuple[ServicePath, ...], BeforeValidator(none_as_empty)] = ()
    deploy: DeployConfig = Field(default_factory=SimDeploy)
    strategy: StrategyConfig = Field(default_factory=StrategyConfig)


class RepoConfig(Section):
    """Where a train's cuts take their commit: a local clone or a GitHub repository.

    Without ``path`` or ``github`` (the default) the train has no repository, and a cut records
    no commit. ``path`` is read relative to the config file's directory, when the loader knows
    it. ``github: owner/name`` reads the branch through the GitHub API (with
    ``STATIONMASTER_GITHUB_TOKEN``), and lets gate verdicts show as commit statuses.
    """

    path: RepoPath | None = None
    github: GitHubRepo | None = None
    branch: GitBranch = "main"

    @field_validator("path")
    @classmethod
    def _from_the_config_dir(cls, path: Path | None, info: ValidationInfo) -> Path | None:
        base = (info.context or {}).get(CONFIG_DIR)
        if path is None or base is None or path.is_absolute():
            return path
        return Path(base) / path

    @model_validator(mode="after")
    def _one_source(self) -> RepoConfig:
        if self.path is not None and self.github is not None:
            raise ValueError(
                "a repository is either a local clone (path) or a GitHub repository (github), "
                "not both"
            )
        if "branch" in self.model_fields_set and not {"path", "github"} & self.model_fields_set:
            raise ValueError(
                'a repository needs its path (a local clone, such as path: ".") or its '
                "GitHub name (github: owner/name)"
            )
        return self


MAX_CHECKLIST = 10
"""Slack shows at most 10 checkboxes in one group."""
MAX_ITEM = 75
"""Slack's limit for a checkbox's text."""


def _item(value: object) -> str:
    text = text_value(value, what='a checklist item such as "Checkout on iOS"')
    if not text:
        raise ValueError("a checklist item cannot be empty")
    if len(text) > MAX_ITEM:
        raise ValueError(f"a checklist item has at most {MAX_ITEM} characters (Slack's limit)")
    return text


class SignoffConfig(Section):
    """How QA sign off a release: a quorum of approvals, four-eyes, a shared checklist, and
    optionally a channel of its own for the request (the thread then links to it)."""

    required: Annotated[int, Field(ge=1, le=20)] = 1
    four_eyes: bool = True
    checklist: Annotated[
        tuple[Annotated[str, PlainValidator(_item)], ...],
        BeforeValidator(none_as_empty),
        Field(max_length=MAX_CHECKLIST),
    ] = ()
    channel: Channel | None = None

    @field_validator("checklist")
    @classmethod
    def _distinct(cls, items: tuple[str, ...]) -> tuple[str, ...]:
        seen = [item for n, item in enumerate(items) if item in items[:n]]
        if seen:
            raise ValueError(f"the checklist names {seen[0]!r} twice")
        return items


class TrainConfig(Section):
    """A release train: channel, services, repository, calendar (crons in its time zone)."""

    channel: Channel
    services: Annotated[tuple[Slug, ...], BeforeValidator(none_as_empty)] = ()
    repo: RepoConfig = Field(default_factory=RepoConfig)
    timezone: TimeZone = ZoneInfo("UTC")
    versioning: Versioning = Scheme.CALVER
    cut: Cron | None = None
    freeze: Cron | None = None
    signoff_deadline: Cron | None = None
    release: Cron | None = None
    reminders: Annotated[tuple[Duration, ...], BeforeValidator(none_as_empty)] = DEFAULT_REMINDERS
    misfire_grace: Duration = timedelta(hours=1)
    monitoring_window: Duration = timedelta(hours=1)
    gate_policy: Slug = "default"
    hotfix_gate_policy: Slug = "hotfix"
    announce_channel: Channel | None = None
    signoff: SignoffConfig = Field(default_factory=SignoffConfig)

    def milestones(self) -> dict[str, CronSpec]:
        """The configured milestones by name (``cut``, ``freeze``, ...), in calendar order."""
        found = {name: getattr(self, name) for name in MILESTONES}
        return {name: spec for name, spec in found.items() if spec is not None}

    def schedule(self) -> TrainSchedule:
        """The train's calendar, for :mod:`bot.domain.calendar`."""
        return TrainSchedule(
            timezone=self.timezone,
            cut=self.cut,
            freeze=self.freeze,
            signoff_deadline=self.signoff_deadline,
            release=self.release,
            reminders=tuple(sorted(set(self.reminders), reverse=True)),
        )


class GitHubConfig(Section):
    """The GitHub API: github.com by default, or a GitHub Enterprise server's ``/api/v3``."""

    api_url: HttpUrl = "https://api.github.com"


class IntegrationsConfig(Section):
    """Where outside systems live. Their secrets come from the environment, never from here."""

    github: GitHubConfig = Field(default_factory=GitHubConfig)
    prometheus: PrometheusConfig | None = None


class AppConfig(Section):
    """The whole config file."""

    slack: SlackConfig = Field(default_factory=SlackConfig)
    roles: RolesConfig = Field(default_factory=RolesConfig)
    services: Annotated[dict[Slug, ServiceConfig], BeforeValidator(empty_mapping)] = Field(
        default_factory=dict
    )
    trains: Annotated[dict[Slug, TrainConfig], BeforeValidator(empty_mapping)] = Field(
        default_factory=dict
    )
    gate_policies: Annotated[dict[Slug, GatePolicyConfig], BeforeValidator(empty_mapping)] = Field(
        default_factory=dict
    )
    notes: NotesConfig = Field(default_factory=NotesConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    integrations: IntegrationsConfig = Field(default_factory=IntegrationsConfig)

    def gate_policy(self, name: str) -> GatePolicy | None:
        """The policy called ``name``: configured, else built in, else None."""
        return policy_of(self.gate_policies, name)
