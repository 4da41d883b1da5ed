"""Who may do what: roles and their members, decided without I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class SystemActor(StrEnum):
    """Who acts when no Slack user does; a person is recorded as their Slack user ID."""

    SYSTEM = "system"
    SCHEDULER = "scheduler"
    CI = "ci"
    ALERTS = "alerts"


class Role(StrEnum):
    RELEASE_MANAGER = "release_managers"
    QA = "qa"
    ONCALL = "oncall"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Role.RELEASE_MANAGER: "release manager",
    Role.QA: "QA",
    Role.ONCALL: "on-call",
}


@dataclass(frozen=True)
class RoleMembers:
    """A role's members as configured: Slack user IDs and user-group handles (without '@')."""

    user_ids: frozenset[str] = field(default_factory=frozenset)
    handles: frozenset[str] = field(default_factory=frozenset)


def roles_of(
    *,
    user_id: str,
    members: Mapping[Role, RoleMembers],
    group_members: Mapping[str, frozenset[str]],
) -> frozenset[Role]:
    """The roles ``user_id`` holds, directly or through a user group's handle.

    ``group_members`` maps each resolved handle to its user IDs; an unknown handle has no members.
    """
    held = set()
    for role, configured in members.items():
        if user_id in configured.user_ids or any(
            user_id in group_members.get(handle, frozenset()) for handle in configured.handles
        ):
            held.add(role)
    return frozenset(held)
