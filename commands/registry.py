"""The /release subcommands that exist, in the order ``help`` lists them."""

from __future__ import annotations

from commands.base import Command
from commands.cancel import Cancel
from commands.cut import Cut
from commands.deploy import Deploy, Pause, Promote, Resume, Rollback
from commands.freeze import Freeze
from commands.gates import Gates
from commands.help import Help
from commands.history import History
from commands.hotfix import Hotfix
from commands.incident import Incident
from commands.listing import ListReleases
from commands.notes import Notes
from commands.plan import Plan
from commands.signoff import Approve, Signoff
from commands.status import Status
from commands.train import Train
from commands.whoami import WhoAmI


def all_commands() -> list[Command]:
    return [
        Train(),
        Plan(),
        Cut(),
        Status(),
        ListReleases(),
        Cancel(),
        Gates(),
        Notes(),
        Signoff(),
        Approve(),
        Deploy(),
        Promote(),
        Pause(),
        Resume(),
        Rollback(),
        Hotfix(),
        Incident(),
        Freeze(),
        History(),
        WhoAmI(),
        Help(),
    ]
