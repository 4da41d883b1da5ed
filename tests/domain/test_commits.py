from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.commits import (
    NO_MESSAGE,
    Footer,
    is_issue_project,
    issue_keys,
    merge_pull,
    parse_message,
)


# -- header ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("message", "kind", "scope", "bang", "description"),
    [
        ("feat: add login", "feat", None, False, "add login"),
        ("FEAT: add login", "feat", None, False, "add login"),
        ("Fix(API): handle 404", "fix", "API", False, "handle 404"),
        ("feat(auth)!: drop tokens", "feat", "auth", True, "drop tokens"),
        ("refactor!: rename", "refactor", None, True, "rename"),
        ("feat:    lots of spaces  ", "feat", None, False, "lots of spaces"),
        ("feat:\tTab", "feat", None, False, "Tab"),
        ("feat(): empty scope", "feat", None, False, "empty scope"),
        ("feat( web ui ): spaced scope", "feat", "web ui", False, "spaced scope"),
        ("docs: colons: inside: text", "docs", None, False, "colons: inside: text"),
    ],
)
def test_reads_conventional_headers(
    message: str, kind: str, scope: str | None, bang: bool, description: str
) -> None:
    parsed = parse_message(message)
    assert (parsed.type, parsed.scope, parsed.bang, parsed.description) == (
        kind,
        scope,
        bang,
        description,
    )


@pytest.mark.parametrize(
    "subject",
    [
        "Add login",
        "feat:",
        "feat:   ",
        "feat:no space",  # the space after the colon is required
        "feat 2: digits are not a type",
        "feat(a)(b): two scopes",
        "feat(a: unclosed",
        "feat !: space before bang",
        'Revert "feat: x"',
        "https://example.com/x",
        "ünïcode: not ascii letters",
    ],
)
def test_other_subjects_are_not_conventional(subject: str) -> None:
    parsed = parse_message(subject)
    assert parsed.type is None
    assert parsed.scope is None
    assert not parsed.bang
    assert parsed.description == subject.strip()


def test_subject_is_first_line_after_leading_blank_lines_and_crlf() -> None:
    parsed = parse_message("\r\n\r\n  fix: crlf  \r\n\r\nbody line\r\n")
    assert parsed.subject == "fix: crlf"
    assert parsed.description == "crlf"
    assert parsed.body == "body line"
    assert "\r" not in parsed.text


@pytest.mark.parametrize("message", ["", "   ", "\n\n\t\n", "\r\n"])
def test_an_empty_message_has_a_placeholder_description(message: str) -> None:
    parsed = parse_message(message)
    assert parsed.description == NO_MESSAGE
    assert parsed.subject == ""
    assert parsed.type is None
    assert parsed.footers == ()


# -- trailing pull request numbers ----------------------------------------------------------------
@pytest.mark.parametrize(
    ("subject", "description", "pulls"),
    [
        ("feat: add x (#12)", "add x", (12,)),
        ("feat: add x(#12)  ", "add x", (12,)),
        ("fix: backport (#11) (#12)", "backport", (11, 12)),
        ("fix: twice (#12) (#12)", "twice", (12,)),
        ("Add x (#7)", "Add x", (7,)),
        ('Revert "feat: x (#11)" (#13)', 'Revert "feat: x (#11)"', (13,)),
        ("feat: see #12 in text", "see #12 in text", ()),
        ("feat: (#12) in front", "(#12) in front", ()),
        ("feat: (#12)", "(#12)", ()),
        ("feat: x (#0)", "x (#0)", ()),
        ("feat: x (#12345678)", "x (#12345678)", ()),
        ("feat: x (#12) tail", "x (#12) tail", ()),
    ],
)
def test_a_trailing_pull_number_leaves_the_description(
    subject: str, description: str, pulls: tuple[int, ...]
) -> None:
    parsed = parse_message(subject)
    assert parsed.description == description
    assert parsed.pulls == pulls


# -- footers --------------------------------------------------------------------------------------
def test_reads_footers_of_the_last_paragraph() -> None:
    parsed = parse_message(
        "fix: x\n\nA body.\n\nSecond paragraph.\n\n"
        "Refs: JIRA-1\nReviewed-by: Z <z@example.com>\nCloses #12"
    )
    assert parsed.body == "A body.\n\nSecond paragraph."
    assert parsed.footers == (
        Footer("Refs", "JIRA-1"),
        Footer("Reviewed-by", "Z <z@example.com>"),
        Footer("Closes", "12"),
    )


