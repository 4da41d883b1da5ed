from __future__ import annotations

import pytest

from bot.domain.roles import Role
from bot.errors import UnknownCommand, UsageError
from commands.base import CommandContext
from commands.help import Help
from commands.registry import all_commands
from commands.router import Router, split_words
from commands.whoami import WhoAmI


class FixedRoles:
    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    async def roles_of(self, user_id: str) -> frozenset[Role]:
        return self.roles


def ctx(roles: frozenset[Role] = frozenset()) -> CommandContext:
    return CommandContext(
        user_id="U1", channel_id="C1", roles=FixedRoles(roles), commands=all_commands()
    )


def test_empty_text_means_help() -> None:
    command, args = Router(all_commands()).resolve("   ")
    assert isinstance(command, Help)
    assert args == []


def test_resolve_is_case_insensitive_and_keeps_quoted_args() -> None:
    command, args = Router(all_commands()).resolve('HELP "who am i"')
    assert isinstance(command, Help)
    assert args == ["who am i"]


def test_smart_quotes_from_slack_clients_are_plain_quotes() -> None:
    assert split_words("cancel --reason \u201cflaky test\u201d") == [
        "cancel",
        "--reason",
        "flaky test",
    ]


def test_unbalanced_quote_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Could not read the arguments"):
        split_words('cut "web')


def test_unknown_subcommand_suggests_the_closest() -> None:
    with pytest.raises(UnknownCommand) as caught:
        Router(all_commands()).resolve("whomai")
    assert "`whomai` is not a /release subcommand" in caught.value.message
    assert "Did you mean `/release whoami`?" in caught.value.message
    assert caught.value.usage == "/release SUBCOMMAND [ARGS]"


def test_unknown_subcommand_without_a_close_match() -> None:
    with pytest.raises(UnknownCommand) as caught:
        Router(all_commands()).resolve("xyzzy")
    assert "Did you mean" not in caught.value.message
    assert "/release help" in caught.value.message


async def test_help_lists_every_subcommand_with_usage() -> None:
    reply = await Help().run(ctx=ctx(), args=[])
    for command in all_commands():
        assert command.usage in reply.text
        assert command.summary in reply.text
    assert reply.public is False


async def test_help_for_one_subcommand() -> None:
    reply = await Help().run(ctx=ctx(), args=["whoami"])
    assert reply.text.startswith("*`/release whoami`*")
    with pytest.raises(UnknownCommand):
        await Help().run(ctx=ctx(), args=["nope"])
    with pytest.raises(UsageError) as caught:
        await Help().run(ctx=ctx(), args=["a", "b"])
    assert caught.value.usage == "/release help [SUBCOMMAND]"


async def test_whoami_names_roles() -> None:
    reply = await WhoAmI().run(ctx=ctx(frozenset({Role.QA, Role.ONCALL})), args=[])
    assert "`U1`" in reply.text
    assert "QA (`qa`)" in reply.text
    assert "on-call (`oncall`)" in reply.text
    nobody = await WhoAmI().run(ctx=ctx(), args=[])
    assert "Roles: none" in nobody.text
    assert "roles:" in nobody.text
    with pytest.raises(UsageError):
        await WhoAmI().run(ctx=ctx(), args=["extra"])
