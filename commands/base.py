"""What a /release subcommand is: a parser plus a call into a service, returning a Reply."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Protocol

from bot.domain.roles import Role
from bot.errors import UsageError

if TYPE_CHECKING:
    from slack_sdk.models.blocks import Block

    from bot.services.gates import GateService
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


class Command(ABC):
    """One /release subcommand. Subclasses set the class attributes and implement ``run``."""

    name: ClassVar[str]
    args_usage: ClassVar[str] = ""
    summary: ClassVar[str]
    required_role: ClassVar[Role | None] = None
    #: True when ``run`` is pure and fast, so its reply can ride on the ack itself.
    inline: ClassVar[bool] = False

    def role_for(self, args: Sequence[str]) -> tuple[Role, str] | None:
        """The role these ``args`` need and how the refusal names the command; a command whose
        subactions differ (``gates`` vs ``gates override``) overrides this."""
        if self.required_role is None:
            return None
        return self.required_role, self.name

    @property
    def usage(self) -> str:
        return f"/release {self.name} {self.args_usage}".rstrip()

    def usage_error(self, message: str) -> UsageError:
        return UsageError(message, usage=self.usage)

    @abstractmethod
    async def run(self, *, ctx: CommandContext, args: Sequence[str]) -> Reply:
        """Do the work and say what happened."""