def test_a_footer_value_runs_until_the_next_token_line() -> None:
    parsed = parse_message(
        "feat: x\n\nBREAKING CHANGE: the old endpoint\n  is gone; use /v2.\nRefs: JIRA-1"
    )
    assert parsed.footers == (
        Footer("BREAKING CHANGE", "the old endpoint\n  is gone; use /v2."),
        Footer("Refs", "JIRA-1"),
    )
    assert parsed.breaking == "the old endpoint\n  is gone; use /v2."


def test_several_footer_paragraphs() -> None:
    parsed = parse_message("fix: x\n\nbody\n\nRefs: A-1\n\nCo-authored-by: B <b@x.io>")
    assert [f.token for f in parsed.footers] == ["Refs", "Co-authored-by"]
    assert parsed.body == "body"


def test_footers_right_after_the_subject_are_read() -> None:
    parsed = parse_message("fix: x\nBREAKING CHANGE: y")
    assert parsed.breaking == "y"
    assert parsed.body == ""


def test_a_breaking_note_may_run_over_paragraphs() -> None:
    parsed = parse_message(
        "feat: x\n\nWhy.\n\nBREAKING CHANGE: config moved.\n\nMigrate with `sm migrate`."
    )
    assert parsed.body == "Why."
    assert parsed.breaking == "config moved.\n\nMigrate with `sm migrate`."


def test_prose_after_an_ordinary_footer_paragraph_means_no_footers() -> None:
    parsed = parse_message("feat: x\n\nNote: this is body text.\n\nMore prose here.")
    assert parsed.footers == ()
    assert parsed.body == "Note: this is body text.\n\nMore prose here."


def test_a_paragraph_that_opens_with_prose_is_body() -> None:
    parsed = parse_message("feat: x\n\nSome text\nBREAKING CHANGE: inside the body\n\nRefs: A-1")
    assert parsed.footers == (Footer("Refs", "A-1"),)
    assert parsed.breaking is None


@pytest.mark.parametrize(
    "line",
    [
        "breaking change: lower case",
        "Breaking Change: title case",
        "breaking-change: lower case with dash",
        "Breaking-Change: title case with dash",
        "BREAKING CHANGES: plural",
        "BREAKING  CHANGE: two spaces",
    ],
)
def test_only_upper_case_breaking_change_footers_break(line: str) -> None:
    assert parse_message(f"feat: x\n\n{line}").breaking is None


@pytest.mark.parametrize(
    ("footer", "note"),
    [
        ("BREAKING CHANGE: api gone", "api gone"),
        ("BREAKING-CHANGE: api gone", "api gone"),
        ("BREAKING CHANGE #api gone", "api gone"),
    ],
)
def test_breaking_change_footers(footer: str, note: str) -> None:
    assert parse_message(f"feat: x\n\n{footer}").breaking == note


def test_an_empty_breaking_footer_falls_back_to_the_description() -> None:
    assert parse_message("feat: add x\n\nBREAKING CHANGE:").breaking == "add x"


def test_bang_alone_breaks_with_the_description_and_the_footer_wins() -> None:
    assert parse_message("feat!: add x").breaking == "add x"
    assert parse_message("feat!: add x\n\nBREAKING CHANGE: why").breaking == "why"


def test_several_breaking_notes_are_joined() -> None:
    parsed = parse_message("feat: x\n\nBREAKING CHANGE: a\nBREAKING-CHANGE: b")
    assert parsed.breaking == "a\n\nb"


def test_a_url_is_not_a_footer() -> None:
    assert parse_message("fix: x\n\nhttps://example.com/a").footers == ()


# -- co-authors -----------------------------------------------------------------------------------
def test_reads_co_authors_in_any_case() -> None:
    parsed = parse_message(
        "feat: x\n\n"
        "Co-authored-by: Ada Lovelace <ada@example.com>\n"
        "co-authored-by: Bob <123+bob@users.noreply.github.com>\n"
        "CO-AUTHORED-BY: Only Name\n"
        "Co-authored-by:  <just@mail.io>\n"
        "Co-authored-by: dependabot[bot] <49699333+dependabot[bot]@users.noreply.github.com>\n"
        "Signed-off-by: Not A Coauthor <n@example.com>"
    )
    assert parsed.co_authors == (
        ("Ada Lovelace", "ada@example.com", None),
        ("Bob", "123+bob@users.noreply.github.com", "bob"),
        ("Only Name", "", None),
        ("just@mail.io", "just@mail.io", None),
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com", "dependabot[bot]"),
    )


def test_a_co_author_value_uses_its_first_line_and_empty_ones_are_skipped() -> None:
    parsed = parse_message(
        "feat: x\n\nCo-authored-by: Ada <ada@example.com>\ncontinued\nCo-authored-by: <>"
    )
    assert parsed.co_authors == (("Ada", "ada@example.com", None),)


