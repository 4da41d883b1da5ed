from __future__ import annotations

import hashlib
from collections.abc import Sequence
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.notes import (
    DEFAULT_HIDDEN_TYPES,
    Contributor,
    Entry,
    IssueRef,
    Person,
    PullRef,
    ReleaseNotes,
    SectionKind,
    SourceCommit,
    Text,
    build_notes,
    segments,
    with_known,
)

ADA = Person("Ada Lovelace", "ada@example.com", "ada")
BOB = Person("Bob", "bob@example.com")
CY = Person("Cy", "cy@example.com")
BOT = Person("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com")
K = SectionKind


def sha(name: str) -> str:
    """A fake, stable 40-hex sha for a commit named ``name``."""
    return hashlib.sha1(name.encode()).hexdigest()  # noqa: S324


def commit(
    name: str,
    message: str,
    *parents: str,
    author: Person = ADA,
    pulls: tuple[int, ...] = (),
) -> SourceCommit:
    return SourceCommit(
        sha=sha(name),
        message=message,
        author=author,
        parents=tuple(sha(p) for p in parents),
        pulls=pulls,
    )


def linear(*messages: str, author: Person = ADA) -> list[SourceCommit]:
    """A straight history ``c0 <- c1 <- …`` of ``messages``, oldest first."""
    return [
        commit(f"c{i}", message, *([f"c{i - 1}"] if i else []), author=author)
        for i, message in enumerate(messages)
    ]


def shown(notes: ReleaseNotes) -> dict[SectionKind, list[str]]:
    return {s.kind: [e.description for e in s.entries] for s in notes.sections}


def entries(notes: ReleaseNotes) -> list[Entry]:
    return [e for s in notes.sections for e in s.entries]


def only(notes: ReleaseNotes) -> Entry:
    (entry,) = entries(notes)
    return entry


# -- sections -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("feat: a", K.FEATURES),
        ("fix: a", K.FIXES),
        ("perf: a", K.PERFORMANCE),
        ("security: a", K.SECURITY),
        ("sec: a", K.SECURITY),
        ("docs: a", K.DOCUMENTATION),
        ("doc: a", K.DOCUMENTATION),
        ("refactor: a", K.OTHER),
        ("revert: a", K.OTHER),
        ("wibble: a", K.OTHER),
        ("Just a sentence", K.OTHER),
        ("Feat(UI): a", K.FEATURES),
    ],
)
def test_types_pick_sections(message: str, kind: SectionKind) -> None:
    notes = build_notes(linear(message))
    assert [s.kind for s in notes.sections] == [kind]
    assert notes.sections[0].title == kind.title
    assert notes.commits == 1
    assert notes.hidden == 0


def test_sections_come_in_display_order_and_entries_in_range_order() -> None:
    notes = build_notes(
        linear(
            "Something else",
            "docs: d1",
            "fix: f1",
            "feat: a1",
            "security: s1",
            "perf: p1",
            "feat!: b1",
            "feat: a2",
            "fix: f2",
        )
    )
    assert shown(notes) == {
        K.BREAKING: ["b1"],
        K.FEATURES: ["a1", "a2"],
        K.FIXES: ["f1", "f2"],
        K.PERFORMANCE: ["p1"],
        K.SECURITY: ["s1"],
        K.DOCUMENTATION: ["d1"],
        K.OTHER: ["Something else"],
    }
    assert list(SectionKind) == [s.kind for s in notes.sections]
    assert notes.entries == 9
    assert notes.commits == 9


def test_an_entry_carries_type_scope_and_sha() -> None:
    (c,) = linear("Fix(Checkout): round totals")
    entry = only(build_notes([c]))
    assert entry == Entry(
        sha=c.sha,
        description="round totals",
        type="fix",
        scope="Checkout",
        authors=(ADA,),
    )
    assert entry.short_sha == c.sha[:7]


def test_a_non_conventional_commit_goes_to_other_under_its_subject() -> None:
    entry = only(build_notes(linear("Update README.md\n\nsome body")))
    assert (entry.type, entry.description, entry.scope, entry.breaking) == (
        None,
        "Update README.md",
        None,
        None,
    )


# -- breaking changes -----------------------------------------------------------------------------
def test_bang_is_breaking_and_only_in_breaking() -> None:
    notes = build_notes(linear("feat(api)!: drop v1"))
    assert shown(notes) == {K.BREAKING: ["drop v1"]}
    entry = only(notes)
    assert (entry.type, entry.scope, entry.breaking) == ("feat", "api", "drop v1")


