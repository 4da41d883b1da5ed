"""One contract for every :class:`SourceRepository`: the same history, the same answers.

The history is made once with real git (``repos.py``); the GitHub source reads a copy of it
seeded into the fake GitHub (same messages, authors, parents, files, branches and tags). Shas
differ between the two, so commits are compared by message.

::

    root ── one (v1) ── two ─────────── four ── merge #5 ── five   main
                          └── three ──────────────┘               feature
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from bot.domain.notes import Person
from bot.errors import NotFound
from integrations.github.client import GitHubClient
from integrations.source.base import SourceRepository
from integrations.source.git import GitRepository
from integrations.source.github import GitHubRepository
from tests.fakes.github import FakeRepo, running_fake_github
from tests.integrations.source.repos import (
    ANA,
    BO,
    CHEN,
    DANA,
    Author,
    branch,
    checkout,
    commit,
    git,
    init,
    merge,
    tag,
)

TOKEN = "t0k-contract"
LOGINS = {ANA[1]: "ana", BO[1]: "bo"}  # CHEN and DANA have no GitHub account


def build(path: Path) -> Path:
    repo = init(path)
    commit(repo, "chore: root", files={"README.md": "# shop\n", "services/a/x.py": "x = 1\n"})
    commit(repo, "feat: one\n\nThe first feature.", files={"services/a/y.py": "y\n"}, author=BO)
    tag(repo, "v1", message="v1")
    commit(repo, "feat(b): two", files={"services/b/z.py": "z\n"}, author=CHEN)
    branch(repo, "feature")
    checkout(repo, "feature")
    commit(repo, "fix(a): three", files={"services/a/w.py": "w\n"})
    checkout(repo, "main")
    commit(repo, "docs: four\n\n* a list\n* of things\n", files={"docs/d.md": "d\n"}, author=BO)
    merge(repo, "feature", message="Merge pull request #5 from acme/feature")
    commit(repo, "fix(b): five ünïcödé", files={"services/b/q.py": "q\n"}, author=DANA)
    return repo


def mirror(repo: Path, into: FakeRepo) -> None:
    """Seed ``into`` with every commit, branch and tag of the git repository ``repo``."""
    shas: dict[str, str] = {}
    for sha in git(repo, "rev-list", "--all", "--reverse", "--date-order").split():
        fields = git(repo, "show", "-s", "--format=%P%x00%aN%x00%aE%x00%B", sha).split("\0")
        parents, name, email, message = fields
        files = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "--root", sha)
        shas[sha] = into.add_commit(
            message.rstrip("\n"),
            parents=[shas[parent] for parent in parents.split()],
            author=(name, email),
            login=LOGINS.get(email),
            files=files.split(),
            branch=None,
        )
    refs = git(repo, "for-each-ref", "--format=%(refname)%00%(objectname)%00%(*objectname)")
    for line in refs.splitlines():
        ref, target, peeled = line.split("\0")
        sha = shas[peeled or target]
        if ref.startswith("refs/heads/"):
            into.set_branch(ref.removeprefix("refs/heads/"), sha)
        else:
            into.add_tag(ref.removeprefix("refs/tags/"), sha)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("contract") / "shop")


@pytest.fixture(params=["git", "github"])
async def source(request: pytest.FixtureRequest, history: Path) -> AsyncIterator[SourceRepository]:
    if request.param == "git":
        yield GitRepository(path=history)
        return
    async with running_fake_github(token=TOKEN) as fake, httpx.AsyncClient() as http:
        mirror(history, fake.add_repo("acme/shop"))
        client = GitHubClient(http=http, base_url=fake.url, token=SecretStr(TOKEN))
        yield GitHubRepository(client=client, repo="acme/shop")


@dataclass(frozen=True)
class Named:
    """The source's shas by subject, and back."""

    sha: dict[str, str]

    def subjects(self, shas: Iterable[str]) -> set[str]:
        by_sha = {sha: subject for subject, sha in self.sha.items()}
        return {by_sha[sha] for sha in shas}


async def named(source: SourceRepository) -> Named:
    return Named({c.subject: c.sha for c in await source.commits(base=None, head="main")})


def person(author: Author) -> Person:
    return Person(name=author[0], email=author[1])


async def test_resolve(source: SourceRepository) -> None:
    n = await named(source)
    assert await source.resolve(ref="v1") == n.sha["feat: one"]
    assert await source.resolve(ref="main") == n.sha["fix(b): five ünïcödé"]
    assert await source.resolve(ref="feature") == n.sha["fix(a): three"]
    assert await source.resolve(ref=n.sha["feat(b): two"]) == n.sha["feat(b): two"]
    assert (await source.head(branch="feature")).sha == n.sha["fix(a): three"]
    with pytest.raises(NotFound, match=r"^`v9\.9` is not a commit in "):
        await source.resolve(ref="v9.9")


async def test_commits_of_a_range(source: SourceRepository) -> None:
    n = await named(source)
    commits = await source.commits(base="v1", head="main")

    assert [c.subject for c in commits] == [
        "feat(b): two",
        "fix(a): three",
        "docs: four",
        "Merge pull request #5 from acme/feature",
        "fix(b): five ünïcödé",
    ]
    assert commits[2].message == "docs: four\n\n* a list\n* of things"
    assert [n.subjects(c.parents) for c in commits] == [
        {"feat: one"},
        {"feat(b): two"},
        {"feat(b): two"},
        {"docs: four", "fix(a): three"},
        {"Merge pull request #5 from acme/feature"},
    ]
    merge_commit = commits[3]
    assert merge_commit.parents == (n.sha["docs: four"], n.sha["fix(a): three"])
    assert [(c.author.name, c.author.email) for c in commits] == [
        CHEN, ANA, BO, ANA, DANA,
    ]  # fmt: skip
    assert all(c.pulls == () for c in commits)


async def test_the_whole_history_and_empty_ranges(source: SourceRepository) -> None:
    everything = await source.commits(base=None, head="main")
    assert [c.subject for c in everything][:3] == ["chore: root", "feat: one", "feat(b): two"]
    assert len(everything) == 7
    assert everything[0].parents == ()
    assert everything[1].message == "feat: one\n\nThe first feature."
    assert await source.commits(base="main", head="main") == []
    assert await source.commits(base="main", head="v1") == []
    with pytest.raises(NotFound):
        await source.commits(base="v0", head="main")


async def test_touching(source: SourceRepository) -> None:
    n = await named(source)

    async def touching(*paths: str) -> set[str]:
        return n.subjects(await source.touching(base="v1", head="main", paths=paths))

    assert await touching("services/a") == {"fix(a): three"}
    assert await touching("services/b/", "docs") == {
        "feat(b): two",
        "docs: four",
        "fix(b): five ünïcödé",
    }
    assert await touching() == {
        "feat(b): two",
        "fix(a): three",
        "docs: four",
        "fix(b): five ünïcödé",
    }
    assert await touching("services/nowhere") == set()
    assert n.subjects(await source.touching(base=None, head="v1", paths=["services/a"])) == {
        "chore: root",
        "feat: one",
    }


async def test_known_before(source: SourceRepository) -> None:
    people = [person(ANA), person(BO), person(CHEN), person(DANA)]
    assert await source.known_before(ref="v1", people=people) == {
        "ana@example.com",
        "bo@example.com",
    }
    assert await source.known_before(ref="main", people=people) == {
        "ana@example.com",
        "bo@example.com",
        "chen@example.com",
        "dana@example.com",
    }
    assert await source.known_before(ref=None, people=people) == frozenset()
    with pytest.raises(NotFound):
        await source.known_before(ref="v0", people=people)