def test_co_authors_in_the_body_do_not_count() -> None:
    parsed = parse_message("feat: x\n\nCo-authored-by: Ada <a@x.io>\n\nAnd then prose.")
    assert parsed.co_authors == ()


# -- reverts --------------------------------------------------------------------------------------
def test_reads_git_revert_targets() -> None:
    sha = "0123456789abcdef0123456789abcdef01234567"
    parsed = parse_message(f'Revert "feat: x"\n\nThis reverts commit {sha.upper()}.')
    assert parsed.reverts == (sha,)
    assert parsed.type is None


@pytest.mark.parametrize(
    "body",
    [
        "This reverts commit abc12.",  # too short
        "This reverts commit " + "a" * 41 + ".",  # too long
        "This reverts commit xyz1234567.",
    ],
)
def test_ignores_malformed_revert_shas(body: str) -> None:
    assert parse_message(f"Revert x\n\n{body}").reverts == ()


def test_the_subject_is_not_read_for_revert_targets() -> None:
    assert parse_message("This reverts commit abcdef1234").reverts == ()


def test_reads_github_revert_pulls() -> None:
    parsed = parse_message('Revert "feat: x" (#13)\n\nReverts acme/shop#12')
    assert parsed.reverts_pulls == (12,)
    assert parsed.pulls == (13,)
    assert parse_message("Revert x\n\nReverts #9").reverts_pulls == (9,)
    assert parse_message("Revert x\n\nIt Reverts acme/shop#12").reverts_pulls == ()


def test_a_conventional_revert_names_its_target_in_refs() -> None:
    parsed = parse_message("revert: feat x\n\nRefs: ABCDEF1, 1234567890abcdef")
    assert parsed.type == "revert"
    assert parsed.reverts == ("abcdef1", "1234567890abcdef")
    assert parse_message("fix: x\n\nRefs: abcdef1").reverts == ()


# -- merges and issue keys ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("subject", "pull"),
    [
        ("Merge pull request #12 from acme/feature", 12),
        ("  Merge pull request #7 from bob/fix-it  ", 7),
        ("Merge branch 'main' into feature", None),
        ("Merge pull request #12", None),
        ("feat: Merge pull request #12 from a/b", None),
    ],
)
def test_reads_github_merge_subjects(subject: str, pull: int | None) -> None:
    assert merge_pull(subject) == pull


@pytest.mark.parametrize(
    ("text", "prefixes", "keys"),
    [
        ("JIRA-12 and SHOP-3, JIRA-12 again", (), ("JIRA-12", "SHOP-3")),
        ("UTF-8 text", (), ("UTF-8",)),
        ("UTF-8 text, JIRA-1", ("JIRA",), ("JIRA-1",)),
        ("jira-12 J-1 JIRA-0 JIRA-012 xJIRA-1 JIRA-1x", (), ()),
        ("feature/JIRA-12-login (A_B-3)", (), ("JIRA-12", "A_B-3")),
        ("JIRA-1 SHOP-2", ("SHOP", "jira"), ("SHOP-2",)),
    ],
)
def test_finds_issue_keys(text: str, prefixes: tuple[str, ...], keys: tuple[str, ...]) -> None:
    assert issue_keys(text, frozenset(prefixes)) == keys


def test_issue_projects() -> None:
    assert is_issue_project("JIRA-1", ())
    assert is_issue_project("JIRA-1", ["JIRA"])
    assert not is_issue_project("JIRA-1", ["SHOP"])


# -- robustness -----------------------------------------------------------------------------------
def test_long_and_odd_subjects_parse_quickly() -> None:
    long = "feat: " + "é" * 10_000
    assert parse_message(long).description == "é" * 10_000
    spaces = "x" + " " * 10_000 + "(#1)" * 2_000
    assert parse_message(spaces).pulls == (1,)
    assert parse_message("a" * 10_000).type is None
    assert parse_message("feat:" + " " * 10_000 + "x").description == "x"


@given(st.text())
def test_never_raises(message: str) -> None:
    parsed = parse_message(message)
    assert parsed.description
    assert "\n" not in parsed.subject


def test_a_word_before_a_colon_is_not_a_type_unless_teams_use_it() -> None:
    prose = parse_message("Notifier: the root and the report share one path")
    assert prose.type is None
    assert prose.description == "Notifier: the root and the report share one path"
    assert parse_message("Deps: bump httpx").type == "deps"
    assert parse_message("Tests(api): cover pagination\n\nMore.").scope == "api"
