"""Role lookups: the config's role lists, with user-group handles resolved through Slack."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.roles import Role, RoleMembers, roles_of
from bot.slack.directory import UserGroupDirectory


class RoleResolver:
    def __init__(self, *, members: Mapping[Role, RoleMembers], directory: UserGroupDirectory):
        self._members = dict(members)
        self._directory = directory
        self._handles = frozenset(h for m in self._members.values() for h in m.handles)

    async def roles_of(self, user_id: str) -> frozenset[Role]:
        groups = await self._directory.members(handles=self._handles)
        return roles_of(user_id=user_id, members=self._members, group_members=groups)

    async def mention(self, role: Role) -> str:
        """Slack mentions of the role's members: its user groups, then its listed users."""
        members = self._members.get(role)
        if members is None:
            return ""
        parts = []
        for handle in sorted(members.handles):
            group = await self._directory.group_id(handle=handle)
            parts.append(f"<!subteam^{group}|@{handle}>" if group else f"@{handle}")
        parts += [f"<@{user}>" for user in sorted(members.user_ids)]
        return " ".join(parts)