@pytest.mark.parametrize("token", ["BREAKING CHANGE", "BREAKING-CHANGE"])
def test_breaking_change_footers_break(token: str) -> None:
    entry = only(build_notes(linear(f"fix: x\n\nbody\n\n{token}: config moved")))
    assert entry.breaking == "config moved"
    assert entry.type == "fix"


def test_a_multi_line_breaking_footer_is_kept_whole() -> None:
    notes = build_notes(
        linear("feat: v2\n\nBREAKING CHANGE: /v1 is gone;\ncallers move to /v2.\nRefs: API-9")
    )
    entry = only(notes)
    assert entry.breaking == "/v1 is gone;\ncallers move to /v2."
    assert entry.issues == ("API-9",)


@pytest.mark.parametrize(
    "footer", ["breaking change: x", "breaking-change: x", "Breaking Change: x"]
)
def test_lower_case_breaking_footers_do_not_break(footer: str) -> None:
    notes = build_notes(linear(f"feat: a\n\n{footer}"))
    assert shown(notes) == {K.FEATURES: ["a"]}
    assert only(notes).breaking is None


@pytest.mark.parametrize("kind", sorted(DEFAULT_HIDDEN_TYPES))
def test_breaking_hidden_types_are_shown(kind: str) -> None:
    notes = build_notes(linear(f"{kind}!: drop node 16", f"{kind}: x\n\nBREAKING CHANGE: y"))
    assert shown(notes) == {K.BREAKING: ["drop node 16", "x"]}
    assert notes.hidden == 0


def test_a_non_conventional_commit_with_a_breaking_footer_breaks() -> None:
    notes = build_notes(linear("Rework config\n\nBREAKING CHANGE: new keys"))
    assert shown(notes) == {K.BREAKING: ["Rework config"]}
    assert only(notes).type is None


# -- hidden types ---------------------------------------------------------------------------------
def test_hidden_types_are_counted_not_shown() -> None:
    notes = build_notes(linear("chore: a", "ci: b", "test: c", "build: d", "style: e", "feat: f"))
    assert shown(notes) == {K.FEATURES: ["f"]}
    assert notes.hidden == 5
    assert notes.commits == 6


def test_show_types_unhides_into_other_case_insensitively() -> None:
    notes = build_notes(linear("chore: a", "CI: b", "test: c"), show_types=["Chore", "ci"])
    assert shown(notes) == {K.OTHER: ["a", "b"]}
    assert notes.hidden == 1


def test_show_types_naming_a_shown_type_changes_nothing() -> None:
    notes = build_notes(linear("feat: a"), show_types=["feat", "nonsense"])
    assert shown(notes) == {K.FEATURES: ["a"]}


def test_only_hidden_commits_make_empty_notes_with_a_count() -> None:
    notes = build_notes(linear("chore: bump", "ci: cache"))
    assert notes.is_empty
    assert notes.sections == ()
    assert notes.hidden == 2
    assert notes.commits == 2
    assert [c.person for c in notes.contributors] == [ADA]


# -- merges ---------------------------------------------------------------------------------------
def feature_history() -> list[SourceCommit]:
    """main: m0 - M1 (PR #12: f1 f2 f3) - h1 - M2 (PR #13: g1) - M3 (branch 'x': x1)."""
    return [
        commit("m0", "chore: start"),
        commit("f1", "feat: login form", "m0", author=BOB),
        commit("f2", "fix: login typo", "f1", author=BOB),
        commit("f3", "docs: login", "f2", author=BOB),
        commit("M1", "Merge pull request #12 from acme/login\n\nLogin", "m0", "f3"),
        commit("h1", "fix: hotfix on main (#20)", "M1"),
        commit("g1", "feat: logout", "f3", author=CY),
        commit("M2", "Merge pull request #13 from acme/logout", "h1", "g1"),
        commit("x1", "perf: faster", "M2"),
        commit("M3", "Merge branch 'x'", "M2", "x1"),
    ]


def test_merges_lend_their_pull_request_to_what_they_brought_in() -> None:
    history = feature_history()
    notes = build_notes(history, head=sha("M3"))
    pulls = {e.description: e.pulls for e in entries(notes)}
    assert pulls == {
        "login form": (12,),
        "login typo": (12,),
        "login": (12,),
        "hotfix on main": (20,),
        "logout": (13,),
        "faster": (),
    }
    assert notes.commits == 7
    assert notes.hidden == 1
    assert "Merge" not in str(shown(notes))


