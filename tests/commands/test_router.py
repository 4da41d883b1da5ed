from __future__ import annotations

import pytest

from bot.domain.roles import Role
from bot.errors import NotAllowed, UnknownCommand, UsageError
from commands.base import CommandContext
from commands.deploy import Deploy, Rollback
from commands.gates import Gates
from commands.help import Help
from commands.registry import all_commands
from commands.router import Router, names, split_words
from commands.signoff import Signoff
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


async def test_a_command_for_several_roles_lets_any_of_them_run_it() -> None:
    for held in (Role.ONCALL, Role.RELEASE_MANAGER):
        allowed = await Rollback().authorize(ctx=ctx(frozenset({held})), args=["web/2024.05.1"])
        assert allowed is None  # no NotAllowed raised


async def test_on_call_cannot_run_a_release_manager_command() -> None:
    with pytest.raises(NotAllowed) as caught:
        await Deploy().authorize(ctx=ctx(frozenset({Role.ONCALL})), args=["web/2024.05.1"])
    assert caught.value.message == (
        "Only release manager members can use `/release deploy`; "
        "you are not in the `release_managers` role."
    )


async def test_qa_cannot_roll_back_and_is_told_every_role_that_could() -> None:
    with pytest.raises(NotAllowed) as caught:
        await Rollback().authorize(ctx=ctx(frozenset({Role.QA})), args=["web/2024.05.1"])
    assert caught.value.message == (
        "Only release manager or on-call members can use `/release rollback`; "
        "you are not in the `release_managers` or `oncall` role."
    )


async def test_commands_whose_subactions_need_a_role_still_check_it() -> None:
    await Gates().authorize(ctx=ctx(), args=["web/2024.05.1"])
    with pytest.raises(NotAllowed, match="use `/release gates override`"):
        await Gates().authorize(ctx=ctx(frozenset({Role.QA})), args=["override", "v", "tests"])
    await Signoff().authorize(ctx=ctx(frozenset({Role.QA})), args=["v", "withdraw"])


async def test_help_names_every_role_a_command_accepts() -> None:
    reply = await Help().run(ctx=ctx(), args=["rollback"])
    assert "Needs the release manager or on-call role." in reply.text
    deploy = await Help().run(ctx=ctx(), args=["deploy"])
    assert "Needs the release manager role." in deploy.text


def test_the_deploy_commands_follow_approve_in_help_order() -> None:
    order = names(all_commands())
    start = order.index("approve")
    assert order[start : start + 6] == [
        "approve", "deploy", "promote", "pause", "resume", "rollback"
    ]  # fmt: skip
