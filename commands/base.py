"""What a /release subcommand is: a parser plus a call into a service, returning a Reply."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

from bot import messages
from bot.domain.roles import Role
from bot.errors import NotAllowed, UsageError

if TYPE_CHECKING:
    from slack_sdk.models.blocks import Block

    from bot.services.alerts import AlertService
    from bot.services.deploys import DeployService
    from bot.services.gates import GateService
    from bot.services.incidents import IncidentService
    from bot.services.notes import NotesService
    from bot.services.releases import ReleaseService
    from bot.services.signoff import SignoffService
    from bot.services.trains import TrainService


@dataclass(frozen=True)
class Reply:
    """What a command shows: ephemeral to the caller unless ``public``."""

    text: str
    blocks: Sequence[Block] | None = None
    public: bool = False


class RoleLookup(Protocol):
    async def roles_of(self, user_id: str) -> frozenset[Role]: ...


class PeopleLookup(Protocol):
    async def timezone_of(self, user_id: str) -> str:
        """The user's IANA time zone name as Slack knows it (UTC when unknown)."""
        ...


@dataclass(frozen=True)
class Services:
    """The use cases commands call."""

    releases: ReleaseService
    trains: TrainService
    people: PeopleLookup
    gates: GateService
    notes: NotesService
    signoff: SignoffService
    deploys: DeployService
    alerts: AlertService
    incidents: IncidentService


@dataclass(frozen=True)
class CommandContext:
    """Who asked, where, and the services a command may call."""

    user_id: str
    channel_id: str
    roles: RoleLookup
    commands: Sequence[Command] = field(default_factory=tuple)
    services: Services | None = None

    @property
    def use(self) -> Services:
        """The services; a command that needs them is never built without them."""
        assert self.services is not None, "commands that call services need CommandContext.services"
        return self.services


Roles = Role | tuple[Role, ...]
"""The role a command needs, or several roles any one of which will do."""


def any_of(needed: Roles) -> tuple[Role, ...]:
    """The roles that may run a command, as a tuple even when there is one."""
    return needed if isinstance(needed, tuple) else (needed,)


class Command(ABC):
    """One /release subcommand. Subclasses set the class attributes and implement ``run``."""

    name: ClassVar[str]
    args_usage: ClassVar[str] = ""
    summary: ClassVar[str]
    required_role: ClassVar[Roles | None] = None
    #: True when ``run`` is pure and fast, so its reply can ride on the ack itself.
    inline: ClassVar[bool] = False

    def role_for(self, args: Sequence[str]) -> tuple[Roles, str] | None:
        """The role these ``args`` need and how the refusal names the command; a command whose
        subactions differ (``gates`` vs ``gates override``) overrides this."""
        if self.required_role is None:
            return None
        return self.required_role, self.name

    async def authorize(self, *, ctx: CommandContext, args: Sequence[str]) -> None:
        """Raise NotAllowed, naming the roles that would do, unless the caller holds one."""
        needed = self.role_for(args)
        if needed is None:
            return
        allowed, name = any_of(needed[0]), needed[1]
        if not set(allowed) & await ctx.roles.roles_of(ctx.user_id):
            raise NotAllowed(
                messages.MISSING_ROLE.format(command=name, **messages.any_role(allowed))
            )

    @property
    def usage(self) -> str:
        return f"/release {self.name} {self.args_usage}".rstrip()

    def usage_error(self, message: str) -> UsageError:
        return UsageError(message, usage=self.usage)

    @abstractmethod
    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        """Do the work and say what happened."""