def test_without_head_the_newest_commit_is_the_tip() -> None:
    history = feature_history()
    assert build_notes(history) == build_notes(history, head=sha("M3"))


def test_an_unknown_head_falls_back_to_the_newest_commit() -> None:
    history = feature_history()
    assert build_notes(history, head=sha("elsewhere")) == build_notes(history)


def test_a_head_inside_the_range_walks_from_there() -> None:
    history = feature_history()[:5]  # up to M1
    notes = build_notes([*history, commit("late", "feat: later", "M1")], head=sha("M1"))
    pulls = {e.description: e.pulls for e in entries(notes)}
    assert pulls["login form"] == (12,)
    assert pulls["later"] == ()


def test_a_commit_with_its_own_pull_keeps_it() -> None:
    history = [
        commit("m0", "chore: start"),
        commit("f1", "feat: stacked (#11)", "m0"),
        commit("f2", "feat: own api pull", "f1", pulls=(14,)),
        commit("f3", "feat: plain", "f2"),
        commit("M1", "Merge pull request #12 from acme/stack", "m0", "f3"),
    ]
    pulls = {e.description: e.pulls for e in entries(build_notes(history))}
    assert pulls == {"stacked": (11,), "own api pull": (14,), "plain": (12,)}


def test_a_branch_merged_twice_lends_each_merge_its_new_commits() -> None:
    history = [
        commit("m0", "chore: start"),
        commit("b1", "feat: one", "m0"),
        commit("M1", "Merge pull request #1 from a/b", "m0", "b1"),
        commit("b2", "feat: two", "b1"),
        commit("M2", "Merge pull request #2 from a/b", "M1", "b2"),
    ]
    pulls = {e.description: e.pulls for e in entries(build_notes(history))}
    assert pulls == {"one": (1,), "two": (2,)}


def test_merges_of_main_into_a_branch_do_not_lend_main() -> None:
    history = [
        commit("m0", "chore: start"),
        commit("b1", "feat: on branch", "m0"),
        commit("m1", "fix: on main", "m0"),
        commit("B", "Merge branch 'main' into feature", "b1", "m1"),
        commit("b2", "feat: more branch", "B"),
        commit("M", "Merge pull request #5 from a/feature", "m1", "b2"),
    ]
    pulls = {e.description: e.pulls for e in entries(build_notes(history))}
    assert pulls == {"on branch": (5,), "on main": (), "more branch": (5,)}


def test_parents_outside_the_range_and_cycles_are_harmless() -> None:
    history = [
        commit("a", "feat: a", "outside"),
        commit("M", "Merge pull request #3 from a/b", "a", "outside-too", "a"),
        commit("loop", "fix: loop", "loop"),
    ]
    notes = build_notes(history, head=sha("M"))
    assert {e.description: e.pulls for e in entries(notes)} == {"a": (), "loop": ()}


def test_duplicate_commits_count_once() -> None:
    (c,) = linear("feat: a")
    notes = build_notes([c, c])
    assert notes.commits == 1
    assert shown(notes) == {K.FEATURES: ["a"]}


# -- pull request numbers and issue keys ----------------------------------------------------------
def test_a_squash_suffix_becomes_the_pull() -> None:
    entry = only(build_notes(linear("feat: add login (#12)")))
    assert entry.description == "add login"
    assert entry.pulls == (12,)


def test_pulls_from_the_api_and_the_subject_dedupe_in_order() -> None:
    c = commit("a", "fix: x (#12)", pulls=(30, 12))
    assert only(build_notes([c])).pulls == (30, 12)


def test_other_pull_numbers_stay_in_the_description() -> None:
    entry = only(build_notes(linear("fix: follow up on #10 (#12)")))
    assert entry.description == "follow up on #10"
    assert entry.pulls == (12,)


def test_issue_keys_come_from_subject_body_and_footers() -> None:
    message = "fix: JIRA-12 crash\n\nSee SHOP-3 and JIRA-12.\n\nRefs: JIRA-14\nCloses SHOP-3"
    entry = only(build_notes(linear(message)))
    assert entry.issues == ("JIRA-12", "SHOP-3", "JIRA-14")
    assert entry.description == "JIRA-12 crash"


