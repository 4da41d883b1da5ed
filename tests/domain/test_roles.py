from __future__ import annotations

from bot.domain.roles import Role, RoleMembers, roles_of

MEMBERS = {
    Role.RELEASE_MANAGER: RoleMembers(user_ids=frozenset({"U1"}), handles=frozenset({"rm"})),
    Role.QA: RoleMembers(handles=frozenset({"qa-team"})),
    Role.ONCALL: RoleMembers(user_ids=frozenset({"U9"})),
}


def test_direct_user_ids_grant_roles() -> None:
    assert roles_of(user_id="U1", members=MEMBERS, group_members={}) == {Role.RELEASE_MANAGER}
    assert roles_of(user_id="U9", members=MEMBERS, group_members={}) == {Role.ONCALL}


def test_group_handles_grant_roles() -> None:
    groups = {"qa-team": frozenset({"U2", "U1"}), "rm": frozenset({"U3"})}
    assert roles_of(user_id="U2", members=MEMBERS, group_members=groups) == {Role.QA}
    assert roles_of(user_id="U1", members=MEMBERS, group_members=groups) == {
        Role.RELEASE_MANAGER,
        Role.QA,
    }
    assert roles_of(user_id="U3", members=MEMBERS, group_members=groups) == {Role.RELEASE_MANAGER}


def test_unknown_handle_and_stranger_hold_nothing() -> None:
    assert roles_of(user_id="U2", members=MEMBERS, group_members={}) == frozenset()
    assert roles_of(user_id="U404", members=MEMBERS, group_members={}) == frozenset()


def test_labels_are_readable() -> None:
    assert Role.QA.label == "QA"
    assert Role.RELEASE_MANAGER.label == "release manager"
    assert Role.ONCALL.value == "oncall"
