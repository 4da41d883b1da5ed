"""Who is in the simulated workspace, what roles the config gives them, and the channels."""

from __future__ import annotations

from bot.config import AppConfig
from bot.console import text
from bot.console.mrkdwn import Names
from bot.domain.roles import Role, roles_of
from bot.sim.slack import SimChannel, SimUser, SlackSimulator


def names_of(sim: SlackSimulator) -> Names:
    workspace = sim.workspace
    return Names(
        users={u.id: u.name for u in workspace.users.values()},
        channels={c.id: c.name for c in workspace.channels.values()},
        groups={g.id: g.handle for g in workspace.usergroups.values()},
    )


def people(sim: SlackSimulator) -> list[SimUser]:
    """The people one can act as: not bots, not deactivated."""
    return [u for u in sim.workspace.users.values() if not u.is_bot and not u.deleted]


def channels(sim: SlackSimulator) -> list[SimChannel]:
    return [c for c in sim.workspace.channels.values() if not c.is_im and not c.is_mpim]


def roles_for(sim: SlackSimulator, *, config: AppConfig, user_id: str) -> frozenset[Role]:
    """The roles ``config`` gives ``user_id``, with the simulator's user groups resolved."""
    groups = {g.handle: frozenset(g.users) for g in sim.workspace.usergroups.values()}
    return roles_of(user_id=user_id, members=config.roles.by_role(), group_members=groups)


def role_words(roles: frozenset[Role]) -> str:
    return ", ".join(sorted(role.label for role in roles)) or text.NO_ROLE


def user_names(sim: SlackSimulator) -> str:
    return ", ".join(u.name for u in people(sim))


def channel_names(sim: SlackSimulator) -> str:
    return ", ".join(f"#{c.name}" for c in channels(sim))


def user_table(sim: SlackSimulator, *, config: AppConfig, config_name: str) -> str:
    """One line per person: name, real name and roles; then where roles come from."""
    everyone = people(sim)
    name_width = max((len(u.name) for u in everyone), default=0)
    real_width = max((len(u.real_name) for u in everyone), default=0)
    held = {u.id: roles_for(sim, config=config, user_id=u.id) for u in everyone}
    lines = [text.PEOPLE_HEADER]
    for user in everyone:
        row = f"  {user.name.ljust(name_width)}  {user.real_name.ljust(real_width)}"
        lines.append(f"{row}  {role_words(held[user.id])}".rstrip())
    if any(held.values()):
        lines.append(text.ROLES_FROM.format(config=config_name))
    else:
        lines.append(text.NO_ROLES_CONFIGURED.format(config=config_name))
    return "\n".join(lines)


def channel_table(sim: SlackSimulator) -> str:
    lines = [text.CHANNELS_HEADER]
    for channel in channels(sim):
        lines.append(f"  #{channel.name}")
    return "\n".join(lines)


def add_config_channels(sim: SlackSimulator, *, config: AppConfig) -> list[str]:
    """Create the ``#channels`` the config names that the simulator lacks; their names."""
    named: list[str] = []

    def walk(value: object, key: str = "") -> None:
        if isinstance(value, dict):
            for child_key, child in value.items():
                walk(child, str(child_key))
        elif isinstance(value, list | tuple):
            for child in value:
                walk(child, key)
        elif isinstance(value, str) and key.endswith("channel") and value.startswith("#"):
            named.append(value)

    walk(config.model_dump())
    added: list[str] = []
    for name in dict.fromkeys(named):
        if sim.workspace.find_channel(name) is None:
            added.append(sim.add_channel(name).name)
    return added