def test_issue_prefixes_limit_the_keys() -> None:
    message = "fix: UTF-8 names\n\nRefs: JIRA-12, SHOP-3"
    assert only(build_notes(linear(message))).issues == ("UTF-8", "JIRA-12", "SHOP-3")
    assert only(build_notes(linear(message), issue_prefixes=["JIRA"])).issues == ("JIRA-12",)


# -- reverts --------------------------------------------------------------------------------------
def revert(name: str, target: str, subject: str, *parents: str) -> SourceCommit:
    return commit(name, f'Revert "{subject}"\n\nThis reverts commit {sha(target)}.', *parents)


def test_a_revert_and_its_target_cancel() -> None:
    notes = build_notes(
        [commit("t", "feat: x"), revert("r", "t", "feat: x", "t"), commit("k", "fix: y", "r")]
    )
    assert shown(notes) == {K.FIXES: ["y"]}
    assert notes.reverted == 2
    assert notes.commits == 3


def test_a_short_sha_is_enough() -> None:
    target = commit("t", "feat: x")
    r = commit("r", f"Revert it\n\nThis reverts commit {target.sha[:7].upper()}", "t")
    notes = build_notes([target, r])
    assert notes.is_empty
    assert notes.reverted == 2


def test_a_revert_of_a_commit_outside_the_range_stays() -> None:
    notes = build_notes([revert("r", "gone", "feat: x")])
    entry = only(notes)
    assert (entry.type, entry.description) == (None, 'Revert "feat: x"')
    assert shown(notes) == {K.OTHER: ['Revert "feat: x"']}
    assert notes.reverted == 0


def test_a_revert_of_a_revert_brings_the_target_back() -> None:
    notes = build_notes(
        [
            commit("t", "feat: x"),
            revert("r", "t", "feat: x", "t"),
            revert("rr", "r", 'Revert "feat: x"', "r"),
        ]
    )
    assert shown(notes) == {K.FEATURES: ["x"]}
    assert notes.reverted == 2


def test_a_chain_of_three_reverts_cancels_everything() -> None:
    notes = build_notes(
        [
            commit("t", "feat: x"),
            revert("r", "t", "feat: x", "t"),
            revert("rr", "r", 'Revert "feat: x"', "r"),
            revert("rrr", "rr", 'Revert "Revert "feat: x""', "rr"),
        ]
    )
    assert notes.is_empty
    assert notes.reverted == 4
    assert notes.contributors == ()


def test_a_revert_of_a_revert_whose_target_is_outside_cancels_both() -> None:
    notes = build_notes(
        [revert("r", "outside", "feat: x"), revert("rr", "r", 'Revert "feat: x"', "r")]
    )
    assert notes.is_empty
    assert notes.reverted == 2


def test_a_github_revert_pull_request_cancels_the_pull() -> None:
    notes = build_notes(
        [
            commit("t", "feat: x (#12)"),
            commit("k", "fix: keep (#14)", "t"),
            commit("r", 'Revert "feat: x" (#13)\n\nReverts acme/shop#12', "k"),
        ]
    )
    assert shown(notes) == {K.FIXES: ["keep"]}
    assert notes.reverted == 2


def test_a_revert_of_a_lent_pull_cancels_all_its_commits() -> None:
    history = [*feature_history()[:5], commit("r", "Revert login\n\nReverts acme/shop#12", "M1")]
    notes = build_notes(history)
    assert notes.reverted == 4
    assert notes.is_empty


def test_a_revert_of_a_merge_cancels_what_it_brought_in() -> None:
    history = [
        *feature_history()[:5],
        revert("r", "M1", "Merge pull request #12 from acme/login", "M1"),
    ]
    notes = build_notes(history)
    assert notes.reverted == 4
    assert notes.hidden == 1  # chore: start
    assert notes.is_empty


def test_a_conventional_revert_with_refs_cancels() -> None:
    target = commit("t", "feat: x")
    r = commit("r", f"revert: feat x\n\nRefs: {target.sha[:10]}", "t")
    notes = build_notes([target, r])
    assert notes.is_empty
    assert notes.reverted == 2


def test_a_conventional_revert_without_a_target_in_range_is_other() -> None:
    notes = build_notes(linear("revert: feat x\n\nRefs: 1234567"))
    assert shown(notes) == {K.OTHER: ["feat x"]}


def test_reverted_hidden_commits_are_not_counted_hidden() -> None:
    notes = build_notes([commit("t", "chore: x"), revert("r", "t", "chore: x", "t")])
    assert notes.hidden == 0
    assert notes.reverted == 2
    assert notes.commits == 2


