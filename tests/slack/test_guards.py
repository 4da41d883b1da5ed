"""``require_role`` as listener middleware, called directly with a stub ``next``: members of
any allowed role get through; anyone else is told, ephemerally, which roles would do."""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.roles import Role, RoleMembers
from bot.slack.directory import UserGroupDirectory
from bot.slack.guards import require_role
from bot.slack.roles import RoleResolver

ROLES = RoleResolver(
    members={
        Role.RELEASE_MANAGER: RoleMembers(user_ids=frozenset({"U0RM"})),
        Role.QA: RoleMembers(user_ids=frozenset({"U0QA"})),
        Role.ONCALL: RoleMembers(user_ids=frozenset({"U0ONCALL"})),
    },
    # no user-group handles are configured, so the directory never calls Slack
    directory=UserGroupDirectory(client=AsyncWebClient(token="xoxb-unused")),
)


class Click:
    """What the guard may do to a click: ack it, answer it, or pass it on."""

    def __init__(self) -> None:
        self.acked = 0
        self.said: list[dict[str, Any]] = []
        self.passed = False

    async def ack(self, **_: Any) -> None:
        self.acked += 1

    async def respond(self, **kwargs: Any) -> None:
        self.said.append(kwargs)

    async def next(self) -> None:
        self.passed = True


async def click(user: str, *allowed: Role, action: str = "roll back releases") -> Click:
    guard = require_role(ROLES, *allowed, action=action)
    seen = Click()
    await guard(ack=seen.ack, body={"user": {"id": user}}, respond=seen.respond, next=seen.next)
    return seen


@pytest.mark.parametrize("user", ["U0RM", "U0ONCALL"])
async def test_any_allowed_role_gets_through(user: str) -> None:
    seen = await click(user, Role.RELEASE_MANAGER, Role.ONCALL)
    assert seen.passed
    assert seen.acked == 0
    assert seen.said == []


async def test_anyone_else_is_told_every_role_that_would_do() -> None:
    seen = await click("U0QA", Role.RELEASE_MANAGER, Role.ONCALL)
    assert not seen.passed
    assert seen.acked == 1
    assert seen.said == [
        {
            "text": "Only release manager or on-call members can roll back releases; "
            "you are not in the `release_managers` or `oncall` role.",
            "response_type": "ephemeral",
            "replace_original": False,
        }
    ]


async def test_one_role_reads_as_before() -> None:
    seen = await click("U0ONCALL", Role.QA, action="sign off releases")
    assert not seen.passed
    assert seen.said[0]["text"] == (
        "Only QA members can sign off releases; you are not in the `qa` role."
    )
    assert (await click("U0QA", Role.QA, action="sign off releases")).passed


def test_a_guard_needs_a_role() -> None:
    with pytest.raises(ValueError, match="at least one role"):
        require_role(ROLES, action="do anything")
