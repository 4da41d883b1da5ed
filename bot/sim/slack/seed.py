"""The default workspace a newcomer sees: a release manager, QA, on-call and their channels."""

from __future__ import annotations

from bot.sim.slack.config import SimConfig
from bot.sim.slack.models import SimChannel, SimUser, SimUserGroup
from bot.sim.slack.state import Workspace

DEFAULT_USERS = (
    SimUser(id="U0ALICE", name="alice", real_name="Alice Archer", tz="Europe/Berlin"),
    SimUser(id="U0BOB", name="bob", real_name="Bob Brooks", tz="America/New_York"),
    SimUser(id="U0CAROL", name="carol", real_name="Carol Chen", tz="Asia/Singapore"),
    SimUser(id="U0DAVE", name="dave", real_name="Dave Diaz", tz="America/Los_Angeles"),
    SimUser(id="U0ERIN", name="erin", real_name="Erin Evans", tz="Europe/London"),
)
DEFAULT_GROUPS = (
    ("S0RELMGR", "release-managers", "Release managers", ("U0ALICE",)),
    ("S0QATEAM", "qa-team", "QA team", ("U0BOB", "U0CAROL")),
    ("S0ONCALL", "oncall", "On call", ("U0DAVE",)),
)
DEFAULT_CHANNELS = (
    ("C0RELEASES", "releases"),
    ("C0QA", "qa"),
    ("C0ONCALL", "oncall"),
    ("C0ANNOUNCE", "announcements"),
)


def seed_default_workspace(workspace: Workspace, *, config: SimConfig) -> None:
    """alice (release manager), bob and carol (QA), dave (on call), erin (developer); the groups
    @release-managers, @qa-team, @oncall; channels #releases, #qa, #oncall and #announcements
    with everyone and the bot in them."""
    workspace.add_user(
        SimUser(id=config.bot_user_id, name=config.bot_name, real_name="Stationmaster", is_bot=True)
    )
    for user in DEFAULT_USERS:
        workspace.add_user(
            SimUser(
                id=user.id,
                name=user.name,
                real_name=user.real_name,
                tz=user.tz,
                email=f"{user.name}@example.com",
            )
        )
    for group_id, handle, name, members in DEFAULT_GROUPS:
        workspace.add_usergroup(
            SimUserGroup(id=group_id, handle=handle, name=name, users=[*members])
        )
    everyone = {user.id for user in DEFAULT_USERS}
    for channel_id, name in DEFAULT_CHANNELS:
        workspace.add_channel(SimChannel(id=channel_id, name=name, members=set(everyone)))