def test_a_revert_naming_itself_cancels_nothing() -> None:
    c = commit("t", "Reverts acme/shop#4 (#4)\n\nReverts acme/shop#4")
    assert build_notes([c]).reverted == 0


# -- credits --------------------------------------------------------------------------------------
def test_co_authors_are_credited_after_the_author_once_each() -> None:
    message = (
        "feat: pair\n\n"
        "Co-authored-by: Bob <BOB@example.com>\n"
        "Co-authored-by: Bob B. <bob@example.com>\n"
        "Co-authored-by: Ada L <ada@example.com>\n"
        "Co-authored-by: Cy <cy@example.com>"
    )
    entry = only(build_notes(linear(message)))
    assert entry.authors == (ADA, Person("Bob", "BOB@example.com"), CY)


def test_contributors_are_counted_and_sorted() -> None:
    history = [
        commit("1", "feat: a", author=CY),
        commit("2", "feat: b", "1", author=BOB),
        commit("3", "chore: c", "2", author=BOB),
        commit("4", "fix: d\n\nCo-authored-by: Ada <ada@example.com>", "3", author=CY),
        commit("5", "Merge pull request #1 from a/b", "4", "3", author=Person("Zed", "z@x.io")),
    ]
    notes = build_notes(history, known=ADA.keys | BOB.keys | CY.keys)
    assert notes.contributors == (
        Contributor(BOB, 2),
        Contributor(CY, 2),
        Contributor(Person("Ada", "ada@example.com"), 1),
    )
    assert notes.first_timers == ()


def test_records_of_one_person_merge_and_prefer_a_login() -> None:
    plain = Person("Ada", "ADA@example.com")
    by_login = Person("A. Lovelace", "ada@work.example", "Ada")
    history = [
        commit("1", "feat: a", author=plain),
        commit("2", "feat: b", "1", author=plain),
        commit("3", "feat: c", "2", author=ADA),  # same email as plain, login "ada"
        commit("4", "feat: d", "3", author=by_login),  # same login as ADA, other email
    ]
    notes = build_notes(history)
    assert notes.contributors == (Contributor(ADA, 4, first_time=True),)
    assert {e.authors for e in entries(notes)} == {(ADA,)}


def test_without_logins_the_more_frequent_name_wins() -> None:
    rare, usual = Person("ada", "ada@example.com"), Person("Ada", "Ada@Example.com")
    history = [
        commit("1", "feat: a", author=rare),
        commit("2", "feat: b", "1", author=usual),
        commit("3", "feat: c", "2", author=usual),
    ]
    (contributor,) = build_notes(history).contributors
    assert contributor.person == usual
    assert contributor.commits == 3


def test_a_co_author_noreply_address_matches_a_login() -> None:
    message = "feat: x\n\nCo-authored-by: Ada L <1234+ada@users.noreply.github.com>"
    notes = build_notes([commit("1", message, author=BOB), commit("2", "fix: y", "1")])
    assert [(c.person, c.commits) for c in notes.contributors] == [(ADA, 2), (BOB, 1)]
    assert entries(notes)[0].authors == (BOB, ADA)


def test_ties_sort_by_name_ignoring_case() -> None:
    people = [Person("bea", "b@x.io"), Person("Al", "a@x.io"), Person("Ça", "c@x.io")]
    history = [commit(p.name, "fix: x", author=p) for p in people]
    names = [c.person.name for c in build_notes(history).contributors]
    assert names == ["Al", "bea", "Ça"]


def test_first_time_contributors_are_those_not_known() -> None:
    history = [
        commit("1", "feat: a", author=ADA),
        commit("2", "feat: b\n\nCo-authored-by: Cy <CY@example.com>", "1", author=BOB),
    ]
    notes = build_notes(history, known=frozenset({"@ada"}))
    assert notes.first_timers == (BOB, Person("Cy", "CY@example.com"))
    assert [c.first_time for c in notes.contributors] == [False, True, True]


def test_bots_are_never_first_timers() -> None:
    app = Person("renovate", "bot@renovate.io", "renovate[bot]")
    history = [
        commit("1", "chore(deps): bump x", author=BOT),
        commit("2", "fix(deps): bump y", "1", author=app),
        commit("3", "fix: z\n\nCo-authored-by: dependabot[bot] <dep@bots.io>", "2"),
    ]
    notes = build_notes(history, known=ADA.keys)
    assert notes.first_timers == ()
    assert {c.person.name for c in notes.contributors} == {
        "Ada Lovelace",
        "renovate",
        "dependabot[bot]",
    }


