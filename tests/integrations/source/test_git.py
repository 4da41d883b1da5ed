"""The git source on real repositories made with the ``git`` binary (see ``repos.py``)."""

from __future__ import annotations

import re
import stat
from collections.abc import Sequence
from pathlib import Path

import pytest

from bot.domain.notes import Person, SourceCommit
from bot.errors import IntegrationError, NotFound
from integrations.source.base import SourceRepository
from integrations.source.git import GitRepository
from tests.integrations.source.repos import (
    ANA,
    BO,
    CHEN,
    DANA,
    EVE,
    FAY,
    LONG_SUBJECT,
    MENTIONS,
    UNICODE,
    ZOE,
    Author,
    ShopHistory,
    branch,
    checkout,
    commit,
    git,
    init,
    rev_parse,
    shop_history,
    tag,
)


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ShopHistory:
    return shop_history(tmp_path_factory.mktemp("git") / "shop")


@pytest.fixture
def source(shop: ShopHistory) -> GitRepository:
    return GitRepository(path=shop.path)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = init(tmp_path / "repo")
    commit(path, "feat: first", files={"f": "1"})
    return path


def person(author: Author, login: str | None = None) -> Person:
    return Person(name=author[0], email=author[1], login=login)


def fake_git(tmp_path: Path, name: str, rev_parse_says: str, log_says: str) -> str:
    """An executable standing in for git, printing fixed output for rev-parse and for log."""
    script = tmp_path / name
    script.write_text(
        "#!/bin/sh\n"
        'case " $* " in\n'
        f"  *' rev-parse '*) printf '{rev_parse_says}' ;;\n"
        f"  *) printf '{log_says}' ;;\n"
        "esac\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


# -- head -----------------------------------------------------------------------------------


async def test_head_of_a_branch(repo: Path) -> None:
    source: SourceRepository = GitRepository(path=repo)
    head = await source.head(branch="main")
    assert head.sha == rev_parse(repo, "main")
    assert head.ref == "main"


async def test_head_follows_new_commits_and_other_branches(repo: Path) -> None:
    branch(repo, "release/1")
    checkout(repo, "release/1")
    second = commit(repo, "fix: second", files={"f": "2"})
    assert (await GitRepository(path=repo).head(branch="release/1")).sha == second
    assert (await GitRepository(path=repo).head(branch="main")).sha != second


@pytest.mark.parametrize(
    ("branch_name", "message"),
    [
        ("nope", "git rev-parse failed in .*: fatal: Needed a single revision"),
        ("--upload-pack=evil", "is not a branch name"),
        ("a..b", "is not a branch name"),
        ("main; rm -rf /", "is not a branch name"),
    ],
)
async def test_bad_branches_are_clear_errors(repo: Path, branch_name: str, message: str) -> None:
    with pytest.raises(IntegrationError, match=message):
        await GitRepository(path=repo).head(branch=branch_name)


# -- resolve --------------------------------------------------------------------------------


async def test_resolve_names_the_commit_of_tags_branches_and_short_shas(
    source: GitRepository, shop: ShopHistory
) -> None:
    assert await source.resolve(ref="v1.0.0") == shop.empty_query  # an annotated tag, peeled
    assert await source.resolve(ref="v1.1.0") == shop.mentions
    assert await source.resolve(ref="main") == shop.after
    assert await source.resolve(ref="feature") == shop.facet_tests
    assert await source.resolve(ref=shop.docs[:10]) == shop.docs
    assert await source.resolve(ref=shop.docs) == shop.docs
    assert await source.resolve(ref="v1.1.0~1") == shop.long_subject
    assert await source.resolve(ref=f"{shop.merge}^2") == shop.facet_tests


@pytest.mark.parametrize("ref", ["v9.9", "0" * 40, "main~500", "HEAD^{tree}", "main..v1.0.0"])
async def test_an_unknown_ref_is_not_found(
    source: GitRepository, shop: ShopHistory, ref: str
) -> None:
    with pytest.raises(NotFound) as caught:
        await source.resolve(ref=ref)
    assert str(caught.value) == f"`{ref}` is not a commit in {shop.path}"


@pytest.mark.parametrize("ref", ["--output=/tmp/x", "-n1", "", "  ", "main\n--all", "a\x00b"])
async def test_refs_git_could_misread_are_refused(source: GitRepository, ref: str) -> None:
    with pytest.raises(IntegrationError, match="is not a ref git accepts") as caught:
        await source.resolve(ref=ref)
    assert "\n" not in str(caught.value)
    assert "\x00" not in str(caught.value)


# -- commits --------------------------------------------------------------------------------


async def test_commits_of_the_range_oldest_first_with_merges(
    source: GitRepository, shop: ShopHistory
) -> None:
    commits = await source.commits(base="v1.0.0", head="v1.1.0")

    assert [c.sha for c in commits] == [
        shop.apple_pay, shop.typo_tolerance, shop.docs, shop.suggestions, shop.drop_v1,
        shop.split_payment, shop.synonyms, shop.gift_cards, shop.revert_gift_cards,
        shop.revert_before, shop.rounding, shop.revert_rounding, shop.revert_revert_rounding,
        shop.facets, shop.facet_tests, shop.squash, shop.merge, shop.unicode,
        shop.long_subject, shop.mentions,
    ]  # fmt: skip
    by_sha = {c.sha: c for c in commits}
    assert by_sha[shop.merge].parents == (shop.squash, shop.facet_tests)
    assert by_sha[shop.merge].is_merge
    assert by_sha[shop.merge].message == "Merge pull request #12 from acme/feature\n\nFacets"
    assert by_sha[shop.facets].parents == (shop.revert_revert_rounding,)
    assert by_sha[shop.apple_pay].parents == (shop.empty_query,)
    assert by_sha[shop.split_payment].message == (
        "refactor(checkout): split the payment module\n\n"
        "Gateways live in their own module now.\n\n"
        "BREAKING CHANGE: PaymentGateway.charge takes cents, not a float"
    )
    assert by_sha[shop.synonyms] == SourceCommit(
        sha=shop.synonyms,
        message="feat(search): synonyms\n\nCo-authored-by: Eve Adams <eve@example.com>",
        author=person(DANA),
        parents=(shop.split_payment,),
    )
    assert by_sha[shop.revert_before].message == (
        f'Revert "fix(search): empty query crash"\n\nThis reverts commit {shop.empty_query}.'
    )
    assert by_sha[shop.revert_revert_rounding].subject == (
        'Revert "Revert "fix(checkout): rounding""'
    )
    assert by_sha[shop.unicode].message == UNICODE
    assert by_sha[shop.unicode].author == person(ZOE)
    assert by_sha[shop.long_subject].message == LONG_SUBJECT
    assert len(by_sha[shop.long_subject].subject) == 10_000
    assert by_sha[shop.mentions].message == MENTIONS
    assert {c.author for c in commits} == {person(a) for a in (ANA, BO, CHEN, DANA, EVE, ZOE)}
    assert all(c.pulls == () for c in commits)


async def test_commits_without_a_base_are_the_whole_history(
    source: GitRepository, shop: ShopHistory
) -> None:
    commits = await source.commits(base=None, head="main")
    assert len(commits) == 24
    assert commits[0].sha == shop.initial
    assert commits[0].parents == ()
    assert commits[1].author == person(ANA)
    assert commits[1].message.endswith("Co-authored-by: Fay Okoye <fay@example.com>")
    assert commits[-1].sha == shop.after
    assert [c.sha for c in await source.commits(base=None, head="v1.0.0")] == [
        shop.initial,
        shop.cart,
        shop.empty_query,
    ]


@pytest.mark.parametrize(("base", "head"), [("v1.1.0", "v1.1.0"), ("main", "v1.0.0")])
async def test_an_empty_range_has_no_commits(source: GitRepository, base: str, head: str) -> None:
    assert await source.commits(base=base, head=head) == []


@pytest.mark.parametrize(("base", "head"), [("v0.9", "main"), ("v1.0.0", "nope")])
async def test_commits_of_an_unknown_ref_are_not_found(
    source: GitRepository, base: str, head: str
) -> None:
    with pytest.raises(NotFound, match=r"^`(v0\.9|nope)` is not a commit in "):
        await source.commits(base=base, head=head)


async def test_messages_are_read_exactly(repo: Path) -> None:
    base = rev_parse(repo, "HEAD")
    lookalike = f"{base} {base}\nMallory\nmallory@example.com\nfeat: injected"
    messages = [
        "feat: blank lines\n\n\n\nfar below\n\n  indented\n",
        "fix: windows\r\n\r\nbody line\r\n",
        lookalike,
        "docs: trailing spaces   \n\n   ",
        "",
        "\n\nfeat: after blank lines",
        "chore: tab\tand form\x0cfeed",
    ]
    shas = [
        commit(repo, message, author=("Ann O'Neil-Smith, Jr", "ann+tag@example.com"))
        for message in messages
    ]

    commits = await GitRepository(path=repo).commits(base=base, head="main")

    assert [c.sha for c in commits] == shas
    assert [c.message for c in commits] == [
        "feat: blank lines\n\n\n\nfar below\n\n  indented",
        "fix: windows\r\n\r\nbody line",
        lookalike,
        "docs: trailing spaces   \n\n   ",
        "",
        "\n\nfeat: after blank lines",
        "chore: tab\tand form\x0cfeed",
    ]
    assert {c.author for c in commits} == {Person("Ann O'Neil-Smith, Jr", "ann+tag@example.com")}
    assert commits[2].parents == (shas[1],)
    assert commits[5].subject == "feat: after blank lines"


async def test_messages_in_other_encodings_become_utf8(repo: Path, tmp_path: Path) -> None:
    base = rev_parse(repo, "HEAD")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("fix: café crème".encode("latin-1"))
    git(repo, "-c", "i18n.commitEncoding=ISO-8859-1", "commit", "-q", "--allow-empty",
        "--cleanup=verbatim", "-F", str(latin))  # fmt: skip

    [latin_commit] = await GitRepository(path=repo).commits(base=base, head="main")

    assert latin_commit.message == "fix: café crème"


async def test_bytes_that_are_not_utf8_are_replaced(repo: Path, tmp_path: Path) -> None:
    sha = "a" * 40
    record = f"{sha}\\nBj\\366rn\\nb@example.com\\nfix: caf\\351\\0"
    source = GitRepository(path=repo, executable=fake_git(tmp_path, "latin", sha, record))
    [found] = await source.commits(base=None, head="main")
    assert found == SourceCommit(
        sha=sha, message="fix: caf\ufffd", author=Person("Bj\ufffdrn", "b@example.com")
    )


async def test_ten_thousand_character_subjects_and_many_commits(repo: Path) -> None:
    base = rev_parse(repo, "HEAD")
    for n in range(60):
        commit(repo, f"feat: {n} " + "x" * 10_000 + f"\n\nbody {n}\n")
    commits = await GitRepository(path=repo).commits(base=base, head="main")
    assert [c.message[:8] for c in commits[:3]] == ["feat: 0 ", "feat: 1 ", "feat: 2 "]
    assert all(len(c.subject) == 10_007 + len(str(n)) for n, c in enumerate(commits))
    assert commits[-1].message.endswith("\n\nbody 59")


# -- touching -------------------------------------------------------------------------------


async def test_touching_the_monorepo_services(source: GitRepository, shop: ShopHistory) -> None:
    checkout_commits = await source.touching(
        base="v1.0.0", head="v1.1.0", paths=["services/checkout"]
    )
    assert checkout_commits == {
        shop.apple_pay, shop.drop_v1, shop.split_payment, shop.gift_cards,
        shop.revert_gift_cards, shop.rounding, shop.revert_rounding,
        shop.revert_revert_rounding, shop.squash, shop.unicode,
    }  # fmt: skip
    search = await source.touching(base="v1.0.0", head="v1.1.0", paths=["services/search/"])
    assert search == {
        shop.typo_tolerance, shop.suggestions, shop.synonyms, shop.revert_before,
        shop.facets, shop.facet_tests, shop.mentions,
    }  # fmt: skip
    both = await source.touching(
        base="v1.0.0", head="v1.1.0", paths=["./services/checkout", "/services/search"]
    )
    assert both == checkout_commits | search
    assert await source.touching(base="v1.0.0", head="v1.1.0", paths=["docs"]) == {
        shop.docs,
        shop.long_subject,
    }


async def test_touching_without_paths_is_every_non_merge_commit(
    source: GitRepository, shop: ShopHistory
) -> None:
    everything = await source.touching(base="v1.0.0", head="v1.1.0", paths=[])
    commits = await source.commits(base="v1.0.0", head="v1.1.0")
    assert everything == {c.sha for c in commits if not c.is_merge}
    assert shop.merge not in everything
    assert await source.touching(base=None, head="v1.0.0", paths=["services/search"]) == {
        shop.initial,
        shop.empty_query,
    }


@pytest.mark.parametrize(
    "paths", [["services/nowhere"], ["services/check"], ["services/*"], ["README.md"]]
)
async def test_paths_are_literal_and_whole_components(
    source: GitRepository, paths: Sequence[str]
) -> None:
    assert await source.touching(base="v1.0.0", head="v1.1.0", paths=paths) == frozenset()


async def test_touching_a_file_from_a_subdirectory_clone_path(shop: ShopHistory) -> None:
    inner = GitRepository(path=shop.path / "services")
    assert await inner.touching(base="v1.0.0", head="main", paths=["README.md"]) == {shop.after}


@pytest.mark.parametrize("path", ["../etc", "services/../../x", "a\nb"])
async def test_paths_outside_the_repository_are_refused(source: GitRepository, path: str) -> None:
    with pytest.raises(IntegrationError, match="is not a path inside the repository"):
        await source.touching(base="v1.0.0", head="v1.1.0", paths=[path])


async def test_touching_an_unknown_ref_is_not_found(source: GitRepository) -> None:
    with pytest.raises(NotFound, match="`v0` is not a commit"):
        await source.touching(base="v0", head="main", paths=["docs"])


# -- known_before ---------------------------------------------------------------------------


async def test_known_before_counts_authors_and_co_authors(source: GitRepository) -> None:
    people = [
        person(ANA, login="ana"),
        person(BO),
        person(FAY),  # only a co-author before v1.0.0
        person(CHEN),
        person(EVE),
        Person("Bo Again", "BO@Example.COM"),
    ]
    known = await source.known_before(ref="v1.0.0", people=people)
    assert known == {"ana@example.com", "@ana", "bo@example.com", "fay@example.com"}

    later = await source.known_before(ref="v1.1.0", people=people)
    assert later == known | {"chen@example.com", "eve@example.com"}  # EVE co-wrote synonyms


async def test_known_before_nothing(source: GitRepository, tmp_path: Path) -> None:
    assert await source.known_before(ref=None, people=[person(ANA)]) == frozenset()
    assert await source.known_before(ref="main", people=[]) == frozenset()
    nowhere = GitRepository(path=tmp_path / "missing")
    assert await nowhere.known_before(ref=None, people=[person(ANA)]) == frozenset()
    with pytest.raises(NotFound, match="`v0` is not a commit"):
        await source.known_before(ref="v0", people=[person(ANA)])


async def test_co_author_trailers_in_any_case_and_without_brackets(repo: Path) -> None:
    commit(
        repo,
        "feat: pair\n\nco-authored-by: Gil <GIL@example.com>\nCO-AUTHORED-BY: hal@example.com\n"
        "Reviewed-by: Ivy <ivy@example.com>",
    )
    people = [Person("Gil", "gil@example.com"), Person("Hal", "hal@example.com"),
              Person("Ivy", "ivy@example.com"), Person("", "")]  # fmt: skip
    known = await GitRepository(path=repo).known_before(ref="main", people=people)
    assert known == {"gil@example.com", "hal@example.com"}


# -- failures -------------------------------------------------------------------------------


async def test_not_a_repository(tmp_path: Path) -> None:
    source = GitRepository(path=tmp_path)
    for call in (
        source.head(branch="main"),
        source.resolve(ref="main"),
        source.commits(base=None, head="main"),
        source.touching(base=None, head="main", paths=["x"]),
        source.known_before(ref="main", people=[person(ANA)]),
    ):
        with pytest.raises(IntegrationError) as caught:
            await call
        assert str(caught.value) == (
            f"{tmp_path} is not a git repository; point the train's repo.path at a clone"
        )


async def test_a_repository_path_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "missing"
    with pytest.raises(IntegrationError, match=f"the repository path {missing} does not exist"):
        await GitRepository(path=missing).resolve(ref="main")
    with pytest.raises(IntegrationError, match="does not exist"):
        await GitRepository(path=missing).commits(base="a", head="b")


async def test_git_missing_is_an_integration_error(repo: Path, tmp_path: Path) -> None:
    source = GitRepository(path=repo, executable=str(tmp_path / "no-such-git"))
    with pytest.raises(IntegrationError) as caught:
        await source.resolve(ref="main")
    assert str(caught.value) == (
        f"git could not be run to read {repo} (No such file or directory); "
        "install git on this machine"
    )


async def test_a_slow_git_log_is_stopped(repo: Path) -> None:
    source = GitRepository(path=repo, log_timeout=0.000_001)
    with pytest.raises(
        IntegrationError, match=rf"^git log in {re.escape(str(repo))} took over 1e-06s$"
    ):
        await source.commits(base=None, head="main")
    assert await GitRepository(path=repo, timeout=30).resolve(ref="main")


async def test_unreadable_git_output_is_an_integration_error(repo: Path, tmp_path: Path) -> None:
    sha = "a" * 40
    garbled = GitRepository(
        path=repo, executable=fake_git(tmp_path, "garbled", sha, "one line only\\0")
    )
    with pytest.raises(IntegrationError, match=r"git log in .* gave output Stationmaster cannot"):
        await garbled.commits(base=None, head="main")
    not_a_sha = GitRepository(path=repo, executable=fake_git(tmp_path, "not-a-sha", "HEAD", ""))
    with pytest.raises(IntegrationError, match="git rev-parse gave 'HEAD' for main in"):
        await not_a_sha.resolve(ref="main")
    bad_sha = GitRepository(
        path=repo, executable=fake_git(tmp_path, "bad-sha", sha, "zz\\na\\nb\\nc\\0")
    )
    with pytest.raises(IntegrationError, match="'zz' is not a sha"):
        await bad_sha.commits(base=None, head="main")


async def test_a_failing_git_names_its_last_words(repo: Path, tmp_path: Path) -> None:
    script = tmp_path / "failing-git"
    script.write_text("#!/bin/sh\nexit 3\n")
    script.chmod(0o755)
    with pytest.raises(IntegrationError, match=r"git rev-parse failed in .*: no output$"):
        await GitRepository(path=repo, executable=str(script)).resolve(ref="main")


async def test_a_merge_of_unrelated_histories(tmp_path: Path) -> None:
    repo = init(tmp_path / "two-roots")
    first = commit(repo, "feat: one root", files={"a": "1"})
    git(repo, "checkout", "-q", "--orphan", "other")
    git(repo, "rm", "-q", "-rf", ".")
    second = commit(repo, "feat: another root", files={"b": "1"})
    checkout(repo, "main")
    git(repo, "merge", "-q", "--allow-unrelated-histories", "--no-edit", "other")
    merged = rev_parse(repo, "HEAD")
    tag(repo, "both")
    commits = await GitRepository(path=repo).commits(base=None, head="both")
    assert [c.sha for c in commits] == [first, second, merged]
    assert commits[2].parents == (first, second)
    assert [c.parents for c in commits[:2]] == [(), ()]