def test_with_known_decides_first_timers_again() -> None:
    notes = build_notes(linear("feat: a", author=BOB))
    assert notes.first_timers == (BOB,)
    assert with_known(notes, BOB.keys).first_timers == ()
    again = with_known(with_known(notes, BOB.keys), frozenset())
    assert again.first_timers == (BOB,)
    bot_notes = build_notes(linear("fix: a", author=BOT))
    assert with_known(bot_notes, frozenset()).first_timers == ()
    assert with_known(notes, frozenset()).sections == notes.sections


def test_people_without_email_are_told_apart_by_name() -> None:
    history = [
        commit("1", "feat: a", author=Person("Ada", "")),
        commit("2", "feat: b", "1", author=Person(" ada ", " ")),
        commit("3", "feat: c", "2", author=Person("Bob", "")),
    ]
    counts = [(c.person.name, c.commits) for c in build_notes(history).contributors]
    assert counts == [("Ada", 2), ("Bob", 1)]


# -- scope ----------------------------------------------------------------------------------------
def test_in_scope_limits_entries_counts_and_credits_but_merges_still_lend() -> None:
    history = feature_history()
    scope = frozenset({sha("f1"), sha("h1"), sha("M1")})
    notes = build_notes(history, in_scope=scope, scope=["services/checkout/"])
    assert {e.description: e.pulls for e in entries(notes)} == {
        "login form": (12,),
        "hotfix on main": (20,),
    }
    assert notes.commits == 2
    assert notes.hidden == 0
    assert [c.person for c in notes.contributors] == [ADA, BOB]
    assert notes.scope == ("services/checkout/",)


def test_an_empty_scope_set_means_nothing_in_scope() -> None:
    notes = build_notes(linear("feat: a"), in_scope=frozenset())
    assert notes.is_empty
    assert notes.commits == 0


def test_reverts_only_cancel_in_scope_pairs() -> None:
    history = [commit("t", "feat: x"), revert("r", "t", "feat: x", "t")]
    only_revert = build_notes(history, in_scope=frozenset({sha("r")}))
    assert shown(only_revert) == {K.OTHER: ['Revert "feat: x"']}
    assert only_revert.reverted == 0
    only_target = build_notes(history, in_scope=frozenset({sha("t")}))
    assert shown(only_target) == {K.FEATURES: ["x"]}
    both = build_notes(history, in_scope=frozenset({sha("t"), sha("r")}))
    assert both.is_empty
    assert both.reverted == 2


# -- empty and odd input --------------------------------------------------------------------------
def test_an_empty_range_makes_empty_notes() -> None:
    notes = build_notes([], head=sha("x"), scope=("a/",))
    assert notes == ReleaseNotes(sections=(), scope=("a/",))
    assert notes.is_empty
    assert (notes.commits, notes.hidden, notes.reverted, notes.entries) == (0, 0, 0, 0)
    assert notes.contributors == ()
    assert notes.first_timers == ()


def test_only_merges_make_empty_notes() -> None:
    notes = build_notes([commit("M", "Merge branch 'x'", "a", "b")])
    assert notes.is_empty
    assert notes.commits == 0
    assert notes.contributors == ()


@pytest.mark.parametrize("message", ["", "   ", "\n\n", "\r\n\t"])
def test_empty_messages_get_a_placeholder(message: str) -> None:
    notes = build_notes(linear(message))
    assert shown(notes) == {K.OTHER: ["(no message)"]}


def test_crlf_messages_read_like_lf() -> None:
    crlf = "feat(ui): dark mode\r\n\r\nBody\r\n\r\nBREAKING CHANGE: colours\r\nRefs: UI-1\r\n"
    lf = crlf.replace("\r\n", "\n")
    assert build_notes(linear(crlf)) == build_notes(linear(lf))
    assert only(build_notes(linear(crlf))).breaking == "colours"


@pytest.mark.parametrize(
    "text",
    [
        "café crème brûlée",
        "日本語のコミット",
        "🚀 ship it 🎉",
        "ping <!channel> and <@U123> and <#C123|general>",
        "*bold* _it_ ~strike~ `code` [x](y) <https://e.x|link> &amp; &lt;",
    ],
)
def test_text_passes_through_unchanged(text: str) -> None:
    notes = build_notes(linear(f"feat: {text}", text))
    assert shown(notes) == {K.FEATURES: [text], K.OTHER: [text]}


def test_a_10000_character_subject() -> None:
    subject = "fix: " + "x" * 9_995
    assert len(subject) == 10_000
    entry = only(build_notes(linear(subject)))
    assert entry.description == "x" * 9_995
    other = only(build_notes(linear("é" * 10_000 + " (#12)")))
    assert other.pulls == (12,)
    assert other.description == "é" * 10_000


def test_unicode_and_mentions_in_names_are_kept() -> None:
    person = Person("José 日本 <@U123>", "jose@example.com")
    notes = build_notes(linear("feat: x", author=person))
    assert notes.contributors[0].person == person


messages = st.one_of(
    st.text(),
    st.builds(
        "{}{}{}: {}\n\n{}\n\n{}: {}".format,
        st.sampled_from(["feat", "fix", "chore", "x", "FEAT", ""]),
        st.sampled_from(["", "(api)", "()", "(日本)"]),
        st.sampled_from(["", "!"]),
        st.text(),
        st.text(),
        st.sampled_from(["BREAKING CHANGE", "Co-authored-by", "Refs", "Reverts"]),
        st.text(),
    ),
)


@given(st.lists(messages, max_size=6), st.data())
def test_build_notes_never_raises(texts: Sequence[str], data: st.DataObject) -> None:
    history = linear(*texts)
    in_scope = data.draw(
        st.none() | st.frozensets(st.sampled_from([c.sha for c in history] or ["x"]))
    )
    notes = build_notes(history, in_scope=in_scope, show_types=["chore"], issue_prefixes=())
    assert notes.commits == len(
        history if in_scope is None else in_scope & {c.sha for c in history}
    )
    assert notes.entries + notes.hidden + notes.reverted == notes.commits
    assert all(e.description for e in entries(notes))


# -- segments -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("", ()),
        ("plain", (Text("plain"),)),
        ("#12", (PullRef(12),)),
        (
            "fix #12, see (#3).",
            (Text("fix "), PullRef(12), Text(", see ("), PullRef(3), Text(").")),
        ),
        ("&#12; a#12 #12a #0 #012 #12345678", (Text("&#12; a#12 #12a #0 #012 #12345678"),)),
        ("#1234567", (PullRef(1234567),)),
        ("JIRA-321", (IssueRef("JIRA-321"),)),
        (
            "Fix JIRA-321 in UTF-8 mode",
            (Text("Fix "), IssueRef("JIRA-321"), Text(" in "), IssueRef("UTF-8"), Text(" mode")),
        ),
        ("jira-1 xJIRA-1 JIRA-1x JIRA-01", (Text("jira-1 xJIRA-1 JIRA-1x JIRA-01"),)),
        ("#1JIRA-2", (Text("#1JIRA-2"),)),
        ("JIRA-2#1", (IssueRef("JIRA-2"), Text("#1"))),
        ("JIRA-2 #1", (IssueRef("JIRA-2"), Text(" "), PullRef(1))),
        ("<@U123> *b* #5", (Text("<@U123> *b* "), PullRef(5))),
    ],
)
def test_segments(text: str, parts: tuple[Text | PullRef | IssueRef, ...]) -> None:
    assert segments(text) == parts


def test_segments_with_issue_prefixes() -> None:
    assert segments("Fix JIRA-321 in UTF-8 mode", issue_prefixes=["JIRA"]) == (
        Text("Fix "),
        IssueRef("JIRA-321"),
        Text(" in UTF-8 mode"),
    )
    assert segments("UTF-8", issue_prefixes=("JIRA",)) == (Text("UTF-8"),)


def test_segment_texts() -> None:
    assert PullRef(12).text == "#12"
    assert IssueRef("A-1").text == "A-1"


@given(st.text(alphabet=st.sampled_from("#&aZJIRA-0123456789 _éé١٢\n")) | st.text())
def test_segments_put_together_give_the_text(text: str) -> None:
    parts = segments(text)
    assert "".join(p.text for p in parts) == text
    assert not any(isinstance(a, Text) and isinstance(b, Text) for a, b in pairwise(parts))
    assert all(p.text for p in parts)
    prefixed = segments(text, issue_prefixes=["JIRA"])
    assert "".join(p.text for p in prefixed) == text
